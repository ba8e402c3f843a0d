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
import { waitSatisfied, type PlayObservation } from '../src/plays/observations';
import { quietHoursDelayMs } from '../src/plays/quiet-hours';
import { renderTemplate, templateValues } from '../src/plays/wording';
import { getPlayProgressQuery, playFinishedSignal, playObservationSignal, type PlayOutcome, type PlayProgress, type PlayRunInput } from './messages';

const DAY_MS = 24 * 60 * 60 * 1000;
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
    if (outcome === 'completed' && play.success) {
      const remaining = Date.parse(startedAt) + play.success.withinDays * DAY_MS - Date.now();
      progress.current = 'goal';
      const reached = goalMet || (remaining > 0 && (await condition(() => goalMet, remaining)));
      if (reached) {
        done('goal', 'goal', 'goal reached');
        outcome = 'succeeded';
      } else {
        done('goal', 'goal', `goal not reached within ${play.success.withinDays} days`);
        await escalate(`goal not reached within ${play.success.withinDays} days`);
        outcome = 'escalated';
      }
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
      const steps = progress.steps.map((s) => `- ${s.stepId}: ${s.result}`).join('\n');
      await sendEmail(
        `${runId}:informed:${role}`,
        'informed',
        role,
        recipient.address,
        `[${result}] ${play.label}: ${customer.name}`,
        `For your information (${role}). ${play.label} for ${customer.name} ended: ${result}.\nWhy it fired: ${why}\nResponsible: ${play.owner.responsible}\n\n${steps}`,
      );
    }
  }

  /** Runs steps in order; a wait that times out may end the run early. */
  async function runSteps(steps: TPlayStep[], keyPrefix: string): Promise<PlayOutcome> {
    for (const step of steps) {
      progress.current = step.id;
      if (skipOnGoal && goalMet) {
        done(step.id, step.kind, 'skipped: goal already met');
        continue;
      }
      if (step.kind === 'wait') {
        const atStart = { milestones: customer.milestones, band: customer.health?.band ?? null };
        const met = waitSatisfied(step.for, seen, atStart) || (await condition(() => waitSatisfied(step.for, seen, atStart), step.withinDays * DAY_MS));
        if (met) {
          done(step.id, 'wait', 'arrived');
          continue;
        }
        done(step.id, 'wait', `timed out after ${step.withinDays} days`);
        if (step.onTimeout === 'continue') continue;
        if (step.onTimeout === 'end') return 'timed_out';
        await escalate(`${step.id} did not happen within ${step.withinDays} days`);
        return 'escalated';
      }
      await runStep(step, `${runId}:${keyPrefix}${step.id}`);
    }
    return 'completed';
  }

  /** The play's own escalation steps, or a task and an email to the CSM's manager when it has none. */
  async function escalate(reason: string): Promise<void> {
    if (play.escalation.length > 0) {
      await runSteps(play.escalation, 'escalation:');
      return;
    }
    await runStep({ id: 'escalate', kind: 'escalate', reason }, `${runId}:escalation:default`);
  }

  async function runStep(step: Exclude<TPlayStep, { kind: 'wait' }>, key: string): Promise<void> {
    switch (step.kind) {
      case 'email': {
        const recipient = resolveRecipient(step.to, customer, settings);
        if (!recipient) {
          done(step.id, 'email', `skipped: no address for ${step.to}`);
          return;
        }
        if (recipient.customerFacing) {
          const delay = quietHoursDelayMs(Date.now(), customer.timezone, settings.quietHours);
          if (delay > 0) {
            progress.current = `${step.id} (quiet hours)`;
            await sleep(delay);
          }
        }
        const text = renderTemplate(step.body, values(recipient.name));
        const subject = renderTemplate(step.subject, values(recipient.name));
        done(step.id, 'email', await sendEmail(key, step.id, step.to, recipient.address, subject, text));
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
          title: renderTemplate(step.title, values()),
          detail: step.detail ? renderTemplate(step.detail, values()) : '',
          priority: step.priority,
          dueAt: new Date(Date.now() + step.dueInDays * DAY_MS).toISOString(),
          createdAt: new Date().toISOString(),
        });
        done(step.id, 'task', `task ${task.taskId} for ${step.assignee}`);
        return;
      }
      case 'webhook': {
        done(step.id, 'webhook', await postWebhook(key, step.id, step.target, step.event, {}));
        return;
      }
      case 'handoff': {
        const note = renderTemplate(step.note, values());
        const context = handoffContext(note);
        const owner = step.to === 'csm' ? 'csm' : step.to;
        const assignee = resolveRecipient(owner, customer, settings);
        const task = await createCsmTask({
          idempotencyKey: `${key}:task`,
          runId,
          customerId: customer.customerId,
          stepId: step.id,
          assignee: assignee?.address ?? owner,
          assigneeRole: owner,
          title: `Handoff to ${step.to}: ${customer.name}`,
          detail: `${note}\n\n${handoffText(context)}`,
          priority: 'high',
          dueAt: new Date(Date.now() + step.dueInDays * DAY_MS).toISOString(),
          createdAt: new Date().toISOString(),
        });
        const posted = step.target ? await postWebhook(`${key}:webhook`, step.id, step.target, `handoff.${step.to}`, context) : 'no system to notify';
        done(step.id, 'handoff', `task ${task.taskId} for ${step.to}; ${posted}`);
        return;
      }
      case 'escalate': {
        const manager = resolveRecipient('csm_manager', customer, settings)!;
        const reason = renderTemplate(step.reason, values(manager.name));
        const task = await createCsmTask({
          idempotencyKey: `${key}:task`,
          runId,
          customerId: customer.customerId,
          stepId: step.id,
          assignee: manager.address,
          assigneeRole: 'csm_manager',
          title: `Escalation: ${play.label} for ${customer.name}`,
          detail: `${reason}\n\nWhy the play fired: ${why}\nCSM: ${customer.csmOwner}\nHealth: ${customer.health?.score ?? '—'} (${customer.health?.band ?? 'no data'})`,
          priority: 'urgent',
          dueAt: new Date(Date.now() + 2 * DAY_MS).toISOString(),
          createdAt: new Date().toISOString(),
        });
        const sent = await sendEmail(
          `${key}:email`,
          step.id,
          'csm_manager',
          manager.address,
          `[Escalation] ${play.label}: ${customer.name}`,
          `${reason}\n\nPlay: ${play.label} (${play.goal})\nWhy it fired: ${why}\nCSM: ${customer.csmOwner}\nTask: ${task.taskId}`,
        );
        done(step.id, 'escalate', `task ${task.taskId} for the CSM's manager; ${sent}`);
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
      return `email to ${role} ${sent.status}`;
    } catch (error) {
      if (isPermanent(error)) return `email to ${role} failed permanently: ${causeMessage(error)}`;
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
        payload: { customer, play: { id: play.id, label: play.label, goal: play.goal }, trigger: why, ...extra },
      });
      return posted.status === 'skipped' ? `webhook ${target} not configured: skipped` : `webhook ${target} delivered`;
    } catch (error) {
      if (isPermanent(error)) return `webhook ${target} rejected: ${causeMessage(error)}`;
      throw error;
    }
  }

  /** What the receiving team needs to pick the customer up without a meeting. */
  function handoffContext(note: string) {
    return {
      note,
      successCriteria: customer.successCriteria,
      goals: customer.goals,
      objections: customer.objections,
      competitors: customer.competitors,
      stakeholders: customer.stakeholders,
      milestones: customer.milestones,
      health: customer.health,
      arr: customer.arr,
      renewalDate: customer.contractEnd,
    };
  }
}

function handoffText(context: {
  successCriteria: string[];
  goals: string[];
  objections: string[];
  competitors: string[];
  stakeholders: { name: string; role: string; engaged: boolean }[];
  milestones: string[];
}): string {
  const list = (values: string[]) => (values.length ? values.join('; ') : '—');
  return [
    `Success criteria: ${list(context.successCriteria)}`,
    `Goals: ${list(context.goals)}`,
    `Objections: ${list(context.objections)}`,
    `Competitors: ${list(context.competitors)}`,
    `Stakeholders: ${list(context.stakeholders.map((s) => `${s.name} (${s.role}${s.engaged ? ', engaged' : ''})`))}`,
    `Milestones reached: ${list(context.milestones)}`,
  ].join('\n');
}

function isPermanent(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    (error.cause.type === PERMANENT_EMAIL_FAILURE || error.cause.type === PERMANENT_WEBHOOK_FAILURE)
  );
}

const causeMessage = (error: unknown) => ((error as ActivityFailure).cause?.message ?? (error as Error).message).slice(0, 200);
