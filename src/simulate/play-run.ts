/**
 * A play run in a simulation: the same walk through the steps as workflows/play-run.ts, with the
 * same pure decisions (src/plays/interpreter.ts) and wording, but nothing sent. Emails, tasks,
 * webhooks, handoffs and escalations become lines in the story; a wait yields until the scenario's
 * events satisfy it (told to the run by the customer's step, as the workflow signals it) or its
 * timeout passes; the goal phase waits for the goal the same way. So caps, re-entry and outcomes
 * behave as in production. Keep it in step with the workflow: a difference is a bug in one of them.
 *
 * Written as a generator so it reads like the workflow: each `yield` is a `condition(…, timeout)`
 * (or a `sleep`) that the simulator resumes with whether the condition held. Pure.
 */
import type { TPlaySettings, TPlayStep } from '../plays/definition';
import { resolveRecipient } from '../plays/customer-context';
import {
  awaitsGoal,
  escalationPlan,
  goalRemainingMs,
  goalResult,
  waitStart,
  waitTimedOut,
  waitTimeoutMs,
  type ActionStep,
  type PlayOutcome,
} from '../plays/interpreter';
import { waitSatisfied, type PlayObservation } from '../plays/observations';
import { quietHoursDelayMs } from '../plays/quiet-hours';
import type { PlayStart } from '../plays/runs';
import { escalationTask, handoffContext, handoffTask, informedEmail, renderPart, results, stepEmail, stepTask, templateValues } from '../plays/wording';

/** What the run waits for: `satisfied` turning true, or `untilMs` passing (a sleep never is satisfied). */
export interface RunWait {
  untilMs: number;
  satisfied: () => boolean;
}

/** What the run is told while it runs (the workflow's `playObservation` signal). */
export interface RunInbox {
  goalMet: boolean;
  seen: PlayObservation[];
}

export function tell(inbox: RunInbox, observation: PlayObservation): void {
  if (observation.kind === 'goal_met') inbox.goalMet = true;
  else inbox.seen.push(observation);
}

/** A step the run did, for the story: what a real run would have sent or created. */
export interface RunAction {
  atMs: number;
  stepId: string;
  kind: string;
  text: string;
}

export type PlayRunProgram = Generator<RunWait, PlayOutcome, boolean>;

export function* simulatedPlayRun(
  start: PlayStart,
  settings: TPlaySettings,
  inbox: RunInbox,
  clock: () => number,
  act: (action: RunAction) => void,
): PlayRunProgram {
  const { play, customer, why } = start;
  const startedAt = new Date(clock()).toISOString();
  const steps: { stepId: string; kind: string; result: string; at: string }[] = [];
  const values = (recipientName = '') => templateValues(customer, play, why, recipientName);
  const done = (stepId: string, kind: string, result: string) => steps.push({ stepId, kind, result, at: new Date(clock()).toISOString() });
  const record = (stepId: string, kind: string, text: string) => act({ atMs: clock(), stepId, kind, text });
  inbox.goalMet ||= start.goalMet;

  let outcome: PlayOutcome = yield* runSteps(play.steps);
  if (awaitsGoal(outcome, play)) {
    const { withinDays } = play.success!;
    const remaining = goalRemainingMs(startedAt, withinDays, clock());
    const reached = inbox.goalMet || (remaining > 0 && (yield { untilMs: clock() + remaining, satisfied: () => inbox.goalMet }));
    const goal = goalResult(reached, withinDays);
    done('goal', 'goal', goal.result);
    record('goal', 'goal', goal.result);
    if (goal.outcome === 'escalated') yield* escalate(goal.reason);
    outcome = goal.outcome;
  }
  for (const role of play.owner.informed) {
    const recipient = resolveRecipient(role, customer, settings);
    if (!recipient) continue;
    const email = informedEmail({ play, customerName: customer.name, why, role, outcome, steps });
    record('informed', 'email', `email to ${role}: "${email.subject}"`);
  }
  return outcome;

  function* runSteps(list: TPlayStep[]): Generator<RunWait, PlayOutcome, boolean> {
    for (const step of list) {
      if (inbox.goalMet) {
        done(step.id, step.kind, results.skippedGoalMet);
        continue;
      }
      if (step.kind === 'wait') {
        const atStart = waitStart(customer);
        const holds = () => waitSatisfied(step.for, inbox.seen, atStart);
        const met = holds() || (yield { untilMs: clock() + waitTimeoutMs(step), satisfied: holds });
        if (met) {
          done(step.id, 'wait', results.waitArrived);
          record(step.id, 'wait', `wait ${step.id}: ${results.waitArrived}`);
          continue;
        }
        const timeout = waitTimedOut(step);
        done(step.id, 'wait', timeout.result);
        record(step.id, 'wait', `wait ${step.id}: ${timeout.result}`);
        if (timeout.then === 'continue') continue;
        if (timeout.then === 'escalate') yield* escalate(timeout.reason);
        return timeout.outcome;
      }
      yield* runStep(step);
    }
    return 'completed';
  }

  function* escalate(reason: string): Generator<RunWait, void, boolean> {
    const plan = escalationPlan(play, start.runId, reason);
    if (plan.kind === 'steps') yield* runSteps(plan.steps);
    else yield* runStep(plan.step);
  }

  function* runStep(step: ActionStep): Generator<RunWait, void, boolean> {
    switch (step.kind) {
      case 'email': {
        const recipient = resolveRecipient(step.to, customer, settings);
        if (!recipient) {
          done(step.id, 'email', results.noAddress(step.to));
          record(step.id, 'email', results.noAddress(step.to));
          return;
        }
        if (recipient.customerFacing) {
          const delay = quietHoursDelayMs(clock(), customer.timezone, settings.quietHours);
          if (delay > 0) yield { untilMs: clock() + delay, satisfied: () => false };
        }
        const email = stepEmail(step, values(recipient.name));
        done(step.id, 'email', results.email(step.to, 'simulated'));
        record(step.id, 'email', `email to ${step.to}: "${email.subject}"`);
        return;
      }
      case 'task': {
        const task = stepTask(step, values());
        done(step.id, 'task', results.task(step.id, step.assignee));
        record(step.id, 'task', `task for ${step.assignee}: "${task.title}" (due in ${step.dueInDays} days, ${step.priority})`);
        return;
      }
      case 'webhook':
        done(step.id, 'webhook', results.webhook(step.target, true));
        record(step.id, 'webhook', `webhook ${step.target} (${step.event}): not posted in a simulation`);
        return;
      case 'handoff': {
        const context = handoffContext(customer, renderPart(step.note, values()));
        const task = handoffTask({ to: step.to, customerName: customer.name, context });
        done(step.id, 'handoff', results.handoff(step.id, step.to, results.noSystem));
        record(step.id, 'handoff', `handoff to ${step.to}: "${task.title}"`);
        return;
      }
      case 'escalate': {
        const manager = resolveRecipient('csm_manager', customer, settings)!;
        const reason = renderPart(step.reason, values(manager.name));
        const task = escalationTask({ play, customer, why, reason });
        done(step.id, 'escalate', results.escalated(step.id, 'simulated'));
        record(step.id, 'escalate', `escalated to the CSM's manager: "${task.title}"`);
        return;
      }
    }
  }
}
