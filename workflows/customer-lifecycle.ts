/**
 * One workflow per customer, for the customer's whole life. A thin loop: take events and updates,
 * fire due timers, let the pure rules in `src/domain/lifecycle-state.ts` re-judge health and stage,
 * write what changed to PostgreSQL through an idempotent activity, publish the state to Temporal
 * visibility and the UI, then sleep until the next timer or message. Continues as new when the
 * server suggests it, carrying the state. Deterministic only: every side effect is an activity.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  sleep,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { LifecycleActivities } from '../activities';
import { ZCsmSentiment, ZStageOverride, type TCustomerEvent } from '../src/domain/customer-events';
import { ZAdoptDefinition } from '../src/domain/definition-version';
import type { TLifecycleDefinition } from '../src/domain/lifecycle-definition';
import {
  acceptEventId,
  applyCustomerEvent,
  compact,
  emptyChanges,
  evaluate,
  finishPlayRun,
  fireTimer,
  initialState,
  overrideStage,
  pendingTimers,
  planPlays,
  recordHandoff,
  recordRejection,
  recordSentiment,
  noteCause,
  trackCauses,
  type Cause,
  type Changes,
  type LifecycleState,
} from '../src/domain/lifecycle-state';
import type { PlayObservation } from '../src/plays/observations';
import type { PlayStart } from '../src/plays/runs';
import { admitEvent, MAX_EVENTS_PER_SIGNAL, payloadsOf } from '../src/domain/event-admission';
import type { TPlaySettings } from '../src/plays/definition';
import { customerDetailsMarkdown } from '../src/domain/customer-summary';
import { fromCarried, toCarried } from '../src/domain/carried-state';
import { packWrite } from '../src/domain/packed-write';
import { customerView } from '../src/domain/customer-view';
import {
  ArrKey,
  CsmOwnerKey,
  CustomerIdKey,
  HealthBandKey,
  HealthScoreKey,
  LifecycleVersionKey,
  RenewalDateKey,
  SegmentKey,
  StageKey,
} from '../src/domain/search-attributes';
import {
  CUSTOMER_STARTING,
  customerEventSignal,
  customerEventsSignal,
  getCarriedStateQuery,
  getHealthQuery,
  getStateQuery,
  getTimelineQuery,
  getUpcomingTimersQuery,
  adoptDefinitionUpdate,
  overrideStageUpdate,
  playFinishedSignal,
  playObservationSignal,
  recordCsmSentimentUpdate,
  type CustomerLifecycleInput,
  type PlayFinished,
  ZPlayFinished,
} from './messages';
import { playRunWorkflow } from './play-run';
import type { PlannedTimer } from '../src/domain/timer-plan';
import { lifecycleStep, nothingPublished, type StepContext, type StepInput, type StepResult, type StepUpdate } from '../src/domain/lifecycle-step';

/** Marks histories in which the workflow validates each arrived event itself (see `admitEvent`). */
const VALIDATE_ARRIVALS_PATCH = 'validate-arrivals-v1';
/**
 * Marks histories that run the seed-held rules: renewal rungs once per contract term (ids kept in
 * the state's `seedRules` flag, since queries plan timers too), a met exit never behind, a batch of
 * repeats changing nothing, and a stage move naming the event that made its exit ready.
 */
const SEED_RULES_PATCH = 'seed-rules-v1';
/**
 * Marks histories recorded under the evidence rules for health: handoff and added stakeholders are
 * known, not engaged, until an `engaged` event; a switch of health model fires no band play.
 */
const HEALTH_EVIDENCE_PATCH = 'health-evidence-v1';

/**
 * Marks runs on the lean step (`src/domain/lifecycle-step.ts`): one pure step per activation, no
 * daily health tick (it wakes when a rule's outcome can change), and only what changed written and
 * published. A run recorded before it replays the older loop below; a running customer moves onto
 * the step at its first new iteration, keeping its state.
 */
const LEAN_STEP_PATCH = 'lean-step-v1';

/**
 * Marks runs that ask for their definition by version: a new customer gets the current published
 * version, a continued one the version it carries (pinned until a roll-out moves it). Runs from
 * before took the worker's own definition, and replay so.
 */
const DEFINITION_VERSIONS_PATCH = 'definition-versions-v1';

/**
 * Marks steps whose write carries the read-model rows of the events applied (survey responses,
 * stakeholders, contract terms, ARR movements): the workflow is their only writer. Before it the
 * API wrote them when it recorded each event, and steps replay without them. A new run has it
 * from its start; a running customer takes it at its first new step.
 */
const READ_MODEL_PATCH = 'workflow-read-model-v1';

/**
 * Marks steps whose play caps count calendar days (a 30-day cooldown from 1 March ends on
 * 31 March, whatever the hour; see `capBlocks`). Steps before it counted to the millisecond and
 * replay so. A new run has it from its start; a running customer takes it at its first new step.
 */
const PLAY_CAP_DATES_PATCH = 'play-cap-dates-v1';

const { loadLifecycleDefinition } = proxyLocalActivities<LifecycleActivities>({
  startToCloseTimeout: '10 seconds',
});
const { recordLifecycleChanges } = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const nowIso = () => new Date().toISOString();

export async function customerLifecycleWorkflow(input: CustomerLifecycleInput): Promise<void> {
  const workflowId = workflowInfo().workflowId;
  // Handlers are registered before the first await: a signal or update sent right after the start
  // arrives in the first workflow task, and an update without a handler then is rejected.
  let definition: TLifecycleDefinition | undefined;
  let state: LifecycleState | undefined;
  const ready = () => condition(() => state !== undefined);
  const current = (): LifecycleState => {
    if (!state) throw new Error(CUSTOMER_STARTING);
    return state;
  };
  // Raw payloads as signalled: validated in the main loop (see `admit`), never trusted here.
  const arrivals: unknown[] = [];
  let droppedArrivals = 0;
  const finishedPlays: PlayFinished[] = [];
  let changes: Changes = emptyChanges();
  let dirty = false;
  let pendingCause: Cause | undefined;

  // Handlers only queue: nothing a sender puts in a payload may throw here, since a failing
  // handler fails the workflow task, and so every later one of this customer.
  setHandler(customerEventSignal, (event) => void arrivals.push(event));
  setHandler(customerEventsSignal, (events: unknown) => {
    const { payloads, dropped } = payloadsOf(events);
    arrivals.push(...payloads);
    droppedArrivals += dropped;
  });
  setHandler(playFinishedSignal, (finished) => void finishedPlays.push(finished));

  // On the lean step, updates queue for the step like events; `handledUpdates` counts those applied.
  let lean = false;
  const updates: StepUpdate[] = [];
  let queuedUpdates = 0;
  let handledUpdates = 0;
  const queueUpdate = async (update: StepUpdate) => {
    const ticket = ++queuedUpdates;
    updates.push(update);
    await condition(() => handledUpdates >= ticket);
  };

  setHandler(
    overrideStageUpdate,
    async (override) => {
      await ready();
      if (lean) {
        await queueUpdate({ kind: 'override', override });
        return current().stage;
      }
      overrideStage(current(), override, nowIso(), changes);
      pendingCause = { type: 'override', by: override.by };
      dirty = true;
      await condition(() => !dirty);
      return current().stage;
    },
    { validator: (override) => void ZStageOverride.parse(override) },
  );
  setHandler(
    recordCsmSentimentUpdate,
    async (sentiment) => {
      await ready();
      if (lean) {
        await queueUpdate({ kind: 'sentiment', sentiment });
        return current().health;
      }
      recordSentiment(current(), sentiment, nowIso(), changes);
      pendingCause = { type: 'update', by: sentiment.by };
      dirty = true;
      await condition(() => !dirty);
      return current().health;
    },
    { validator: (sentiment) => void ZCsmSentiment.parse(sentiment) },
  );
  // Definitions adopted by roll-outs, by version, until the step that switches to them.
  const adopted = new Map<string, TLifecycleDefinition>();
  setHandler(
    adoptDefinitionUpdate,
    async (request) => {
      await ready();
      if (!lean) {
        // Only the step switches definitions: a run on the older loop moves onto it when woken.
        dirty = true;
        await condition(() => lean);
      }
      const from = current().definitionVersion;
      if (request.version === from) return { from, to: from, changed: false };
      // Strict: an unpublished version fails this update (the roll-out lists the customer), not the customer.
      const definitionToAdopt = await loadLifecycleDefinition({ version: request.version, strict: true });
      adopted.set(definitionToAdopt.version, definitionToAdopt);
      await queueUpdate({ kind: 'definition', version: definitionToAdopt.version, rolloutId: request.rolloutId, by: request.by });
      return { from, to: current().definitionVersion, changed: current().definitionVersion !== from };
    },
    { validator: (request) => void ZAdoptDefinition.parse(request) },
  );

  // Read once, whatever version the previous run wrote (pure: no commands).
  const carried = input.carried === undefined ? undefined : fromCarried(input.carried);
  // Reads answer from the carried state while a continued run is still loading its definition: on
  // a busy worker that can take seconds, and a CS lead's `show` should not fail meanwhile.
  const readable = (): LifecycleState => state ?? carried ?? current();
  const view = (of: LifecycleState, now: string) => customerView(of, definition, now, definition ? pendingTimers(of, definition, now) : []);
  setHandler(getStateQuery, () => view(readable(), nowIso()));
  setHandler(getCarriedStateQuery, () => toCarried(readable()));
  setHandler(getHealthQuery, () => readable().health);
  setHandler(getTimelineQuery, () => readable().timeline);
  // On the lean step the next health check is a wake-up of its own: listed with the timers.
  let nextCheck: PlannedTimer | undefined;
  setHandler(getUpcomingTimersQuery, () => {
    const timers = pendingTimers(current(), definition!, nowIso());
    if (!nextCheck || timers.some((timer) => timer.at === nextCheck!.at)) return timers;
    return [...timers, nextCheck].sort((a, b) => a.at.localeCompare(b.at));
  });

  // The definition is fetched through a local activity so its content is recorded in history:
  // replays see the same definition, and a new run after continue-as-new picks up a new version.
  // Decided once per run, before anything is awaited: a patch checked after a local activity can
  // meet its marker on replay before the code reaches the check (a new run's task retried after
  // an UnhandledCommand then failed as non-deterministic). A new run never records the older patches.
  const leanRun = patched(LEAN_STEP_PATCH);
  const pinnedRun = patched(DEFINITION_VERSIONS_PATCH);
  const readModelRun = patched(READ_MODEL_PATCH);
  const capDatesRun = patched(PLAY_CAP_DATES_PATCH);
  definition = pinnedRun ? await loadLifecycleDefinition(carried ? { version: carried.definitionVersion } : {}) : await loadLifecycleDefinition();
  state = carried ?? initialState(input.handoff, definition, nowIso(), { handoffStakeholdersEngaged: !leanRun && !patched(HEALTH_EVIDENCE_PATCH) });
  const customer: LifecycleState = state;
  // Replaced only by a roll-out, at the step that adopts it.
  let rules: TLifecycleDefinition = definition;
  if (leanRun) return runLean(!input.carried);
  // Once adopted, kept in the state (and carried on continue-as-new); histories from before never adopt.
  const adoptSeedRules = () => {
    if (!customer.seedRules && patched(SEED_RULES_PATCH)) customer.seedRules = true;
  };
  adoptSeedRules();

  if (!input.carried) {
    recordHandoff(customer, nowIso(), changes);
    evaluate(customer, rules, nowIso(), { type: 'handoff' }, changes, undefined, { modelSwitchIsBandChange: !patched(HEALTH_EVIDENCE_PATCH) });
    const plays = planPlays(customer, rules, workflowId, nowIso(), { type: 'handoff' }, changes, undefined, { exactCapDays: true });
    await publish();
    await act(plays, rules.playSettings);
  }

  for (;;) {
    // A customer recorded before the lean step moves onto it here, at its first new iteration.
    if (patched(LEAN_STEP_PATCH)) return runLean(false, { changes, cause: pendingCause });
    const upcoming = pendingTimers(customer, rules, nowIso());
    const next = upcoming[0];
    const waitMs = next ? Math.max(0, Date.parse(next.at) - Date.now()) : undefined;
    const woken = () => arrivals.length > 0 || finishedPlays.length > 0 || dirty;
    if (waitMs === undefined) {
      await condition(woken);
    } else if (waitMs > 0) {
      await condition(woken, waitMs, { summary: next!.label });
    }

    const now = nowIso();
    adoptSeedRules();
    const seedRules = customer.seedRules === true;
    let cause: Cause = pendingCause ?? { type: 'timer', id: next?.id ?? 'none' };
    const prompted = pendingCause !== undefined;
    pendingCause = undefined;
    // What made each stage's exit ready, event by event (seed-held rules; see `CauseTracker`).
    const causes = seedRules ? trackCauses(customer, rules, now, cause) : undefined;
    // Anything this wake-up brought that could change the customer; a batch of repeats brings nothing.
    let news = 0;
    // Checked and applied without an await in between, so a repeat can never slip in twice.
    // Histories recorded before validation moved into the workflow replay unvalidated, as they ran.
    const validating = patched(VALIDATE_ARRIVALS_PATCH);
    const evidence = patched(HEALTH_EVIDENCE_PATCH);
    if (validating && droppedArrivals > 0) {
      recordRejection(customer, { what: `${droppedArrivals} event(s)`, reason: `more than ${MAX_EVENTS_PER_SIGNAL} in one signal` }, now, changes);
      news += 1;
    }
    droppedArrivals = 0;
    for (const raw of arrivals.splice(0)) {
      let event: TCustomerEvent;
      if (validating) {
        const admission = admitEvent(raw, customer.facts.contractStart);
        if (!admission.ok) {
          recordRejection(customer, admission, now, changes);
          news += 1;
          continue;
        }
        event = admission.event;
      } else {
        event = raw as TCustomerEvent;
      }
      if (!acceptEventId(customer, event.id, now)) continue;
      applyCustomerEvent(customer, event, changes, validating ? { now, engagementNeedsEvidence: evidence } : {});
      cause = { type: 'event', id: event.id, eventType: event.type };
      news += 1;
      if (causes) noteCause(causes, customer, rules, now, cause);
    }
    for (const timer of pendingTimers(customer, rules, now).filter((t) => t.at <= now)) {
      fireTimer(customer, timer, now, changes);
      news += 1;
      if (cause.type !== 'event') cause = { type: 'timer', id: timer.id };
    }
    for (const finished of finishedPlays.splice(0)) {
      // Only our own play runs send this; a malformed one is ignored with a log line, not applied.
      if (validating && !ZPlayFinished.safeParse(finished).success) {
        log.warn('ignored a malformed playFinished signal');
        continue;
      }
      finishPlayRun(customer, finished, now, changes);
      news += 1;
    }
    // Only repeats (ids already seen): nothing to judge again, write or publish (seed-held rules).
    const nothingNew = seedRules && news === 0 && !prompted && !dirty;
    if (!nothingNew) {
      evaluate(customer, rules, now, cause, changes, causes, { modelSwitchIsBandChange: !evidence });
      const plays = planPlays(customer, rules, workflowId, now, cause, changes, undefined, { exactCapDays: true });
      await publish();
      await act(plays, rules.playSettings);
    }

    if (workflowInfo().continueAsNewSuggested) {
      // An update arriving now waits for the loop: stop waiting for handlers and take it first.
      await condition(() => allHandlersFinished() || woken());
      if (woken()) continue; // handlers that finished, or one waiting, queued work
      compact(customer, rules, nowIso());
      log.info('continuing as new', { historyLength: workflowInfo().historyLength });
      await continueAsNew<typeof customerLifecycleWorkflow>({ handoff: customer.handoff, carried: toCarried(customer) });
    }
  }

  /**
   * The lean loop: collect what arrived, let the pure step decide, carry out its effects, sleep
   * until its wake-up time or a message. Nothing is decided here.
   */
  async function runLean(handoff: boolean, pending?: StepInput['pending']): Promise<never> {
    lean = true;
    const context: StepContext = { workflowId, readModelWrites: readModelRun, exactCapDays: !capDatesRun };
    let published = nothingPublished();
    const woken = () => arrivals.length > 0 || finishedPlays.length > 0 || updates.length > 0 || dirty;
    let wake: StepResult['wake'];
    let first = true;
    // One durable timer per wake-up time, kept across messages: a signal that leaves the wake-up
    // where it was costs no cancelled and restarted timer (two history events, each billed).
    let timer: { at: string; fired: Promise<void>; scope: CancellationScope } | undefined;
    const alarmFor = (at: NonNullable<StepResult['wake']>): Promise<void> => {
      if (timer?.at === at.at) return timer.fired;
      timer?.scope.cancel();
      const scope = new CancellationScope();
      const ms = Math.max(1, Date.parse(at.at) - Date.now());
      const fired = scope
        .run(() => sleep(ms, { summary: at.label.slice(0, 200) }))
        .catch((error: unknown) => {
          if (!isCancellation(error)) throw error;
          return new Promise<void>(() => undefined); // a cancelled alarm never rings
        });
      timer = { at: at.at, fired, scope };
      return fired;
    };
    for (;;) {
      if (!first) {
        const waitMs = wake ? Math.max(0, Date.parse(wake.at) - Date.now()) : undefined;
        const alarm = waitMs === undefined || waitMs === 0 ? undefined : alarmFor(wake!);
        if (waitMs === undefined || alarm) await Promise.race([condition(woken), ...(alarm ? [alarm] : [])]);
      }
      const now = nowIso();
      // A run from before the read-model patch takes it at its first new step. Not at a run's first
      // step, which follows the definition's local activity (decided above, before it); a customer
      // moving off the older loop is past that, like the lean-step patch checked there.
      if ((!first || pending !== undefined) && !context.readModelWrites) context.readModelWrites = patched(READ_MODEL_PATCH);
      if ((!first || pending !== undefined) && context.exactCapDays) context.exactCapDays = !patched(PLAY_CAP_DATES_PATCH);
      // A new customer's handoff is judged on its own, as before; what arrived with it comes next.
      const handoffOnly = first && handoff;
      // A roll-out's update ends a step's updates: those after it are judged by the adopted rules.
      const adoption = updates.findIndex((update) => update.kind === 'definition');
      const taken = handoffOnly ? [] : updates.splice(0, adoption === -1 ? updates.length : adoption + 1);
      const adopting = taken.at(-1);
      if (adopting?.kind === 'definition') {
        rules = adopted.get(adopting.version)!;
        definition = rules;
        adopted.delete(adopting.version);
      }
      const result = lifecycleStep(
        customer,
        rules,
        {
          now,
          arrivals: handoffOnly ? [] : arrivals.splice(0),
          droppedArrivals: handoffOnly ? 0 : droppedArrivals,
          finishedPlays: handoffOnly ? [] : finishedPlays.splice(0),
          updates: taken,
          timeReached: !first && wake !== undefined && wake.at <= now,
          handoff: first && handoff,
          pending: first ? pending : undefined,
        },
        published,
        context,
      );
      first = false;
      if (!handoffOnly) droppedArrivals = 0;
      dirty = false;
      changes = emptyChanges();
      // As bytes, so the worker's codec deflates it into the history (`src/temporal/payload-codec.ts`).
      if (result.write) await recordLifecycleChanges(packWrite(result.write));
      const attributes = typedSearchAttributes(result.searchAttributes);
      if (attributes.length > 0) upsertSearchAttributes(attributes);
      if (result.details !== undefined) setCurrentDetails(result.details);
      published = result.published;
      wake = result.wake;
      nextCheck = wake && { id: `health_check:${wake.at}`, kind: 'health_tick', at: wake.at, label: wake.label };
      handledUpdates += taken.length;
      await act(result.plays, rules.playSettings);

      if (workflowInfo().continueAsNewSuggested) {
        // An update arriving now waits for a step: stop waiting for handlers and take it first.
        await condition(() => allHandlersFinished() || woken());
        if (woken()) continue; // handlers that finished, or one waiting, queued work
        log.info('continuing as new', { historyLength: workflowInfo().historyLength });
        await continueAsNew<typeof customerLifecycleWorkflow>({ handoff: customer.handoff, carried: toCarried(customer) });
      }
    }
  }

  /** Writes what changed, then shows the new state in visibility and the UI. */
  async function publish(): Promise<void> {
    // Cleared first: an update arriving while the activity runs marks new work that must not be lost.
    dirty = false;
    // Occurrences only feed play triggers (already decided): they stay out of the activity's input.
    const { occurrences: _decided, ...written } = changes;
    changes = emptyChanges();
    if (written.entries.length > 0 || written.healthSnapshot || written.stageMoves.length > 0) {
      const { health } = customer;
      await recordLifecycleChanges({
        workflowId,
        facts: snapshotFacts(customer),
        stage: customer.stage,
        // Only what the customer row needs: the whole snapshot would double every day's history.
        health: health && { score: health.score, band: health.band, definitionVersion: health.definitionVersion },
        ...written,
      });
    }
    upsertSearchAttributes([
      { key: CustomerIdKey, value: customer.facts.customerId },
      { key: StageKey, value: customer.stage },
      { key: SegmentKey, value: customer.segment },
      { key: CsmOwnerKey, value: customer.facts.csmOwner },
      { key: RenewalDateKey, value: new Date(customer.facts.contractEnd) },
      { key: ArrKey, value: customer.facts.arr },
      { key: LifecycleVersionKey, value: customer.definitionVersion },
      // Separately: a band without a score is insufficient_data with nothing known yet, still filterable.
      ...(customer.health?.score != null ? [{ key: HealthScoreKey, value: customer.health.score }] : []),
      ...(customer.health?.band != null ? [{ key: HealthBandKey, value: customer.health.band }] : []),
    ]);
    const pagesUrl = rules.links?.pagesUrl;
    const customerPage = pagesUrl ? `${pagesUrl.replace(/\/$/, '')}/customers/${encodeURIComponent(customer.facts.customerId)}` : undefined;
    setCurrentDetails(customerDetailsMarkdown(view(customer, nowIso()), customerPage));
  }
}

/**
 * Starts the plays that fired (after `publish`, so the customer row they refer to exists) and tells
 * running plays what they wait for. Runs are abandoned, not terminated, when this run continues as
 * new: a play outlives the run that started it and reports its end to whichever run is current.
 */
async function act(
  plays: {
    starts: PlayStart[];
    observations: { runId: string; observation: PlayObservation }[];
  },
  settings: TPlaySettings | undefined,
): Promise<void> {
  for (const start of plays.starts) {
    await startChild(playRunWorkflow, {
      workflowId: start.runId,
      // settings: required by the definition once it has plays.
      args: [
        { runId: start.runId, play: start.play, why: start.why, cause: start.cause, customer: start.customer, settings: settings!, goalMet: start.goalMet },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `${start.play.label} — ${start.why}`.slice(0, 200),
      typedSearchAttributes: [{ key: CustomerIdKey, value: start.customer.customerId }],
    });
  }
  await Promise.all(
    plays.observations.map(({ runId, observation }) =>
      getExternalWorkflowHandle(runId)
        .signal(playObservationSignal, observation)
        .catch((error: Error) => log.warn('a play run did not take an observation', { runId, error: error.message })),
    ),
  );
}

/** The step's search attribute values as the SDK takes them (the renewal date as a date). */
function typedSearchAttributes(values: StepResult['searchAttributes']): SearchAttributeUpdatePair[] {
  const pairs: SearchAttributeUpdatePair[] = [];
  if (values.CustomerId !== undefined) pairs.push({ key: CustomerIdKey, value: values.CustomerId });
  if (values.Stage !== undefined) pairs.push({ key: StageKey, value: values.Stage });
  if (values.Segment !== undefined) pairs.push({ key: SegmentKey, value: values.Segment });
  if (values.CsmOwner !== undefined) pairs.push({ key: CsmOwnerKey, value: values.CsmOwner });
  if (values.RenewalDate !== undefined) pairs.push({ key: RenewalDateKey, value: new Date(values.RenewalDate) });
  if (values.Arr !== undefined) pairs.push({ key: ArrKey, value: values.Arr });
  if (values.LifecycleVersion !== undefined) pairs.push({ key: LifecycleVersionKey, value: values.LifecycleVersion });
  if (values.HealthScore !== undefined) pairs.push({ key: HealthScoreKey, value: values.HealthScore });
  if (values.HealthBand !== undefined) pairs.push({ key: HealthBandKey, value: values.HealthBand });
  return pairs;
}

function snapshotFacts(state: LifecycleState) {
  const { facts } = state;
  return {
    customerId: facts.customerId,
    name: facts.name,
    segment: state.segment,
    arr: facts.arr,
    csmOwner: facts.csmOwner,
    contractStart: facts.contractStart,
    contractEnd: facts.contractEnd,
    contractStatus: facts.contractStatus,
  };
}
