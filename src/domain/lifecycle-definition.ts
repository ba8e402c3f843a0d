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
import { boundedText, LIMITS, planCount, planDays } from './bounds';
import { METRIC_NAMES, STAGE_IDS, ZCondition, ZMetricName, ZStageId, type TCondition, type TMetricName } from './conditions';
import { triggersOf, ZPlay, ZPlaySettings } from '../plays/definition';
import { isTimeZone } from './definition-lookups';

export * from './conditions';

/** An achievement towards leaving a stage: a named condition. */
export const ZAchievement = z.object({ id: z.string().regex(/^[a-z0-9_]+$/, 'use lower_snake_case'), label: z.string().min(1), when: ZCondition }).strict();
export type TAchievement = z.infer<typeof ZAchievement>;

/** Time in stage, or days left before the contract end (see `ZStage.sla`). */
export type TStageSla = { behindAfterDays: number; stuckAfterDays: number } | { behindDaysBeforeContractEnd: number; stuckDaysBeforeContractEnd: number };

// One object rather than a zod union, so a mistake is reported at the field that has it.
export const ZStageSla = z
  .object({
    behindAfterDays: planDays('positive').optional(),
    stuckAfterDays: planDays('positive').optional(),
    behindDaysBeforeContractEnd: planDays().optional(),
    stuckDaysBeforeContractEnd: planDays().optional(),
  })
  .strict()
  .superRefine((sla, ctx) => {
    const inStage = sla.behindAfterDays !== undefined || sla.stuckAfterDays !== undefined;
    const toEnd = sla.behindDaysBeforeContractEnd !== undefined || sla.stuckDaysBeforeContractEnd !== undefined;
    if (inStage === toEnd) {
      ctx.addIssue({
        code: 'custom',
        message: 'give either behindAfterDays/stuckAfterDays or behindDaysBeforeContractEnd/stuckDaysBeforeContractEnd',
        path: [],
      });
      return;
    }
    const pair = inStage ? (['behindAfterDays', 'stuckAfterDays'] as const) : (['behindDaysBeforeContractEnd', 'stuckDaysBeforeContractEnd'] as const);
    for (const key of pair) if (sla[key] === undefined) ctx.addIssue({ code: 'custom', message: `${key} is required with ${pair.join('/')}`, path: [key] });
    if (inStage && sla.behindAfterDays !== undefined && sla.stuckAfterDays !== undefined && !(sla.stuckAfterDays > sla.behindAfterDays)) {
      ctx.addIssue({ code: 'custom', message: 'stuckAfterDays must be greater than behindAfterDays', path: ['stuckAfterDays'] });
    }
    const { behindDaysBeforeContractEnd: behind, stuckDaysBeforeContractEnd: stuck } = sla;
    if (toEnd && behind !== undefined && stuck !== undefined && !(stuck < behind)) {
      ctx.addIssue({
        code: 'custom',
        message: 'stuckDaysBeforeContractEnd must be less than behindDaysBeforeContractEnd',
        path: ['stuckDaysBeforeContractEnd'],
      });
    }
  })
  .transform((sla) => sla as TStageSla);

export const ZStage = z
  .object({
    id: ZStageId,
    owner: z.string().min(1),
    /** Every required achievement, and at least `minOptional` of the optional ones, moves the customer on. */
    exit: z
      .object({
        required: z.array(ZAchievement),
        optional: z.array(ZAchievement).default([]),
        minOptional: planCount(0).default(0),
      })
      .strict(),
    /**
     * The stage's time box, fitted to what the stage waits for. Either time in stage (past
     * `behindAfterDays` the customer is behind, past `stuckAfterDays` stuck), or, for a stage that
     * waits for the renewal window, days left before the contract end (behind once fewer than
     * `behindDaysBeforeContractEnd` remain, stuck once fewer than `stuckDaysBeforeContractEnd`).
     * A met exit is never behind.
     */
    sla: ZStageSla,
    /** Rules that move the customer back, checked in order (e.g. red in expansion -> retention). */
    moveBack: z.array(z.object({ id: z.string().min(1), when: ZCondition, to: ZStageId, reason: z.string().min(1) }).strict()).default([]),
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

/** Metrics a hard condition may not use: they are outputs of the very health they would change. */
const HEALTH_OUTPUTS: readonly TMetricName[] = ['healthScore', 'hardConditionsActive'];

/** The first thing in `condition` a hard condition cannot use, in words; undefined when all is fine. */
function healthOutputIn(condition: TCondition): string | undefined {
  switch (condition.kind) {
    case 'band':
      return 'a band condition (the band is what hard conditions decide)';
    case 'metric':
      return HEALTH_OUTPUTS.includes(condition.metric) ? `metric ${condition.metric} (an output of the health score)` : undefined;
    case 'any':
    case 'all':
      return condition.of.map(healthOutputIn).find((found) => found !== undefined);
    default:
      return undefined;
  }
}

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/**
 * Risk the weighted score hides (Planhat's "hard conditions"; Gainsight raises risk apart from the
 * score): a condition over the customer's facts that caps the band or takes points off, named in
 * the health result with its `label`. The label may quote metrics: "champion left
 * {{daysSinceChampionLeft}} days ago".
 */
export const ZHardCondition = z
  .object({
    id: z
      .string()
      .max(64)
      .regex(/^[a-z0-9_]+$/, 'use lower_snake_case'),
    label: boundedText(300),
    when: ZCondition,
    /** The band is at most this one while the condition holds (red is worse than yellow). */
    cap: z.enum(['yellow', 'red']).optional(),
    /** Points taken off the score while the condition holds. */
    subtract: z.number().positive().max(100).optional(),
  })
  .strict()
  .superRefine((hard, ctx) => {
    if (hard.cap === undefined && hard.subtract === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a hard condition needs a cap, points to subtract, or both', path: ['cap'] });
    }
    const circular = healthOutputIn(hard.when);
    if (circular) ctx.addIssue({ code: 'custom', message: `a hard condition cannot use ${circular}`, path: ['when'] });
    for (const [, name] of hard.label.matchAll(PLACEHOLDER)) {
      if (!(METRIC_NAMES as readonly string[]).includes(name!)) {
        ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name}}} in label; use a metric name`, path: ['label'] });
      }
    }
  });
export type THardCondition = z.infer<typeof ZHardCondition>;

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
    trendWindowDays: planDays('positive').default(30),
    /**
     * Below this share (0..1) of the model's weight known, the band is `insufficient_data`: no
     * verdict, no band plays. Absent (in definitions recorded before it existed) means 0.
     */
    minKnownWeight: z.number().min(0).max(1).default(0.5),
    /** Checked in order; every one that holds is applied and named. */
    hardConditions: z.array(ZHardCondition).max(20).default([]),
  })
  .strict()
  .superRefine((model, ctx) => {
    const ids = new Set<string>();
    model.hardConditions.forEach((hard, index) => {
      if (ids.has(hard.id)) ctx.addIssue({ code: 'custom', message: `duplicate hard condition id "${hard.id}"`, path: ['hardConditions', index, 'id'] });
      ids.add(hard.id);
    });
  });
/**
 * A health model as the rules read it. `minKnownWeight` and `hardConditions` are optional here
 * although the schema defaults them: a workflow replays the definition recorded in its history,
 * and definitions recorded before these fields existed lack them (read as 0 and none).
 */
export type THealthModel = Omit<z.infer<typeof ZHealthModel>, 'minKnownWeight' | 'hardConditions'> &
  Partial<Pick<z.infer<typeof ZHealthModel>, 'minKnownWeight' | 'hardConditions'>>;

export const ZSegment = z
  .object({
    id: z.string().regex(/^[a-z0-9_]+$/, 'use lower_snake_case'),
    label: z.string().min(1),
    /** Customers with ARR >= minArr (and complexity at least minComplexity) fall in the first matching segment. */
    minArr: z.number().min(0),
    minComplexity: z.enum(['low', 'medium', 'high']).optional(),
    engagement: z.enum(['high_touch', 'hybrid', 'tech_touch']),
    /** Accounts one CSM carries in this segment (book-of-business comparisons). */
    csmRatio: planCount(1),
    /** At least a day: a QBR timer fires once per cadence, and each firing wakes the customer. */
    qbrEveryDays: z.number().min(1).max(LIMITS.planDays),
    timeToFirstValueDays: planDays('positive'),
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
            daysFromContractEnd: z.number().int().min(-LIMITS.planDays).max(LIMITS.planDays),
            segments: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .min(1),
    inactivityDays: planDays('positive'),
    advocacyWindow: z.object({ fromDaysAfterOnboarding: planDays(), toDaysAfterOnboarding: planDays('positive') }).strict(),
    /** Health is recomputed at least this often, even without events (decay of recency inputs). */
    healthTickHours: z
      .number()
      .positive()
      .max(24 * LIMITS.planDays)
      .default(24),
  })
  .strict();
export type TTimers = z.infer<typeof ZTimers>;

const ZLifecycleShape = z
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
    /**
     * A health snapshot row is written when the score moved at least this many points since the
     * last one (or the band or hard conditions changed), else at most once a day. Default 5.
     */
    healthSnapshotMinPoints: z.number().min(0).max(100).optional(),
    /** How long event ids are remembered for de-duplication inside the workflow. */
    eventDedupWindowDays: planDays('positive').default(90),
    /** Playbooks: what the engine does when a trigger fires (see `src/plays/definition.ts`). */
    plays: z.array(ZPlay).default([]),
    /** Routing and quiet hours for plays; required once there are plays. */
    playSettings: ZPlaySettings.optional(),
    /**
     * Where the engine's pages are, so the Temporal UI's current details link each customer to its
     * page (`cli worker` fills it from PAGES_URL when unset). Absent in definitions recorded before.
     */
    links: z
      .object({
        pagesUrl: z
          .url({ protocol: /^https?$/ })
          .max(500)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

// Cross-field rules run even when a field above failed (zod would skip them), so one run names
// every mistake; on data too broken to inspect they give way to the issues already reported.
export const ZLifecycleDefinition = ZLifecycleShape.superRefine(
  (definition, ctx) => {
    try {
      crossFieldRules(definition, ctx);
    } catch {
      // shape errors are reported by the field schemas
    }
  },
  { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
);

function crossFieldRules(definition: z.output<typeof ZLifecycleShape>, ctx: z.RefinementCtx): void {
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
  const playIds = new Set<string>();
  const ladder = new Set(definition.timers.renewalLadder.map((step) => step.id));
  definition.plays.forEach((play, index) => {
    if (playIds.has(play.id)) ctx.addIssue({ code: 'custom', message: `duplicate play id "${play.id}"`, path: ['plays', index, 'id'] });
    playIds.add(play.id);
    triggersOf(play.trigger).forEach((trigger, t) => {
      if (trigger.on !== 'timer' || trigger.step === undefined) return;
      const path = play.trigger.on === 'any' ? ['plays', index, 'trigger', 'of', t, 'step'] : ['plays', index, 'trigger', 'step'];
      if (trigger.timer !== 'renewal') {
        ctx.addIssue({ code: 'custom', message: 'step applies to renewal timers only', path });
      } else if (!ladder.has(trigger.step)) {
        ctx.addIssue({ code: 'custom', message: `unknown renewal ladder step "${trigger.step}"; known: ${[...ladder].join(', ')}`, path });
      }
    });
  });
  if (definition.plays.length > 0 && !definition.playSettings) {
    ctx.addIssue({ code: 'custom', message: 'playSettings (routing, quiet hours) is required when there are plays', path: ['playSettings'] });
  }
  if (definition.playSettings && !isTimeZone(definition.playSettings.defaultTimezone)) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown time zone "${definition.playSettings.defaultTimezone}" (use an IANA name such as Europe/Berlin)`,
      path: ['playSettings', 'defaultTimezone'],
    });
  }
  if (!definition.segments.some((segment) => segment.minArr === 0 && !segment.minComplexity)) {
    ctx.addIssue({ code: 'custom', message: 'one segment must catch every customer (minArr 0, no minComplexity)', path: ['segments'] });
  }
}

export type TLifecycleDefinition = z.infer<typeof ZLifecycleDefinition>;
/** What ops write: defaults may be omitted. */
export type TLifecycleDefinitionInput = z.input<typeof ZLifecycleDefinition>;

// Kept where the workflows can import them without building the definition's schemas.
export { isTimeZone, stageOf } from './definition-lookups';
