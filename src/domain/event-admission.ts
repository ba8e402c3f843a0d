/**
 * What the customer's workflow lets in. Signals reach it from the API, but also from anyone with
 * access to Temporal (`temporal workflow signal …`), so the workflow validates every payload itself
 * with the API's own schemas: a malformed event is recorded as rejected, with the reason, instead of
 * failing every later workflow task of that customer. Sandbox-safe and pure (time is passed in).
 */
import { LIMITS, textProblem } from './bounds';
import { ZCustomerEvent, type TCustomerEvent } from './customer-events';

/** Events taken from one `customerEvents` signal; the API sends at most 100 per signal. */
export const MAX_EVENTS_PER_SIGNAL = 500;

export type Admission = { ok: true; event: TCustomerEvent } | { ok: false; id?: string; what: string; reason: string };

/** Checks one arrived payload against the event schemas and the customer's contract start. */
export function admitEvent(raw: unknown, contractStart: string): Admission {
  const parsed = ZCustomerEvent.safeParse(raw);
  const id = idOf(raw);
  const what = `event ${id ? JSON.stringify(id) : '(no id)'}`;
  if (!parsed.success) {
    const reason = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, id, what, reason };
  }
  if (Date.parse(parsed.data.occurredAt) < Date.parse(contractStart) - LIMITS.beforeContractStartMs) {
    return { ok: false, id, what, reason: `occurredAt: more than a year before the contract start (${contractStart.slice(0, 10)})` };
  }
  return { ok: true, event: parsed.data };
}

/** The payloads of a `customerEvents` signal: an array (bounded), or anything else as one payload. */
export function payloadsOf(signalArg: unknown): { payloads: unknown[]; dropped: number } {
  if (!Array.isArray(signalArg)) return { payloads: [signalArg], dropped: 0 };
  return { payloads: signalArg.slice(0, MAX_EVENTS_PER_SIGNAL), dropped: Math.max(0, signalArg.length - MAX_EVENTS_PER_SIGNAL) };
}

function idOf(raw: unknown): string | undefined {
  const id = (raw as { id?: unknown } | null | undefined)?.id;
  // An id that cannot be stored (NUL, a lone surrogate) is not repeated into the timeline's columns.
  return typeof id === 'string' && id.length > 0 && id.length <= LIMITS.id && !textProblem(id) ? id : undefined;
}
