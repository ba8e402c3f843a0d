/**
 * A customer's play state, carried in the lifecycle state (and across continue-as-new): which runs
 * are in progress and what they listen for, each play's cap history, and the condition edges.
 */

export interface ActivePlayRun {
  runId: string;
  playId: string;
  startedAt: string;
  /** Observation keys its wait steps listen for (`milestone:x`, `event:type`, `band`). */
  listensFor: string[];
  goalNotified: boolean;
}

export interface PlayState {
  /** Numbers play runs for this customer; part of each run's workflow id, so ids never repeat. */
  nextRun: number;
  active: ActivePlayRun[];
  /** Per play: start times in the last 365 days, starts ever, last outcome. */
  history: Record<string, { starts: string[]; total: number; lastOutcome?: string }>;
  /** Last value of each condition trigger, so a condition fires on its false -> true edge only. */
  conditions: Record<string, boolean>;
}

export const emptyPlayState = (): PlayState => ({ nextRun: 1, active: [], history: {}, conditions: {} });
