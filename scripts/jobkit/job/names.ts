import { camelCase, constantCase, kebabCase, pascalCase, split } from 'change-case';

/** Every spelling of one job name that the generated code uses. */
export interface JobNames {
  /** `AUDIT_LOG_EXPORT`: the key in QUEUE_NAMES. */
  constant: string;
  /** `audit-log-export`: the queue name and the file names. */
  kebab: string;
  /** `AuditLogExport`: types and the logger name. */
  pascal: string;
  /** `auditLogExport` */
  camel: string;
  /** `Audit log export`: prose. */
  title: string;
  /** `handleAuditLogExport` */
  handler: string;
  /** `enqueueAuditLogExport`: the QueueService method. */
  enqueueMethod: string;
}

// Without merging, change-case writes `Export_2` for the words `export 2`.
const MERGE = { mergeAmbiguousCharacters: true } as const;

/** Letters, digits, spaces, `-` and `_`, starting with a letter: any case style. */
export const JOB_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9 _-]*$/;

export function jobNames(name: string): JobNames {
  const pascal = pascalCase(name, MERGE);
  const words = split(name).map((word) => word.toLowerCase());
  const title = words.join(' ');
  return {
    constant: constantCase(name),
    kebab: kebabCase(name),
    pascal,
    camel: camelCase(name, MERGE),
    title: title.charAt(0).toUpperCase() + title.slice(1),
    handler: `handle${pascal}`,
    enqueueMethod: `enqueue${pascal}`,
  };
}
