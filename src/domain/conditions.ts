/**
 * The vocabulary shared by lifecycle and play definitions: stages, health bands, stakeholder roles,
 * metric names and the conditions built from them. Its own module so play definitions can use it
 * without a circular import through the lifecycle definition. Sandbox-safe: plain data and zod.
 */
import { z } from 'zod';
import { LIMITS } from './bounds';

export const STAGE_IDS = ['onboarding', 'adoption', 'retention', 'expansion', 'advocacy'] as const;
export const ZStageId = z.enum(STAGE_IDS);
export type TStageId = z.infer<typeof ZStageId>;

/** The bands a score falls in. Band-change plays fire between these only. */
export const SCORED_BANDS = ['green', 'yellow', 'red'] as const;
export const ZScoredBand = z.enum(SCORED_BANDS);
export type TScoredBand = z.infer<typeof ZScoredBand>;

/**
 * Every band a customer can show: a scored band, or `insufficient_data` while less than the
 * model's `minKnownWeight` of its inputs is known (a day-1 customer is not red, it is unknown).
 */
export const HEALTH_BANDS = [...SCORED_BANDS, 'insufficient_data'] as const;
export const ZHealthBand = z.enum(HEALTH_BANDS);
export type THealthBand = z.infer<typeof ZHealthBand>;

export const isScoredBand = (band: THealthBand | null | undefined): band is TScoredBand => band !== null && band !== undefined && band !== 'insufficient_data';

/** The kinds of customer event (see `customer-events.ts`); plays and the API refer to them by name. */
export const CUSTOMER_EVENT_TYPES = ['usage', 'ticket', 'survey', 'milestone', 'stakeholder', 'contract', 'payment'] as const;

export const STAKEHOLDER_ROLES = ['champion', 'executive_sponsor', 'decision_maker', 'user', 'admin', 'other'] as const;
export const ZStakeholderRole = z.enum(STAKEHOLDER_ROLES);
export type TStakeholderRole = z.infer<typeof ZStakeholderRole>;

/**
 * Numbers derived from a customer's facts at a point in time (see `metrics.ts`). Conditions and
 * health inputs refer to them by name. A metric can be unknown (no data yet): conditions on an
 * unknown metric are not met, and health re-weights around it.
 */
export const METRIC_NAMES = [
  'daysSinceStart', // since the contract start (or the handoff when later)
  'daysInStage',
  'daysToRenewal', // negative once the contract end has passed
  'daysSinceLastLogin', // unknown until the first login
  'hasLoggedIn', // 0/1: any login recorded yet
  'activeUsers',
  'seatUtilization', // seats used / seats purchased, 0..1+
  'keyFeatureAdoption', // key features used / key features in the definition, 0..1
  'loginTrend', // logins in the last 30 days vs the 30 before, -1..+inf (0 = flat)
  'openTickets',
  'openHighSeverityTickets',
  'highSeverityTickets60d',
  'nps', // latest NPS answer 0..10
  'daysSinceNps', // since the latest NPS answer; unknown until there is one
  'csat', // latest CSAT 1..5
  'ces', // latest CES 1..7 (lower is easier)
  'csmSentiment', // 1..5
  'stakeholdersEngaged',
  'championPresent', // 0/1
  'daysSinceChampionLeft', // since the last champion left or changed role; unknown until one did
  'executiveSponsorEngaged', // 0/1
  'paymentCurrent', // 0/1
  'outcomesAchieved', // milestones flagged as outcomes in the definition
  'healthScore', // the score computed by the stage's health model (conditions only)
  'hardConditionsActive', // how many of the health model's hard conditions hold (conditions only)
] as const;
export const ZMetricName = z.enum(METRIC_NAMES);
export type TMetricName = z.infer<typeof ZMetricName>;

const ZComparison = z.enum(['>=', '>', '<=', '<', '==']);

export type TCondition =
  | { kind: 'milestone'; milestone: string; atLeastDaysBeforeContractEnd?: number; label?: string }
  | { kind: 'metric'; metric: TMetricName; op: z.infer<typeof ZComparison>; value: number; label?: string }
  | { kind: 'stakeholders'; role?: TStakeholderRole; engaged?: boolean; min: number; label?: string }
  | { kind: 'band'; in: THealthBand[]; label?: string }
  | { kind: 'any'; of: TCondition[]; label?: string }
  | { kind: 'all'; of: TCondition[]; label?: string };

/** A condition over the customer's state. `label` is what the UI and the timeline show. */
export const ZCondition: z.ZodType<TCondition> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('milestone'),
        milestone: z.string().min(1),
        /**
         * Time-relative: the milestone counts only when it occurred at least this many whole (UTC)
         * days before the contract end in force when it occurred; a later one is shown as late.
         */
        atLeastDaysBeforeContractEnd: z.number().int().min(0).max(3_650).optional(),
        label: z.string().optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('metric'),
        metric: ZMetricName,
        op: ZComparison,
        value: z.number().finite(),
        label: z.string().optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('stakeholders'),
        role: ZStakeholderRole.optional(),
        engaged: z.boolean().optional(),
        min: z.number().int().min(1).max(LIMITS.stakeholders),
        label: z.string().optional(),
      })
      .strict(),
    z.object({ kind: z.literal('band'), in: z.array(ZHealthBand).min(1), label: z.string().optional() }).strict(),
    z.object({ kind: z.literal('any'), of: z.array(ZCondition).min(1), label: z.string().optional() }).strict(),
    z.object({ kind: z.literal('all'), of: z.array(ZCondition).min(1), label: z.string().optional() }).strict(),
  ]),
);
