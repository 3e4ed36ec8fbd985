import { createHmac, timingSafeEqual } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../testing/http-receiver';
import {
  postSignedWebhook,
  signWebhookBody,
  webhookSecretFromEnv,
  WebhookHttpError,
  type WebhookRequest,
} from './webhook.client';

const secret = 'whsec_test_0123456789';
let receiver: HttpReceiver;

beforeAll(async () => {
  receiver = await startHttpReceiver();
});

afterAll(async () => {
  await receiver.close();
});

beforeEach(() => {
  receiver.requests.length = 0;
  receiver.respond = (request, response) => {
    const status = /^\/status\/(\d{3})$/.exec(request.path)?.[1];
    response.writeHead(status ? Number(status) : 200).end('{"received":true}');
  };
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function delivery(overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    url: `${receiver.baseUrl}/hooks/invoices`,
    event: 'invoice.paid',
    payload: { invoiceId: 'inv_1', amount: 4200, lines: [{ sku: 'A', qty: 2 }] },
    idempotencyKey: 'webhook-delivery-42',
    ...overrides,
  };
}

/** What a receiver does: recompute the HMAC over `<timestamp>.<raw body>` and compare. */
function verifies(signature: string, key: string, timestamp: string, body: string): boolean {
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('signWebhookBody', () => {
  it('is sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">', () => {
    const signature = signWebhookBody('key', 1_700_000_000, '{"a":1}');

    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifies(signature, 'key', '1700000000', '{"a":1}')).toBe(true);
  });

  it('changes with the secret, the timestamp and the body', () => {
    const base = signWebhookBody('key', 1, 'body');

    expect(signWebhookBody('other', 1, 'body')).not.toBe(base);
    expect(signWebhookBody('key', 2, 'body')).not.toBe(base);
    expect(signWebhookBody('key', 1, 'body ')).not.toBe(base);
    expect(signWebhookBody('key', 1, 'body')).toBe(base);
  });
});

describe('postSignedWebhook', () => {
  it('POSTs { event, payload } as JSON with the event and idempotency headers', async () => {
    await postSignedWebhook(delivery(), { secret, timestamp: 1_700_000_000 });

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hooks/invoices');
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': 'webhook-delivery-42',
      'x-webhook-event': 'invoice.paid',
      'x-webhook-timestamp': '1700000000',
    });
    expect(JSON.parse(request?.body ?? '')).toEqual({
      event: 'invoice.paid',
      payload: { invoiceId: 'inv_1', amount: 4200, lines: [{ sku: 'A', qty: 2 }] },
    });
  });

  it('signs the exact bytes sent, so the receiver can verify them with the shared secret', async () => {
    await postSignedWebhook(delivery(), { secret, timestamp: 1_700_000_123 });

    const [request] = receiver.requests;
    const signature = String(request?.headers['x-webhook-signature']);
    const timestamp = String(request?.headers['x-webhook-timestamp']);
    const body = request?.body ?? '';
    expect(signature).toBe(signWebhookBody(secret, 1_700_000_123, body));
    expect(verifies(signature, secret, timestamp, body)).toBe(true);
    expect(verifies(signature, 'a-guessed-secret', timestamp, body)).toBe(false);
    expect(verifies(signature, secret, '1700000124', body)).toBe(false);
  });

  it('signs with the current Unix time in seconds by default', async () => {
    const before = Math.floor(Date.now() / 1000);
    await postSignedWebhook(delivery(), { secret });
    const after = Math.floor(Date.now() / 1000);

    const [request] = receiver.requests;
    const timestamp = Number(request?.headers['x-webhook-timestamp']);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
    expect(
      verifies(
        String(request?.headers['x-webhook-signature']),
        secret,
        String(timestamp),
        request?.body ?? '',
      ),
    ).toBe(true);
  });

  it.each([200, 201, 202, 204])('resolves with the status of a %i answer', async (status) => {
    await expect(
      postSignedWebhook(delivery({ url: `${receiver.baseUrl}/status/${status}` }), { secret }),
    ).resolves.toEqual({ status });
  });

  it.each([500, 502, 503, 408, 429])(
    'throws a retryable WebhookHttpError on %i',
    async (status) => {
      const error = await postSignedWebhook(
        delivery({ url: `${receiver.baseUrl}/status/${status}` }),
        { secret },
      ).then(
        () => undefined,
        (rejection: unknown) => rejection,
      );

      expect(error).toBeInstanceOf(WebhookHttpError);
      expect(error).not.toBeInstanceOf(UnrecoverableError);
      expect(error).toMatchObject({
        name: 'WebhookHttpError',
        status,
        message: `Webhook answered HTTP ${status}`,
      });
    },
  );

  it.each([400, 401, 403, 404, 410, 422])(
    'throws an UnrecoverableError on %i, which no retry can fix',
    async (status) => {
      const error = await postSignedWebhook(
        delivery({ url: `${receiver.baseUrl}/status/${status}` }),
        { secret },
      ).then(
        () => undefined,
        (rejection: unknown) => rejection,
      );

      expect(error).toBeInstanceOf(UnrecoverableError);
      expect(error).not.toBeInstanceOf(WebhookHttpError);
      expect((error as Error).message).toBe(`Webhook rejected the delivery with HTTP ${status}`);
    },
  );

  it('sends every attempt of one delivery with the same idempotency key', async () => {
    const request = delivery({ url: `${receiver.baseUrl}/status/503` });

    await expect(postSignedWebhook(request, { secret })).rejects.toBeInstanceOf(WebhookHttpError);
    await expect(postSignedWebhook(request, { secret })).rejects.toBeInstanceOf(WebhookHttpError);

    expect(receiver.requests.map(({ headers }) => headers['idempotency-key'])).toEqual([
      'webhook-delivery-42',
      'webhook-delivery-42',
    ]);
  });

  it('rejects with the abort reason when the signal aborts while waiting for an answer', async () => {
    receiver.respond = () => undefined; // never answers
    const controller = new AbortController();
    const reason = new Error('job timed out');

    const posting = postSignedWebhook(delivery(), { secret, signal: controller.signal });
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));
    controller.abort(reason);

    await expect(posting).rejects.toBe(reason);
  });

  it('sends nothing when the signal has already aborted', async () => {
    const reason = new Error('cancelled');

    await expect(
      postSignedWebhook(delivery(), { secret, signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    expect(receiver.requests).toEqual([]);
  });

  it('uses the fetch it is given', async () => {
    const urls: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };

    await postSignedWebhook(delivery(), { secret, fetch: recordingFetch });

    expect(urls).toEqual([`${receiver.baseUrl}/hooks/invoices`]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('lets a network failure through as a plain, retryable error', async () => {
    const closed = await startHttpReceiver();
    await closed.close();

    const error = await postSignedWebhook(delivery({ url: `${closed.baseUrl}/hook` }), {
      secret,
    }).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
  });
});

describe('webhookSecretFromEnv', () => {
  it('reads WEBHOOK_SIGNING_SECRET', () => {
    expect(webhookSecretFromEnv({ WEBHOOK_SIGNING_SECRET: 'from-env' })).toBe('from-env');
  });

  it('reads process.env by default', () => {
    vi.stubEnv('WEBHOOK_SIGNING_SECRET', 'from-process');

    expect(webhookSecretFromEnv()).toBe('from-process');
  });

  it.each([{}, { WEBHOOK_SIGNING_SECRET: '' }])(
    'fails for good when the secret is missing (%o)',
    (env) => {
      expect(() => webhookSecretFromEnv(env)).toThrow(UnrecoverableError);
      expect(() => webhookSecretFromEnv(env)).toThrow('WEBHOOK_SIGNING_SECRET is not set');
    },
  );
});
