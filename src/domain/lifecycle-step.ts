/**
 * One workflow activation's whole decision, as one pure function. Given the customer's working
 * state, the definition, what arrived (raw event payloads, play reports, CS updates) and the time,
 * `lifecycleStep` applies what is new, re-judges health, stage and SLA, decides plays, and returns
 * the effects for the workflow to carry out: the database write (only new timeline entries and
 * changed fields), the search attributes and current details that changed, the play runs to start
 * or tell, and when to wake next (the next timer, or the first health check at which a rule's
 * outcome can change; see `next-change.ts`). The workflow only collects inputs, calls this, carries
 * out the effects and sleeps; simulations and backtests call the same function with simulated time.
 *
 * The state is taken over and updated in place (the caller owns it; copying a customer's state on
 * every activation would cost more than everything else the step does). Sandbox-safe.
 */
import type { TCsmSentiment, TCustomerEvent, TStageOverride } from './customer-events';
import { customerDetailsMarkdown } from './customer-summary';
import { customerView } from './customer-view';
import { admitEvent, MAX_EVENTS_PER_SIGNAL, type Admit } from './event-admission';
import type { TLifecycleDefinition } from './lifecycle-definition';
import {
  acceptEventId,
  adoptDefinitionVersion,
  applyCustomerEvent,
  compact,
  emptyChanges,
  evaluate,
  finishPlayRun,
  fireTimer,
  metricsReader,
  noteCause,
  overrideStage,
  planPlays,
  plannedTimers,
  recordHandoff,
  recordRejection,
  recordSentiment,
  settleCauses,
  timerPlanBasis,
  trackCauses,
  unfiredTimers,
  type Cause,
  type Changes,
  type LifecycleState,
} from './lifecycle-state';
import type { PlayStart } from '../plays/runs';
import { nextHealthCheck } from './next-change';
import type { PlayObservation } from '../plays/observations';
import { ZPlayFinished } from '../plays/interpreter';
import { arrOfRecord, impliesReadModelRows, readModelEvent, type ReadModelEvent } from './read-model-rows';

/**
 * A CS update the workflow accepted (already validated by the update's validator). `definition`:
 * a roll-out's; the workflow hands the step the adopted definition from this step on.
 */
export type StepUpdate =
  | { kind: 'override'; override: TStageOverride }
  | { kind: 'sentiment'; sentiment: TCsmSentiment }
  | { kind: 'definition'; version: string; rolloutId: string; by: string };

export interface StepInput {
  now: string;
  /** Raw payloads as signalled since the last step, in arrival order; validated here. */
  arrivals: unknown[];
  /** Events beyond a signal's cap, dropped by the handler (recorded as a rejection). */
  droppedArrivals: number;
  /** Play runs' end reports (raw: only our own play runs send them, still validated). */
  finishedPlays: unknown[];
  updates: StepUpdate[];
  /** The planned wake-up came due (a timer or a health check), not only a message. */
  timeReached: boolean;
  /** A new customer's first step: records the sales handoff. */
  handoff?: boolean;
  /** Changes made by the older loop before this run switched to the step (see the workflow). */
  pending?: { changes: Changes; cause?: Cause };
}

export interface StepContext {
  workflowId: string;
  /**
   * What the caller reads of the step's effects. `all` (the default, the workflow): the search
   * attributes and the current details too. `outcomes` (a simulation): neither is built, and the
   * result carries none (`published` keeps the caller's); rendering the details was a sixth of a
   * simulated step. State, write, plays and wake-up are the same either way.
   */
  effects?: 'all' | 'outcomes';
  /**
   * The caller runs the step again at this instant whatever the wake-up says (a simulation knows
   * when its next event arrives). A health check after it need not be searched for: it would be
   * planned afresh then. A wake-up at or before it is the one the workflow would plan; one after
   * it may differ. The workflow never sets it (it cannot know its next signal).
   */
  nextStepBy?: string;
  /**
   * True when the step at `nextStepBy` evaluates whatever happens (it brings an event not seen
   * yet), so a health check at that very instant would change nothing there: none is searched for.
   * A customer whose usage comes daily at one hour has one check before its next event, at that
   * event. Asked after this step's events are remembered, just before the search.
   */
  nextStepEvaluates?: (state: LifecycleState) => boolean;
  /** How arrivals are checked: `admitEvent` unless given (a backtest shares one memo across its simulations). */
  admit?: Admit;
  /**
   * The write carries the read-model rows of the events applied (`readModel`): the workflow writes
   * them (`workflow-read-model-v1`); before that patch the API did. Simulations leave it off.
   */
  readModelWrites?: boolean;
  /**
   * Play caps counted to the millisecond, not by calendar day (`capBlocks`): steps of a customer
   * recorded before `play-cap-dates-v1` replay so. Simulations and new steps leave it off.
   */
  exactCapDays?: boolean;
}

/** The customer's row in PostgreSQL as the workflow owns it. */
export interface CustomerRow {
  name: string;
  segment: string;
  arr: number;
  csmOwner: string;
  contractStart: string;
  contractEnd: string;
  contractStatus: string;
  stage: string;
  healthScore: number | null;
  healthBand: string | null;
}

/** What `recordLifecycleChanges` writes from a step: new rows only, and the row fields that changed. */
export interface LifecycleWrite extends Omit<Changes, 'occurrences'> {
  writeVersion: 2;
  workflowId: string;
  customerId: string;
  definitionVersion: string;
  /** The row fields that changed since this run's last write; every field on a run's first write. */
  row?: Partial<CustomerRow>;
  /** `row` holds every field (the row may not exist yet). */
  rowComplete?: boolean;
  /** The survey, stakeholder and contract events applied, in order, with their ARR movements. */
  readModel?: ReadModelEvent[];
}

/** Search attribute values by key name (see `search-attributes.ts`); dates as ISO strings. */
export interface SearchAttributeValues {
  CustomerId: string;
  Stage: string;
  Segment: string;
  CsmOwner: string;
  RenewalDate: string;
  Arr: number;
  LifecycleVersion: string;
  HealthScore?: number;
  HealthBand?: string;
}

/** What this run has written and shown so far, so a step emits only what changed (run-local). */
export interface Published {
  row?: CustomerRow;
  searchAttributes: Partial<SearchAttributeValues>;
  details?: string;
}

export const nothingPublished = (): Published => ({ searchAttributes: {} });

export interface PlayActions {
  starts: PlayStart[];
  observations: { runId: string; observation: PlayObservation }[];
}

export interface StepResult {
  write?: LifecycleWrite;
  plays: PlayActions;
  /** Only the search attributes whose value changed. */
  searchAttributes: Partial<SearchAttributeValues>;
  /** The current details' markdown, when it changed. */
  details?: string;
  published: Published;
  /** When to wake without a message; undefined: only a message wakes the customer. */
  wake?: { at: string; label: string };
  /** False when the step judged nothing (only repeats arrived). */
  evaluated: boolean;
}

export function lifecycleStep(
  state: LifecycleState,
  definition: TLifecycleDefinition,
  input: StepInput,
  published: Published,
  context: StepContext,
): StepResult {
  const { now } = input;
  // Every rule fixed since these flags were introduced applies to a customer on the step.
  state.leanStep = true;
  state.seedRules = true;
  const changes = input.pending?.changes ?? emptyChanges();
  let cause: Cause = input.pending?.cause ?? { type: 'rule', id: 'health_check' };
  let prompted = input.pending !== undefined && (input.pending.cause !== undefined || input.pending.changes.entries.length > 0);

  if (input.handoff) {
    recordHandoff(state, now, changes);
    cause = { type: 'handoff' };
    prompted = true;
  }
  for (const update of input.updates) {
    if (update.kind === 'override') {
      overrideStage(state, update.override, now, changes);
      cause = { type: 'override', by: update.override.by };
    } else if (update.kind === 'definition') {
      cause = adoptDefinitionVersion(state, { to: definition.version, rolloutId: update.rolloutId, by: update.by }, now, changes);
    } else {
      recordSentiment(state, update.sentiment, now, changes);
      cause = { type: 'update', by: update.sentiment.by };
    }
    prompted = true;
  }

  // What made each stage's exit ready, event by event (see `CauseTracker`).
  const causes = input.handoff ? undefined : trackCauses(state, definition, now, cause);
  // Anything this step brought that could change the customer; a batch of repeats brings nothing.
  let news = 0;
  if (input.droppedArrivals > 0) {
    recordRejection(state, { what: `${input.droppedArrivals} event(s)`, reason: `more than ${MAX_EVENTS_PER_SIGNAL} in one signal` }, now, changes);
    news += 1;
  }
  // The exits after an event are judged when the next one comes (nothing else in between changes
  // what they read), and after the last one only when that can change a cause: see `settleCauses`.
  let unnoted: Cause | undefined;
  const admit = context.admit ?? admitEvent;
  const readModel: ReadModelEvent[] | undefined = context.readModelWrites ? [] : undefined;
  for (const raw of input.arrivals) {
    const admission = admit(raw, state.facts.contractStart);
    if (!admission.ok) {
      recordRejection(state, admission, now, changes);
      news += 1;
      continue;
    }
    const event: TCustomerEvent = admission.event;
    if (!acceptEventId(state, event.id, now)) continue;
    if (causes && unnoted) noteCause(causes, state, definition, now, unnoted);
    const arrBefore = arrOfRecord(state.facts);
    applyCustomerEvent(state, event, changes, { now, engagementNeedsEvidence: true });
    if (readModel && impliesReadModelRows(event)) readModel.push(readModelEvent(event, arrBefore));
    cause = { type: 'event', id: event.id, eventType: event.type };
    unnoted = cause;
    news += 1;
  }
  if (causes && unnoted) settleCauses(causes, state, definition, now, unnoted);
  const planned = plannedTimers(state, definition, now);
  const plannedFor = timerPlanBasis(state);
  for (const timer of unfiredTimers(state, planned).filter((t) => t.at <= now)) {
    fireTimer(state, timer, now, changes);
    news += 1;
    if (cause.type !== 'event') cause = { type: 'timer', id: timer.id };
  }
  for (const report of input.finishedPlays) {
    const finished = ZPlayFinished.safeParse(report);
    if (!finished.success) continue; // not from one of our play runs: nothing to apply
    finishPlayRun(state, finished.data, now, changes);
    news += 1;
  }

  const evaluated = input.handoff === true || news > 0 || prompted || input.timeReached;
  let plays: PlayActions = { starts: [], observations: [] };
  if (evaluated) {
    // The facts stay as they are from here on: evaluation and play decisions share their metrics.
    const metricsNow = metricsReader(state, definition, now);
    evaluate(state, definition, now, cause, changes, causes, {}, metricsNow);
    plays = planPlays(state, definition, context.workflowId, now, cause, changes, metricsNow, { exactCapDays: context.exactCapDays });
  }
  // Remembered event ids and fired timers older than they can matter: the carried state stays
  // bounded even though a lean customer rarely continues as new.
  compact(state, definition, now);

  const row = customerRow(state);
  const rowChanges = changedFields(published.row, row);
  const hasRows =
    changes.entries.length > 0 || changes.stageMoves.length > 0 || changes.healthSnapshot !== undefined || (readModel !== undefined && readModel.length > 0);
  const write: LifecycleWrite | undefined =
    hasRows || Object.keys(rowChanges).length > 0
      ? {
          writeVersion: 2,
          workflowId: context.workflowId,
          customerId: state.facts.customerId,
          definitionVersion: state.definitionVersion,
          entries: changes.entries,
          stageMoves: changes.stageMoves,
          ...(changes.healthSnapshot ? { healthSnapshot: changes.healthSnapshot } : {}),
          ...(readModel && readModel.length > 0 ? { readModel } : {}),
          ...(Object.keys(rowChanges).length > 0 ? { row: published.row ? rowChanges : row, ...(published.row ? {} : { rowComplete: true }) } : {}),
        }
      : undefined;

  const timers = unfiredTimers(state, timerPlanBasis(state) === plannedFor ? planned : plannedTimers(state, definition, now));
  const nextTimer = timers[0];
  const searchUntil =
    context.nextStepBy !== undefined && (nextTimer === undefined || Date.parse(context.nextStepBy) < Date.parse(nextTimer.at))
      ? context.nextStepBy
      : nextTimer?.at;
  // Just before the next step, when it evaluates anyway (see `nextStepEvaluates`).
  const exclusive = searchUntil !== undefined && searchUntil === context.nextStepBy && context.nextStepEvaluates?.(state) === true;
  const check = nextHealthCheck(state, definition, now, exclusive ? new Date(Date.parse(searchUntil) - 1).toISOString() : searchUntil);
  const wake = check ?? (nextTimer ? { at: nextTimer.at, label: nextTimer.label } : undefined);

  if (context.effects === 'outcomes') {
    return { write, plays, searchAttributes: {}, published: { ...published, row }, wake, evaluated };
  }

  const attributes = searchAttributeValues(state);
  const changedAttributes = changedFields(published.searchAttributes, attributes);
  const pagesUrl = definition.links?.pagesUrl;
  const customerPage = pagesUrl ? `${pagesUrl.replace(/\/$/, '')}/customers/${encodeURIComponent(state.facts.customerId)}` : undefined;
  const details = customerDetailsMarkdown(customerView(state, definition, now, timers), customerPage);

  return {
    write,
    plays,
    searchAttributes: changedAttributes,
    ...(details !== published.details ? { details } : {}),
    published: { row, searchAttributes: { ...published.searchAttributes, ...attributes }, details },
    wake,
    evaluated,
  };
}

export function customerRow(state: LifecycleState): CustomerRow {
  const { facts, health } = state;
  return {
    name: facts.name,
    segment: state.segment,
    arr: facts.arr,
    csmOwner: facts.csmOwner,
    contractStart: facts.contractStart,
    contractEnd: facts.contractEnd,
    contractStatus: facts.contractStatus,
    stage: state.stage,
    healthScore: health?.score ?? null,
    healthBand: health?.band ?? null,
  };
}

export function searchAttributeValues(state: LifecycleState): Partial<SearchAttributeValues> {
  const { facts, health } = state;
  return {
    CustomerId: facts.customerId,
    Stage: state.stage,
    Segment: state.segment,
    CsmOwner: facts.csmOwner,
    RenewalDate: facts.contractEnd,
    Arr: facts.arr,
    LifecycleVersion: state.definitionVersion,
    // Only when known: a band without a score is insufficient_data with nothing known yet, still filterable.
    ...(health?.score != null ? { HealthScore: health.score } : {}),
    ...(health?.band != null ? { HealthBand: health.band } : {}),
  };
}

function changedFields<T extends object>(before: Partial<T> | undefined, after: Partial<T>): Partial<T> {
  const changed: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (before?.[key] !== after[key]) changed[key] = after[key];
  }
  return changed;
}
