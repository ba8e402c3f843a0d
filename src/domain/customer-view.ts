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
import type { TLifecycleDefinition } from './lifecycle-definition';
import type { CustomerTimelineEntryView, CustomerView } from './customer-view-schema';

export type { CustomerTimelineEntryView, CustomerView } from './customer-view-schema';
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
