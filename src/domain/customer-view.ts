/**
 * What a reader is shown of one customer: the HTTP API's `GET /v1/customers/{id}`, the CLI's
 * `show`, the customer page and the Temporal UI's current details all read this, answered by the
 * workflow's `getState` query. It is built from the working state and owned apart from it, so the
 * state the rules keep (event ids seen, timers fired, play caps) can change shape without changing
 * what any reader sees; a change a reader would notice bumps `viewVersion`.
 *
 * Every string and list is bounded: the builder clips, so a long-lived customer's view stays small
 * (a few dozen KB) whatever its state holds. Sandbox-safe: zod only, time is passed in.
 */
import { z } from 'zod';
import type { TLifecycleDefinition } from './lifecycle-definition';
import { HEALTH_BANDS, STAGE_IDS } from './lifecycle-definition';
import type { LifecycleState, TimelineEntry } from './lifecycle-state';
import type { PlannedTimer } from './timer-plan';

/** How many of each list a view carries; the rest is in the database (timeline, health snapshots). */
export const VIEW_LIMITS = {
  timeline: 50,
  upcomingTimers: 5,
  healthHistoryDays: 92,
  milestones: 200,
  stakeholders: 100,
  lines: 50,
  features: 50,
  dimensions: 30,
  inputs: 50,
  conditions: 20,
  missing: 100,
  playsRunning: 50,
  playsFinished: 100,
} as const;

const DAY_MS = 86_400_000;
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

/** A string cut to `max` characters, never splitting a surrogate pair (the view must stay valid Unicode). */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
const clipAll = (items: readonly string[], maxItems: number, maxChars: number) => items.slice(0, maxItems).map((s) => clip(s, maxChars));
const isHighSeverity = (severity: string) => severity === 'high' || severity === 'urgent';

function timelineEntry(entry: TimelineEntry): CustomerTimelineEntryView {
  const cause = { ...entry.cause };
  if ('id' in cause) cause.id = clip(cause.id, 500);
  if ('by' in cause) cause.by = clip(cause.by, 200);
  if (cause.type === 'event') cause.eventType = clip(cause.eventType, 200);
  if (cause.type === 'rollout') Object.assign(cause, { from: clip(cause.from, 200), to: clip(cause.to, 200) });
  const detail = entry.detail
    ? Object.fromEntries(Object.entries(entry.detail).map(([k, v]) => [clip(k, 100), typeof v === 'string' ? clip(v, 1_000) : v]))
    : undefined;
  return {
    seq: entry.seq,
    at: entry.at,
    kind: entry.kind,
    summary: clip(entry.summary, 2_000),
    cause,
    definitionVersion: clip(entry.definitionVersion, 200),
    ...(detail ? { detail } : {}),
  };
}

/** One score per UTC day (the day's last), the last `healthHistoryDays` days that have one. */
function dailyScores(history: LifecycleState['healthHistory']): CustomerView['healthHistory'] {
  const byDay = new Map<string, number>();
  for (const point of history) byDay.set(point.at.slice(0, 10), point.score);
  return [...byDay]
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(-VIEW_LIMITS.healthHistoryDays)
    .map(([day, score]) => ({ day, score }));
}

/**
 * The view of `state` at `now`. `definition` names plays and stage owners and picks the key features
 * (absent only in the moment a continued run loads it); `upcomingTimers` are the pending timers,
 * soonest first, as the workflow plans them (the first few are kept).
 */
export function customerView(
  state: LifecycleState,
  definition: TLifecycleDefinition | undefined,
  now: string,
  upcomingTimers: readonly PlannedTimer[],
): CustomerView {
  const { facts, health } = state;
  const keyFeatures = definition ? new Set(definition.keyFeatures) : undefined;
  const playLabel = (playId: string) => clip(definition?.plays?.find((p) => p.id === playId)?.label ?? playId, 500);
  const tickets = Object.values(facts.openTickets);
  const plays = state.plays;
  const stakeholders = Object.values(facts.stakeholders);
  const sentiment = facts.csmSentiment;
  const stageOwner = definition?.stages.find((s) => s.id === state.stage)?.owner;

  return {
    viewVersion: 1,
    asOf: now,
    customer: {
      id: facts.customerId,
      name: clip(facts.name, 200),
      segment: clip(state.segment, 200),
      arr: facts.arr,
      complexity: facts.complexity,
      csmOwner: clip(facts.csmOwner, 200),
      contractStart: facts.contractStart,
      contractEnd: facts.contractEnd,
      contractStatus: facts.contractStatus,
      // Absent in state carried by older runs: term 1, from the contract start (as the rules read it).
      contractTerm: facts.contractTerm ?? 1,
      termStartedAt: facts.termStartedAt ?? facts.contractStart,
      ...(facts.seatsPurchased !== undefined ? { seatsPurchased: facts.seatsPurchased } : {}),
      ...(facts.seatsUsed !== undefined ? { seatsUsed: facts.seatsUsed } : {}),
      ...(facts.activeUsers !== undefined ? { activeUsers: facts.activeUsers } : {}),
      ...(facts.lastLoginAt !== undefined ? { lastLoginAt: facts.lastLoginAt } : {}),
      payment: facts.payment,
      ...(sentiment ? { csmSentiment: { score: sentiment.score, at: sentiment.at, by: clip(sentiment.by, 200) } } : {}),
      surveys: Object.fromEntries(
        (['nps', 'csat', 'ces'] as const).flatMap((kind) => {
          const survey = facts.surveys[kind];
          return survey ? [[kind, { score: survey.score, at: survey.at }]] : [];
        }),
      ),
      openTickets: tickets.length,
      openHighSeverityTickets: tickets.filter((t) => isHighSeverity(t.severity)).length,
      keyFeaturesUsed: clipAll(
        facts.keyFeaturesUsed.filter((f) => !keyFeatures || keyFeatures.has(f)),
        VIEW_LIMITS.features,
        200,
      ),
      milestones: Object.entries(facts.milestones)
        .sort(([a, atA], [b, atB]) => atA.localeCompare(atB) || a.localeCompare(b))
        .slice(0, VIEW_LIMITS.milestones)
        .map(([id, at]) => ({ id: clip(id, 200), at })),
      stakeholders: stakeholders
        .slice(0, VIEW_LIMITS.stakeholders)
        .map((s) => ({ id: clip(s.id, 500), name: clip(s.name, 200), role: clip(s.role, 200), engaged: s.engaged, since: s.addedAt })),
      ...(facts.championLeftAt ? { championLeftAt: facts.championLeftAt } : {}),
      successCriteria: clipAll(facts.successCriteria, VIEW_LIMITS.lines, 500),
      goals: clipAll(facts.goals, VIEW_LIMITS.lines, 500),
    },
    stage: state.stage,
    ...(stageOwner ? { stageOwner: clip(stageOwner, 200) } : {}),
    stageEnteredAt: state.stageEnteredAt,
    daysInStage: Math.max(0, Math.floor((Date.parse(now) - Date.parse(state.stageEnteredAt)) / DAY_MS)),
    sla: state.sla,
    ...(state.onboardingCompletedAt ? { onboardingCompletedAt: state.onboardingCompletedAt } : {}),
    exit: {
      ready: state.exit.ready,
      required: state.exit.required.slice(0, VIEW_LIMITS.lines).map(achievement),
      optional: state.exit.optional.slice(0, VIEW_LIMITS.lines).map(achievement),
      minOptional: state.exit.minOptional,
    },
    health: health && {
      score: health.score,
      band: health.band,
      model: clip(health.model, 200),
      definitionVersion: clip(health.definitionVersion, 200),
      at: health.at,
      trend: health.trend,
      ...(health.knownWeight !== undefined ? { knownWeight: health.knownWeight } : {}),
      ...(health.weightedScore !== undefined ? { weightedScore: health.weightedScore } : {}),
      dimensions: health.dimensions.slice(0, VIEW_LIMITS.dimensions).map((d) => ({
        id: clip(d.id, 200),
        label: clip(d.label, 500),
        score: d.score,
        effectiveWeight: d.effectiveWeight,
        inputs: d.inputs
          .slice(0, VIEW_LIMITS.inputs)
          .map((i) => ({ metric: clip(i.metric, 200), value: i.value, score: i.score, effectiveWeight: i.effectiveWeight, points: i.points })),
      })),
      missing: clipAll(health.missing, VIEW_LIMITS.missing, 200),
      conditions: (health.conditions ?? []).slice(0, VIEW_LIMITS.conditions).map((c) => ({
        id: clip(c.id, 200),
        label: clip(c.label, 500),
        ...(c.cap ? { cap: c.cap } : {}),
        ...(c.subtract !== undefined ? { subtract: c.subtract } : {}),
      })),
    },
    healthHistory: dailyScores(state.healthHistory),
    timeline: state.timeline.slice(-VIEW_LIMITS.timeline).map(timelineEntry),
    upcomingTimers: upcomingTimers.slice(0, VIEW_LIMITS.upcomingTimers).map((t) => ({
      id: clip(t.id, 500),
      kind: t.kind,
      at: t.at,
      label: clip(t.label, 500),
      ...(t.ref ? { ref: clip(t.ref, 200) } : {}),
    })),
    plays: {
      running: (plays?.active ?? [])
        .slice(0, VIEW_LIMITS.playsRunning)
        .map((run) => ({ runId: clip(run.runId, 500), playId: clip(run.playId, 200), label: playLabel(run.playId), startedAt: run.startedAt })),
      finished: Object.entries(plays?.history ?? {})
        .flatMap(([playId, h]) =>
          h.lastOutcome ? [{ playId: clip(playId, 200), label: playLabel(playId), runs: h.total, lastOutcome: clip(h.lastOutcome, 200) }] : [],
        )
        .slice(0, VIEW_LIMITS.playsFinished),
    },
    definitionVersion: clip(state.definitionVersion, 200),
  };
}

function achievement(a: LifecycleState['exit']['required'][number]): CustomerView['exit']['required'][number] {
  return { id: clip(a.id, 500), label: clip(a.label, 500), met: a.met, ...(a.late ? { late: true } : {}) };
}
