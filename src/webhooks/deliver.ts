/**
 * Posts one signed webhook. Transient failures (network, timeout, 408, 429, 5xx) throw a plain
 * Error for the caller's retries; any other 4xx means the receiver refused the request as such and
 * throws an error named `PermanentWebhookFailure`.
 */
import { IDEMPOTENCY_KEY_HEADER, signWebhook, WEBHOOK_SIGNATURE_HEADER } from './signature';
import type { TWebhookTarget } from './webhook-config';

import { PERMANENT_WEBHOOK_FAILURE } from '../domain/failure-types';
export { PERMANENT_WEBHOOK_FAILURE };

export async function deliverWebhook({
  target,
  idempotencyKey,
  event,
  payload,
  now = () => new Date(),
}: {
  target: TWebhookTarget;
  idempotencyKey: string;
  event: string;
  payload: unknown;
  now?: () => Date;
}): Promise<{ status: number; attemptedAt: string }> {
  const attemptedAt = now();
  const body = JSON.stringify({ id: idempotencyKey, event, occurredAt: attemptedAt.toISOString(), data: payload });
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'cs-lifecycle-engine',
      [IDEMPOTENCY_KEY_HEADER]: idempotencyKey,
      [WEBHOOK_SIGNATURE_HEADER]: signWebhook({ secret: target.secret, timestamp: Math.floor(attemptedAt.getTime() / 1000), body }),
    },
    body,
    signal: AbortSignal.timeout(target.timeoutMs),
  });
  await response.arrayBuffer().catch(() => undefined); // drain, so the connection can be reused
  if (response.ok) return { status: response.status, attemptedAt: attemptedAt.toISOString() };
  const message = `webhook ${event} to ${new URL(target.url).host} answered ${response.status}`;
  if (response.status === 408 || response.status === 429 || response.status >= 500) throw new Error(message);
  const error = new Error(message);
  error.name = PERMANENT_WEBHOOK_FAILURE;
  throw error;
}
