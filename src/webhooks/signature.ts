/**
 * Signs outbound webhook bodies so the receiving system can trust them (Stripe's scheme: the
 * timestamp is signed with the body, so a captured request cannot be replayed later). Pure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'x-cs-signature';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

const hmac = (secret: string, timestamp: number, body: string) => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

export function signWebhook({ secret, timestamp, body }: { secret: string; timestamp: number; body: string }): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

export function verifyWebhookSignature({
  secret,
  header,
  body,
  now,
  toleranceSeconds = 300,
}: {
  secret: string;
  header: string | undefined;
  body: string;
  now: number;
  toleranceSeconds?: number;
}): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: `missing ${WEBHOOK_SIGNATURE_HEADER} header` };
  const parts = Object.fromEntries(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!parts.t || !Number.isInteger(timestamp) || !parts.v1) return { ok: false, reason: 'malformed signature header (want t=<unix seconds>,v1=<hex>)' };
  if (Math.abs(now - timestamp) > toleranceSeconds) return { ok: false, reason: `timestamp outside the ${toleranceSeconds} s tolerance` };
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
