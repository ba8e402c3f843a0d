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

/** How a step admits an arrival: `admitEvent`, or one that answers as it does (see `rememberedAdmissions`). */
export type Admit = (raw: unknown, contractStart: string) => Admission;

/**
 * `admitEvent`, remembered per payload object: a backtest simulates the same recorded events under
 * two definitions, each delivered at the same simulated instant, and parsing every event twice was a
 * tenth of the work. The answer depends on the payload, the contract start and the clock (an event
 * dated more than a day ahead of `Date.now()` is refused), so it is reused only when all three are
 * the same; the payloads must not change meanwhile (a simulation never changes its scenario's).
 */
export function rememberedAdmissions(): Admit {
  const memo = new WeakMap<object, { nowMs: number; contractStart: string; admission: Admission }>();
  return (raw, contractStart) => {
    if (raw === null || typeof raw !== 'object') return admitEvent(raw, contractStart);
    const nowMs = Date.now();
    const known = memo.get(raw);
    if (known && known.nowMs === nowMs && known.contractStart === contractStart) return known.admission;
    const admission = admitEvent(raw, contractStart);
    memo.set(raw, { nowMs, contractStart, admission });
    return admission;
  };
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
