/**
 * Why a customer's health is low, in the words a CS lead uses ("no login for 23 days", "3
 * high-severity tickets open", "champion left on 2026-11-02", "NPS 3") instead of input ids and
 * their 0-100 scores. One pure function shared by the pages and the Temporal UI's current details,
 * so both say the same thing. Sandbox-safe (no Node built-ins, no I/O).
 */
import type { HealthResult } from './health';

/** What the health result alone does not say: who left and when, how a payment stands. */
export interface ReasonFacts {
  /** Stakeholders who left, newest last; the champion's or sponsor's departure is named with its date. */
  stakeholdersLeft?: { role: string; name: string; leftAt: string }[];
  payment?: 'current' | 'late' | 'failed';
}

export interface HealthReason {
  metric: string;
  /** The reason in words. */
  text: string;
  /** Points of the score this input costs (its weight times what it lacks of 100). */
  pointsLost: number;
}

/**
 * An input scoring below this is a reason. A score can be low with no input that low (every input
 * middling): then the inputs below the second bar are the reasons, so a red customer always has some.
 */
const REASON_BELOW = 50;
const REASON_BELOW_IF_NONE = 80;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const whole = (n: number) => Math.round(n);
const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;
const day = (iso: string) => iso.slice(0, 10);

function lastLeft(facts: ReasonFacts | undefined, role: string) {
  const left = (facts?.stakeholdersLeft ?? []).filter((s) => s.role === role);
  return left.sort((a, b) => a.leftAt.localeCompare(b.leftAt)).at(-1);
}

/** One input's value in words; unknown metrics fall back to "name value". */
export function describeInput(metric: string, value: number, facts?: ReasonFacts): string {
  switch (metric) {
    case 'daysSinceLastLogin':
      return whole(value) === 0 ? 'logged in today' : `no login for ${plural(whole(value), 'day')}`;
    case 'hasLoggedIn':
      return value > 0 ? 'has logged in' : 'no login yet';
    case 'activeUsers':
      return plural(whole(value), 'active user');
    case 'seatUtilization':
      return `${percent(value)} of seats in use`;
    case 'keyFeatureAdoption':
      return `${percent(value)} of key features in use`;
    case 'loginTrend':
      return value < 0 ? `logins down ${percent(-value)} on the month before` : `logins up ${percent(value)} on the month before`;
    case 'openTickets':
      return `${plural(whole(value), 'ticket')} open`;
    case 'openHighSeverityTickets':
      return `${plural(whole(value), 'high-severity ticket')} open`;
    case 'highSeverityTickets60d':
      return `${plural(whole(value), 'high-severity ticket')} in 60 days`;
    case 'stakeholdersEngaged':
      return `${plural(whole(value), 'stakeholder')} engaged`;
    case 'championPresent': {
      if (value > 0) return 'champion in place';
      const left = lastLeft(facts, 'champion');
      return left ? `champion left on ${day(left.leftAt)}` : 'no champion';
    }
    case 'executiveSponsorEngaged': {
      if (value > 0) return 'executive sponsor engaged';
      const left = lastLeft(facts, 'executive_sponsor');
      return left ? `executive sponsor left on ${day(left.leftAt)}` : 'executive sponsor not engaged';
    }
    case 'paymentCurrent':
      return value > 0 ? 'payments current' : `payment ${facts?.payment && facts.payment !== 'current' ? facts.payment : 'not current'}`;
    case 'outcomesAchieved':
      return `${plural(whole(value), 'outcome')} achieved`;
    case 'nps':
      return `NPS ${whole(value)}`;
    case 'csat':
      return `CSAT ${Math.round(value * 10) / 10}`;
    case 'ces':
      return `effort score ${Math.round(value * 10) / 10}`;
    case 'csmSentiment':
      return `CSM sentiment ${whole(value)} of 5`;
    case 'daysInStage':
      return `${plural(whole(value), 'day')} in this stage`;
    case 'daysToRenewal':
      return value >= 0 ? `renewal in ${plural(whole(value), 'day')}` : `renewal ${plural(whole(-value), 'day')} overdue`;
    case 'daysSinceStart':
      return `customer for ${plural(whole(value), 'day')}`;
    case 'healthScore':
      return `health ${Math.round(value * 10) / 10}`;
    default:
      return `${metric} ${Math.round(value * 100) / 100}`;
  }
}

/**
 * The active hard conditions, then the inputs that pull the score down most (scored below 50, or — unless the band is green — below
 * 80 when none is that low; by points lost), in words; at most `limit`. Unknown inputs are not reasons: no data is not bad news.
 */
export function healthReasons(
  health: (Pick<HealthResult, 'dimensions' | 'conditions'> & { band?: string | null }) | null | undefined,
  facts?: ReasonFacts,
  limit = 3,
): HealthReason[] {
  if (!health) return [];
  // Hard conditions come first: they are why the band is what it is, whatever the inputs average to.
  const risks: HealthReason[] = (health.conditions ?? []).map((c) => ({ metric: `condition:${c.id}`, text: c.label, pointsLost: c.subtract ?? 0 }));
  const known = health.dimensions.flatMap((d) => d.inputs).filter((i) => i.score !== null && i.value !== null);
  const low = known.filter((i) => i.score! < REASON_BELOW);
  // A green customer with nothing low has nothing to explain.
  const candidates = low.length > 0 || health.band === 'green' ? low : known.filter((i) => i.score! < REASON_BELOW_IF_NONE);
  return candidates
    .map((i) => ({
      metric: i.metric,
      text: describeInput(i.metric, i.value!, facts),
      // A dimension's re-weighted share decides how much an input costs; at equal cost, the lower score first.
      pointsLost: Math.round((100 - i.score!) * i.effectiveWeight * 10) / 10,
      score: i.score!,
    }))
    .sort((a, b) => b.pointsLost - a.pointsLost || a.score - b.score || a.metric.localeCompare(b.metric))
    .map(({ metric, text, pointsLost }) => ({ metric, text, pointsLost }))
    .reduce((all, reason) => [...all, reason], risks)
    .slice(0, Math.max(0, limit));
}
