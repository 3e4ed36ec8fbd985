import { execa } from 'execa';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../scripts/jobkit/doctor/inspect-host.js';
import { BASELINE_QUEUES, createTempHost, repoRoot, type TempHost } from './support/temp-host.js';

async function doctor(
  root: string,
): Promise<{ exitCode: number; report: DoctorReport; stderr: string }> {
  const result = await execa(
    'node',
    [join(repoRoot, 'scripts/bin/jobs-doctor.mjs'), '--root', root, '--json'],
    {
      reject: false,
    },
  );
  return {
    exitCode: result.exitCode ?? -1,
    report: JSON.parse(result.stdout) as DoctorReport,
    stderr: result.stderr,
  };
}

function kinds(report: DoctorReport): string[] {
  return report.findings
    .filter((finding) => finding.severity === 'error')
    .map((finding) => finding.kind);
}

describe('pnpm jobs:doctor', () => {
  let host: TempHost | undefined;
  afterEach(() => host?.remove());

  it('passes on this repository and lists every queue with its three parts', async () => {
    const { exitCode, report } = await doctor(repoRoot);
    expect(report.findings).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.queues.map((queue) => queue.key)).toEqual(
      expect.arrayContaining(BASELINE_QUEUES),
    );
    for (const queue of report.queues) {
      expect(queue.handler?.place).toMatch(/^apps\/worker\/src\/handlers\/.+\.handler\.ts:\d+$/);
      expect(queue.registration?.place).toMatch(/^apps\/worker\/src\/worker\.ts:\d+$/);
      expect(queue.queueMethod?.name).toMatch(/^enqueue/);
    }
  });

  it('reports a constant with no handler', async () => {
    host = createTempHost();
    host.write(
      'packages/shared/src/queues.ts',
      host
        .read('packages/shared/src/queues.ts')
        .replace('} as const;', "  ORPHAN_JOB: 'orphan-job',\n} as const;"),
    );
    const { exitCode, report } = await doctor(host.root);
    expect(exitCode).toBe(1);
    expect(kinds(report)).toEqual(['no-handler', 'no-registration']);
    expect(report.findings[0]?.message).toContain('ORPHAN_JOB has no handler');
  });

  it('reports a handler that is not registered', async () => {
    host = createTempHost();
    const worker = host.read('apps/worker/src/worker.ts');
    host.write(
      'apps/worker/src/worker.ts',
      worker.replace(/^\s*createWorker<WebhookDeliveryJobData>\([^;]*;\n/m, ''),
    );
    const { exitCode, report } = await doctor(host.root);
    expect(exitCode).toBe(1);
    expect(kinds(report)).toEqual(['no-registration', 'handler-not-registered']);
    expect(
      report.findings.find((finding) => finding.kind === 'handler-not-registered')?.place,
    ).toMatch(/^apps\/worker\/src\/handlers\/webhook-delivery\.handler\.ts:\d+$/);
  });

  it('reports a registration for a constant QUEUE_NAMES does not define', async () => {
    host = createTempHost();
    host.write(
      'packages/shared/src/queues.ts',
      host
        .read('packages/shared/src/queues.ts')
        .replace("  WEBHOOK_DELIVERY: 'webhook-delivery',\n", ''),
    );
    const { exitCode, report } = await doctor(host.root);
    expect(exitCode).toBe(1);
    expect(kinds(report)).toContain('registration-without-queue');
    expect(
      report.findings.find((finding) => finding.kind === 'registration-without-queue')?.place,
    ).toMatch(/^apps\/worker\/src\/worker\.ts:\d+$/);
  });

  it('reports a queue string used twice', async () => {
    host = createTempHost();
    host.write(
      'packages/shared/src/queues.ts',
      host.read('packages/shared/src/queues.ts').replace("'notification-email'", "'welcome-email'"),
    );
    const { exitCode, report } = await doctor(host.root);
    expect(exitCode).toBe(1);
    expect(kinds(report)).toEqual(['duplicate-queue-name']);
    expect(report.findings[0]?.message).toContain(
      "NOTIFICATION_EMAIL uses the queue name 'welcome-email'",
    );
  });

  it('names the file and the configuration key when the host cannot be read', async () => {
    host = createTempHost();
    host.write('packages/shared/src/queues.ts', 'export const QUEUES = {};\n');
    const { exitCode, stderr } = await doctor(host.root);
    expect(exitCode).toBe(1);
    expect(stderr).toContain('packages/shared/src/queues.ts');
    expect(stderr).toContain('"jobkit": { "queuesFile": "<path>" }');
  });

  it('reads a host shaped differently: other helper name, grouped registrations, other queue method names', async () => {
    const { exitCode, report } = await doctor(join(repoRoot, 'test/fixtures/acme-host'));
    expect(exitCode).toBe(0);
    expect(
      report.queues.map((queue) => [queue.key, queue.registration !== null, queue.handler?.name]),
    ).toEqual([
      ['WELCOME_EMAIL', true, 'handleWelcomeEmail'],
      ['WEBHOOK_DELIVERY', true, 'handleWebhookDelivery'],
      ['AUDIT_LOGS', true, 'handleAuditLog'],
    ]);
    expect(report.findings.map((finding) => finding.kind)).toEqual([
      'no-queue-method',
      'no-queue-method',
    ]);
  });

  it('sees producers anywhere in the API, as hosts write them, and reports a queue produced without a constant', async () => {
    host = createTempHost();
    const service = 'apps/api/src/queue/queue.service.ts';
    host.write(
      service,
      host
        .read(service)
        .replace(/\n  \/\*\*\n   \* Queues a Webhook delivery job\.[\s\S]*?\n  \}\n/, '\n'),
    );
    mkdirSync(join(host.root, 'apps/api/src/reports'));
    host.write(
      'apps/api/src/reports/reports.service.ts',
      [
        "import { Queue } from 'bullmq';",
        "import { QUEUE_NAMES } from '@forgestack/shared';",
        "import type { QueueService } from '../queue/queue.service';",
        '',
        "const DIGEST_QUEUE = 'webhook-delivery';",
        '',
        'export class ReportsService {',
        '  constructor(private readonly queueService: QueueService) {}',
        '',
        '  async ready(): Promise<void> {',
        "    // await this.queueService.addJob('in-a-comment', {});",
        '    const text = "addJob(\'in-a-string\')";',
        "    await this.queueService.addJob('email', { text });",
        '    await this.queueService.addJob(`webhook-delivery`, {});',
        '    await this.queueService.getQueue(QUEUE_NAMES.WEBHOOK_DELIVERY).close();',
        '    await new Queue(DIGEST_QUEUE).close();',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const { exitCode, report } = await doctor(host.root);
    expect(exitCode).toBe(1);
    expect(report.findings.map((finding) => [finding.kind, finding.place])).toEqual([
      ['produced-without-queue', 'apps/api/src/reports/reports.service.ts:13'],
    ]);
    expect(report.findings[0]?.message).toContain("'email', which has no constant in QUEUE_NAMES");
    const webhook = report.queues.find((queue) => queue.key === 'WEBHOOK_DELIVERY');
    expect(webhook?.queueMethod).toBeNull();
    expect(webhook?.producers).toEqual([
      'apps/api/src/reports/reports.service.ts:14',
      'apps/api/src/reports/reports.service.ts:15',
      'apps/api/src/reports/reports.service.ts:16',
    ]);
  });

  it('does not count registrations inside a block comment', async () => {
    host = createTempHost();
    const worker = 'apps/worker/src/worker.ts';
    host.write(
      worker,
      host
        .read(worker)
        .replace(
          /(\n  createWorker<WelcomeEmailJobData>[\s\S]*handleWebhookDelivery\);\n)/,
          '\n  /* paused$1  */\n',
        ),
    );
    const { exitCode, report } = await doctor(host.root);
    expect(exitCode).toBe(1);
    expect(report.queues.every((queue) => queue.registration === null)).toBe(true);
    expect(kinds(report)).toContain('handler-not-registered');
  });
});
