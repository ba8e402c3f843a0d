/**
 * How raw product-usage events combine into the rolled-up ones a customer's workflow receives.
 * Temporal advises a few signals per second per workflow at most, and a busy product sends
 * thousands of tracks a minute, so the ingest path records each usage event as it comes and the
 * maintenance schedule signals one rolled-up event per customer, received-time window and day
 * of occurrence (`src/ingest/usage-rollups.ts`).
 *
 * Rolled up, usage leaves the customer's facts as the raw events would (`applyEvent`): a day's
 * logins are their sum and its last login the latest one; the features are named in the order
 * first received, and active users and seats are the last value received, whatever day their event
 * is dated (both are the customer's, not a day's). Pure.
 */
import type { TCustomerEvent } from './customer-events';
import { LIMITS } from './bounds';

export type UsageEvent = Extract<TCustomerEvent, { type: 'usage' }>;

/** The day an event counts toward: the date its `occurredAt` is written with (`dailyLogins` is keyed by it). */
export const usageDay = (occurredAt: string): string => occurredAt.slice(0, 10);

/** The snapshot fields: the last value received wins, whichever day its event is dated. */
type Snapshot = Pick<UsageEvent, 'activeUsers' | 'seatsUsed' | 'seatsPurchased'>;

interface DayRollup {
  id: string;
  day: string;
  logins: number;
  occurredAt: string;
  lastLoginAt?: string;
}

/**
 * One customer's usage rows of one delivery, in the order received, each with the rollup it was
 * assigned to (one rollup holds one day): one event per rollup, in the order of each rollup's
 * first row. The first event names the features (in the order first received; events `<id>/1`, …
 * right after it carry those past what one event may name, `LIMITS.featuresPerEvent`), and the
 * last carries the snapshot fields. Throws when a rollup holds events of two days.
 */
export function rollUpCustomerUsage(received: readonly { rollupId: string; event: UsageEvent }[]): UsageEvent[] {
  const rollups = new Map<string, DayRollup>();
  const snapshot: Snapshot = {};
  const features = new Set<string>();
  for (const { rollupId, event } of received) {
    const day = usageDay(event.occurredAt);
    let rollup = rollups.get(rollupId);
    if (!rollup) {
      rollup = { id: rollupId, day, logins: 0, occurredAt: event.occurredAt };
      rollups.set(rollupId, rollup);
    }
    if (day !== rollup.day) throw new Error(`usage of ${day} rolled up with usage of ${rollup.day}`);
    rollup.logins += event.logins;
    // By instant: times of one day may carry different offsets.
    if (Date.parse(event.occurredAt) > Date.parse(rollup.occurredAt)) rollup.occurredAt = event.occurredAt;
    // As applyEvent reads a login's time: the event's lastLoginAt, else its own time when it has
    // logins, compared as it compares them (as strings), so the facts come out the same.
    const loginAt = event.lastLoginAt ?? (event.logins > 0 ? event.occurredAt : undefined);
    if (loginAt && (!rollup.lastLoginAt || loginAt > rollup.lastLoginAt)) rollup.lastLoginAt = loginAt;
    if (event.activeUsers !== undefined) snapshot.activeUsers = event.activeUsers;
    if (event.seatsUsed !== undefined) snapshot.seatsUsed = event.seatsUsed;
    if (event.seatsPurchased !== undefined) snapshot.seatsPurchased = event.seatsPurchased;
    for (const feature of event.keyFeaturesUsed) features.add(feature);
  }
  const named = [...features];
  const events: UsageEvent[] = [];
  for (const rollup of rollups.values()) {
    const first = events.length === 0;
    events.push({
      id: rollup.id,
      type: 'usage',
      occurredAt: rollup.occurredAt,
      // Ten million logins in one customer-day is past any product; the bound keeps the event valid.
      logins: Math.min(rollup.logins, LIMITS.count),
      keyFeaturesUsed: first ? named.slice(0, LIMITS.featuresPerEvent) : [],
      // The rolled-up event's own time is the day's last usage, not necessarily a login.
      ...(rollup.lastLoginAt ? { lastLoginAt: rollup.lastLoginAt } : {}),
    });
    if (!first) continue;
    for (let from = LIMITS.featuresPerEvent, n = 1; from < named.length; from += LIMITS.featuresPerEvent, n += 1) {
      events.push({
        id: `${rollup.id}/${n}`,
        type: 'usage',
        occurredAt: rollup.occurredAt,
        logins: 0,
        keyFeaturesUsed: named.slice(from, from + LIMITS.featuresPerEvent),
      });
    }
  }
  if (events.length > 0) Object.assign(events[events.length - 1]!, snapshot);
  return events;
}

/** One rollup's events (in the order received) as `rollUpCustomerUsage` rolls them up. */
export function rollUpUsage(id: string, events: readonly UsageEvent[]): UsageEvent[] {
  return rollUpCustomerUsage(events.map((event) => ({ rollupId: id, event })));
}
