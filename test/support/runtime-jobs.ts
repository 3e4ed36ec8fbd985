import type { Job, JobsOptions, Processor, Worker, WorkerOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type pg from 'pg';

/**
 * The jobs the runtime suite generates with the kit, in one batch, and the shapes of
 * the generated modules it loads from the temporary host. The modules are loaded at
 * run time, so these interfaces state what the suite expects of the generated code;
 * `importHostModule` checks that every named export exists.
 */

/** Delays are short so that retries and timeouts play out in a fraction of a second. */
export const RUNTIME_JOB_ANSWERS = [
  {
    name: 'USAGE_REPORT',
    purpose: 'Builds the monthly usage report of an organization and emails it',
    trigger: 'Runtime suite: queued through QueueService.enqueueUsageReport',
    fields: [
      { name: 'orgId', type: 'string (uuid)', required: true, description: 'Organization' },
      { name: 'userId', type: 'string (uuid)', required: true, description: 'Requesting user' },
      { name: 'userEmail', type: 'string (email)', required: true, description: 'Recipient' },
      { name: 'rows', type: 'integer', required: false, description: 'Rows in the report' },
    ],
    retries: 2,
    backoff: { type: 'exponential', delayMs: 100 },
    timeoutSeconds: 5,
    priority: 5,
    sideEffects: { email: true, triggers: ['NOTIFICATION_EMAIL'] },
  },
  {
    name: 'ORDER_WEBHOOK',
    purpose: "Tells a merchant's system that an order shipped",
    trigger: 'Runtime suite: webhook retries with exponential backoff',
    fields: [
      { name: 'orderId', type: 'string (uuid)', required: true, description: 'The order' },
      { name: 'endpoint', type: 'string (url)', required: true, description: 'Merchant hook' },
    ],
    retries: 2,
    backoff: { type: 'exponential', delayMs: 300 },
    timeoutSeconds: 5,
    priority: 3,
    sideEffects: { webhook: true },
  },
  {
    name: 'PARTNER_WEBHOOK',
    purpose: 'Forwards an event to a partner endpoint',
    trigger: 'Runtime suite: webhook retries with fixed backoff',
    fields: [
      { name: 'eventId', type: 'string (uuid)', required: true, description: 'The event' },
      { name: 'endpoint', type: 'string (url)', required: true, description: 'Partner hook' },
    ],
    retries: 2,
    backoff: { type: 'fixed', delayMs: 300 },
    timeoutSeconds: 5,
    priority: 3,
    sideEffects: { webhook: true },
  },
  {
    name: 'CRM_SYNC',
    purpose: 'Copies a contact to the CRM',
    trigger: 'Runtime suite: retries running out',
    fields: [{ name: 'contactId', type: 'string (uuid)', required: true, description: 'Contact' }],
    retries: 3,
    backoff: { type: 'fixed', delayMs: 100 },
    timeoutSeconds: 5,
    priority: 5,
    sideEffects: { other: ['Pushes the contact to the CRM'] },
  },
  {
    name: 'SLOW_UPSTREAM',
    purpose: 'Fetches a document from a slow upstream service',
    trigger: 'Runtime suite: timeouts and cancellation',
    fields: [{ name: 'documentId', type: 'string (uuid)', required: true, description: 'Doc' }],
    retries: 1,
    backoff: { type: 'fixed', delayMs: 50 },
    timeoutSeconds: 1,
    priority: 5,
    sideEffects: { other: ['Waits for the upstream'] },
  },
  {
    name: 'LEDGER_POSTING',
    purpose: 'Posts an entry to the ledger',
    trigger: 'Runtime suite: database transactions and crash safety',
    fields: [
      { name: 'entryId', type: 'string (uuid)', required: true, description: 'The entry' },
      { name: 'amount', type: 'number', required: true, description: 'Amount in cents' },
    ],
    retries: 1,
    backoff: { type: 'fixed', delayMs: 50 },
    timeoutSeconds: 5,
    priority: 5,
    sideEffects: { database: true },
  },
] as const;

// ---- Data of the generated jobs (what their contracts declare) -------------------

export interface UsageReportData {
  orgId: string;
  userId: string;
  userEmail: string;
  rows?: number;
}

export interface OrderWebhookData {
  orderId: string;
  endpoint: string;
}

export interface PartnerWebhookData {
  eventId: string;
  endpoint: string;
}

export interface CrmSyncData {
  contactId: string;
}

export interface SlowUpstreamData {
  documentId: string;
}

export interface LedgerPostingData {
  entryId: string;
  amount: number;
}

export interface NotificationEmailData {
  userId: string;
  userEmail: string;
  title?: string;
  message?: string;
}

// ---- Results and injectable steps and services of the generated handlers -------

export interface UsageReportResult {
  durationMs: number;
  sendEmail: { emailId: string };
  queueNotificationEmail: { jobId: string };
}

export interface WebhookJobResult {
  durationMs: number;
  postWebhook: { status: number };
}

export interface CrmSyncResult {
  durationMs: number;
  pushContactToCrm: unknown;
}

export interface SlowUpstreamResult {
  durationMs: number;
  waitForUpstream: unknown;
}

export interface LedgerPostingResult {
  durationMs: number;
  updateDatabase: unknown;
}

export interface JobLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** The transaction client `withServiceContext` hands to `updateDatabase`. */
export type ServiceTransaction = Pick<pg.PoolClient, 'query'>;

/** JSON, as a step hands it on. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface UsageReportOverrides {
  logger?: JobLogger;
  steps?: {
    composeEmail?: (
      data: UsageReportData,
    ) => Promise<{ to: string; subject: string; text: string }>;
  };
  services?: {
    sendEmail?: (
      message: { to: string; subject: string; text: string; idempotencyKey?: string },
      signal: AbortSignal,
    ) => Promise<{ id: string }>;
    enqueue?: (
      followUp: { queue: string; data: unknown; jobId: string },
      signal: AbortSignal,
    ) => Promise<string>;
  };
}

export interface CrmSyncOverrides {
  logger?: JobLogger;
  steps?: { pushContactToCrm?: (data: CrmSyncData, signal: AbortSignal) => Promise<Json> };
}

export interface SlowUpstreamOverrides {
  logger?: JobLogger;
  steps?: { waitForUpstream?: (data: SlowUpstreamData, signal: AbortSignal) => Promise<Json> };
}

export type LedgerPostingStep = (
  tx: ServiceTransaction,
  data: LedgerPostingData,
  signal: AbortSignal,
) => Promise<Json>;

export interface LedgerPostingOverrides {
  logger?: JobLogger;
  steps?: { updateDatabase?: LedgerPostingStep };
}

export type HandlerFactory<Data, Overrides, Result> = (
  overrides?: Overrides,
) => Processor<Data, Result>;

// ---- The host modules the suite loads ---------------------------------------------

export interface JobPolicy {
  readonly queue: string;
  readonly options: {
    readonly attempts: number;
    readonly backoff: { readonly type: 'exponential' | 'fixed'; readonly delay: number };
    readonly priority: number;
  };
  readonly timeoutMs: number;
}

/** `packages/shared/src/index.ts` of the host, after generation. */
export interface SharedModule {
  QUEUE_NAMES: Readonly<Record<string, string>>;
  USAGE_REPORT_JOB: JobPolicy;
  ORDER_WEBHOOK_JOB: JobPolicy;
  PARTNER_WEBHOOK_JOB: JobPolicy;
  CRM_SYNC_JOB: JobPolicy;
  SLOW_UPSTREAM_JOB: JobPolicy;
  LEDGER_POSTING_JOB: JobPolicy;
  NOTIFICATION_EMAIL_JOB: JobPolicy;
}

export interface WorkerPoolOptions {
  connection?: RedisOptions;
  prefix?: string;
  concurrency?: number;
  workerOptions?: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency'>;
}

export interface WorkerPool {
  readonly workers: readonly Worker[];
  createWorker<T, R = unknown>(queueName: string, processor: Processor<T, R>): Worker<T, R>;
  close(): Promise<void>;
}

/** `apps/worker/src/worker.ts`: the registrations the kit maintains. */
export interface WorkerModule {
  startWorkers(options?: WorkerPoolOptions): WorkerPool;
}

export interface WorkerPoolModule {
  createWorkerPool(options?: WorkerPoolOptions): WorkerPool;
}

export interface ProducerModule {
  closeProducer(): Promise<void>;
}

export interface DbModule {
  closeDatabase(): Promise<void>;
  withServiceContext: unknown;
}

export interface WebhookClientModule {
  signWebhookBody(secret: string, timestamp: number, body: string): string;
}

export interface JobTimeoutModule {
  JobTimeoutError: new (timeoutMs: number) => Error;
}

export interface QueueServiceInstance {
  enqueueUsageReport(
    data: UsageReportData,
    options?: JobsOptions,
  ): Promise<Job<UsageReportData, UsageReportResult>>;
  enqueueOrderWebhook(
    data: OrderWebhookData,
    options?: JobsOptions,
  ): Promise<Job<OrderWebhookData, WebhookJobResult>>;
  enqueuePartnerWebhook(
    data: PartnerWebhookData,
    options?: JobsOptions,
  ): Promise<Job<PartnerWebhookData, WebhookJobResult>>;
  enqueueCrmSync(
    data: CrmSyncData,
    options?: JobsOptions,
  ): Promise<Job<CrmSyncData, CrmSyncResult>>;
  enqueueSlowUpstream(
    data: SlowUpstreamData,
    options?: JobsOptions,
  ): Promise<Job<SlowUpstreamData, SlowUpstreamResult>>;
  enqueueLedgerPosting(
    data: LedgerPostingData,
    options?: JobsOptions,
  ): Promise<Job<LedgerPostingData, LedgerPostingResult>>;
  onModuleDestroy(): Promise<void>;
}

/** `apps/api/src/queue/queue.service.ts`: the API's generated `enqueue…` methods. */
export interface QueueServiceModule {
  QueueService: new (config: { redisUrl: string; prefix: string }) => QueueServiceInstance;
}

export interface UsageReportHandlerModule {
  createUsageReportHandler: HandlerFactory<
    UsageReportData,
    UsageReportOverrides,
    UsageReportResult
  >;
}

export interface CrmSyncHandlerModule {
  createCrmSyncHandler: HandlerFactory<CrmSyncData, CrmSyncOverrides, CrmSyncResult>;
}

export interface SlowUpstreamHandlerModule {
  createSlowUpstreamHandler: HandlerFactory<
    SlowUpstreamData,
    SlowUpstreamOverrides,
    SlowUpstreamResult
  >;
}

export interface LedgerPostingHandlerModule {
  createLedgerPostingHandler: HandlerFactory<
    LedgerPostingData,
    LedgerPostingOverrides,
    LedgerPostingResult
  >;
  ledgerPostingServices: { withServiceContext: unknown };
}

/** `apps/worker/src/runtime/job-steps.ts`: the runtime helper the handlers are built on. */
export interface JobStepsModule {
  FINISHED_STEPS_KEY: string;
  StepNotWrittenError: new (step: string, location: string) => Error;
}
