import { describe, expect, it } from 'vitest';
import { memorySource } from '../../../test/support/memory-source.js';
import { VirtualTree } from '../core/tree.js';
import { readEmailApi } from './email-api.js';
import { readRegisteredDataType } from './host-types.js';

const WORKER = 'apps/worker/src/worker.ts';
const PACKAGES = { '@acme/shared': 'packages/shared/src/index.ts' };

function tree(files: Record<string, string>): VirtualTree {
  return new VirtualTree(memorySource(files));
}

const worker = `import { createWorker } from './runtime/pool';
import { handleAuditLog, type AuditLogJobData as AuditData } from './handlers/audit-log.handler';
import type { WebhookDeliveryJobData } from '@acme/shared';

// createWorker<Wrong>(QUEUE_NAMES.AUDIT_LOGS, …) in a comment is not a registration.
export function start() {
  createWorker<AuditData>(QUEUE_NAMES.AUDIT_LOGS, handleAuditLog);
  createWorker<WebhookDeliveryJobData>(QUEUE_NAMES.WEBHOOK_DELIVERY, handleWebhookDelivery);
  createWorker<HiddenJobData>(QUEUE_NAMES.HIDDEN, handleHidden);
}
`;

const host = {
  [WORKER]: worker,
  'apps/worker/src/handlers/audit-log.handler.ts': `export interface AuditLogJobData {
  orgId: string;
  action: 'created' | 'deleted';
  metadata?: Record<string, unknown>;
}
`,
  'packages/shared/src/index.ts': `export * from './queues';\nexport * from './types/jobs';\n`,
  'packages/shared/src/queues.ts': `export const QUEUE_NAMES = {} as const;\n`,
  'packages/shared/src/types/jobs.ts': `export type WebhookDeliveryJobData = {
  url: string;
  payload: object;
};
`,
};

describe('readRegisteredDataType', () => {
  it('follows a registration to the interface its handler declares', () => {
    expect(readRegisteredDataType(tree(host), WORKER, 'AUDIT_LOGS', PACKAGES)).toEqual({
      name: 'AuditLogJobData',
      file: 'apps/worker/src/handlers/audit-log.handler.ts',
      fields: [
        { name: 'orgId', required: true, type: 'string' },
        { name: 'action', required: true, type: "'created' | 'deleted'" },
        { name: 'metadata', required: false, type: 'Record<string, unknown>' },
      ],
    });
  });

  it('follows a package import through the index re-exports to a type alias', () => {
    expect(readRegisteredDataType(tree(host), WORKER, 'WEBHOOK_DELIVERY', PACKAGES)).toEqual({
      name: 'WebhookDeliveryJobData',
      file: 'packages/shared/src/types/jobs.ts',
      fromPackage: '@acme/shared',
      fields: [
        { name: 'url', required: true, type: 'string' },
        { name: 'payload', required: true, type: 'object' },
      ],
    });
  });

  it('finds nothing for a type it cannot trace to an export', () => {
    expect(readRegisteredDataType(tree(host), WORKER, 'HIDDEN', PACKAGES)).toBeUndefined();
    expect(readRegisteredDataType(tree(host), WORKER, 'UNKNOWN', PACKAGES)).toBeUndefined();
  });
});

const EMAIL = 'apps/worker/src/services/email.service.ts';

describe('readEmailApi', () => {
  it('reads a function taking an options type, with its required members', () => {
    const api = readEmailApi(
      tree({
        [EMAIL]: `export interface SendEmailOptions { to: string; subject: string; html: string; text?: string }
export async function sendEmail(options: SendEmailOptions): Promise<{ id: string }> {
  return { id: options.to };
}
export function formatAddress(name: string): string { return name; }
`,
      }),
      EMAIL,
      undefined,
    );
    expect(api).toMatchObject({
      style: 'function',
      name: 'sendEmail',
      optionsType: 'SendEmailOptions',
      takesSignal: false,
      returnsId: true,
    });
    expect(
      api.style === 'function' && api.members.filter((m) => m.required).map((m) => m.name),
    ).toEqual(['to', 'subject', 'html']);
  });

  it("keeps the kit's emailService.send when no function takes a message", () => {
    const source = `export interface EmailTransport { deliver(message: unknown): Promise<void> }
export function createEmailService(transport: EmailTransport) { return { send: transport.deliver }; }
`;
    expect(readEmailApi(tree({ [EMAIL]: source }), EMAIL, undefined)).toEqual({ style: 'service' });
  });

  it('asks for emailFunction when two functions could send, and takes the one named', () => {
    const source = `export interface Mail { to: string; subject: string }
export async function sendEmail(mail: Mail): Promise<void> {}
export async function sendBulkEmail(mail: Mail, signal?: AbortSignal): Promise<void> {}
`;
    expect(() => readEmailApi(tree({ [EMAIL]: source }), EMAIL, undefined)).toThrow(
      /several functions could send the email \(sendEmail, sendBulkEmail\); name one with "jobkit": \{ "emailFunction": "<name>" \}/,
    );
    expect(readEmailApi(tree({ [EMAIL]: source }), EMAIL, 'sendBulkEmail')).toMatchObject({
      name: 'sendBulkEmail',
      takesSignal: true,
      returnsId: false,
    });
  });
});
