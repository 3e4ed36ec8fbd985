import { createHmac } from "node:crypto";
import { UnrecoverableError } from "bullmq";

export interface WebhookRequest {
  url: string;
  /** Sent as `x-webhook-event`, e.g. `invoice.paid`. */
  event: string;
  payload: unknown;
  /** Sent as `idempotency-key`, so receivers can drop redeliveries. */
  idempotencyKey: string;
}

export interface WebhookResponse {
  status: number;
}

export interface WebhookClientOptions {
  /** The HMAC-SHA256 key that receivers share. */
  secret: string;
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
  /** Unix time in seconds; signed with the body so old deliveries cannot be replayed. */
  timestamp?: number;
}

/** A webhook answer that a later attempt may get past (5xx, 408, 429). */
export class WebhookHttpError extends Error {
  override readonly name = "WebhookHttpError";

  constructor(readonly status: number) {
    super(`Webhook answered HTTP ${status}`);
  }
}

/** `sha256=<hex>` of `<timestamp>.<body>`: what receivers recompute to verify a delivery. */
export function signWebhookBody(
  secret: string,
  timestamp: number,
  body: string
): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Retrying cannot fix a 4xx other than 408 (timeout) and 429 (rate limited). */
function isPermanentFailure(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * POSTs `{ event, payload }` as JSON, signed in `x-webhook-signature`. Resolves on
 * 2xx; throws `WebhookHttpError` (retried) or `UnrecoverableError` (not retried).
 */
export async function postSignedWebhook(
  request: WebhookRequest,
  {
    secret,
    signal,
    fetch = globalThis.fetch,
    timestamp = Math.floor(Date.now() / 1000)
  }: WebhookClientOptions
): Promise<WebhookResponse> {
  const body = JSON.stringify({
    event: request.event,
    payload: request.payload
  });
  const response = await fetch(request.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "idempotency-key": request.idempotencyKey,
      "x-webhook-event": request.event,
      "x-webhook-timestamp": String(timestamp),
      "x-webhook-signature": signWebhookBody(secret, timestamp, body)
    },
    body,
    ...(signal ? { signal } : {})
  });
  // Read the body so the connection returns to the pool; its content is not used.
  await response.arrayBuffer();
  if (response.ok) return { status: response.status };
  if (isPermanentFailure(response.status)) {
    throw new UnrecoverableError(
      `Webhook rejected the delivery with HTTP ${response.status}`
    );
  }
  throw new WebhookHttpError(response.status);
}

/** The signing secret from `WEBHOOK_SIGNING_SECRET`; without it no delivery can succeed. */
export function webhookSecretFromEnv(
  env: NodeJS.ProcessEnv = process.env
): string {
  const secret = env.WEBHOOK_SIGNING_SECRET;
  if (!secret)
    throw new UnrecoverableError("WEBHOOK_SIGNING_SECRET is not set");
  return secret;
}
