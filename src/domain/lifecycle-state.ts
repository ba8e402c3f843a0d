/**
 * A customer's lifecycle state and the pure steps that change it: accept an event (once per id),
 * fire a timer, re-evaluate health and stage. The workflow is a thin loop around these; everything
 * here is deterministic given its inputs (time is passed in), so it runs unchanged in the workflow
 * sandbox and in plain unit tests.
 *
 * Every change appends a timeline entry naming its cause (event id, timer id, rule id, override)
 * and the definition version, numbered by a per-customer sequence that also keys the database
 * write, so a retried or replayed activity never records an entry twice.
 */
import type { TCsmSentiment, TCustomerEvent, TCustomerHandoff, TStageOverride } from './customer-events';
import { storableText } from './bounds';
import { applyEvent, factsFromHandoff, type ApplyOptions, type CustomerFacts } from './customer-facts';
import { computeHealth, healthTrend, type HealthResult, type HealthTrend } from './health';
import { isScoredBand, type THealthBand, type TStageId } from './conditions';
import { stageOf } from './definition-lookups';
import type { TLifecycleDefinition } from './lifecycle-definition';
import { computeMetrics, metricsSampler, type Metrics } from './metrics';
import { exitProgress, healthModelFor, moveBackRule, nextStage, segmentFor, slaStatus, type ExitProgress, type SlaStatus } from './stage-rules';
import { planTimers, renewalRungId, type PlannedTimer } from './timer-plan';
import { emptyPlayState, type PlayState } from '../plays/state';
import type { PlayOccurrence } from '../plays/triggers';
import type { PlayObservation } from '../plays/observations';
import { endPlayRun, planPlayRuns, type PlayStart } from '../plays/runs';
import type { Cause, NewTimelineEntry, TimelineEntry } from './timeline';
import { instantOf } from './instants';

// The timeline's types live in ./timeline (so src/plays can use them without importing this module);
// they are this state's vocabulary, so its users keep naming them from here.
export type { Cause, TimelineEntry, TimelineKind } from './timeline';

export interface HealthSnapshot extends HealthResult {
  at: string;
  trend: HealthTrend;
}

export interface LifecycleState {
  handoff: TCustomerHandoff;
  facts: CustomerFacts;
  segment: string;
  stage: TStageId;
  stageEnteredAt: string;
  onboardingCompletedAt?: string;
  sla: SlaStatus;
  exit: ExitProgress;
  health: HealthSnapshot | null;
  /** Scores over the last 90 days, for the trend. */
  healthHistory: { at: string; score: number }[];
  /** The most recent entries only; the full timeline is in the database. */
  timeline: TimelineEntry[];
  nextSeq: number;
  firedTimers: Record<string, string>;
  /** Event id -> when it was accepted; forgotten after the definition's dedup window. */
  seenEventIds: Record<string, string>;
  definitionVersion: string;
  /** Plays: runs in progress, caps history, condition edges. Absent in state carried by older runs. */
  plays?: PlayState;
  /**
   * Set once the workflow runs the seed-held rules (`seed-rules-v1`): renewal rungs once per contract
   * term, a met exit never behind, no SLA timers once the exit is met. Absent in histories recorded
   * before, which replay as they ran.
   */
  seedRules?: boolean;
  /**
   * Set once the workflow runs the lean step (`lean-step-v1`, see `lifecycle-step.ts`): no daily
   * health tick (it wakes when an outcome can change), and health snapshots written on a band
   * change, a score move of `healthSnapshotMinPoints`, or at most once a day otherwise.
   */
  leanStep?: boolean;
  /** The last health snapshot written (lean step only), for the snapshot rule above. */
  lastSnapshot?: { at: string; score: number | null; band: THealthBand | null };
}

/** A health snapshot row is written when the score moved at least this much (unless the definition says otherwise). */
export const DEFAULT_SNAPSHOT_MIN_POINTS = 5;

const RECENT_TIMELINE = 100;
const HEALTH_HISTORY_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What one evaluation produced, to be written to the database. */
export interface Changes {
  entries: TimelineEntry[];
  stageMoves: { seq: number; from: TStageId; to: TStageId; at: string; cause: Cause; reason: string }[];
  healthSnapshot?: HealthSnapshot;
  /** What happened, for play triggers; stays in the workflow (not written as such). */
  occurrences: PlayOccurrence[];
}

export const emptyChanges = (): Changes => ({ entries: [], stageMoves: [], occurrences: [] });

/**
 * Rules as they were before a fix, for histories recorded under them: the workflow sets these from
 * a patch marker, so a saved history replays the commands it was written with. Unset is today's rule.
 */
export interface LegacyRules {
  /** The handoff's named stakeholders counted as engaged. */
  handoffStakeholdersEngaged?: boolean;
  /** A switch of health model (onboarding -> default) counted as a band change for plays. */
  modelSwitchIsBandChange?: boolean;
}

export function initialState(handoff: TCustomerHandoff, definition: TLifecycleDefinition, now: string, legacy: LegacyRules = {}): LifecycleState {
  const facts = factsFromHandoff(handoff, now, { stakeholdersEngaged: legacy.handoffStakeholdersEngaged });
  const state: LifecycleState = {
    handoff,
    facts,
    segment: segmentFor(definition, facts).id,
    stage: 'onboarding',
    stageEnteredAt: now,
    sla: 'on_track',
    exit: { required: [], optional: [], minOptional: 0, ready: false },
    health: null,
    healthHistory: [],
    timeline: [],
    nextSeq: 1,
    firedTimers: {},
    seenEventIds: {},
    definitionVersion: definition.version,
    plays: emptyPlayState(),
  };
  return state;
}

function append(state: LifecycleState, changes: Changes, entry: NewTimelineEntry): TimelineEntry {
  const full: TimelineEntry = { ...entry, seq: state.nextSeq++, definitionVersion: state.definitionVersion };
  state.timeline.push(full);
  if (state.timeline.length > RECENT_TIMELINE) state.timeline.splice(0, state.timeline.length - RECENT_TIMELINE);
  changes.entries.push(full);
  return full;
}

/**
 * A roll-out moved the customer onto `to` (the definition the caller now judges it by): the entry
 * names both versions and the roll-out, and is the cause of the re-evaluation that follows.
 */
export function adoptDefinitionVersion(state: LifecycleState, adoption: { to: string; rolloutId: string; by: string }, now: string, changes: Changes): Cause {
  const from = state.definitionVersion;
  const cause: Cause = { type: 'rollout', id: adoption.rolloutId, from, to: adoption.to, by: adoption.by };
  state.definitionVersion = adoption.to;
  append(state, changes, {
    at: now,
    kind: 'definition',
    summary: `lifecycle definition ${from} -> ${adoption.to} (roll-out ${adoption.rolloutId} by ${adoption.by})`,
    cause,
    detail: { from, to: adoption.to, rolloutId: adoption.rolloutId },
  });
  return cause;
}

export function recordHandoff(state: LifecycleState, now: string, changes: Changes): void {
  append(state, changes, {
    at: now,
    kind: 'handoff',
    summary: `sales handoff: ${state.handoff.name}, ARR ${state.handoff.arr}, CSM ${state.handoff.csmOwner}`,
    cause: { type: 'handoff' },
  });
  changes.occurrences.push({ kind: 'handoff' });
}

/** True when the event is new (and remembers its id); false for a repeat, which changes nothing. */
export function acceptEventId(state: LifecycleState, eventId: string, now: string): boolean {
  if (state.seenEventIds[eventId] !== undefined) return false;
  state.seenEventIds[eventId] = now;
  noteHeld(state.seenEventIds, eventId, now);
  return true;
}

export function applyCustomerEvent(state: LifecycleState, event: TCustomerEvent, changes: Changes, options: ApplyOptions = {}): void {
  changes.occurrences.push({ kind: 'event', event });
  const described = applyEvent(state.facts, event, options);
  if (described.length === 0) return;
  append(state, changes, {
    at: event.occurredAt,
    kind: 'event',
    summary: described.join('; '),
    cause: { type: 'event', id: event.id, eventType: event.type },
    detail: { eventType: event.type },
  });
}

/**
 * A message the workflow refused (it failed validation): recorded in the timeline with the reason,
 * so whoever sent it can see why nothing happened, and the customer goes on.
 */
export function recordRejection(state: LifecycleState, rejection: { id?: string; what: string; reason: string }, now: string, changes: Changes): void {
  append(state, changes, {
    at: now,
    kind: 'rejected',
    summary: storableText(`${rejection.what} rejected: ${rejection.reason}`, 1_000),
    cause: rejection.id ? { type: 'event', id: rejection.id, eventType: 'rejected' } : { type: 'rule', id: 'validation' },
    detail: { rejected: rejection.what },
  });
}

export function fireTimer(state: LifecycleState, timer: PlannedTimer, now: string, changes: Changes): void {
  state.firedTimers[timer.id] = now;
  noteHeld(state.firedTimers, timer.id, now);
  if (timer.kind === 'health_tick') return; // recomputing is the whole point; no timeline noise
  changes.occurrences.push({ kind: 'timer', timer });
  append(state, changes, {
    at: now,
    kind: 'timer',
    summary: timer.label,
    cause: { type: 'timer', id: timer.id },
    detail: { timerKind: timer.kind },
  });
}

export function recordSentiment(state: LifecycleState, sentiment: TCsmSentiment, now: string, changes: Changes): void {
  state.facts.csmSentiment = { score: sentiment.score, at: now, by: sentiment.by };
  append(state, changes, {
    at: now,
    kind: 'sentiment',
    summary: `CSM sentiment ${sentiment.score}/5${sentiment.note ? `: ${sentiment.note}` : ''}`,
    cause: { type: 'update', by: sentiment.by },
  });
}

export function overrideStage(state: LifecycleState, override: TStageOverride, now: string, changes: Changes): void {
  if (override.stage === state.stage) return;
  moveStage(state, override.stage, now, { type: 'override', by: override.by }, `override: ${override.reason}`, changes);
}

function moveStage(state: LifecycleState, to: TStageId, now: string, cause: Cause, reason: string, changes: Changes): void {
  const from = state.stage;
  state.stage = to;
  state.stageEnteredAt = now;
  state.sla = 'on_track';
  if (from === 'onboarding' && !state.onboardingCompletedAt && to !== 'onboarding') state.onboardingCompletedAt = now;
  const entry = append(state, changes, {
    at: now,
    kind: 'stage',
    summary: `${from} -> ${to}: ${reason}`,
    cause,
    detail: { from, to },
  });
  changes.stageMoves.push({ seq: entry.seq, from, to, at: now, cause, reason });
  changes.occurrences.push({ kind: 'stage', from, to });
}

/** The metrics at `now`; with `health`, its score and active hard conditions too (for conditions). */
export function metricsFor(state: LifecycleState, definition: TLifecycleDefinition, now: string, health?: HealthResult | null): Metrics {
  return computeMetrics(state.facts, {
    now,
    stageEnteredAt: state.stageEnteredAt,
    keyFeatures: definition.keyFeatures,
    outcomeMilestones: definition.outcomeMilestones,
    healthScore: health?.score ?? undefined,
    hardConditionsActive: health?.conditions?.length,
  });
}

/** `metricsFor` at one instant, for a judgement in which the facts stay as they are (see `metricsReader`). */
export type MetricsReader = (health?: HealthResult | null) => Metrics;

/**
 * `metricsFor(state, definition, now, health)` for one evaluation and the play decisions after it,
 * during which nothing changes the facts: what does not depend on the time or the score is worked
 * out once (again after a stage move, which changes the stage entry), not at each of the three or
 * more times the metrics are read.
 */
export function metricsReader(state: LifecycleState, definition: TLifecycleDefinition, now: string): MetricsReader {
  let sample: ReturnType<typeof metricsSampler> | undefined;
  let sampledEntry: string | undefined;
  return (health) => {
    if (!sample || sampledEntry !== state.stageEnteredAt) {
      sampledEntry = state.stageEnteredAt;
      sample = metricsSampler(state.facts, {
        stageEnteredAt: sampledEntry,
        keyFeatures: definition.keyFeatures,
        outcomeMilestones: definition.outcomeMilestones,
      });
    }
    return sample(now, { healthScore: health?.score ?? undefined, hardConditionsActive: health?.conditions?.length });
  };
}

/** The band as band-change plays see it: insufficient_data is no band yet, not a health change. */
const scoredBand = (band: THealthBand | null | undefined) => (isScoredBand(band) ? band : null);
const bandWords = (band: THealthBand | null) => (band === null ? 'no data' : band.replace('_', ' '));
const conditionIds = (health: HealthResult | null) => (health?.conditions ?? []).map((c) => c.id).join(',');

/**
 * Recomputes health, then moves the customer forward while the stage's exit criteria are met, or
 * back when a move-back rule holds, and updates the SLA status. `cause` is what prompted it; a
 * forward move names what made that stage's exit ready when `causes` tracked it (see `CauseTracker`).
 */
export function evaluate(
  state: LifecycleState,
  definition: TLifecycleDefinition,
  now: string,
  cause: Cause,
  changes: Changes,
  causes?: CauseTracker,
  legacy: LegacyRules = {},
  metricsNow: MetricsReader = metricsReader(state, definition, now),
): void {
  state.definitionVersion = definition.version;
  const segment = segmentFor(definition, state.facts);
  state.segment = segment.id;

  const refreshHealth = () => {
    const model = healthModelFor(definition, stageOf(definition, state.stage), segment);
    const result = computeHealth(model, metricsNow(), definition.version, { facts: state.facts });
    const previous = state.health;
    const ordered = isOldestFirst(state.healthHistory);
    const trend = result.score === null ? 'flat' : healthTrend(state.healthHistory, result.score, now, model, ordered);
    state.health = { ...result, at: now, trend };
    if (result.score !== null) {
      const last = state.healthHistory[state.healthHistory.length - 1];
      state.healthHistory.push({ at: now, score: result.score });
      if (ordered && last && !(instantOf(now) >= instantOf(last.at))) oldestFirst.delete(state.healthHistory);
      state.healthHistory = withoutBefore(state.healthHistory, Date.parse(now) - HEALTH_HISTORY_DAYS * DAY_MS);
    }
    // Moving to another model (onboarding -> default on first value) re-judges the same customer by
    // other weights: the timeline shows both scores, and no band play fires for it.
    const switched = previous !== null && previous.model !== result.model && !legacy.modelSwitchIsBandChange;
    if (switched) {
      changes.healthSnapshot = state.health;
      if (state.leanStep) state.lastSnapshot = { at: now, score: result.score, band: result.band };
      append(state, changes, {
        at: now,
        kind: 'health',
        summary:
          `health model ${previous.model} -> ${result.model}: ${previous.score ?? '—'} (${bandWords(previous.band)}) under ${previous.model}, ` +
          `${result.score ?? '—'} (${bandWords(result.band)}) under ${result.model}; a new yardstick, not a change in the customer`,
        cause,
        detail: {
          score: result.score,
          band: result.band,
          model: result.model,
          fromModel: previous.model,
          fromScore: previous.score,
          fromBand: previous.band,
          modelSwitch: true,
        },
      });
      return;
    }
    if (legacy.modelSwitchIsBandChange ? (previous?.band ?? null) !== result.band : scoredBand(previous?.band) !== scoredBand(result.band)) {
      const from = legacy.modelSwitchIsBandChange ? (previous?.band ?? null) : scoredBand(previous?.band);
      const to = legacy.modelSwitchIsBandChange ? result.band : scoredBand(result.band);
      changes.occurrences.push({ kind: 'band', from, to });
    }
    const conditionsChanged = conditionIds(previous) !== conditionIds(result);
    const changed = previous?.score !== result.score || previous?.band !== result.band || conditionsChanged;
    if (changed) {
      if (!state.leanStep) changes.healthSnapshot = state.health;
      else if (snapshotDue(state.lastSnapshot, result, conditionsChanged, now, definition)) {
        changes.healthSnapshot = state.health;
        state.lastSnapshot = { at: now, score: result.score, band: result.band };
      }
      if (previous?.band !== result.band || conditionsChanged || Math.abs((previous?.score ?? 0) - (result.score ?? 0)) >= 5) {
        const named = (result.conditions ?? []).map((c) => c.label);
        append(state, changes, {
          at: now,
          kind: 'health',
          summary: `health ${previous?.score ?? '—'} -> ${result.score ?? '—'} (${bandWords(result.band)})` + (named.length ? `: ${named.join('; ')}` : ''),
          cause,
          detail: {
            score: result.score,
            band: result.band,
            model: result.model,
            ...(result.conditions ? { conditions: result.conditions.map((c) => c.id).join(',') } : {}),
          },
        });
      }
    }
  };

  refreshHealth();
  // Forward moves can chain when several stages' criteria are already met; bounded by the stage count.
  for (let step = 0; step < 10; step += 1) {
    const stage = stageOf(definition, state.stage);
    const ctx = {
      facts: state.facts,
      metrics: metricsNow(state.health),
      band: state.health?.band ?? null,
    };
    const back = moveBackRule(stage, ctx);
    if (back) {
      moveStage(state, back.to, now, { type: 'rule', id: `${stage.id}.${back.id}` }, back.reason, changes);
      refreshHealth();
      continue;
    }
    state.exit = exitProgress(stage, ctx);
    const next = nextStage(state.stage);
    if (state.exit.ready && next) {
      const met = state.exit.required.map((a) => a.label).join(', ');
      moveStage(state, next, now, causes?.readiedBy[stage.id] ?? cause, `exit criteria met (${met || 'none required'})`, changes);
      refreshHealth();
      continue;
    }
    break;
  }

  const stage = stageOf(definition, state.stage);
  const sla = slaStatus(stage, (Date.parse(now) - Date.parse(state.stageEnteredAt)) / DAY_MS, {
    daysToRenewal: (Date.parse(state.facts.contractEnd) - Date.parse(now)) / DAY_MS,
    // A met exit (the last stage's goal reached) is never behind: seed-held rules only.
    exitMet: state.seedRules === true && state.exit.ready,
  });
  if (sla !== state.sla) {
    state.sla = sla;
    changes.occurrences.push({ kind: 'sla', stage: stage.id, sla });
    append(state, changes, {
      at: now,
      kind: 'sla',
      summary: `${stage.id} is ${sla.replace('_', ' ')} (${Math.floor((Date.parse(now) - Date.parse(state.stageEnteredAt)) / DAY_MS)} days in stage)`,
      cause,
      detail: { stage: stage.id, sla },
    });
  }
}

/**
 * Health histories known to be oldest first (run-local, not carried). Every evaluation appends a
 * score and drops those older than ninety days; re-filtering and re-searching the whole history
 * each time (hundreds of points) was a tenth of a simulated step, while an ordered history needs
 * only its old end looked at. A history read back from carried state is checked once.
 */
const oldestFirst = new WeakSet<{ at: string; score: number }[]>();

function isOldestFirst(history: { at: string; score: number }[]): boolean {
  if (oldestFirst.has(history)) return true;
  let previous = -Infinity;
  for (const point of history) {
    const at = instantOf(point.at);
    // Also false for a time that does not parse, which the filter below drops.
    if (!(at >= previous)) return false;
    previous = at;
  }
  oldestFirst.add(history);
  return true;
}

/** The points at or after `cutoff`: the same as filtering, and the same array when none is older. */
function withoutBefore(history: { at: string; score: number }[], cutoff: number): { at: string; score: number }[] {
  if (!oldestFirst.has(history)) return history.filter((h) => instantOf(h.at) >= cutoff);
  let first = 0;
  while (first < history.length && instantOf(history[first]!.at) < cutoff) first += 1;
  if (first === 0) return history;
  const kept = history.slice(first);
  oldestFirst.add(kept);
  return kept;
}

/**
 * Lean step: a snapshot row on a band change or a change of hard conditions, on a score move of at
 * least `healthSnapshotMinPoints` since the last row, else at most once a day. The customer row and
 * the timeline carry every change anyway; the snapshots are the history charts are drawn from.
 */
function snapshotDue(
  last: LifecycleState['lastSnapshot'],
  result: HealthResult,
  conditionsChanged: boolean,
  now: string,
  definition: TLifecycleDefinition,
): boolean {
  if (!last || last.band !== result.band || conditionsChanged) return true;
  const minPoints = definition.healthSnapshotMinPoints ?? DEFAULT_SNAPSHOT_MIN_POINTS;
  if (last.score === null || result.score === null || Math.abs(result.score - last.score) >= minPoints) return last.score !== result.score;
  return Date.parse(now) - Date.parse(last.at) >= DAY_MS;
}

/** Timers not yet fired, soonest first. */
export function pendingTimers(state: LifecycleState, definition: TLifecycleDefinition, now: string): PlannedTimer[] {
  return unfiredTimers(state, plannedTimers(state, definition, now));
}

/**
 * What the timer plan depends on besides the facts, the definition and the time: a step that
 * changes none of these (no stage move, no exit newly met) plans the same timers again, so it
 * reuses the first plan (see `lifecycleStep`). Nothing in a step changes the facts after its events.
 */
export const timerPlanBasis = (state: LifecycleState): string =>
  `${state.stage}|${state.stageEnteredAt}|${state.onboardingCompletedAt ?? ''}|${state.exit.ready}|${state.seedRules === true}|${state.leanStep === true}|${state.leanStep ? '' : (state.health?.at ?? '')}`;

/** Every timer that applies now, fired or not (see `pendingTimers`). */
export function plannedTimers(state: LifecycleState, definition: TLifecycleDefinition, now: string): PlannedTimer[] {
  const segment = segmentFor(definition, state.facts);
  const seedRules = state.seedRules ? { term: state.facts.contractTerm ?? 1, exitMet: state.exit.ready } : undefined;
  return planTimers(
    definition,
    {
      facts: state.facts,
      segment,
      stage: stageOf(definition, state.stage),
      stageEnteredAt: state.stageEnteredAt,
      onboardingCompletedAt: state.onboardingCompletedAt,
      lastHealthAt: state.health?.at,
      seedRules,
      lean: state.leanStep === true,
    },
    now,
  );
}

/** The planned timers not yet fired. */
export function unfiredTimers(state: LifecycleState, planned: PlannedTimer[]): PlannedTimer[] {
  const firedRungs = state.seedRules ? rungsFiredThisTerm(state) : undefined;
  return planned.filter((timer) => state.firedTimers[timer.id] === undefined && !(timer.kind === 'renewal' && timer.ref && firedRungs?.has(timer.ref)));
}

/** Old rung ids: `renewal:<rung>:<contract end date>` (before rungs were per term). */
const LEGACY_RUNG_ID = /^renewal:([a-z0-9_]+):\d{4}-\d{2}-\d{2}$/;

/**
 * Rungs fired in the current term under their old per-contract-end ids (state carried from before
 * `seed-rules-v1`): a rung fired since the term began counts as fired, whatever end it was planned
 * against. Linear in the fired timers, which compaction keeps to about a year.
 */
function rungsFiredThisTerm(state: LifecycleState): Set<string> {
  const termStart = Date.parse(state.facts.termStartedAt ?? state.facts.contractStart);
  const fired = new Set<string>();
  for (const id of Object.keys(state.firedTimers)) {
    // Most fired timers are no rung at all: the prefix test spares them the pattern.
    if (!id.startsWith('renewal:')) continue;
    const at = state.firedTimers[id]!;
    const legacy = LEGACY_RUNG_ID.exec(id);
    if (legacy && instantOf(at) >= termStart) fired.add(legacy[1]!);
  }
  return fired;
}

/** The id a rung has now (for tests and the upcoming-timers query). */
export const currentRungId = (state: LifecycleState, stepId: string) =>
  renewalRungId(stepId, { facts: state.facts, seedRules: state.seedRules ? { term: state.facts.contractTerm ?? 1, exitMet: false } : undefined });

// ---------------------------------------------------------------------------------------------
// Causes

/**
 * What made each stage's exit ready within one batch. Events in a batch are applied one after the
 * other; after each, every stage's exit is judged again (facts, metrics and the stage's health score
 * at the batch's time), and the event after which a stage's exit turned ready is that move's cause,
 * not merely the batch's last event. Linear in the batch: a few condition checks per event.
 */
export interface CauseTracker {
  ready: Partial<Record<TStageId, boolean>>;
  readiedBy: Partial<Record<TStageId, Cause>>;
}

function exitsReady(state: LifecycleState, definition: TLifecycleDefinition, now: string): Partial<Record<TStageId, boolean>> {
  const segment = segmentFor(definition, state.facts);
  const base = metricsFor(state, definition, now);
  // Stages judged by the same model share its score, so they share one rule context (read only).
  const byModel = new Map<string, { facts: CustomerFacts; metrics: Metrics; band: THealthBand | null }>();
  const ready: Partial<Record<TStageId, boolean>> = {};
  for (const stage of definition.stages) {
    const model = healthModelFor(definition, stage, segment);
    let ctx = byModel.get(model.id);
    if (!ctx) {
      const result = computeHealth(model, base, definition.version);
      ctx = { facts: state.facts, metrics: { ...base, healthScore: result.score ?? undefined }, band: result.band };
      byModel.set(model.id, ctx);
    }
    ready[stage.id] = exitProgress(stage, ctx).ready;
  }
  return ready;
}

/**
 * Starts tracking a batch: which exits were ready before any of its events. One already ready
 * (time passing, a health change) owes it to what woke the workflow (`wokenBy`), not to an event.
 */
export function trackCauses(state: LifecycleState, definition: TLifecycleDefinition, now: string, wokenBy: Cause): CauseTracker {
  const ready = exitsReady(state, definition, now);
  const readiedBy: CauseTracker['readiedBy'] = {};
  for (const stage of definition.stages) if (ready[stage.id]) readiedBy[stage.id] = wokenBy;
  return { ready, readiedBy };
}

/** After one event (or timer) of the batch: a stage whose exit turned ready names it as the cause. */
export function noteCause(tracker: CauseTracker, state: LifecycleState, definition: TLifecycleDefinition, now: string, cause: Cause): void {
  const ready = exitsReady(state, definition, now);
  for (const stage of definition.stages) {
    if (ready[stage.id] && !tracker.ready[stage.id]) tracker.readiedBy[stage.id] = cause;
  }
  tracker.ready = ready;
}

/**
 * After the batch's last event: its `noteCause`, only where it can change what a move names. A stage
 * whose exit turned ready with that event would name it, and so does a move without a tracked cause
 * (the step's cause is that last event then), so the note matters only for a stage that an earlier
 * event readied and a later one un-readied: it is ready again now, and the last event is its cause.
 * For a batch of one event (a customer's usual activation) it judges nothing.
 */
export function settleCauses(tracker: CauseTracker, state: LifecycleState, definition: TLifecycleDefinition, now: string, lastEvent: Cause): void {
  const mayChange = definition.stages.some((stage) => tracker.readiedBy[stage.id] !== undefined && !tracker.ready[stage.id]);
  if (mayChange) noteCause(tracker, state, definition, now, lastEvent);
}

/** Drops remembered event ids and fired timers too old to matter, so carried state stays bounded. */
export function compact(state: LifecycleState, definition: TLifecycleDefinition, now: string): void {
  dropOlderThan(state.seenEventIds, Date.parse(now) - definition.eventDedupWindowDays * DAY_MS);
  // A fired timer id only matters while its time could still be planned: a year back is plenty.
  dropOlderThan(state.firedTimers, Date.parse(now) - 400 * DAY_MS);
}

/**
 * The times each record of times (remembered event ids, fired timers) holds, oldest first, kept up
 * by the records' only writers (`acceptEventId`, `fireTimer`). Compaction runs at every step, and
 * scanning a month of event ids each time to drop one was a twentieth of a simulated step: with the
 * index it drops from the oldest end and stops at the first time inside the cutoff. Run-local (a
 * WeakMap on the record, not in the carried state): a record read back from carried state, or one
 * written out of time order, is indexed afresh by its next compaction. Drops exactly what a scan
 * would, so the carried state is the same either way.
 */
interface HeldIndex {
  times: number[];
  ids: string[];
  /** Entries before it were dropped (or found rewritten) already. */
  head: number;
}
const heldIndex = new WeakMap<Record<string, string>, HeldIndex>();

function noteHeld(record: Record<string, string>, id: string, at: string): void {
  const index = heldIndex.get(record);
  if (!index) return;
  const time = instantOf(at);
  const last = index.times.length > index.head ? index.times[index.times.length - 1]! : -Infinity;
  // Out of order (or no date): index afresh at the next compaction.
  if (!(time >= last)) heldIndex.delete(record);
  else {
    index.times.push(time);
    index.ids.push(id);
  }
}

function dropOlderThan(record: Record<string, string>, cutoff: number): void {
  let index = heldIndex.get(record);
  if (!index) {
    const held = Object.keys(record).map((id) => ({ id, time: instantOf(record[id]!) }));
    if (held.some((h) => Number.isNaN(h.time))) {
      // A time that does not parse is kept, as before; such a record is scanned at every compaction.
      for (const { id, time } of held) if (time < cutoff) delete record[id];
      return;
    }
    held.sort((a, b) => a.time - b.time);
    index = { times: held.map((h) => h.time), ids: held.map((h) => h.id), head: 0 };
    heldIndex.set(record, index);
  }
  while (index.head < index.times.length && index.times[index.head]! < cutoff) {
    const id = index.ids[index.head]!;
    const at = record[id];
    if (at !== undefined && instantOf(at) === index.times[index.head]) delete record[id];
    index.head += 1;
  }
  if (index.head > 1_024 && index.head * 2 > index.times.length) {
    index.times = index.times.slice(index.head);
    index.ids = index.ids.slice(index.head);
    index.head = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Plays (decided in src/plays/runs.ts; here their timeline entries are appended, in order)

/**
 * After an evaluation: which plays start (recorded in the timeline with why, or why not), and what
 * each running play should be told (a milestone it waits for, its goal reached). Mutates the play
 * state; the workflow then starts the runs and delivers the observations.
 */
export function planPlays(
  state: LifecycleState,
  definition: TLifecycleDefinition,
  workflowId: string,
  now: string,
  cause: Cause,
  changes: Changes,
  metricsNow: MetricsReader = metricsReader(state, definition, now),
  options: { exactCapDays?: boolean } = {},
): { starts: PlayStart[]; observations: { runId: string; observation: PlayObservation }[] } {
  const plan = planPlayRuns(
    {
      plays: (state.plays ??= emptyPlayState()),
      ctx: { facts: state.facts, metrics: metricsNow(state.health), band: state.health?.band ?? null, stage: state.stage },
      customer: {
        facts: state.facts,
        segment: state.segment,
        stage: state.stage,
        health: state.health,
        timezone: state.handoff.timezone,
        objections: state.handoff.objections,
        competitors: state.handoff.competitors,
      },
      occurrences: changes.occurrences,
      edgesWhileEligible: state.leanStep === true,
      exactCapDays: options.exactCapDays,
    },
    definition,
    workflowId,
    now,
    cause,
  );
  for (const entry of plan.entries) append(state, changes, entry);
  return { starts: plan.starts, observations: plan.observations };
}

/** A play run reported its end: it is no longer running, and the timeline says how it went. */
export function finishPlayRun(
  state: LifecycleState,
  finished: { runId: string; playId: string; outcome: string; at: string },
  now: string,
  changes: Changes,
): void {
  const entry = endPlayRun((state.plays ??= emptyPlayState()), finished, now);
  if (entry) append(state, changes, entry); // a repeated report changes nothing
}
