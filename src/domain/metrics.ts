/**
 * Derives the named metrics that conditions and health models use from a customer's facts at a
 * given moment. Unknown stays unknown (undefined): no data is not the same as zero. Sandbox-safe.
 */
import type { CustomerFacts } from './customer-facts';
import type { TMetricName } from './lifecycle-definition';

export type Metrics = Partial<Record<TMetricName, number>>;

export interface MetricContext {
  now: string;
  stageEnteredAt: string;
  keyFeatures: string[];
  outcomeMilestones: string[];
  healthScore?: number;
  /** Hard conditions of the health model that hold (from the health result; conditions only). */
  hardConditionsActive?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY_MS;

export function computeMetrics(facts: CustomerFacts, ctx: MetricContext): Metrics {
  const now = Date.parse(ctx.now);
  const metrics: Metrics = {
    daysSinceStart: Math.max(0, daysBetween(facts.contractStart, ctx.now)),
    daysInStage: Math.max(0, daysBetween(ctx.stageEnteredAt, ctx.now)),
    daysToRenewal: daysBetween(ctx.now, facts.contractEnd),
    openTickets: Object.keys(facts.openTickets).length,
    openHighSeverityTickets: Object.values(facts.openTickets).filter((t) => t.severity === 'high' || t.severity === 'urgent').length,
    highSeverityTickets60d: facts.highSeverityOpenedAt.filter((at) => now - Date.parse(at) <= 60 * DAY_MS).length,
    championPresent: Object.values(facts.stakeholders).some((s) => s.role === 'champion') ? 1 : 0,
    paymentCurrent: facts.payment === 'current' ? 1 : 0,
    hasLoggedIn: facts.lastLoginAt ? 1 : 0,
    outcomesAchieved: ctx.outcomeMilestones.filter((m) => facts.milestones[m]).length,
    healthScore: ctx.healthScore,
  };
  // Engagement is known once CS recorded some (see `engagementRecorded`); named is not engaged.
  if (facts.engagementRecorded !== false) {
    metrics.stakeholdersEngaged = Object.values(facts.stakeholders).filter((s) => s.engaged).length;
    metrics.executiveSponsorEngaged = Object.values(facts.stakeholders).some((s) => s.role === 'executive_sponsor' && s.engaged) ? 1 : 0;
  }
  if (ctx.hardConditionsActive !== undefined) metrics.hardConditionsActive = ctx.hardConditionsActive;
  if (facts.championLeftAt) metrics.daysSinceChampionLeft = Math.max(0, daysBetween(facts.championLeftAt, ctx.now));
  if (facts.lastLoginAt) metrics.daysSinceLastLogin = Math.max(0, daysBetween(facts.lastLoginAt, ctx.now));
  if (facts.activeUsers !== undefined) metrics.activeUsers = facts.activeUsers;
  if (facts.seatsUsed !== undefined && facts.seatsPurchased) metrics.seatUtilization = facts.seatsUsed / facts.seatsPurchased;
  if (ctx.keyFeatures.length > 0 && (facts.keyFeaturesUsed.length > 0 || facts.lastLoginAt)) {
    metrics.keyFeatureAdoption = ctx.keyFeatures.filter((f) => facts.keyFeaturesUsed.includes(f)).length / ctx.keyFeatures.length;
  }
  const trend = loginTrend(facts.dailyLogins, now);
  if (trend !== undefined) metrics.loginTrend = trend;
  if (facts.surveys.nps) {
    metrics.nps = facts.surveys.nps.score;
    metrics.daysSinceNps = Math.max(0, daysBetween(facts.surveys.nps.at, ctx.now));
  }
  if (facts.surveys.csat) metrics.csat = facts.surveys.csat.score;
  if (facts.surveys.ces) metrics.ces = facts.surveys.ces.score;
  if (facts.csmSentiment) metrics.csmSentiment = facts.csmSentiment.score;
  return metrics;
}

/**
 * A UTC day's start, memoised: the trend is computed at every check the lean step considers, and
 * parsing the same sixty day strings each time was most of its cost. Bounded; deterministic.
 */
const dayStarts = new Map<string, number>();
function dayStart(day: string): number {
  let at = dayStarts.get(day);
  if (at === undefined) {
    if (dayStarts.size >= 4_096) dayStarts.clear();
    at = Date.parse(`${day}T00:00:00Z`);
    dayStarts.set(day, at);
  }
  return at;
}

/** Logins in the last 30 days against the 30 before; unknown until there were logins before. */
function loginTrend(dailyLogins: Record<string, number>, now: number): number | undefined {
  let recent = 0;
  let previous = 0;
  for (const [day, logins] of Object.entries(dailyLogins)) {
    const age = (now - dayStart(day)) / DAY_MS;
    if (age < 30) recent += logins;
    else if (age < 60) previous += logins;
  }
  if (previous === 0) return undefined;
  return (recent - previous) / previous;
}
