/**
 * The lifecycle as code: stages with exit criteria and SLAs, rules for moving back, health models,
 * timers, segments. Ops write one of these (see `default-lifecycle.ts`), review it in a pull request,
 * and the worker validates it with `ZLifecycleDefinition` when it starts.
 *
 * Everything is plain data (no functions), so a definition can be handed to a workflow, recorded in
 * its history, stamped by version on every score and stage change, and diffed in review.
 * Sandbox-safe: zod is pure JavaScript.
 */
import { z } from 'zod';

export const STAGE_IDS = ['onboarding', 'adoption', 'retention', 'expansion', 'advocacy'] as const;
export const ZStageId = z.enum(STAGE_IDS);
export type TStageId = z.infer<typeof ZStageId>;

export const HEALTH_BANDS = ['green', 'yellow', 'red'] as const;
export const ZHealthBand = z.enum(HEALTH_BANDS);
export type THealthBand = z.infer<typeof ZHealthBand>;

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
  'daysSinceLastLogin',
  'activeUsers',
  'seatUtilization', // seats used / seats purchased, 0..1+
  'keyFeatureAdoption', // key features used / key features in the definition, 0..1
  'loginTrend', // logins in the last 30 days vs the 30 before, -1..+inf (0 = flat)
  'openTickets',
  'openHighSeverityTickets',
  'highSeverityTickets60d',
  'nps', // latest NPS answer 0..10
  'csat', // latest CSAT 1..5
  'ces', // latest CES 1..7 (lower is easier)
  'csmSentiment', // 1..5
  'stakeholdersEngaged',
  'championPresent', // 0/1
  'executiveSponsorEngaged', // 0/1
  'paymentCurrent', // 0/1
  'outcomesAchieved', // milestones flagged as outcomes in the definition
  'healthScore', // the score computed by the stage's health model (conditions only)
] as const;
export const ZMetricName = z.enum(METRIC_NAMES);
export type TMetricName = z.infer<typeof ZMetricName>;

const ZComparison = z.enum(['>=', '>', '<=', '<', '==']);

export type TCondition =
  | { kind: 'milestone'; milestone: string; label?: string }
  | { kind: 'metric'; metric: TMetricName; op: z.infer<typeof ZComparison>; value: number; label?: string }
  | { kind: 'stakeholders'; role?: TStakeholderRole; engaged?: boolean; min: number; label?: string }
  | { kind: 'band'; in: THealthBand[]; label?: string }
  | { kind: 'any'; of: TCondition[]; label?: string }
  | { kind: 'all'; of: TCondition[]; label?: string };

/** A condition over the customer's state. `label` is what the UI and the timeline show. */
export const ZCondition: z.ZodType<TCondition> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('milestone'), milestone: z.string().min(1), label: z.string().optional() }).strict(),
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
        min: z.number().int().min(1),
        label: z.string().optional(),
      })
      .strict(),
    z.object({ kind: z.literal('band'), in: z.array(ZHealthBand).min(1), label: z.string().optional() }).strict(),
    z.object({ kind: z.literal('any'), of: z.array(ZCondition).min(1), label: z.string().optional() }).strict(),
    z.object({ kind: z.literal('all'), of: z.array(ZCondition).min(1), label: z.string().optional() }).strict(),
  ]),
);

/** An achievement towards leaving a stage: a named condition. */
export const ZAchievement = z
  .object({ id: z.string().regex(/^[a-z0-9_]+$/, 'use lower_snake_case'), label: z.string().min(1), when: ZCondition })
  .strict();
export type TAchievement = z.infer<typeof ZAchievement>;

export const ZStage = z
  .object({
    id: ZStageId,
    owner: z.string().min(1),
    /** Every required achievement, and at least `minOptional` of the optional ones, moves the customer on. */
    exit: z
      .object({
        required: z.array(ZAchievement),
        optional: z.array(ZAchievement).default([]),
        minOptional: z.number().int().min(0).default(0),
      })
      .strict(),
    /** Time-in-stage thresholds: past `behindAfterDays` the customer is behind, past `stuckAfterDays` stuck. */
    sla: z
      .object({ behindAfterDays: z.number().positive(), stuckAfterDays: z.number().positive() })
      .strict()
      .refine((sla) => sla.stuckAfterDays > sla.behindAfterDays, {
        message: 'stuckAfterDays must be greater than behindAfterDays',
        path: ['stuckAfterDays'],
      }),
    /** Rules that move the customer back, checked in order (e.g. red in expansion -> retention). */
    moveBack: z
      .array(z.object({ id: z.string().min(1), when: ZCondition, to: ZStageId, reason: z.string().min(1) }).strict())
      .default([]),
    /** Health model for this stage; falls back to the segment's, then the default. */
    healthModel: z.string().optional(),
  })
  .strict();
export type TStage = z.infer<typeof ZStage>;

/**
 * One health input: a metric mapped linearly onto 0..100 between `zeroAt` and `fullAt` (either
 * order: `zeroAt: 30, fullAt: 0` for "days since last login"), clamped.
 */
export const ZHealthInput = z
  .object({ metric: ZMetricName, weight: z.number().positive(), zeroAt: z.number(), fullAt: z.number() })
  .strict()
  .refine((input) => input.zeroAt !== input.fullAt, { message: 'zeroAt and fullAt must differ', path: ['fullAt'] });
export type THealthInput = z.infer<typeof ZHealthInput>;

export const ZHealthModel = z
  .object({
    id: z.string().min(1),
    dimensions: z
      .array(
        z
          .object({
            id: z.string().min(1),
            label: z.string().min(1),
            weight: z.number().positive(),
            inputs: z.array(ZHealthInput).min(1),
          })
          .strict(),
      )
      .min(1),
    /** Lower bounds: score >= green is green, >= yellow is yellow, else red. */
    bands: z
      .object({ green: z.number().min(0).max(100), yellow: z.number().min(0).max(100) })
      .strict()
      .refine((bands) => bands.green > bands.yellow, { message: 'green must be above yellow', path: ['green'] }),
    /** A change in score of at least this many points over `trendWindowDays` is a trend, else flat. */
    trendThreshold: z.number().positive().default(5),
    trendWindowDays: z.number().positive().default(30),
  })
  .strict();
export type THealthModel = z.infer<typeof ZHealthModel>;

export const ZSegment = z
  .object({
    id: z.string().regex(/^[a-z0-9_]+$/, 'use lower_snake_case'),
    label: z.string().min(1),
    /** Customers with ARR >= minArr (and complexity at least minComplexity) fall in the first matching segment. */
    minArr: z.number().min(0),
    minComplexity: z.enum(['low', 'medium', 'high']).optional(),
    engagement: z.enum(['high_touch', 'hybrid', 'tech_touch']),
    /** Accounts one CSM carries in this segment (book-of-business comparisons). */
    csmRatio: z.number().int().positive(),
    qbrEveryDays: z.number().positive(),
    timeToFirstValueDays: z.number().positive(),
    healthModel: z.string().optional(),
  })
  .strict();
export type TSegment = z.infer<typeof ZSegment>;

export const ZTimers = z
  .object({
    /** Steps relative to the contract end; negative = before. `segments` limits a step to some segments. */
    renewalLadder: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9_]+$/, 'use lower_snake_case'),
            label: z.string().min(1),
            daysFromContractEnd: z.number().int(),
            segments: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .min(1),
    inactivityDays: z.number().positive(),
    advocacyWindow: z
      .object({ fromDaysAfterOnboarding: z.number().min(0), toDaysAfterOnboarding: z.number().positive() })
      .strict(),
    /** Health is recomputed at least this often, even without events (decay of recency inputs). */
    healthTickHours: z.number().positive().default(24),
  })
  .strict();
export type TTimers = z.infer<typeof ZTimers>;

export const ZLifecycleDefinition = z
  .object({
    name: z.string().min(1),
    /** Stamped on every health score, stage change and timeline entry. Bump it on every change. */
    version: z.string().min(1),
    stages: z.array(ZStage).length(STAGE_IDS.length),
    healthModels: z.array(ZHealthModel).min(1),
    defaultHealthModel: z.string().min(1),
    segments: z.array(ZSegment).min(1),
    timers: ZTimers,
    /** Key features whose use counts towards `keyFeatureAdoption`. */
    keyFeatures: z.array(z.string().min(1)).min(1),
    /** Milestones that count as business outcomes (`outcomesAchieved`). */
    outcomeMilestones: z.array(z.string().min(1)).default([]),
    /** How long event ids are remembered for de-duplication inside the workflow. */
    eventDedupWindowDays: z.number().positive().default(90),
  })
  .strict()
  .superRefine((definition, ctx) => {
    const stageIds = definition.stages.map((stage) => stage.id);
    STAGE_IDS.forEach((id) => {
      if (!stageIds.includes(id)) ctx.addIssue({ code: 'custom', message: `stage "${id}" is missing`, path: ['stages'] });
    });
    const models = new Set(definition.healthModels.map((model) => model.id));
    const checkModel = (id: string | undefined, path: (string | number)[]) => {
      if (id !== undefined && !models.has(id)) {
        ctx.addIssue({ code: 'custom', message: `unknown health model "${id}"`, path });
      }
    };
    checkModel(definition.defaultHealthModel, ['defaultHealthModel']);
    definition.stages.forEach((stage, index) => checkModel(stage.healthModel, ['stages', index, 'healthModel']));
    definition.segments.forEach((segment, index) => checkModel(segment.healthModel, ['segments', index, 'healthModel']));
    const segmentIds = new Set(definition.segments.map((segment) => segment.id));
    definition.timers.renewalLadder.forEach((step, index) =>
      step.segments?.forEach((segment) => {
        if (!segmentIds.has(segment)) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown segment "${segment}"`,
            path: ['timers', 'renewalLadder', index, 'segments'],
          });
        }
      }),
    );
    if (!definition.segments.some((segment) => segment.minArr === 0 && !segment.minComplexity)) {
      ctx.addIssue({ code: 'custom', message: 'one segment must catch every customer (minArr 0, no minComplexity)', path: ['segments'] });
    }
  });
export type TLifecycleDefinition = z.infer<typeof ZLifecycleDefinition>;
/** What ops write: defaults may be omitted. */
export type TLifecycleDefinitionInput = z.input<typeof ZLifecycleDefinition>;

export function stageOf(definition: TLifecycleDefinition, id: TStageId): TStage {
  const stage = definition.stages.find((candidate) => candidate.id === id);
  if (!stage) throw new Error(`lifecycle definition has no stage ${id}`);
  return stage;
}
