/**
 * Plays (playbooks) as code: what fires a play, what it does step by step, what counts as success,
 * who is escalated to when it does not land, and how often it may run for one customer. Part of the
 * lifecycle definition, validated with it when the worker starts, and handed to each play run as a
 * snapshot: editing a play changes new runs only, never a customer already inside it.
 *
 * Plain data only (templates are strings with `{{placeholders}}`), so a play can be recorded in a
 * workflow's history and diffed in review. Sandbox-safe: zod is pure JavaScript.
 */
import { z } from 'zod';
import { CUSTOMER_RECIPIENTS, isCustomerFacing, triggersOf } from './lookups';
import { planCount, planDays } from '../domain/bounds';
import { CUSTOMER_EVENT_TYPES, ZCondition, ZHealthBand, ZScoredBand, ZStageId } from '../domain/conditions';

const snakeId = z.string().regex(/^[a-z0-9_]+$/, 'use lower_snake_case');

/** People inside the vendor: whom a task is assigned to, who is informed. */
export const TEAM_ROLES = ['csm', 'csm_manager', 'sales', 'support', 'marketing'] as const;
export const ZTeamRole = z.enum(TEAM_ROLES);
export type TTeamRole = z.infer<typeof ZTeamRole>;

/** People at the customer (by stakeholder role). Email to them is customer-facing: quiet hours apply. */
export { CUSTOMER_RECIPIENTS };
export const ZRecipient = z.enum([...TEAM_ROLES, ...CUSTOMER_RECIPIENTS]);
export type TRecipient = z.infer<typeof ZRecipient>;
// Kept where the workflows can import them without building the plays' schemas.
export { isCustomerFacing, triggersOf };

/**
 * What a template may refer to. Unknown placeholders are rejected when the definition is loaded,
 * so a typo fails the pull request, not a customer's email.
 */
export const TEMPLATE_PLACEHOLDERS = [
  'customer.id',
  'customer.name',
  'customer.arr',
  'customer.segment',
  'customer.stage',
  'customer.renewalDate',
  'customer.successCriteria',
  'customer.goals',
  'customer.stakeholders',
  'customer.objections',
  'customer.competitors',
  'csm',
  'health.score',
  'health.band',
  'health.reasons',
  'play.label',
  'play.goal',
  'trigger',
  'recipient.name',
  'champion.name',
  'sponsor.name',
] as const;
export type TTemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
export const ZTemplate = z
  .string()
  .min(1)
  .superRefine((template, ctx) => {
    for (const match of template.matchAll(PLACEHOLDER)) {
      if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(match[1]!)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder {{${match[1]}}}; known: ${TEMPLATE_PLACEHOLDERS.join(', ')}`,
        });
      }
    }
  });

const TIMER_KINDS = ['renewal', 'qbr', 'inactivity', 'time_to_value', 'stage_sla', 'advocacy'] as const;

const ZPrimitive = z.union([z.string(), z.number(), z.boolean()]);
/** An event field (dotted path, e.g. `stakeholder.role`) equal to a value, one of a list, or in a range. */
const ZFieldMatch = z.union([ZPrimitive, z.array(ZPrimitive).min(1), z.object({ lte: z.number().optional(), gte: z.number().optional() }).strict()]);
export type TFieldMatch = z.infer<typeof ZFieldMatch>;

/**
 * What starts a play. Edges only: a band change fires when the band becomes one of `to`, a
 * condition when it turns from false to true, so a customer sitting in red does not restart the
 * red play on every evaluation.
 */
const ZSingleTrigger = z.discriminatedUnion('on', [
  /** The sales-to-CS handoff that starts the customer. */
  z.object({ on: z.literal('handoff') }).strict(),
  z.object({ on: z.literal('stage_entered'), stage: ZStageId }).strict(),
  z.object({ on: z.literal('stage_left'), stage: ZStageId }).strict(),
  // Scored bands only: becoming or leaving insufficient_data is not a health change.
  z.object({ on: z.literal('band_changed'), to: z.array(ZScoredBand).min(1) }).strict(),
  /** A lifecycle timer firing; `step` picks one rung of the renewal ladder by its id. */
  z.object({ on: z.literal('timer'), timer: z.enum(TIMER_KINDS), step: snakeId.optional() }).strict(),
  z.object({ on: z.literal('sla'), threshold: z.enum(['behind', 'stuck']), stage: ZStageId.optional() }).strict(),
  z.object({ on: z.literal('event'), event: z.enum(CUSTOMER_EVENT_TYPES), match: z.record(z.string(), ZFieldMatch).default({}) }).strict(),
  z.object({ on: z.literal('condition'), when: ZCondition }).strict(),
]);
export type TSingleTrigger = z.infer<typeof ZSingleTrigger>;
/** One trigger, or `{ on: 'any', of: [...] }`: the first of several that fires. */
export const ZPlayTrigger = z.union([ZSingleTrigger, z.object({ on: z.literal('any'), of: z.array(ZSingleTrigger).min(2) }).strict()]);
export type TPlayTrigger = z.infer<typeof ZPlayTrigger>;

/** What a `wait` step waits for: a milestone, any event of a type, or the band becoming one of these. */
export const ZWaitFor = z.union([
  z.object({ milestone: snakeId }).strict(),
  z.object({ event: z.enum(CUSTOMER_EVENT_TYPES) }).strict(),
  z.object({ band: z.array(ZHealthBand).min(1) }).strict(),
]);
export type TWaitFor = z.infer<typeof ZWaitFor>;

const stepId = { id: snakeId };
export const ZPlayStep = z.discriminatedUnion('kind', [
  z.object({ ...stepId, kind: z.literal('email'), to: ZRecipient, subject: ZTemplate, body: ZTemplate }).strict(),
  z
    .object({
      ...stepId,
      kind: z.literal('task'),
      assignee: ZTeamRole,
      title: ZTemplate,
      detail: ZTemplate.optional(),
      dueInDays: planDays(),
      priority: z.enum(['low', 'medium', 'high', 'urgent']).default('medium'),
    })
    .strict(),
  /** A signed POST to a configured target (`WEBHOOK_TARGETS`); skipped, and recorded as such, when not configured. */
  z.object({ ...stepId, kind: z.literal('webhook'), target: snakeId, event: z.string().min(1) }).strict(),
  /**
   * A handoff with context to another team: a task for them carrying the customer's context, and
   * the same context to their system through `target` when that webhook is configured.
   */
  z
    .object({
      ...stepId,
      kind: z.literal('handoff'),
      to: z.enum(['sales', 'support', 'csm']),
      note: ZTemplate,
      target: snakeId.optional(),
      dueInDays: planDays().default(3),
    })
    .strict(),
  z
    .object({
      ...stepId,
      kind: z.literal('wait'),
      for: ZWaitFor,
      withinDays: planDays('positive'),
      /** escalate: run the play's escalation, then end; continue: go on with the next step; end: stop here. */
      onTimeout: z.enum(['escalate', 'continue', 'end']).default('escalate'),
    })
    .strict(),
  /** A task for the CSM's manager and an email to them. */
  z.object({ ...stepId, kind: z.literal('escalate'), reason: ZTemplate }).strict(),
]);
export type TPlayStep = z.infer<typeof ZPlayStep>;

export const ZPlay = z
  .object({
    id: snakeId,
    label: z.string().min(1),
    goal: z.string().min(1),
    owner: z.object({ responsible: ZTeamRole, informed: z.array(ZTeamRole).default([]) }).strict(),
    trigger: ZPlayTrigger,
    /** Extra guard checked when the trigger fires (e.g. only green accounts get the advocacy ask). */
    onlyIf: ZCondition.optional(),
    /** Only while the customer is in one of these stages. */
    stages: z.array(ZStageId).min(1).optional(),
    steps: z.array(ZPlayStep).min(1),
    /** The play landed when this holds within `withinDays` of its start; otherwise its escalation runs. */
    success: z
      .object({ when: ZCondition, withinDays: planDays('positive') })
      .strict()
      .optional(),
    /** Run when success is not reached in time or a wait times out with `escalate`. */
    escalation: z.array(ZPlayStep).default([]),
    caps: z
      .object({
        /**
         * Not again within this many days of the last start, counted in UTC calendar days: with 30,
         * a play started on 1 March may start again from 31 March, at any hour. A fractional value
         * (0.5 = twelve hours) is counted exactly.
         */
        cooldownDays: planDays().default(0),
        /** At most this many starts in any 365 calendar days (UTC), today included. */
        maxPerYear: planCount(1).optional(),
        /** At most this many starts ever (1 = once per customer). */
        maxTotal: planCount(1).optional(),
      })
      .strict()
      .default({ cooldownDays: 0 }),
    /** Turn a play off without deleting it. */
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((play, ctx) => {
    const seen = new Set<string>();
    const check = (steps: TPlayStep[], path: string) =>
      steps.forEach((step, index) => {
        if (seen.has(step.id)) ctx.addIssue({ code: 'custom', message: `duplicate step id "${step.id}"`, path: [path, index, 'id'] });
        seen.add(step.id);
        if (path === 'escalation' && step.kind === 'wait') {
          ctx.addIssue({ code: 'custom', message: 'an escalation cannot wait', path: [path, index, 'kind'] });
        }
      });
    check(play.steps, 'steps');
    check(play.escalation, 'escalation');
  });
export type TPlay = z.infer<typeof ZPlay>;

/** Where team roles are reached, and when customer-facing email may go out. */
export const ZPlaySettings = z
  .object({
    routing: z
      .object({
        csmManager: z.email(),
        sales: z.email(),
        support: z.email(),
        marketing: z.email(),
        /** A CSM's own manager, by the CSM owner as written in the handoff. */
        managerByCsm: z.record(z.string(), z.email()).default({}),
      })
      .strict(),
    /** Customer-facing email waits until quiet hours end, in the customer's time zone. */
    quietHours: z
      .object({
        fromHour: z.number().int().min(0).max(23),
        toHour: z.number().int().min(0).max(23),
        weekends: z.boolean().default(true),
      })
      .strict()
      .refine((q) => q.fromHour !== q.toHour, { message: 'fromHour and toHour must differ', path: ['toHour'] }),
    /** Used when a handoff names no time zone. */
    defaultTimezone: z.string().min(1).default('UTC'),
  })
  .strict();
export type TPlaySettings = z.infer<typeof ZPlaySettings>;
