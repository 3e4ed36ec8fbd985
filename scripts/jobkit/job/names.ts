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

/**
 * The words of a name. A run written in capitals (`A0A`, `S3UPLOAD`) is one word:
 * splitting it at a digit, as change-case does, would make the QUEUE_NAMES key give
 * other words than the name it came from (`A0a b` → `A0A_B` → `A0_A_B`), and
 * `--remove A0A_B` could not find the job. Mixed-case runs split as usual
 * (`s3Upload` → `s3 Upload`, `HTTPServer` → `HTTP Server`).
 */
function words(name: string): string[] {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter((run) => run.length > 0)
    .flatMap((run) => (/\p{Ll}/u.test(run) ? split(run) : [run]));
}

// Without merging, change-case writes `Export_2` for the words `export 2`.
const MERGE = { split: words, mergeAmbiguousCharacters: true } as const;

/** Letters, digits, spaces, `-` and `_`, starting with a letter: any case style. */
export const JOB_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9 _-]*$/;

export function jobNames(name: string): JobNames {
  const pascal = pascalCase(name, MERGE);
  const title = words(name)
    .map((word) => word.toLowerCase())
    .join(' ');
  return {
    constant: constantCase(name, { split: words }),
    kebab: kebabCase(name, { split: words }),
    pascal,
    camel: camelCase(name, MERGE),
    title: title.charAt(0).toUpperCase() + title.slice(1),
    handler: `handle${pascal}`,
    enqueueMethod: `enqueue${pascal}`,
  };
}
