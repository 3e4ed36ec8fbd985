import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobLogger } from '@forgestack/shared';
import { startHttpReceiver, type HttpReceiver } from '../testing/http-receiver';
import {
  createEmailService,
  developmentTransport,
  httpTransport,
  transportFromEnv,
  type EmailMessage,
  type EmailTransport,
  type SentEmail,
} from './email.service';

// The development transport logs each message through the worker's logger, which
// reads LOG_LEVEL when its module loads; vi.hoisted runs this before the imports.
const previousLogLevel = vi.hoisted(() => {
  const previous = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL ??= 'silent';
  return previous;
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const message: EmailMessage = {
  to: 'ada@example.com',
  subject: 'Welcome to ForgeStack',
  text: 'Hi Ada,\n\nYour account is ready.',
  idempotencyKey: 'welcome-email-17',
};

let receiver: HttpReceiver;

beforeAll(async () => {
  receiver = await startHttpReceiver();
});

afterAll(async () => {
  await receiver.close();
  if (previousLogLevel === undefined) delete process.env.LOG_LEVEL;
});

beforeEach(() => {
  receiver.requests.length = 0;
  receiver.respond = (_request, response) => {
    response
      .writeHead(202, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id: 'provider-msg-1' }));
  };
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A logger that keeps what it is given. */
function recordingLogger() {
  const lines: { level: string; details: object; message: string }[] = [];
  const logger: JobLogger = {
    info: (details, text) => lines.push({ level: 'info', details, message: text }),
    warn: (details, text) => lines.push({ level: 'warn', details, message: text }),
    error: (details, text) => lines.push({ level: 'error', details, message: text }),
  };
  return { logger, lines };
}

/** A transport that keeps what it is asked to deliver. */
function recordingTransport(result: SentEmail = { id: 'sent-1' }) {
  const deliveries: { message: EmailMessage; signal: AbortSignal | undefined }[] = [];
  const transport: EmailTransport = {
    async deliver(delivered, signal) {
      deliveries.push({ message: delivered, signal });
      return result;
    },
  };
  return { transport, deliveries };
}

describe('developmentTransport', () => {
  it('logs the message instead of sending it, and returns a dev- id', async () => {
    const { logger, lines } = recordingLogger();

    const sent = await developmentTransport(logger).deliver(message);

    expect(sent.id).toMatch(/^dev-/);
    expect(sent.id.slice('dev-'.length)).toMatch(UUID);
    expect(lines).toEqual([
      {
        level: 'info',
        details: { id: sent.id, ...message },
        message: 'Email not sent (development transport)',
      },
    ]);
  });

  it('gives every message its own id', async () => {
    const transport = developmentTransport(recordingLogger().logger);

    const first = await transport.deliver(message);
    const second = await transport.deliver(message);

    expect(first.id).not.toBe(second.id);
  });
});

describe('httpTransport', () => {
  const endpoint = (): string => `${receiver.baseUrl}/v1/send`;

  it('POSTs the message as JSON with the API key and the idempotency key', async () => {
    const sent = await httpTransport({ endpoint: endpoint(), apiKey: 'key-123' }).deliver(message);

    expect(sent).toEqual({ id: 'provider-msg-1' });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/send');
    expect(request?.headers).toMatchObject({
      authorization: 'Bearer key-123',
      'content-type': 'application/json',
      'idempotency-key': 'welcome-email-17',
    });
    // The idempotency key travels as a header only.
    expect(JSON.parse(request?.body ?? '')).toStrictEqual({
      to: message.to,
      subject: message.subject,
      text: message.text,
    });
  });

  it('sends no idempotency-key header for a message without one', async () => {
    const { idempotencyKey: _omitted, ...withoutKey } = message;

    await httpTransport({ endpoint: endpoint(), apiKey: 'key-123' }).deliver(withoutKey);

    expect(receiver.requests[0]?.headers).not.toHaveProperty('idempotency-key');
  });

  it('makes up an id when the provider answers without one', async () => {
    receiver.respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":42}');
    };

    const sent = await httpTransport({ endpoint: endpoint(), apiKey: 'k' }).deliver(message);

    expect(sent.id).toMatch(UUID);
  });

  it.each([
    [500, 'Internal Server Error'],
    [429, 'Too Many Requests'],
    [401, 'Unauthorized'],
  ])('throws on a %i answer, so the job retries', async (status, statusText) => {
    receiver.respond = (_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end('{"error":"no"}');
    };

    await expect(
      httpTransport({ endpoint: endpoint(), apiKey: 'k' }).deliver(message),
    ).rejects.toThrow(`Email provider answered ${status} ${statusText}`);
  });

  it('rejects with the abort reason when the signal aborts during the request', async () => {
    receiver.respond = () => undefined; // never answers
    const controller = new AbortController();
    const reason = new Error('job timed out');

    const delivering = httpTransport({ endpoint: endpoint(), apiKey: 'k' }).deliver(
      message,
      controller.signal,
    );
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));
    controller.abort(reason);

    await expect(delivering).rejects.toBe(reason);
  });

  it('uses the fetch it is given', async () => {
    const urls: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };

    await httpTransport({ endpoint: endpoint(), apiKey: 'k', fetch: recordingFetch }).deliver(
      message,
    );

    expect(urls).toEqual([endpoint()]);
  });
});

describe('createEmailService', () => {
  it('hands the message and the signal to its transport and returns its result', async () => {
    const { transport, deliveries } = recordingTransport({ id: 'sent-7' });
    const signal = new AbortController().signal;

    await expect(createEmailService(transport).send(message, signal)).resolves.toEqual({
      id: 'sent-7',
    });
    expect(deliveries).toEqual([{ message, signal }]);
  });

  it.each(['', 'ada.example.com', 'ada at example.com'])(
    'rejects the address %o without delivering anything',
    async (to) => {
      const { transport, deliveries } = recordingTransport();

      await expect(createEmailService(transport).send({ ...message, to })).rejects.toThrow(
        `Cannot send an email to "${to}"`,
      );
      expect(deliveries).toEqual([]);
    },
  );

  it('rejects with the reason of an aborted signal without delivering anything', async () => {
    const { transport, deliveries } = recordingTransport();
    const reason = new Error('cancelled');

    await expect(
      createEmailService(transport).send(message, AbortSignal.abort(reason)),
    ).rejects.toBe(reason);
    expect(deliveries).toEqual([]);
  });

  it('sends through the HTTP provider when the environment names one', async () => {
    vi.stubEnv('EMAIL_API_URL', `${receiver.baseUrl}/v1/send`);
    vi.stubEnv('EMAIL_API_KEY', 'env-key');

    const sent = await createEmailService().send(message);

    expect(sent).toEqual({ id: 'provider-msg-1' });
    expect(receiver.requests[0]?.headers.authorization).toBe('Bearer env-key');
  });
});

describe('transportFromEnv', () => {
  it('picks the HTTP transport when EMAIL_API_URL and EMAIL_API_KEY are both set', async () => {
    const transport = transportFromEnv({
      EMAIL_API_URL: `${receiver.baseUrl}/provider`,
      EMAIL_API_KEY: 'secret-key',
    });

    await expect(transport.deliver(message)).resolves.toEqual({ id: 'provider-msg-1' });
    expect(receiver.requests.map(({ path, headers }) => [path, headers.authorization])).toEqual([
      ['/provider', 'Bearer secret-key'],
    ]);
  });

  it.each([
    ['neither is set', {}],
    ['only the URL is set', { EMAIL_API_URL: 'http://127.0.0.1:9/never' }],
    ['only the key is set', { EMAIL_API_KEY: 'secret-key' }],
    ['the URL is empty', { EMAIL_API_URL: '', EMAIL_API_KEY: 'secret-key' }],
  ])('picks the development transport when %s', async (_case, env: NodeJS.ProcessEnv) => {
    const sent = await transportFromEnv(env).deliver(message);

    expect(sent.id).toMatch(/^dev-/);
    expect(receiver.requests).toEqual([]);
  });

  it('reads process.env by default', async () => {
    vi.stubEnv('EMAIL_API_URL', `${receiver.baseUrl}/from-process`);
    vi.stubEnv('EMAIL_API_KEY', 'process-key');

    await transportFromEnv().deliver(message);

    expect(receiver.requests[0]?.path).toBe('/from-process');
  });
});
