import { parseJobData } from '../job-data';
import type { JobDefinition } from '../job-definition';
import { QUEUE_NAMES } from '../queues';

/**
 * Audit log export: the contract between the API, which queues the job, and the worker,
 * which runs it.
 *
 * Purpose: Generate CSV export of audit logs for a date range and email to user
 *
 * Trigger: User clicks "Export" button in audit logs UI
 */
export interface AuditLogExportJobData {
  /** Organization ID (UUID) */
  orgId: string;
  /** Requesting user ID (UUID) */
  userId: string;
  /** Email to send export to (email address) */
  userEmail: string;
  /** Start of date range (ISO-8601 date-time) */
  startDate: string;
  /** End of date range (ISO-8601 date-time) */
  endDate: string;
  /** Additional filters applied */
  filters?: Record<string, unknown>;
}

export const AUDIT_LOG_EXPORT_JOB = {
  queue: QUEUE_NAMES.AUDIT_LOG_EXPORT,
  // 4 attempts: 3 retries after the first try, waiting 1s, 2s, 4s (exponential backoff).
  options: { attempts: 4, backoff: { type: 'exponential', delay: 1000 }, priority: 5 },
  timeoutMs: 300_000,
  data: {
    orgId: { type: 'uuid', required: true },
    userId: { type: 'uuid', required: true },
    userEmail: { type: 'email', required: true },
    startDate: { type: 'iso-date-time', required: true },
    endDate: { type: 'iso-date-time', required: true },
    filters: { type: 'object', required: false },
  },
} as const satisfies JobDefinition;

/** Checks data from outside (a caller, Redis) against the contract; throws `JobDataError`. */
export function parseAuditLogExportJobData(input: unknown): AuditLogExportJobData {
  return parseJobData(input, AUDIT_LOG_EXPORT_JOB.data);
}
