/**
 * Every word a play run writes: the templates of a play's own steps filled in for a customer, the
 * engine's fixed emails and tasks (the summary to informed roles, the handoff task, the escalation
 * task and email), and the one-line results its progress records. In one place so the wording can
 * be read, reviewed and tested without running a workflow. Pure and sandbox-safe.
 *
 * Bounded: a subject or title is one line of at most `WORDING_LIMITS.line` characters, a body at
 * most `WORDING_LIMITS.body`, whatever the customer's lists hold (a handoff may name 50 goals of
 * 500 characters each), so no run hands the outbox or the task list an unbounded string.
 */
import { LIMITS, storableText } from '../domain/bounds';
import type { PlayCustomerContext } from './customer-context';
import type { TPlay, TTeamRole } from './definition';

export const WORDING_LIMITS = {
  /** A subject or a title. */
  line: LIMITS.line,
  /** A body or a task's detail: room for the handoff context of a customer with full lists. */
  body: 20_000,
} as const;

const line = (text: string) => storableText(text, WORDING_LIMITS.line);
const body = (text: string) => storableText(text, WORDING_LIMITS.body);

export interface EmailWording {
  subject: string;
  text: string;
}

export interface TaskWording {
  title: string;
  detail: string;
}

// ---------------------------------------------------------------------------------------------
// Templates

/** What each `{{placeholder}}` stands for, for this customer, play and recipient. */
export function templateValues(ctx: PlayCustomerContext, play: Pick<TPlay, 'label' | 'goal'>, why: string, recipientName = ''): Record<string, string> {
  const byRole = (role: string) => ctx.stakeholders.find((s) => s.role === role)?.name ?? '';
  return {
    'customer.id': ctx.customerId,
    'customer.name': ctx.name,
    'customer.arr': ctx.arr.toLocaleString('en-US'),
    'customer.segment': ctx.segment,
    'customer.stage': ctx.stage,
    'customer.renewalDate': ctx.contractEnd.slice(0, 10),
    'customer.successCriteria': ctx.successCriteria.join('; ') || '—',
    'customer.goals': ctx.goals.join('; ') || '—',
    'customer.stakeholders': ctx.stakeholders.map((s) => `${s.name} (${s.role}${s.engaged ? '' : ', not engaged'})`).join(', ') || '—',
    'customer.objections': ctx.objections.join('; ') || '—',
    'customer.competitors': ctx.competitors.join('; ') || '—',
    csm: ctx.csmOwner,
    'health.score': ctx.health?.score === null || ctx.health === null ? 'no data yet' : String(ctx.health.score),
    'health.band': ctx.health?.band ?? 'no data yet',
    'health.reasons': ctx.health?.reasons.join('; ') || '—',
    'play.label': play.label,
    'play.goal': play.goal,
    trigger: why,
    'recipient.name': recipientName,
    'champion.name': byRole('champion'),
    'sponsor.name': byRole('executive_sponsor'),
  };
}

/** Fills `{{placeholders}}` (validated when the definition loaded, so every one is known). */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, key: string) => values[key] ?? '');
}

/** A play's own email step, filled in for its recipient. */
export function stepEmail(step: { subject: string; body: string }, values: Record<string, string>): EmailWording {
  return { subject: line(renderTemplate(step.subject, values)), text: body(renderTemplate(step.body, values)) };
}

/** A play's own task step, filled in; no detail template is an empty detail. */
export function stepTask(step: { title: string; detail?: string }, values: Record<string, string>): TaskWording {
  return { title: line(renderTemplate(step.title, values)), detail: step.detail ? body(renderTemplate(step.detail, values)) : '' };
}

/** A template that becomes part of a longer text (a handoff's note, an escalation's reason). */
export const renderPart = (template: string, values: Record<string, string>): string => body(renderTemplate(template, values));

// ---------------------------------------------------------------------------------------------
// The engine's own emails and tasks

/** The summary an informed role (`owner.informed`) gets when the run ends: how it went, step by step. */
export function informedEmail(input: {
  play: Pick<TPlay, 'label' | 'owner'>;
  customerName: string;
  why: string;
  role: TTeamRole;
  outcome: string;
  steps: { stepId: string; result: string }[];
}): EmailWording {
  const { play, customerName, why, role, outcome } = input;
  const steps = input.steps.map((s) => `- ${s.stepId}: ${s.result}`).join('\n');
  return {
    subject: line(`[${outcome}] ${play.label}: ${customerName}`),
    text: body(
      `For your information (${role}). ${play.label} for ${customerName} ended: ${outcome}.\nWhy it fired: ${why}\nResponsible: ${play.owner.responsible}\n\n${steps}`,
    ),
  };
}

/** What a handoff gives the receiving team, to pick the customer up without a meeting. */
export interface HandoffContext {
  note: string;
  successCriteria: string[];
  goals: string[];
  objections: string[];
  competitors: string[];
  stakeholders: PlayCustomerContext['stakeholders'];
  milestones: string[];
  health: PlayCustomerContext['health'];
  arr: number;
  renewalDate: string;
}

export function handoffContext(customer: PlayCustomerContext, note: string): HandoffContext {
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

/** The context as lines of text, for the task (the webhook carries it as data). */
export function handoffText(context: Omit<HandoffContext, 'note' | 'health' | 'arr' | 'renewalDate'>): string {
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

/** The task a handoff step creates for the receiving team. */
export function handoffTask(input: { to: string; customerName: string; context: HandoffContext }): TaskWording {
  return {
    title: line(`Handoff to ${input.to}: ${input.customerName}`),
    detail: body(`${input.context.note}\n\n${handoffText(input.context)}`),
  };
}

type EscalationInput = {
  play: Pick<TPlay, 'label' | 'goal'>;
  customer: Pick<PlayCustomerContext, 'name' | 'csmOwner' | 'health'>;
  why: string;
  reason: string;
};

/** The urgent task for the CSM's manager when a play does not land. */
export function escalationTask({ play, customer, why, reason }: EscalationInput): TaskWording {
  return {
    title: line(`Escalation: ${play.label} for ${customer.name}`),
    detail: body(
      `${reason}\n\nWhy the play fired: ${why}\nCSM: ${customer.csmOwner}\nHealth: ${customer.health?.score ?? '—'} (${customer.health?.band ?? 'no data'})`,
    ),
  };
}

/** The email to the CSM's manager that goes with the escalation task. */
export function escalationEmail({ play, customer, why, reason, taskId }: EscalationInput & { taskId: string }): EmailWording {
  return {
    subject: line(`[Escalation] ${play.label}: ${customer.name}`),
    text: body(`${reason}\n\nPlay: ${play.label} (${play.goal})\nWhy it fired: ${why}\nCSM: ${customer.csmOwner}\nTask: ${taskId}`),
  };
}

// ---------------------------------------------------------------------------------------------
// What each step did, in a line (the run's progress, shown in the UI and the play-run record)

export const results = {
  skippedGoalMet: 'skipped: goal already met',
  waitArrived: 'arrived',
  waitTimedOut: (withinDays: number) => `timed out after ${withinDays} days`,
  goalReached: 'goal reached',
  goalNotReached: (withinDays: number) => `goal not reached within ${withinDays} days`,
  noAddress: (to: string) => `skipped: no address for ${to}`,
  email: (role: string, status: string) => `email to ${role} ${status}`,
  emailFailed: (role: string, message: string) => `email to ${role} failed permanently: ${message}`,
  webhook: (target: string, skipped: boolean) => (skipped ? `webhook ${target} not configured: skipped` : `webhook ${target} delivered`),
  webhookRejected: (target: string, message: string) => `webhook ${target} rejected: ${message}`,
  noSystem: 'no system to notify',
  task: (taskId: string, assignee: string) => `task ${taskId} for ${assignee}`,
  handoff: (taskId: string, to: string, posted: string) => `task ${taskId} for ${to}; ${posted}`,
  escalated: (taskId: string, sent: string) => `task ${taskId} for the CSM's manager; ${sent}`,
} as const;

/** Why a run escalates, in words (filled into the default escalation's reason). */
export const escalationReasons = {
  goalNotReached: (withinDays: number) => `goal not reached within ${withinDays} days`,
  waitTimedOut: (stepId: string, withinDays: number) => `${stepId} did not happen within ${withinDays} days`,
} as const;
