/**
 * What workflow code needs of a play definition at run time, apart from `definition.ts` on
 * purpose: every workflow evaluates the modules it imports (the SDK's per-workflow isolation), and
 * importing that module built every play schema once per cached customer, though a workflow never
 * parses a play (the definition arrives parsed). Types only from there. Sandbox-safe.
 */
import type { TPlayTrigger, TRecipient, TSingleTrigger } from './definition';

/** People at the customer (by stakeholder role). Email to them is customer-facing: quiet hours apply. */
export const CUSTOMER_RECIPIENTS = ['champion', 'executive_sponsor', 'decision_maker'] as const;

export const isCustomerFacing = (to: TRecipient): boolean => (CUSTOMER_RECIPIENTS as readonly string[]).includes(to);

export const triggersOf = (trigger: TPlayTrigger): TSingleTrigger[] => (trigger.on === 'any' ? trigger.of : [trigger]);
