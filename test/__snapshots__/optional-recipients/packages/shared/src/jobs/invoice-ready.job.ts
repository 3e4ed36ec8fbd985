import { parseJobData } from '../job-data';
import type { JobDefinition } from '../job-definition';
import { QUEUE_NAMES } from '../queues';

/**
 * Invoice ready: the contract between the API, which queues the job, and the worker,
 * which runs it.
 *
 * Purpose: Tells a customer and their integration that an invoice is ready
 *
 * Trigger: After an invoice is finalised
 */
export interface InvoiceReadyJobData {
  /** The invoice (UUID) */
  invoiceId: string;
  /** Who to tell, if anyone (email address) */
  contactEmail?: string;
  /** Accounts payable (email address) */
  billingEmail?: string;
  /** The customer's endpoint, if they set one (http(s) URL) */
  callbackUrl?: string;
}

export const INVOICE_READY_JOB = {
  queue: QUEUE_NAMES.INVOICE_READY,
  // 4 attempts: 3 retries after the first try, waiting 1s, 2s, 4s (exponential backoff).
  options: { attempts: 4, backoff: { type: 'exponential', delay: 1000 }, priority: 5 },
  timeoutMs: 60_000,
  data: {
    invoiceId: { type: 'uuid', required: true },
    contactEmail: { type: 'email', required: false },
    billingEmail: { type: 'email', required: false },
    callbackUrl: { type: 'url', required: false },
  },
} as const satisfies JobDefinition;

/** Checks data from outside (a caller, Redis) against the contract; throws `JobDataError`. */
export function parseInvoiceReadyJobData(input: unknown): InvoiceReadyJobData {
  return parseJobData(input, INVOICE_READY_JOB.data);
}
