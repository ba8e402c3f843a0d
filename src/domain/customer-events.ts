/**
 * What systems tell a customer's workflow, and the sales-to-CS handoff that starts it. Validated at
 * the edge (API, CLI) with these schemas; the workflow receives only valid input. A schema change here
 * is a workflow change: events already in histories must still parse the same way.
 * Sandbox-safe.
 */
import { z } from 'zod';
import { isTimeZone, ZStageId, ZStakeholderRole } from './lifecycle-definition';

const ZIsoDate = z.iso.datetime({ offset: true });

export const ZStakeholder = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    role: ZStakeholderRole,
    email: z.email().optional(),
  })
  .strict();
export type TStakeholder = z.infer<typeof ZStakeholder>;

/** A customer's business id: also part of its workflow id (`customer:<id>`). */
export const ZCustomerId = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - only (max 100)');

export const ZCustomerHandoff = z
  .object({
    customerId: ZCustomerId,
    name: z.string().min(1),
    arr: z.number().min(0),
    complexity: z.enum(['low', 'medium', 'high']).default('medium'),
    /** Overrides the segment derived from ARR and complexity. */
    segment: z.string().optional(),
    contractStart: ZIsoDate,
    contractEnd: ZIsoDate,
    csmOwner: z.string().min(1),
    stakeholders: z.array(ZStakeholder).default([]),
    successCriteria: z.array(z.string().min(1)).default([]),
    goals: z.array(z.string().min(1)).default([]),
    seatsPurchased: z.number().int().min(0).optional(),
    /** IANA time zone for customer-facing email quiet hours; the play settings' default when unset. */
    timezone: z
      .string()
      .refine(isTimeZone, { message: 'unknown time zone (use an IANA name such as America/New_York)' })
      .optional(),
    /** What sales learned that CS should know: objections raised, competitors considered. */
    objections: z.array(z.string().min(1)).default([]),
    competitors: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .refine((handoff) => Date.parse(handoff.contractEnd) > Date.parse(handoff.contractStart), {
    message: 'contractEnd must be after contractStart',
    path: ['contractEnd'],
  });
export type TCustomerHandoff = z.infer<typeof ZCustomerHandoff>;

const base = { id: z.string().min(1).max(200), occurredAt: ZIsoDate };

/**
 * Usage arrives already aggregated (a rollup per period): Temporal's guidance is a few signals per
 * second per workflow at most, so raw clicks are summed before they are signalled.
 */
export const ZUsageEvent = z
  .object({
    ...base,
    type: z.literal('usage'),
    logins: z.number().int().min(0),
    activeUsers: z.number().int().min(0).optional(),
    seatsUsed: z.number().int().min(0).optional(),
    seatsPurchased: z.number().int().min(0).optional(),
    keyFeaturesUsed: z.array(z.string().min(1)).default([]),
    lastLoginAt: ZIsoDate.optional(),
  })
  .strict();

export const ZTicketEvent = z
  .object({
    ...base,
    type: z.literal('ticket'),
    ticketId: z.string().min(1),
    action: z.enum(['opened', 'updated', 'resolved']),
    severity: z.enum(['low', 'medium', 'high', 'urgent']),
    subject: z.string().optional(),
  })
  .strict();

export const ZSurveyEvent = z
  .object({
    ...base,
    type: z.literal('survey'),
    survey: z.enum(['nps', 'csat', 'ces']),
    score: z.number(),
    respondent: z.string().optional(),
    comment: z.string().optional(),
  })
  .strict()
  .refine(
    (event) =>
      event.survey === 'nps'
        ? Number.isInteger(event.score) && event.score >= 0 && event.score <= 10
        : event.survey === 'csat'
          ? event.score >= 1 && event.score <= 5
          : event.score >= 1 && event.score <= 7,
    { message: 'score out of range for the survey (nps 0-10, csat 1-5, ces 1-7)', path: ['score'] },
  );

export const ZMilestoneEvent = z
  .object({ ...base, type: z.literal('milestone'), milestone: z.string().regex(/^[a-z0-9_]+$/, 'use lower_snake_case') })
  .strict();

export const ZStakeholderEvent = z
  .object({
    ...base,
    type: z.literal('stakeholder'),
    action: z.enum(['added', 'left', 'role_changed', 'engaged', 'disengaged']),
    stakeholder: ZStakeholder,
  })
  .strict();

export const ZContractEvent = z
  .object({
    ...base,
    type: z.literal('contract'),
    action: z.enum(['renewal_date_moved', 'renewed', 'expanded', 'contracted', 'churned']),
    contractEnd: ZIsoDate.optional(),
    arr: z.number().min(0).optional(),
  })
  .strict();

export const ZPaymentEvent = z
  .object({ ...base, type: z.literal('payment'), status: z.enum(['current', 'late', 'failed']) })
  .strict();

export const ZCustomerEvent = z.union([
  ZUsageEvent,
  ZTicketEvent,
  ZSurveyEvent,
  ZMilestoneEvent,
  ZStakeholderEvent,
  ZContractEvent,
  ZPaymentEvent,
]);
export type TCustomerEvent = z.infer<typeof ZCustomerEvent>;

export const ZStageOverride = z.object({ stage: ZStageId, reason: z.string().trim().min(3), by: z.string().min(1) }).strict();
export type TStageOverride = z.infer<typeof ZStageOverride>;

export const ZCsmSentiment = z
  .object({ score: z.number().int().min(1).max(5), note: z.string().optional(), by: z.string().min(1) })
  .strict();
export type TCsmSentiment = z.infer<typeof ZCsmSentiment>;
