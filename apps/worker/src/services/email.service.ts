import { randomUUID } from 'node:crypto';
import type { JobLogger } from '@forgestack/shared';
import { createLogger } from '../telemetry/logger';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** The provider drops a second message with the same key (retries, redelivery). */
  idempotencyKey?: string;
}

export interface SentEmail {
  id: string;
}

/** Delivers a message: a real provider in production, the log in development. */
export interface EmailTransport {
  deliver(message: EmailMessage, signal?: AbortSignal): Promise<SentEmail>;
}

export interface EmailService {
  send(message: EmailMessage, signal?: AbortSignal): Promise<SentEmail>;
}

/** Logs each message instead of sending it, so development needs no provider account. */
export function developmentTransport(logger: JobLogger = createLogger('Email')): EmailTransport {
  return {
    async deliver(message) {
      const id = `dev-${randomUUID()}`;
      logger.info({ id, ...message }, 'Email not sent (development transport)');
      return { id };
    },
  };
}

export interface HttpTransportOptions {
  /** The provider's send endpoint, which takes the message as JSON. */
  endpoint: string;
  apiKey: string;
  fetch?: typeof globalThis.fetch;
}

/** Sends through an HTTP email API; a non-2xx answer is an error, so the job retries. */
export function httpTransport({
  endpoint,
  apiKey,
  fetch = globalThis.fetch,
}: HttpTransportOptions): EmailTransport {
  return {
    async deliver(message, signal) {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          ...(message.idempotencyKey ? { 'idempotency-key': message.idempotencyKey } : {}),
        },
        body: JSON.stringify({ to: message.to, subject: message.subject, text: message.text }),
        ...(signal ? { signal } : {}),
      });
      if (!response.ok) {
        throw new Error(`Email provider answered ${response.status} ${response.statusText}`);
      }
      const body = (await response.json()) as { id?: unknown };
      return { id: typeof body.id === 'string' ? body.id : randomUUID() };
    },
  };
}

/** `EMAIL_API_URL` and `EMAIL_API_KEY` select the HTTP provider; otherwise development. */
export function transportFromEnv(env: NodeJS.ProcessEnv = process.env): EmailTransport {
  const { EMAIL_API_URL: endpoint, EMAIL_API_KEY: apiKey } = env;
  return endpoint && apiKey ? httpTransport({ endpoint, apiKey }) : developmentTransport();
}

export function createEmailService(transport: EmailTransport = transportFromEnv()): EmailService {
  return {
    async send(message, signal) {
      if (!message.to.includes('@')) throw new Error(`Cannot send an email to "${message.to}"`);
      signal?.throwIfAborted();
      return transport.deliver(message, signal);
    },
  };
}

/** The worker's email service, configured from the environment. */
export const emailService: EmailService = createEmailService();
