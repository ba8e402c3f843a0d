/**
 * The benchmark's customers and their year of events, deterministic (seeded by the customer's
 * index): the lifecycle benchmark sends them to real workflows, and the lean step's equivalence
 * test drives the same year through the pure step. See `lifecycle-bench.ts` for the volume.
 */
import { ZCustomerHandoff, type TCustomerEvent, type TCustomerHandoff } from '../domain/customer-events';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import { seededRandom } from '../util/seeded-random';

const DAY = 24 * 60 * 60 * 1000;
const WEEK = 7 * DAY;
export const WEEKS = 52;

export interface Profile {
  index: number;
  customerId: string;
  arr: number;
  seats: number;
  /** One in ten customers fades after mid-year: falling usage, detractor NPS, more urgent tickets. */
  atRisk: boolean;
}

/** A portfolio mix: 30% enterprise, 30% mid-market, 40% tech touch (segments by ARR). */
export function profile(index: number, prefix: string): Profile {
  const kind = index % 10;
  const [arr, seats] = kind < 3 ? [80_000, 200] : kind < 6 ? [30_000, 60] : [8_000, 15];
  return { index, customerId: `${prefix}-${index}`, arr, seats, atRisk: kind === 9 };
}

export function handoffFor(customer: Profile, startMs: number): TCustomerHandoff {
  return ZCustomerHandoff.parse({
    customerId: customer.customerId,
    name: `Bench customer ${customer.index}`,
    arr: customer.arr,
    contractStart: new Date(startMs).toISOString(),
    contractEnd: new Date(startMs + 365 * DAY).toISOString(),
    csmOwner: `csm${customer.index % 7}@example.com`,
    seatsPurchased: customer.seats,
    stakeholders: [
      { id: 'champ', name: 'Priya', role: 'champion' },
      { id: 'sponsor', name: 'Tom', role: 'executive_sponsor' },
    ],
  });
}

const KEY_FEATURES = DEFAULT_LIFECYCLE.keyFeatures;
const MILESTONES: Record<number, string[]> = {
  1: ['kickoff_held', 'setup_done'],
  2: ['training_done'],
  4: ['first_value'],
  8: ['core_training_done'],
  13: ['qbr_held'],
  30: ['value_review'],
  36: ['renewal_conversation_started'],
  40: ['roi_documented'],
  44: ['business_case'],
  48: ['review_submitted'],
};
const SURVEYS: Record<number, 'nps' | 'csat'> = { 13: 'csat', 26: 'nps', 39: 'csat', 52: 'nps' };
const RENEWAL_MOVE_WEEK = 20;

/**
 * When week w's batch is sent: 7w days plus 13w minutes after the contract start (00:13 after week 1,
 * 11:16 after week 52). Every timer the workflow sets is a whole number of days (plus milliseconds of
 * processing) after the contract start or after an earlier batch, so a distinct time of day per batch
 * keeps batches minutes away from any timer. It has to: on the Java test server (1.38.0) a timer that
 * fires while a signal's workflow task is in flight makes that task's CancelTimer fail ("invalid
 * history builder state for action"), and the customer then stalls for minutes of wall time.
 */
export const sendAt = (startMs: number, week: number) => startMs + week * WEEK + week * 13 * 60 * 1000;

/** The customer's weekly batches: `plan[w]` is sent at the end of week w (1..52). */
export function yearPlan(customer: Profile, startMs: number): TCustomerEvent[][] {
  const rand = seededRandom(customer.index * 7919 + 17);
  const iso = (ms: number) => new Date(ms).toISOString();
  const plan: TCustomerEvent[][] = Array.from({ length: WEEKS + 1 }, () => []);
  const target = 0.65 + 0.25 * rand(); // share of seats used once adopted
  const resolveIn: { week: number; event: TCustomerEvent }[] = [];
  let tickets = 0;

  for (let week = 1; week <= WEEKS; week += 1) {
    const batch = plan[week]!;
    // Daily usage rollups, as the aggregator delivers them: one per customer per day.
    for (let d = (week - 1) * 7 + 1; d <= week * 7; d += 1) {
      const opened = startMs + (d - 1) * DAY;
      const closed = startMs + d * DAY;
      const ramp = Math.min(1, 0.25 + d / 84);
      const fade = customer.atRisk && d > 180 ? Math.max(0.05, 1 - (d - 180) / 90) : 1;
      const weekend = d % 7 === 6 || d % 7 === 0 ? 0.15 : 1;
      const seatsUsed = Math.max(1, Math.round(customer.seats * target * ramp * fade));
      const activeUsers = Math.round(seatsUsed * weekend * (0.6 + 0.3 * rand()));
      const logins = Math.round(activeUsers * (1 + 2 * rand()));
      const adopted = KEY_FEATURES.slice(0, Math.min(KEY_FEATURES.length, 1 + Math.floor((d * fade) / 10)));
      batch.push({
        id: `usage:${customer.customerId}:${iso(opened)}/${iso(closed)}`,
        type: 'usage',
        occurredAt: iso(closed),
        logins,
        activeUsers,
        seatsUsed,
        seatsPurchased: customer.seats,
        keyFeaturesUsed: logins > 0 ? adopted.filter(() => rand() < 0.8) : [],
        ...(logins > 0 ? { lastLoginAt: iso(closed - ((Math.floor(rand() * 8) * 60 + 17) * 60 + 23) * 1000) } : {}),
      });
    }
    const midWeek = startMs + (week - 1) * WEEK + 3 * DAY;

    // Tickets: ~0.3 opened a week (more for a fading customer), resolved 1-3 weeks later.
    for (const due of resolveIn.filter((r) => r.week === week)) batch.push(due.event);
    if (rand() < (customer.atRisk && week > 26 ? 0.6 : 0.3)) {
      const ticketId = `T-${customer.index}-${++tickets}`;
      const roll = rand();
      const severity = roll < 0.4 ? 'low' : roll < 0.75 ? 'medium' : roll < 0.95 ? 'high' : 'urgent';
      batch.push({ id: `ticket:${ticketId}:opened`, type: 'ticket', ticketId, action: 'opened', severity, occurredAt: iso(midWeek) });
      const resolvedWeek = week + 1 + Math.floor(rand() * 3);
      const resolved: TCustomerEvent = {
        id: `ticket:${ticketId}:resolved`,
        type: 'ticket',
        ticketId,
        action: 'resolved',
        severity,
        occurredAt: iso(midWeek + (resolvedWeek - week) * WEEK),
      };
      if (resolvedWeek <= WEEKS) resolveIn.push({ week: resolvedWeek, event: resolved });
    }

    for (const milestone of MILESTONES[week] ?? []) {
      if (customer.atRisk && week > 26) continue; // a fading customer stops reaching milestones
      batch.push({ id: `milestone:${customer.customerId}:${milestone}`, type: 'milestone', milestone, occurredAt: iso(midWeek) });
    }
    const survey = SURVEYS[week];
    if (survey) {
      const score =
        survey === 'nps'
          ? customer.atRisk && week > 26
            ? Math.floor(2 + rand() * 4)
            : Math.floor(7 + rand() * 4)
          : Math.round((3.5 + rand() * 1.5) * 10) / 10;
      batch.push({ id: `survey:${customer.customerId}:${survey}:${week}`, type: 'survey', survey, score, occurredAt: iso(midWeek) });
    }
    if (week === RENEWAL_MOVE_WEEK) {
      // Aligning the renewal with the customer's fiscal year: a month later.
      batch.push({
        id: `contract:${customer.customerId}:renewal-moved`,
        type: 'contract',
        action: 'renewal_date_moved',
        contractEnd: iso(startMs + (365 + 30) * DAY),
        occurredAt: iso(midWeek),
      });
    }
  }
  return plan;
}
