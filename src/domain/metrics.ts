/**
 * Derives the named metrics that conditions and health models use from a customer's facts at a
 * given moment. Unknown stays unknown (undefined): no data is not the same as zero. Sandbox-safe.
 */
import { loginDays, type CustomerFacts, type LoginDays } from './customer-facts';
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

export function computeMetrics(facts: CustomerFacts, ctx: MetricContext): Metrics {
  return metricsSampler(facts, ctx)(ctx.now);
}

/**
 * The metrics of unchanging facts at any moment: what does not depend on the time (counts, the
 * parsed dates, the login days) is worked out once, and each call only does the arithmetic of its
 * instant. The lean step judges one customer's facts at dozens of instants per activation (see
 * `next-change.ts`); re-scanning the tickets and sixty days of logins at every one of them was most
 * of a simulated step. The facts must not change while the sampler is used. `computeMetrics` is
 * this at one instant, so both give the same metrics, key for key and in the same order.
 */
export function metricsSampler(
  facts: CustomerFacts,
  ctx: Omit<MetricContext, 'now'>,
): (now: string, judged?: Pick<MetricContext, 'healthScore' | 'hardConditionsActive'>) => Metrics {
  const contractStart = Date.parse(facts.contractStart);
  const stageEnteredAt = Date.parse(ctx.stageEnteredAt);
  const contractEnd = Date.parse(facts.contractEnd);
  const tickets = Object.values(facts.openTickets);
  const openTickets = tickets.length;
  const openHighSeverityTickets = tickets.filter((t) => t.severity === 'high' || t.severity === 'urgent').length;
  const highSeverityOpenedAt = facts.highSeverityOpenedAt.map((at) => Date.parse(at));
  const stakeholders = Object.values(facts.stakeholders);
  const championPresent = stakeholders.some((s) => s.role === 'champion') ? 1 : 0;
  const paymentCurrent = facts.payment === 'current' ? 1 : 0;
  const hasLoggedIn = facts.lastLoginAt ? 1 : 0;
  const outcomesAchieved = ctx.outcomeMilestones.filter((m) => facts.milestones[m]).length;
  // Engagement is known once CS recorded some (see `engagementRecorded`); named is not engaged.
  const engagement =
    facts.engagementRecorded !== false
      ? {
          stakeholdersEngaged: stakeholders.filter((s) => s.engaged).length,
          executiveSponsorEngaged: stakeholders.some((s) => s.role === 'executive_sponsor' && s.engaged) ? 1 : 0,
        }
      : undefined;
  const championLeftAt = facts.championLeftAt ? Date.parse(facts.championLeftAt) : undefined;
  const lastLoginAt = facts.lastLoginAt ? Date.parse(facts.lastLoginAt) : undefined;
  const seatUtilization = facts.seatsUsed !== undefined && facts.seatsPurchased ? facts.seatsUsed / facts.seatsPurchased : undefined;
  const keyFeatureAdoption =
    ctx.keyFeatures.length > 0 && (facts.keyFeaturesUsed.length > 0 || facts.lastLoginAt)
      ? ctx.keyFeatures.filter((f) => facts.keyFeaturesUsed.includes(f)).length / ctx.keyFeatures.length
      : undefined;
  const logins = loginDays(facts.dailyLogins);
  const { nps, csat, ces } = facts.surveys;
  const npsAt = nps ? Date.parse(nps.at) : undefined;

  // `judged`: the health result's fields for this sample instead of the context's (one sampler serves
  // the metrics before and after health is scored).
  return (nowIso, judged = ctx) => {
    const now = Date.parse(nowIso);
    let highSeverityTickets60d = 0;
    for (const at of highSeverityOpenedAt) if (now - at <= 60 * DAY_MS) highSeverityTickets60d += 1;
    const metrics: Metrics = {
      daysSinceStart: Math.max(0, (now - contractStart) / DAY_MS),
      daysInStage: Math.max(0, (now - stageEnteredAt) / DAY_MS),
      daysToRenewal: (contractEnd - now) / DAY_MS,
      openTickets,
      openHighSeverityTickets,
      highSeverityTickets60d,
      championPresent,
      paymentCurrent,
      hasLoggedIn,
      outcomesAchieved,
      healthScore: judged.healthScore,
    };
    if (engagement) {
      metrics.stakeholdersEngaged = engagement.stakeholdersEngaged;
      metrics.executiveSponsorEngaged = engagement.executiveSponsorEngaged;
    }
    if (judged.hardConditionsActive !== undefined) metrics.hardConditionsActive = judged.hardConditionsActive;
    if (championLeftAt !== undefined) metrics.daysSinceChampionLeft = Math.max(0, (now - championLeftAt) / DAY_MS);
    if (lastLoginAt !== undefined) metrics.daysSinceLastLogin = Math.max(0, (now - lastLoginAt) / DAY_MS);
    if (facts.activeUsers !== undefined) metrics.activeUsers = facts.activeUsers;
    if (seatUtilization !== undefined) metrics.seatUtilization = seatUtilization;
    if (keyFeatureAdoption !== undefined) metrics.keyFeatureAdoption = keyFeatureAdoption;
    const trend = loginTrend(logins, now);
    if (trend !== undefined) metrics.loginTrend = trend;
    if (nps) {
      metrics.nps = nps.score;
      metrics.daysSinceNps = Math.max(0, (now - npsAt!) / DAY_MS);
    }
    if (csat) metrics.csat = csat.score;
    if (ces) metrics.ces = ces.score;
    if (facts.csmSentiment) metrics.csmSentiment = facts.csmSentiment.score;
    return metrics;
  };
}

/** Logins in the last 30 days against the 30 before; unknown until there were logins before. */
function loginTrend(days: LoginDays, now: number): number | undefined {
  let recent = 0;
  let previous = 0;
  for (let i = 0; i < days.starts.length; i += 1) {
    const age = (now - days.starts[i]!) / DAY_MS;
    if (age < 30) recent += days.logins[i]!;
    else if (age < 60) previous += days.logins[i]!;
  }
  if (previous === 0) return undefined;
  return (recent - previous) / previous;
}
