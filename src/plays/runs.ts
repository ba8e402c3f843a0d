/**
 * Play runs as the customer's workflow sees them: after an evaluation, which runs start (and the
 * timeline entries saying why, or why not) and what each running play is told; when a run reports
 * its end, the entry saying how it went. The entries come back without sequence numbers: the
 * lifecycle state appends them in order (`planPlays`, `finishPlayRun` in
 * src/domain/lifecycle-state.ts), so this module never imports the state and the state depends on
 * the plays, not the other way round.
 */
import type { TLifecycleDefinition, TStageId } from '../domain/lifecycle-definition';
import { conditionMet, type RuleContext } from '../domain/stage-rules';
import type { Cause, NewTimelineEntry } from '../domain/timeline';
import { playCustomerContext, type PlayCustomerContext, type PlayCustomerInput } from './customer-context';
import type { TPlay } from './definition';
import { listensFor, observationsFor, type PlayObservation } from './observations';
import type { PlayState } from './state';
import { decidePlays, type PlayOccurrence } from './triggers';

/** A play run the workflow should start: its id, the play as defined now, the customer as it is. */
export interface PlayStart {
  runId: string;
  play: TPlay;
  why: string;
  cause: Cause;
  customer: PlayCustomerContext;
  /** The play's goal already holds as it starts: its steps are skipped (see the play run). */
  goalMet: boolean;
}

/** A run's workflow id: under its customer's, numbered per customer, so ids never repeat. */
export const playRunId = (workflowId: string, playId: string, runNumber: number) => `${workflowId}/play/${playId}/${runNumber}`;

/** The customer as the plays judge it after one evaluation. */
export interface PlayPlanInput {
  /** The customer's play state; mutated (run numbers, caps history, condition edges, active runs). */
  plays: PlayState;
  /** What conditions are judged on now: facts, metrics with the current health, band, stage. */
  ctx: RuleContext & { stage: TStageId };
  /** What a started run's customer context is taken from. */
  customer: Omit<PlayCustomerInput, 'customerWorkflowId' | 'definition'>;
  /** What happened in this evaluation. */
  occurrences: PlayOccurrence[];
  /** Lean step: condition edges tracked only while a play may run in the stage (see `decidePlays`). */
  edgesWhileEligible?: boolean;
  /** Caps counted to the millisecond: a customer recorded before `play-cap-dates-v1` (see `capBlocks`). */
  exactCapDays?: boolean;
}

export interface PlayPlan {
  starts: PlayStart[];
  observations: { runId: string; observation: PlayObservation }[];
  /** In the order they are to be appended. */
  entries: NewTimelineEntry[];
}

/**
 * Which plays start (an entry each, with why, or why not), and what each running play should be
 * told (a milestone it waits for, its goal reached). Mutates `input.plays`; the workflow then starts
 * the runs and delivers the observations.
 */
export function planPlayRuns(input: PlayPlanInput, definition: TLifecycleDefinition, workflowId: string, now: string, cause: Cause): PlayPlan {
  const { plays, ctx, occurrences } = input;
  const definedPlays = definition.plays ?? [];
  const starts: PlayStart[] = [];
  const entries: NewTimelineEntry[] = [];
  for (const decision of decidePlays(definedPlays, plays, occurrences, ctx, cause, now, {
    edgesWhileEligible: input.edgesWhileEligible,
    exactDays: input.exactCapDays,
  })) {
    if (decision.runNumber === undefined) {
      entries.push({
        at: now,
        kind: 'play',
        summary: `play ${decision.play.id} not started: ${decision.skipped} (fired by ${decision.why})`,
        cause: decision.cause,
        detail: { playId: decision.play.id, started: false },
      });
      continue;
    }
    const runId = playRunId(workflowId, decision.play.id, decision.runNumber);
    plays.active.push({ runId, playId: decision.play.id, startedAt: now, listensFor: listensFor(decision.play), goalNotified: false });
    entries.push({
      at: now,
      kind: 'play',
      summary: `play ${decision.play.id} started: ${decision.why}`,
      cause: decision.cause,
      detail: { playId: decision.play.id, runId, started: true },
    });
    starts.push({
      runId,
      play: decision.play,
      why: decision.why,
      cause: decision.cause,
      goalMet: decision.play.success !== undefined && conditionMet(decision.play.success.when, ctx),
      customer: playCustomerContext({ ...input.customer, customerWorkflowId: workflowId, definition }),
    });
  }
  const observations: PlayPlan['observations'] = [];
  for (const run of plays.active) {
    for (const observation of observationsFor(run, occurrences, now)) observations.push({ runId: run.runId, observation });
    const play = definedPlays.find((p) => p.id === run.playId);
    if (play?.success && !run.goalNotified && conditionMet(play.success.when, ctx)) {
      run.goalNotified = true;
      observations.push({ runId: run.runId, observation: { kind: 'goal_met', at: now } });
    }
  }
  return { starts, observations, entries };
}

/** A run reported its end: no longer running, and the entry saying how it went; none for a repeated report. */
export function endPlayRun(
  plays: PlayState,
  finished: { runId: string; playId: string; outcome: string; at: string },
  now: string,
): NewTimelineEntry | undefined {
  const before = plays.active.length;
  plays.active = plays.active.filter((run) => run.runId !== finished.runId);
  if (plays.active.length === before) return undefined;
  const history = (plays.history[finished.playId] ??= { starts: [], total: 0 });
  history.lastOutcome = finished.outcome;
  return {
    at: now,
    kind: 'play',
    summary: `play ${finished.playId} ended: ${finished.outcome}`,
    cause: { type: 'rule', id: finished.runId },
    detail: { playId: finished.playId, runId: finished.runId, outcome: finished.outcome },
  };
}
