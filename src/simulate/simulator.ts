/**
 * Runs a scenario the way the customer's workflow would live it, with simulated time and no
 * servers: the handoff, then the same loop as the workflow's lean run (workflows/customer-lifecycle.ts)
 * — deliver what arrived, call the pure step, carry out its effects, sleep until its wake-up or the
 * next message — with the play runs it starts simulated beside it (`play-run.ts`), their ends
 * reported back to the step as the workflow's `playFinished` signal would. What it records is the
 * story: stage moves with their causes, band changes, plays started (or not, and why) and how
 * they ended, timers fired, what each play would have sent; and the customer at the end of each day
 * an expectation asks about. Pure and synchronous; a customer-year with daily events takes some
 * tens of milliseconds (`npm run bench:simulate`).
 */
import { initialState, type Cause, type LifecycleState, type TimelineEntry } from '../domain/lifecycle-state';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import type { Admit } from '../domain/event-admission';
import { lifecycleStep, nothingPublished, type StepInput, type StepResult } from '../domain/lifecycle-step';
import type { PlayStart } from '../plays/runs';
import { DEFAULT_PLAY_SETTINGS } from '../plays/default-plays';
import { ZPlaySettings } from '../plays/definition';
import { atSimulatedTime } from './clock';
import { simulatedPlayRun, tell, type PlayRunProgram, type RunInbox, type RunWait } from './play-run';
import { dayOf, endOfDayMs, type Scenario } from './scenario';

export type StoryKind = 'handoff' | 'event' | 'stage' | 'band' | 'play' | 'action' | 'timer' | 'sla' | 'rejected';

export interface StoryLine {
  atMs: number;
  day: number;
  kind: StoryKind;
  text: string;
}

/** The customer as an expectation sees it at the end of a day. */
export interface DaySnapshot {
  day: number;
  stage: string;
  band: string | null;
  score: number | null;
  sla: string;
}

export interface Simulation {
  scenario: Scenario;
  definitionVersion: string;
  /** Empty with `collect: 'outcomes'`, as is `timeline`. */
  story: StoryLine[];
  /** The stage the customer was in from each day on, from onboarding. */
  stagePath: { day: number; stage: string }[];
  plays: { day: number; playId: string; runId: string; why: string }[];
  /** Every timeline entry, with the day of the step that wrote it. */
  timeline: { day: number; entry: TimelineEntry }[];
  snapshots: Map<number, DaySnapshot>;
  final: DaySnapshot;
  /** How many times the step ran (the workflow's activations). */
  steps: number;
}

interface SimulatedRun {
  start: PlayStart;
  inbox: RunInbox;
  program: PlayRunProgram;
  pending?: RunWait;
}

/** A guard against a definition that keeps the step busy at one instant (the workflow would spin too). */
const MAX_STEPS_AT_ONE_INSTANT = 1_000;

export interface SimulateOptions {
  /**
   * `all` (the default): the story and the timeline too. `outcomes`: leave both empty (a backtest
   * reads stage paths, plays, snapshots and the final state, and a year's story is thousands of lines).
   */
  collect?: 'all' | 'outcomes';
  /**
   * False: the step is told nothing about the next event (no `nextStepBy`, no `nextStepEvaluates`),
   * as the workflow calls it, so tests can hold the look-ahead to the same outcomes. Default true.
   */
  lookahead?: boolean;
  /** How the step checks arrivals; a backtest passes one `rememberedAdmissions()` to both its simulations of a customer. */
  admit?: Admit;
}

export function simulate(scenario: Scenario, definition: TLifecycleDefinition, options: SimulateOptions = {}): Simulation {
  const full = options.collect !== 'outcomes';
  const { startMs, handoff } = scenario;
  const workflowId = `customer:${handoff.customerId}`;
  // Required by the definition once it has plays; without plays nothing reads it.
  const settings = definition.playSettings ?? ZPlaySettings.parse(DEFAULT_PLAY_SETTINGS);
  const endMs = endOfDayMs(startMs, scenario.untilDay);
  const iso = (ms: number) => new Date(ms).toISOString();
  let clock = startMs;
  const day = () => dayOf(startMs, clock);

  const state: LifecycleState = atSimulatedTime(clock, () => initialState(handoff, definition, iso(clock)));
  const simulation: Simulation = {
    scenario,
    definitionVersion: definition.version,
    story: [],
    stagePath: [{ day: 0, stage: state.stage }],
    plays: [],
    timeline: [],
    snapshots: new Map(),
    final: snapshot(state, 0),
    steps: 0,
  };
  const tellStory = (kind: StoryKind, text: string) => {
    if (full) simulation.story.push({ atMs: clock, day: day(), kind, text });
  };
  let published = nothingPublished();
  let wake: StepResult['wake'];
  const runs: SimulatedRun[] = [];
  const finished: unknown[] = [];

  const step = (input: Partial<StepInput>) => {
    const bandBefore = state.health?.band ?? null;
    const result = atSimulatedTime(clock, () =>
      lifecycleStep(
        state,
        definition,
        { now: iso(clock), arrivals: [], droppedArrivals: 0, finishedPlays: [], updates: [], timeReached: false, ...input },
        published,
        // The search attributes and current details are the workflow's to show; nobody reads them here.
        // The next event brings a step anyway: the wake-up need not be searched for past it.
        {
          workflowId,
          effects: 'outcomes',
          ...(options.lookahead !== false
            ? { nextStepBy: iso(Math.min(scenario.events[nextEvent]?.atMs ?? Infinity, endMs)), nextStepEvaluates: nextBatchBringsNews }
            : {}),
          ...(options.admit ? { admit: options.admit } : {}),
        },
      ),
    );
    simulation.steps += 1;
    published = result.published;
    wake = result.wake;
    const entries = full ? (result.write?.entries ?? []) : [];
    for (const entry of entries) {
      simulation.timeline.push({ day: day(), entry });
      if (entry.kind === 'handoff') tellStory('handoff', entry.summary);
      // Every event but the daily usage roll-ups, which would drown the story.
      else if (entry.kind === 'event' && entry.detail?.eventType !== 'usage') tellStory('event', entry.summary);
      else if (entry.kind === 'timer') tellStory('timer', `timer fired: ${entry.summary}`);
      else if (entry.kind === 'sla') tellStory('sla', entry.summary);
      else if (entry.kind === 'rejected') tellStory('rejected', entry.summary);
      else if (entry.kind === 'play') tellStory('play', entry.summary);
    }
    for (const move of result.write?.stageMoves ?? []) {
      simulation.stagePath.push({ day: day(), stage: move.to });
      tellStory('stage', `${move.from} -> ${move.to}: ${move.reason} (after ${causeText(move.cause)})`);
    }
    const bandAfter = state.health?.band ?? null;
    if (bandAfter !== bandBefore) {
      const health = entries.find((entry) => entry.kind === 'health');
      // No verdict yet (insufficient_data) shows no score: the one computed from the few known inputs misleads.
      const score = bandAfter === 'insufficient_data' || state.health?.score == null ? '' : `, score ${state.health.score}`;
      if (full) tellStory('band', `band ${bandBefore ?? 'none'} -> ${bandAfter}${score}${health ? ` (after ${causeText(health.cause)})` : ''}`);
    }
    // As the workflow's `act`: start the runs, then tell running plays what they wait for.
    const started = result.plays.starts.map((start) => {
      simulation.plays.push({ day: day(), playId: start.play.id, runId: start.runId, why: start.why });
      const inbox: RunInbox = { goalMet: false, seen: [] };
      const program = simulatedPlayRun(
        start,
        settings,
        inbox,
        () => clock,
        (action) => {
          if (full) simulation.story.push({ atMs: action.atMs, day: dayOf(startMs, action.atMs), kind: 'action', text: `${start.play.id}: ${action.text}` });
        },
      );
      const run: SimulatedRun = { start, inbox, program };
      runs.push(run);
      return run;
    });
    for (const { runId, observation } of result.plays.observations) {
      const run = runs.find((r) => r.start.runId === runId);
      if (!run) continue; // ended already: the workflow's signal would find no run either
      tell(run.inbox, observation);
      if (run.pending?.satisfied()) resume(run, true);
    }
    for (const run of started) resume(run, false);
  };

  /**
   * Whether the step that delivers the next event evaluates whatever happens until then: one of
   * its events has an id the customer has not seen (accepted, or rejected if it fails its checks;
   * either is news). Asked by the step once it has remembered its own events' ids; steps before
   * the next event deliver none, so they can only forget ids, never learn them.
   */
  const nextBatchBringsNews = (state: LifecycleState): boolean => {
    const at = scenario.events[nextEvent]?.atMs;
    if (at === undefined || at >= endMs) return false;
    for (let i = nextEvent; i < scenario.events.length && scenario.events[i]!.atMs === at; i += 1) {
      const id = (scenario.events[i]!.event as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || state.seenEventIds[id] === undefined) return true;
    }
    return false;
  };

  /** Runs a play until it waits or ends; an ended run reports to the customer, as `playFinished`. */
  const resume = (run: SimulatedRun, value: boolean) => {
    run.pending = undefined;
    let next = run.program.next(value);
    while (!next.done) {
      if (next.value.satisfied()) {
        next = run.program.next(true);
        continue;
      }
      run.pending = next.value;
      return;
    }
    runs.splice(runs.indexOf(run), 1);
    finished.push({ runId: run.start.runId, playId: run.start.play.id, outcome: next.value, at: iso(clock) });
  };

  let nextEvent = 0;
  step({ handoff: true });
  let snapshotDay = 0;
  const expectedDays = new Set(scenario.expectations.flatMap((e) => (e.day !== undefined ? [e.day] : [])));
  const takeSnapshotsBefore = (ms: number) => {
    while (snapshotDay <= scenario.untilDay && endOfDayMs(startMs, snapshotDay) <= ms) {
      if (expectedDays.has(snapshotDay)) simulation.snapshots.set(snapshotDay, snapshot(state, snapshotDay));
      snapshotDay += 1;
    }
  };
  let lastInstant = clock;
  let stepsAtInstant = 0;
  for (;;) {
    const eventAt = scenario.events[nextEvent]?.atMs ?? Infinity;
    const wakeAt = wake ? Math.max(clock, Date.parse(wake.at)) : Infinity;
    const runAt = Math.min(Infinity, ...runs.map((run) => run.pending?.untilMs ?? Infinity));
    const finishAt = finished.length > 0 ? clock : Infinity;
    const at = Math.max(clock, Math.min(eventAt, wakeAt, runAt, finishAt));
    if (at >= endMs) break;
    takeSnapshotsBefore(at);
    clock = at;
    if (clock === lastInstant && ++stepsAtInstant > MAX_STEPS_AT_ONE_INSTANT) {
      throw new Error(`the simulation made no progress on day ${day()} (${iso(clock)}): the step keeps waking at the same instant`);
    }
    if (clock !== lastInstant) stepsAtInstant = 0;
    lastInstant = clock;

    // Play runs whose timer fired go on first, as their own workflows would.
    for (const run of runs.filter((r) => r.pending && r.pending.untilMs <= clock)) resume(run, false);
    const arrivals: unknown[] = [];
    while (nextEvent < scenario.events.length && scenario.events[nextEvent]!.atMs <= clock) arrivals.push(scenario.events[nextEvent++]!.event);
    const timeReached = wake !== undefined && Date.parse(wake.at) <= clock;
    if (arrivals.length > 0 || finished.length > 0 || timeReached) {
      step({ arrivals, finishedPlays: finished.splice(0), timeReached });
    }
  }
  takeSnapshotsBefore(endMs);
  simulation.final = snapshot(state, scenario.untilDay);
  return simulation;
}

function snapshot(state: LifecycleState, day: number): DaySnapshot {
  return { day, stage: state.stage, band: state.health?.band ?? null, score: state.health?.score ?? null, sla: state.sla };
}

export function causeText(cause: Cause): string {
  switch (cause.type) {
    case 'event':
      return `${cause.eventType} event ${cause.id}`;
    case 'timer':
      return `timer ${cause.id}`;
    case 'rule':
      return `rule ${cause.id}`;
    case 'override':
      return `override by ${cause.by}`;
    case 'update':
      return `update by ${cause.by}`;
    case 'handoff':
      return 'the handoff';
    case 'rollout':
      return `roll-out ${cause.id} (${cause.from} -> ${cause.to}, by ${cause.by})`;
  }
}
