/**
 * What systems tell a customer's workflow, and the sales-to-CS handoff that starts it. Validated at
 * the edge (API, CLI) with these schemas; the workflow receives only valid input. A schema change here
 * is a workflow change: events already in histories must still parse the same way.
 * Sandbox-safe.
 */
import { z } from 'zod';
import { boundedDate, boundedText, contractDate, LIMITS } from './bounds';
import { CUSTOMER_EVENT_TYPES } from './conditions';
import { ZStageId, ZStakeholderRole } from './conditions';
import { isTimeZone } from './definition-lookups';

const ZIsoDate = boundedDate();
const ZId = boundedText(LIMITS.id);
const ZName = boundedText(LIMITS.name);
const ZLine = boundedText(LIMITS.line);
const ZCount = z.number().int().min(0).max(LIMITS.count);
const ZArr = z.number().min(0).max(LIMITS.arr);
const ZEmail = z.email().max(254);

export const ZStakeholder = z
  .object({
    id: ZId,
    name: ZName,
    role: ZStakeholderRole,
    email: ZEmail.optional(),
  })
  .strict();
export type TStakeholder = z.infer<typeof ZStakeholder>;

/** A customer's business id: also part of its workflow id (`customer:<id>`). */
export const ZCustomerId = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - only (max 100)');

export const ZCustomerHandoff = z
  .object({
    customerId: ZCustomerId,
    name: ZName,
    arr: ZArr,
    complexity: z.enum(['low', 'medium', 'high']).default('medium'),
    /** Overrides the segment derived from ARR and complexity. */
    segment: boundedText(100).optional(),
    contractStart: contractDate(),
    contractEnd: contractDate(),
    csmOwner: ZName,
    stakeholders: z.array(ZStakeholder).max(LIMITS.stakeholders).default([]),
    successCriteria: z.array(ZLine).max(LIMITS.listItems).default([]),
    goals: z.array(ZLine).max(LIMITS.listItems).default([]),
    seatsPurchased: ZCount.optional(),
    /** IANA time zone for customer-facing email quiet hours; the play settings' default when unset. */
    timezone: z.string().max(64).refine(isTimeZone, { message: 'unknown time zone (use an IANA name such as America/New_York)' }).optional(),
    /** What sales learned that CS should know: objections raised, competitors considered. */
    objections: z.array(ZLine).max(LIMITS.listItems).default([]),
    competitors: z.array(ZLine).max(LIMITS.listItems).default([]),
  })
  .strict()
  .refine((handoff) => Date.parse(handoff.contractEnd) > Date.parse(handoff.contractStart), {
    message: 'contractEnd must be after contractStart',
    path: ['contractEnd'],
  });
export type TCustomerHandoff = z.infer<typeof ZCustomerHandoff>;

const base = { id: ZId, occurredAt: ZIsoDate };

/**
 * Usage arrives already aggregated (a rollup per period): Temporal's guidance is a few signals per
 * second per workflow at most, so raw clicks are summed before they are signalled.
 */
export const ZUsageEvent = z
  .object({
    ...base,
    type: z.literal('usage'),
    logins: ZCount,
    activeUsers: ZCount.optional(),
    seatsUsed: ZCount.optional(),
    seatsPurchased: ZCount.optional(),
    keyFeaturesUsed: z.array(boundedText(LIMITS.featureName)).max(LIMITS.featuresPerEvent).default([]),
    lastLoginAt: ZIsoDate.optional(),
  })
  .strict();

export const ZTicketEvent = z
  .object({
    ...base,
    type: z.literal('ticket'),
    ticketId: ZId,
    action: z.enum(['opened', 'updated', 'resolved']),
    severity: z.enum(['low', 'medium', 'high', 'urgent']),
    subject: ZLine.optional(),
  })
  .strict();

const ZSurveyEventObject = z
  .object({
    ...base,
    type: z.literal('survey'),
    survey: z.enum(['nps', 'csat', 'ces']),
    score: z.number(),
    respondent: ZName.optional(),
    comment: boundedText(LIMITS.text, 0).optional(),
  })
  .strict();
const surveyScoreInRange = {
  check: (event: { survey: 'nps' | 'csat' | 'ces'; score: number }) =>
    event.survey === 'nps'
      ? Number.isInteger(event.score) && event.score >= 0 && event.score <= 10
      : event.survey === 'csat'
        ? event.score >= 1 && event.score <= 5
        : event.score >= 1 && event.score <= 7,
  params: { message: 'score out of range for the survey (nps 0-10, csat 1-5, ces 1-7)', path: ['score'] },
};
export const ZSurveyEvent = ZSurveyEventObject.refine(surveyScoreInRange.check, surveyScoreInRange.params);

export const ZMilestoneEvent = z
  .object({
    ...base,
    type: z.literal('milestone'),
    milestone: z
      .string()
      .max(100, 'at most 100 characters')
      .regex(/^[a-z0-9_]+$/, 'use lower_snake_case'),
  })
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
    contractEnd: contractDate().optional(),
    arr: ZArr.optional(),
  })
  .strict();

export const ZPaymentEvent = z.object({ ...base, type: z.literal('payment'), status: z.enum(['current', 'late', 'failed']) }).strict();

/** For an unknown `type`: which value was sent and which are known, instead of zod's generic text. */
function unknownTypeMessage(issue: { code?: string; input?: unknown }): string | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const sent = (issue.input as { type?: unknown } | undefined)?.type;
  const shown = typeof sent === 'string' ? JSON.stringify(sent.slice(0, 50)) : sent === undefined ? 'missing' : typeof sent;
  return `unknown event type ${shown}; one of ${CUSTOMER_EVENT_TYPES.join(', ')}`;
}

/**
 * Told apart by `type`, so an invalid event is answered with the field that is wrong
 * (`events.3.logins: expected number`) instead of "Invalid input" for the union as a whole.
 */
export const ZCustomerEvent = z.discriminatedUnion(
  'type',
  [ZUsageEvent, ZTicketEvent, ZSurveyEvent, ZMilestoneEvent, ZStakeholderEvent, ZContractEvent, ZPaymentEvent],
  { error: unknownTypeMessage },
);
export type TCustomerEvent = z.infer<typeof ZCustomerEvent>;

/**
 * An event as the API takes it: the event's own fields plus the customer it belongs to. Built
 * from the same objects as `ZCustomerEvent`, so the OpenAPI document shows every type's fields.
 */
const withCustomer = { customerId: ZCustomerId };
export const ZCustomerEventWithCustomer = z.discriminatedUnion(
  'type',
  [
    ZUsageEvent.extend(withCustomer),
    ZTicketEvent.extend(withCustomer),
    ZSurveyEventObject.extend(withCustomer).refine(surveyScoreInRange.check, surveyScoreInRange.params),
    ZMilestoneEvent.extend(withCustomer),
    ZStakeholderEvent.extend(withCustomer),
    ZContractEvent.extend(withCustomer),
    ZPaymentEvent.extend(withCustomer),
  ],
  { error: unknownTypeMessage },
);

export const ZStageOverride = z.object({ stage: ZStageId, reason: boundedText(LIMITS.line).pipe(z.string().trim().min(3)), by: ZName }).strict();
export type TStageOverride = z.infer<typeof ZStageOverride>;

export const ZCsmSentiment = z.object({ score: z.number().int().min(1).max(5), note: boundedText(LIMITS.text, 0).optional(), by: ZName }).strict();
export type TCsmSentiment = z.infer<typeof ZCsmSentiment>;
