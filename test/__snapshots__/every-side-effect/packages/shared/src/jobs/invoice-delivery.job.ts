import { parseJobData } from '../job-data';
import type { JobDefinition } from '../job-definition';
import { QUEUE_NAMES } from '../queues';

/**
 * Invoice delivery: the contract between the API, which queues the job, and the worker,
 * which runs it.
 *
 * Purpose: Renders an invoice, stores it, emails it and tells the customer's system
 *
 * Trigger: When BillingService closes an invoice
 */
export interface InvoiceDeliveryJobData {
  /** The closed invoice (UUID) */
  invoiceId: string;
  /** The billing contact (UUID) */
  userId: string;
  /** Where the invoice goes (email address) */
  userEmail: string;
  /** The customer's billing webhook (http(s) URL) */
  callbackUrl: string;
  /** When the invoice closed (ISO-8601 date-time) */
  closedAt: string;
  /** How to render it */
  format: 'pdf' | 'html';
  /** Total, in the invoice currency */
  amount: number;
  /** Number of lines (integer) */
  lineCount?: number;
  /** Already paid by card */
  paid?: boolean;
  /** Free-form tags from the customer */
  metadata?: Record<string, unknown>;
  /** Extra recipients */
  ccEmails?: string[];
  /** Rates applied */
  taxRates?: number[];
}

export const INVOICE_DELIVERY_JOB = {
  queue: QUEUE_NAMES.INVOICE_DELIVERY,
  // 3 attempts: 2 retries after the first try, waiting 2.5s, 2.5s (fixed backoff).
  options: { attempts: 3, backoff: { type: 'fixed', delay: 2500 }, priority: 1 },
  timeoutMs: 120_000,
  data: {
    invoiceId: { type: 'uuid', required: true },
    userId: { type: 'uuid', required: true },
    userEmail: { type: 'email', required: true },
    callbackUrl: { type: 'url', required: true },
    closedAt: { type: 'iso-date-time', required: true },
    format: { type: 'enum', values: ['pdf', 'html'], required: true },
    amount: { type: 'number', required: true },
    lineCount: { type: 'integer', required: false },
    paid: { type: 'boolean', required: false },
    metadata: { type: 'object', required: false },
    ccEmails: { type: 'string[]', required: false },
    taxRates: { type: 'number[]', required: false },
  },
} as const satisfies JobDefinition;

/** Checks data from outside (a caller, Redis) against the contract; throws `JobDataError`. */
export function parseInvoiceDeliveryJobData(input: unknown): InvoiceDeliveryJobData {
  return parseJobData(input, INVOICE_DELIVERY_JOB.data);
}
