/**
 * One run of one play for one customer, as a child of the customer's workflow (visible under it in
 * the Temporal UI, with a one-line summary). It carries out the play's steps in order: emails, CSM
 * tasks, signed webhooks, handoffs, waits for a milestone with a timeout, escalations; then waits
 * for its goal if it has one, and escalates when the goal is not reached in time. Finally it tells
 * the customer's workflow how it ended.
 *
 * The play arrives as a snapshot in the input, so editing a play never changes a run in progress.
 * Every side effect is an activity keyed by this run's id and the step id: a retry, a worker killed
 * mid-step or a replayed history never sends, creates or posts twice.
 *
 * Thin on purpose: what it decides between Temporal commands (a timed-out wait, the goal's window,
 * an escalation's steps, the idempotency keys) is in src/plays/interpreter.ts, every text it writes
 * in src/plays/wording.ts. Its commands (timers, conditions, activities, signals) and their order
 * are what saved histories replay: change them only behind `patched()`.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  type RetryPolicy,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { PlayActivities } from '../activities/plays';
import { PERMANENT_EMAIL_FAILURE, PERMANENT_WEBHOOK_FAILURE } from '../src/domain/failure-types';
import { resolveRecipient } from '../src/plays/customer-context';
import type { TPlayStep } from '../src/plays/definition';
import {
  awaitsGoal,
  dueAt,
  ESCALATION_DUE_DAYS,
  escalationPlan,
  goalRemainingMs,
  goalResult,
  stepKey,
  waitStart,
  waitTimedOut,
  waitTimeoutMs,
  webhookPayload,
  type ActionStep,
  type PlayOutcome,
} from '../src/plays/interpreter';
import { waitSatisfied, type PlayObservation } from '../src/plays/observations';
import { quietHoursDelayMs } from '../src/plays/quiet-hours';
import {
  escalationEmail,
  escalationTask,
  handoffContext,
  handoffTask,
  informedEmail,
  renderPart,
  results,
  stepEmail,
  stepTask,
  templateValues,
} from '../src/plays/wording';
import { getPlayProgressQuery, playFinishedSignal, playObservationSignal, type PlayProgress, type PlayRunInput } from './messages';

const PLAY_GOAL_SKIP_PATCH = 'play-goal-skip-v1';

// Email and webhooks wait out an outage: retried with backoff, without a cap, until they land or a
// permanent failure (a 5xx rejection, a 4xx from the webhook) says retrying cannot help.
const outageRetry: RetryPolicy = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '10 minutes',
  nonRetryableErrorTypes: [PERMANENT_EMAIL_FAILURE, PERMANENT_WEBHOOK_FAILURE],
};
const { sendPlayWebhook } = proxyActivities<PlayActivities>({ startToCloseTimeout: '1 minute', retry: outageRetry });
// An email attempt heartbeats every second, so a worker that dies mid-send is retried about 15 s
// later (10 s + the first backoff) rather than after the whole minute. Activity options are not part
// of what a replay checks, so running histories are unaffected.
const { sendPlayEmail } = proxyActivities<PlayActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  retry: outageRetry,
});
const { createCsmTask, recordPlayRun } = proxyActivities<PlayActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function playRunWorkflow(input: PlayRunInput): Promise<PlayOutcome> {
  const { runId, play, customer, settings, why } = input;
  const startedAt = new Date().toISOString();
  const seen: PlayObservation[] = [];
  // From play-goal-skip-v1 on, a step is skipped once the play's goal is observed (at the start or
  // later): no task or email for a renewal conversation already held. Older runs replay as they ran.
  const skipOnGoal = patched(PLAY_GOAL_SKIP_PATCH);
  let goalMet = skipOnGoal && input.goalMet === true;
  const progress: PlayProgress = { steps: [] };

  setHandler(playObservationSignal, (observation) => {
    if (observation.kind === 'goal_met') goalMet = true;
    else seen.push(observation);
  });
  setHandler(getPlayProgressQuery, () => progress);

  const values = (recipientName = '') => templateValues(customer, play, why, recipientName);
  const done = (stepId: string, kind: string, result: string) => {
    progress.steps.push({ stepId, kind, result, at: new Date().toISOString() });
  };
  const record = (status: string) =>
    recordPlayRun({
      runId,
      customerId: customer.customerId,
      playId: play.id,
      playLabel: play.label,
      why,
      cause: input.cause,
      definitionVersion: customer.definitionVersion,
      status,
      startedAt,
      endedAt: status === 'running' ? undefined : new Date().toISOString(),
      steps: progress.steps,
    });

  await record('running');

  let outcome: PlayOutcome = 'completed';
  try {
    outcome = await runSteps(play.steps, '');
    if (awaitsGoal(outcome, play)) {
      const { withinDays } = play.success!;
      const remaining = goalRemainingMs(startedAt, withinDays, Date.now());
      progress.current = 'goal';
      const reached = goalMet || (remaining > 0 && (await condition(() => goalMet, remaining)));
      const goal = goalResult(reached, withinDays);
      done('goal', 'goal', goal.result);
      if (goal.outcome === 'escalated') await escalate(goal.reason);
      outcome = goal.outcome;
    }
  } catch (error) {
    // Reached only through a bug or an exhausted non-retryable task write: recorded, then reported.
    log.error('play run failed', { runId, error: (error as Error).message });
    done('run', 'error', (error as Error).message);
    outcome = 'failed';
  }
  progress.current = undefined;
  progress.outcome = outcome;
  // Runs recorded before the owner's informed roles were told replay without these emails.
  if (patched('play-informed-summary')) await informOwners(outcome);
  await record(outcome);
  // The customer's workflow may have continued as new since this run began: no run id, so the
  // signal reaches whichever run is current. A customer that is gone is not an error here.
  await getExternalWorkflowHandle(customer.customerWorkflowId)
    .signal(playFinishedSignal, { runId, playId: play.id, outcome, at: new Date().toISOString() })
    .catch((error: Error) => log.warn('could not report the play end to the customer', { error: error.message }));
  return outcome;

  /** One summary email per informed role (`owner.informed`): how the run went and what each step did. */
  async function informOwners(result: PlayOutcome): Promise<void> {
    for (const role of play.owner.informed) {
      const recipient = resolveRecipient(role, customer, settings);
      if (!recipient) continue;
      const email = informedEmail({ play, customerName: customer.name, why, role, outcome: result, steps: progress.steps });
      await sendEmail(`${runId}:informed:${role}`, 'informed', role, recipient.address, email.subject, email.text);
    }
  }

  /** Runs steps in order; a wait that times out may end the run early. */
  async function runSteps(steps: TPlayStep[], keyPrefix: string): Promise<PlayOutcome> {
    for (const step of steps) {
      progress.current = step.id;
      if (skipOnGoal && goalMet) {
        done(step.id, step.kind, results.skippedGoalMet);
        continue;
      }
      if (step.kind === 'wait') {
        const atStart = waitStart(customer);
        const met = waitSatisfied(step.for, seen, atStart) || (await condition(() => waitSatisfied(step.for, seen, atStart), waitTimeoutMs(step)));
        if (met) {
          done(step.id, 'wait', results.waitArrived);
          continue;
        }
        const timeout = waitTimedOut(step);
        done(step.id, 'wait', timeout.result);
        if (timeout.then === 'continue') continue;
        if (timeout.then === 'escalate') await escalate(timeout.reason);
        return timeout.outcome;
      }
      await runStep(step, stepKey(runId, keyPrefix, step.id));
    }
    return 'completed';
  }

  /** The play's own escalation steps, or a task and an email to the CSM's manager when it has none. */
  async function escalate(reason: string): Promise<void> {
    const plan = escalationPlan(play, runId, reason);
    if (plan.kind === 'steps') await runSteps(plan.steps, plan.keyPrefix);
    else await runStep(plan.step, plan.key);
  }

  async function runStep(step: ActionStep, key: string): Promise<void> {
    switch (step.kind) {
      case 'email': {
        const recipient = resolveRecipient(step.to, customer, settings);
        if (!recipient) {
          done(step.id, 'email', results.noAddress(step.to));
          return;
        }
        if (recipient.customerFacing) {
          const delay = quietHoursDelayMs(Date.now(), customer.timezone, settings.quietHours);
          if (delay > 0) {
            progress.current = `${step.id} (quiet hours)`;
            await sleep(delay);
          }
        }
        const email = stepEmail(step, values(recipient.name));
        done(step.id, 'email', await sendEmail(key, step.id, step.to, recipient.address, email.subject, email.text));
        return;
      }
      case 'task': {
        const assignee = resolveRecipient(step.assignee, customer, settings);
        const task = await createCsmTask({
          idempotencyKey: key,
          runId,
          customerId: customer.customerId,
          stepId: step.id,
          assignee: assignee?.address ?? step.assignee,
          assigneeRole: step.assignee,
          ...stepTask(step, values()),
          priority: step.priority,
          dueAt: dueAt(Date.now(), step.dueInDays),
          createdAt: new Date().toISOString(),
        });
        done(step.id, 'task', results.task(task.taskId, step.assignee));
        return;
      }
      case 'webhook': {
        done(step.id, 'webhook', await postWebhook(key, step.id, step.target, step.event, {}));
        return;
      }
      case 'handoff': {
        const context = handoffContext(customer, renderPart(step.note, values()));
        const assignee = resolveRecipient(step.to, customer, settings);
        const task = await createCsmTask({
          idempotencyKey: `${key}:task`,
          runId,
          customerId: customer.customerId,
          stepId: step.id,
          assignee: assignee?.address ?? step.to,
          assigneeRole: step.to,
          ...handoffTask({ to: step.to, customerName: customer.name, context }),
          priority: 'high',
          dueAt: dueAt(Date.now(), step.dueInDays),
          createdAt: new Date().toISOString(),
        });
        const posted = step.target ? await postWebhook(`${key}:webhook`, step.id, step.target, `handoff.${step.to}`, context) : results.noSystem;
        done(step.id, 'handoff', results.handoff(task.taskId, step.to, posted));
        return;
      }
      case 'escalate': {
        const manager = resolveRecipient('csm_manager', customer, settings)!;
        const reason = renderPart(step.reason, values(manager.name));
        const task = await createCsmTask({
          idempotencyKey: `${key}:task`,
          runId,
          customerId: customer.customerId,
          stepId: step.id,
          assignee: manager.address,
          assigneeRole: 'csm_manager',
          ...escalationTask({ play, customer, why, reason }),
          priority: 'urgent',
          dueAt: dueAt(Date.now(), ESCALATION_DUE_DAYS),
          createdAt: new Date().toISOString(),
        });
        const email = escalationEmail({ play, customer, why, reason, taskId: task.taskId });
        const sent = await sendEmail(`${key}:email`, step.id, 'csm_manager', manager.address, email.subject, email.text);
        done(step.id, 'escalate', results.escalated(task.taskId, sent));
        return;
      }
    }
  }

  async function sendEmail(key: string, stepId: string, role: string, to: string, subject: string, text: string): Promise<string> {
    try {
      const sent = await sendPlayEmail({
        idempotencyKey: key,
        runId,
        customerId: customer.customerId,
        stepId,
        to,
        recipientRole: role,
        subject,
        text,
        plannedAt: new Date().toISOString(),
      });
      return results.email(role, sent.status);
    } catch (error) {
      if (isPermanent(error)) return results.emailFailed(role, causeMessage(error));
      throw error;
    }
  }

  async function postWebhook(key: string, stepId: string, target: string, event: string, extra: object): Promise<string> {
    try {
      const posted = await sendPlayWebhook({
        idempotencyKey: key,
        runId,
        customerId: customer.customerId,
        stepId,
        target,
        event,
        payload: webhookPayload(customer, play, why, extra),
      });
      return results.webhook(target, posted.status === 'skipped');
    } catch (error) {
      if (isPermanent(error)) return results.webhookRejected(target, causeMessage(error));
      throw error;
    }
  }
}

function isPermanent(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    (error.cause.type === PERMANENT_EMAIL_FAILURE || error.cause.type === PERMANENT_WEBHOOK_FAILURE)
  );
}

const causeMessage = (error: unknown) => ((error as ActivityFailure).cause?.message ?? (error as Error).message).slice(0, 200);
