/**
 * What a play run is given: the customer as it was when the play fired (a snapshot, so the run does
 * not change with the customer), and where each recipient is reached.
 */
import type { CustomerFacts } from '../domain/customer-facts';
import type { HealthResult } from '../domain/health';
import type { THealthBand, TLifecycleDefinition, TStageId } from '../domain/lifecycle-definition';
import type { TPlaySettings, TRecipient } from './definition';
import { isCustomerFacing } from './lookups';

export interface PlayCustomerContext {
  customerWorkflowId: string;
  customerId: string;
  name: string;
  arr: number;
  segment: string;
  stage: TStageId;
  csmOwner: string;
  contractEnd: string;
  timezone: string;
  health: { score: number | null; band: THealthBand | null; reasons: string[] } | null;
  stakeholders: { id: string; name: string; role: string; email?: string; engaged: boolean }[];
  milestones: string[];
  successCriteria: string[];
  goals: string[];
  objections: string[];
  competitors: string[];
  definitionVersion: string;
}

/**
 * "Why is it red?" in a line each: the hard conditions that hold (they decide the band whatever the
 * score), then the weakest inputs, worst first.
 */
export function healthReasons(health: HealthResult | null, limit = 3): string[] {
  if (!health) return [];
  const conditions = (health.conditions ?? []).map((c) => (c.cap ? `${c.label} (caps health at ${c.cap})` : `${c.label} (-${c.subtract} points)`));
  const inputs = health.dimensions
    .flatMap((dimension) =>
      dimension.inputs
        .filter((input) => input.score !== null)
        .map((input) => ({ text: `${dimension.label}: ${input.metric} = ${round(input.value)} (${Math.round(input.score!)}/100)`, score: input.score! })),
    )
    .sort((a, b) => a.score - b.score)
    .slice(0, limit)
    .map((reason) => reason.text);
  return [...conditions, ...inputs];
}

const round = (value: number | null) => (value === null ? '—' : Math.round(value * 100) / 100);

/** The customer's state a context is taken from. */
export interface PlayCustomerInput {
  customerWorkflowId: string;
  facts: CustomerFacts;
  segment: string;
  stage: TStageId;
  health: HealthResult | null;
  timezone?: string;
  objections?: string[];
  competitors?: string[];
  definition: TLifecycleDefinition;
}

export function playCustomerContext(input: PlayCustomerInput): PlayCustomerContext {
  const { facts, health, definition } = input;
  return {
    customerWorkflowId: input.customerWorkflowId,
    customerId: facts.customerId,
    name: facts.name,
    arr: facts.arr,
    segment: input.segment,
    stage: input.stage,
    csmOwner: facts.csmOwner,
    contractEnd: facts.contractEnd,
    timezone: input.timezone ?? definition.playSettings?.defaultTimezone ?? 'UTC',
    health: health ? { score: health.score, band: health.band, reasons: healthReasons(health) } : null,
    stakeholders: Object.values(facts.stakeholders).map((s) => ({
      id: s.id,
      name: s.name,
      role: s.role,
      ...(s.email ? { email: s.email } : {}),
      engaged: s.engaged,
    })),
    milestones: Object.keys(facts.milestones).sort(),
    successCriteria: facts.successCriteria,
    goals: facts.goals,
    objections: input.objections ?? [],
    competitors: input.competitors ?? [],
    definitionVersion: definition.version,
  };
}

export interface ResolvedRecipient {
  address: string;
  name: string;
  customerFacing: boolean;
}

/** Where `to` is reached for this customer; undefined when nobody is (no champion, no email on file). */
export function resolveRecipient(to: TRecipient, ctx: PlayCustomerContext, settings: TPlaySettings): ResolvedRecipient | undefined {
  const { routing } = settings;
  switch (to) {
    case 'csm':
      return ctx.csmOwner.includes('@') ? { address: ctx.csmOwner, name: ctx.csmOwner, customerFacing: false } : undefined;
    case 'csm_manager': {
      const address = routing.managerByCsm[ctx.csmOwner] ?? routing.csmManager;
      return { address, name: `manager of ${ctx.csmOwner}`, customerFacing: false };
    }
    case 'sales':
    case 'support':
    case 'marketing':
      return { address: routing[to], name: to, customerFacing: false };
    default: {
      const person = ctx.stakeholders.find((s) => s.role === to && s.email);
      return person ? { address: person.email!, name: person.name, customerFacing: isCustomerFacing(to) } : undefined;
    }
  }
}
