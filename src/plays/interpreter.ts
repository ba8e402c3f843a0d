/**
 * The pure half of the step interpreter (workflows/play-run.ts runs it): how a run ends, what a
 * wait that timed out leads to, how long the goal may still take, which steps an escalation runs,
 * and the idempotency key of each side effect. The workflow keeps only what touches Temporal
 * (timers, conditions, activities, signals); what it decides between them is decided here.
 */
import { z } from 'zod';
import type { TPlay, TPlayStep } from './definition';
import type { PlayCustomerContext } from './customer-context';
import { escalationReasons, results } from './wording';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** How a run can end; sent to the customer's workflow in `playFinished` (see workflows/messages.ts). */
export const PLAY_OUTCOMES = ['completed', 'succeeded', 'escalated', 'timed_out', 'failed'] as const;
export type PlayOutcome = (typeof PLAY_OUTCOMES)[number];
/** A play run's end as it reports it; the customer's workflow ignores anything else. */
export const ZPlayFinished = z
  .object({ runId: z.string().min(1).max(500), playId: z.string().min(1).max(200), outcome: z.enum(PLAY_OUTCOMES), at: z.iso.datetime({ offset: true }) })
  .strict();

export type WaitStep = Extract<TPlayStep, { kind: 'wait' }>;
export type ActionStep = Exclude<TPlayStep, { kind: 'wait' }>;
export type EscalateStep = Extract<TPlayStep, { kind: 'escalate' }>;

/**
 * The key of a step's side effect: the run, where the step sits (`''` for the play's steps,
 * `escalation:` for its escalation) and the step id. Part of every activity's idempotency key, so
 * it must never change for a step that already ran.
 */
export const stepKey = (runId: string, keyPrefix: string, stepId: string): string => `${runId}:${keyPrefix}${stepId}`;

/** When a side effect's task falls due. */
export const dueAt = (nowMs: number, days: number): string => new Date(nowMs + days * DAY_MS).toISOString();

/** An escalation task is due in two days: it is urgent. */
export const ESCALATION_DUE_DAYS = 2;

/** What a wait starts from: what already held when the play fired (a milestone reached, the band). */
export const waitStart = (customer: Pick<PlayCustomerContext, 'milestones' | 'health'>) => ({
  milestones: customer.milestones,
  band: customer.health?.band ?? null,
});

/** How long a wait step may take, from when it begins. */
export const waitTimeoutMs = (step: WaitStep): number => step.withinDays * DAY_MS;

/** What a wait that timed out leads to, by its `onTimeout`; `result` is the step's progress line. */
export type WaitTimeout =
  | { result: string; then: 'continue' }
  | { result: string; then: 'end'; outcome: 'timed_out' }
  | { result: string; then: 'escalate'; reason: string; outcome: 'escalated' };

export function waitTimedOut(step: WaitStep): WaitTimeout {
  const result = results.waitTimedOut(step.withinDays);
  switch (step.onTimeout) {
    case 'continue':
      return { result, then: 'continue' };
    case 'end':
      return { result, then: 'end', outcome: 'timed_out' };
    case 'escalate':
      return { result, then: 'escalate', reason: escalationReasons.waitTimedOut(step.id, step.withinDays), outcome: 'escalated' };
  }
}

/** The goal phase follows only a run whose steps all completed, and only for a play with a goal. */
export const awaitsGoal = (outcome: PlayOutcome, play: Pick<TPlay, 'success'>): boolean => outcome === 'completed' && play.success !== undefined;

/** Milliseconds the goal may still take: its window counts from the run's start, not the last step. */
export const goalRemainingMs = (startedAt: string, withinDays: number, nowMs: number): number => Date.parse(startedAt) + withinDays * DAY_MS - nowMs;

/** How the goal phase ends: reached is success; otherwise the play escalates. */
export function goalResult(
  reached: boolean,
  withinDays: number,
): { result: string; outcome: 'succeeded' } | { result: string; outcome: 'escalated'; reason: string } {
  return reached
    ? { result: results.goalReached, outcome: 'succeeded' }
    : { result: results.goalNotReached(withinDays), outcome: 'escalated', reason: escalationReasons.goalNotReached(withinDays) };
}

/**
 * What an escalation runs: the play's own escalation steps (keyed under `escalation:`), or, when it
 * has none, one task and email to the CSM's manager carrying the reason.
 */
export type EscalationPlan = { kind: 'steps'; steps: TPlayStep[]; keyPrefix: string } | { kind: 'default'; step: EscalateStep; key: string };

export function escalationPlan(play: Pick<TPlay, 'escalation'>, runId: string, reason: string): EscalationPlan {
  if (play.escalation.length > 0) return { kind: 'steps', steps: play.escalation, keyPrefix: 'escalation:' };
  return { kind: 'default', step: { id: 'escalate', kind: 'escalate', reason }, key: `${runId}:escalation:default` };
}

/** What a webhook step (or a handoff's) posts besides its own fields: the customer, the play, why it fired. */
export const webhookPayload = (customer: PlayCustomerContext, play: Pick<TPlay, 'id' | 'label' | 'goal'>, why: string, extra: object) => ({
  customer,
  play: { id: play.id, label: play.label, goal: play.goal },
  trigger: why,
  ...extra,
});
