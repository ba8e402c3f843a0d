/**
 * The schema of what a reader is shown of one customer (see `customer-view.ts`, which builds it):
 * the HTTP API documents and checks its answers with it, the CLI and the customer page read it.
 * Apart from the builder on purpose: the workflows build views but never parse one, and every
 * workflow evaluates the modules it imports, so the schema lived once per cached customer.
 */
import { z } from 'zod';
import { HEALTH_BANDS, STAGE_IDS } from './conditions';
import { VIEW_LIMITS } from './customer-view';

const TIMELINE_KINDS = ['handoff', 'event', 'rejected', 'timer', 'stage', 'health', 'sla', 'sentiment', 'play', 'definition'] as const;
const TIMER_KINDS = ['renewal', 'qbr', 'inactivity', 'time_to_value', 'stage_sla', 'advocacy', 'health_tick'] as const;

/** Timestamps as the engine writes them (ISO 8601); generous, since a few came from senders. */
const ZTime = z.string().max(40);
const ZId = z.string().max(500);
const ZName = z.string().max(200);
const ZLine = z.string().max(500);
const ZSummary = z.string().max(2_000);
const ZScore = z.number().min(0).max(100);
const ZCount = z.number().int().min(0);

const ZAchievementView = z.object({ id: ZId, label: ZLine, met: z.boolean(), late: z.boolean().optional() }).strict();

const ZCauseView = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), id: ZId, eventType: ZName }).strict(),
  z.object({ type: z.literal('timer'), id: ZId }).strict(),
  z.object({ type: z.literal('rule'), id: ZId }).strict(),
  z.object({ type: z.literal('override'), by: ZName }).strict(),
  z.object({ type: z.literal('update'), by: ZName }).strict(),
  z.object({ type: z.literal('handoff') }).strict(),
  z.object({ type: z.literal('rollout'), id: ZId, from: ZName, to: ZName, by: ZName }).strict(),
]);

const ZTimelineEntryView = z
  .object({
    seq: ZCount,
    at: ZTime,
    kind: z.enum(TIMELINE_KINDS),
    summary: ZSummary,
    cause: ZCauseView,
    definitionVersion: ZName,
    detail: z.record(z.string().max(100), z.union([z.string().max(1_000), z.number(), z.boolean(), z.null()])).optional(),
  })
  .strict();

const ZHealthView = z
  .object({
    score: ZScore.nullable(),
    band: z.enum(HEALTH_BANDS).nullable(),
    model: ZName,
    definitionVersion: ZName,
    at: ZTime,
    trend: z.enum(['up', 'down', 'flat']),
    /** Share of the model's weight whose inputs are known (0..1); absent in scores from before it was kept. */
    knownWeight: z.number().min(0).max(1).optional(),
    /** The weighted score before hard conditions took points off; only when they did. */
    weightedScore: ZScore.optional(),
    dimensions: z
      .array(
        z
          .object({
            id: ZName,
            label: ZLine,
            score: ZScore.nullable(),
            effectiveWeight: z.number().min(0).max(1),
            inputs: z
              .array(
                z
                  .object({
                    metric: ZName,
                    value: z.number().nullable(),
                    score: ZScore.nullable(),
                    effectiveWeight: z.number().min(0).max(1),
                    points: z.number(),
                  })
                  .strict(),
              )
              .max(VIEW_LIMITS.inputs),
          })
          .strict(),
      )
      .max(VIEW_LIMITS.dimensions),
    /** Inputs the model wanted but nothing has told yet. */
    missing: z.array(ZName).max(VIEW_LIMITS.missing),
    /** Hard conditions that hold, in words, and what each did to the score. */
    conditions: z
      .array(z.object({ id: ZName, label: ZLine, cap: z.enum(['yellow', 'red']).optional(), subtract: z.number().optional() }).strict())
      .max(VIEW_LIMITS.conditions),
  })
  .strict();

const ZCustomerFactsView = z
  .object({
    id: z.string().max(100),
    name: ZName,
    segment: ZName,
    arr: z.number().min(0),
    complexity: z.enum(['low', 'medium', 'high']),
    csmOwner: ZName,
    contractStart: ZTime,
    contractEnd: ZTime,
    contractStatus: z.enum(['active', 'churned']),
    /** The contract term the customer is in (1 from the handoff, +1 per renewal) and when it began. */
    contractTerm: ZCount.min(1),
    termStartedAt: ZTime,
    seatsPurchased: ZCount.optional(),
    seatsUsed: ZCount.optional(),
    activeUsers: ZCount.optional(),
    lastLoginAt: ZTime.optional(),
    payment: z.enum(['current', 'late', 'failed']),
    csmSentiment: z.object({ score: z.number(), at: ZTime, by: ZName }).strict().optional(),
    surveys: z
      .object({
        nps: z.object({ score: z.number(), at: ZTime }).strict().optional(),
        csat: z.object({ score: z.number(), at: ZTime }).strict().optional(),
        ces: z.object({ score: z.number(), at: ZTime }).strict().optional(),
      })
      .strict(),
    openTickets: ZCount,
    /** Of the open tickets, those of high or urgent severity. */
    openHighSeverityTickets: ZCount,
    /** Key features of the definition in use (any feature, when the definition is not loaded yet). */
    keyFeaturesUsed: z.array(ZName).max(VIEW_LIMITS.features),
    /** Milestones reached, oldest first. */
    milestones: z.array(z.object({ id: ZName, at: ZTime }).strict()).max(VIEW_LIMITS.milestones),
    /** People CS knows at the customer (no email: plays read that from the state), engaged or merely known. */
    stakeholders: z.array(z.object({ id: ZId, name: ZName, role: ZName, engaged: z.boolean(), since: ZTime }).strict()).max(VIEW_LIMITS.stakeholders),
    championLeftAt: ZTime.optional(),
    successCriteria: z.array(ZLine).max(VIEW_LIMITS.lines),
    goals: z.array(ZLine).max(VIEW_LIMITS.lines),
  })
  .strict();

export const ZCustomerView = z
  .object({
    viewVersion: z.literal(1),
    /** When the workflow answered; `daysInStage` and `upcomingTimers` are as of then. */
    asOf: ZTime,
    customer: ZCustomerFactsView,
    stage: z.enum(STAGE_IDS),
    /** Who owns the stage in the definition (absent while a continued run still loads it). */
    stageOwner: ZName.optional(),
    stageEnteredAt: ZTime,
    daysInStage: ZCount,
    sla: z.enum(['on_track', 'behind', 'stuck']),
    onboardingCompletedAt: ZTime.optional(),
    /** What leaving the stage takes: every required item, and `minOptional` of the optional ones. */
    exit: z
      .object({
        ready: z.boolean(),
        required: z.array(ZAchievementView).max(VIEW_LIMITS.lines),
        optional: z.array(ZAchievementView).max(VIEW_LIMITS.lines),
        minOptional: ZCount,
      })
      .strict(),
    health: ZHealthView.nullable(),
    /** The day's last score, one point per UTC day, oldest first (about 90 days). */
    healthHistory: z.array(z.object({ day: z.string().max(10), score: ZScore }).strict()).max(VIEW_LIMITS.healthHistoryDays),
    /** The most recent timeline entries, oldest first; the whole timeline is `GET …/timeline`. */
    timeline: z.array(ZTimelineEntryView).max(VIEW_LIMITS.timeline),
    /** The next timers, soonest first. */
    upcomingTimers: z
      .array(z.object({ id: ZId, kind: z.enum(TIMER_KINDS), at: ZTime, label: ZLine, ref: ZName.optional() }).strict())
      .max(VIEW_LIMITS.upcomingTimers),
    plays: z
      .object({
        running: z.array(z.object({ runId: ZId, playId: ZName, label: ZLine, startedAt: ZTime }).strict()).max(VIEW_LIMITS.playsRunning),
        /** Per play that has ended at least once: how many runs it has had and how the last ended. */
        finished: z.array(z.object({ playId: ZName, label: ZLine, runs: ZCount, lastOutcome: ZName }).strict()).max(VIEW_LIMITS.playsFinished),
      })
      .strict(),
    /** The lifecycle definition the state was last judged by. */
    definitionVersion: ZName,
  })
  .strict();

export type CustomerView = z.infer<typeof ZCustomerView>;
export type CustomerTimelineEntryView = z.infer<typeof ZTimelineEntryView>;
