/**
 * Small, explicit lifecycle definitions, customers and events for the domain tests. Deliberately
 * independent of `default-lifecycle.ts`: each test states the numbers it relies on.
 */
import type { z } from 'zod';
import { type TCustomerEvent, type TCustomerHandoff, ZCustomerEvent, ZCustomerHandoff } from '../../src/domain/customer-events';
import { type CustomerFacts, factsFromHandoff, type StakeholderFact } from '../../src/domain/customer-facts';
import {
  STAGE_IDS,
  type TCondition,
  type THealthModel,
  type TLifecycleDefinition,
  type TLifecycleDefinitionInput,
  type TStage,
  type TStageId,
  ZHealthModel,
  ZLifecycleDefinition,
  ZStage,
} from '../../src/domain/lifecycle-definition';
import type { Metrics } from '../../src/domain/metrics';
import type { RuleContext } from '../../src/domain/stage-rules';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** `iso` plus `days` (may be fractional or negative), as `toISOString()` writes it. */
export const addDays = (iso: string, days: number): string => new Date(Date.parse(iso) + days * DAY_MS).toISOString();

type StageInput = TLifecycleDefinitionInput['stages'][number];
type HealthModelInput = TLifecycleDefinitionInput['healthModels'][number];

/** A stage with no exit criteria and a 30/60-day SLA unless overridden. */
export function stageInput(id: TStageId, overrides: Partial<Omit<StageInput, 'id'>> = {}): StageInput {
  return { id, owner: 'CSM', exit: { required: [] }, sla: { behindAfterDays: 30, stuckAfterDays: 60 }, ...overrides };
}

export function stage(id: TStageId, overrides: Partial<Omit<StageInput, 'id'>> = {}): TStage {
  return ZStage.parse(stageInput(id, overrides));
}

/**
 * The seed health model: usage 0.35, engagement 0.25, business outcomes 0.25, relationship 0.15;
 * bands green >= 80, yellow >= 60; trend 5 points over 30 days. Input weights sum to 1 in each
 * dimension so hand computations stay simple.
 */
export const SEED_HEALTH_MODEL_INPUT = {
  id: 'seed',
  dimensions: [
    {
      id: 'usage',
      label: 'Usage',
      weight: 0.35,
      inputs: [
        { metric: 'daysSinceLastLogin', weight: 0.3, zeroAt: 30, fullAt: 0 },
        { metric: 'seatUtilization', weight: 0.25, zeroAt: 0, fullAt: 0.8 },
        { metric: 'keyFeatureAdoption', weight: 0.3, zeroAt: 0, fullAt: 0.7 },
        { metric: 'loginTrend', weight: 0.15, zeroAt: -0.4, fullAt: 0 },
      ],
    },
    {
      id: 'engagement',
      label: 'Engagement',
      weight: 0.25,
      inputs: [
        { metric: 'stakeholdersEngaged', weight: 0.3, zeroAt: 0, fullAt: 3 },
        { metric: 'championPresent', weight: 0.25, zeroAt: 0, fullAt: 1 },
        { metric: 'executiveSponsorEngaged', weight: 0.2, zeroAt: 0, fullAt: 1 },
        { metric: 'csmSentiment', weight: 0.25, zeroAt: 1, fullAt: 5 },
      ],
    },
    {
      id: 'outcomes',
      label: 'Business outcomes',
      weight: 0.25,
      inputs: [
        { metric: 'outcomesAchieved', weight: 0.7, zeroAt: 0, fullAt: 3 },
        { metric: 'nps', weight: 0.3, zeroAt: 0, fullAt: 10 },
      ],
    },
    {
      id: 'relationship',
      label: 'Relationship',
      weight: 0.15,
      inputs: [
        { metric: 'csat', weight: 0.3, zeroAt: 1, fullAt: 5 },
        { metric: 'openHighSeverityTickets', weight: 0.3, zeroAt: 3, fullAt: 0 },
        { metric: 'paymentCurrent', weight: 0.25, zeroAt: 0, fullAt: 1 },
        { metric: 'ces', weight: 0.15, zeroAt: 7, fullAt: 1 },
      ],
    },
  ],
  bands: { green: 80, yellow: 60 },
  trendThreshold: 5,
  trendWindowDays: 30,
  // The re-weighting tables below judge any share known; the minimum has its own tests.
  minKnownWeight: 0,
} satisfies HealthModelInput;

export function healthModel(overrides: Partial<HealthModelInput> = {}): THealthModel {
  return ZHealthModel.parse({ ...SEED_HEALTH_MODEL_INPUT, ...overrides });
}

/** A one-dimension, one-input model: the score is the input's 0..100 mapping. */
export function singleInputModel(input: HealthModelInput['dimensions'][number]['inputs'][number], id = 'single'): THealthModel {
  return healthModel({ id, dimensions: [{ id: 'only', label: 'Only', weight: 1, inputs: [input] }] });
}

export type DefinitionOverrides = Partial<Omit<TLifecycleDefinitionInput, 'stages'>> & {
  /** Per-stage overrides merged into the plain default stage. */
  stages?: Partial<Record<TStageId, Partial<Omit<StageInput, 'id'>>>>;
};

/**
 * A complete, valid definition: five plain stages, the seed health model, three segments
 * (enterprise >= 50k, mid_market >= 15k, tech_touch catch-all) and a renewal ladder whose
 * value review is enterprise-only.
 */
export function definition(overrides: DefinitionOverrides = {}): TLifecycleDefinition {
  const { stages, ...rest } = overrides;
  const input: TLifecycleDefinitionInput = {
    name: 'test',
    version: 'test-1',
    stages: STAGE_IDS.map((id) => stageInput(id, stages?.[id] ?? {})),
    healthModels: [SEED_HEALTH_MODEL_INPUT],
    defaultHealthModel: 'seed',
    segments: [
      {
        id: 'enterprise',
        label: 'Enterprise',
        minArr: 50_000,
        engagement: 'high_touch',
        csmRatio: 20,
        qbrEveryDays: 90,
        timeToFirstValueDays: 90,
      },
      {
        id: 'mid_market',
        label: 'Mid-market',
        minArr: 15_000,
        engagement: 'hybrid',
        csmRatio: 60,
        qbrEveryDays: 180,
        timeToFirstValueDays: 60,
      },
      {
        id: 'tech_touch',
        label: 'Tech touch',
        minArr: 0,
        engagement: 'tech_touch',
        csmRatio: 250,
        qbrEveryDays: 90,
        timeToFirstValueDays: 30,
      },
    ],
    timers: {
      renewalLadder: [
        { id: 'value_review', label: 'Value review', daysFromContractEnd: -120, segments: ['enterprise'] },
        { id: 'renewal_conversation', label: 'Renewal conversation', daysFromContractEnd: -90 },
        { id: 'signature', label: 'Signature', daysFromContractEnd: -30 },
        { id: 'lapsed', label: 'Contract lapsed', daysFromContractEnd: 1 },
      ],
      inactivityDays: 14,
      advocacyWindow: { fromDaysAfterOnboarding: 180, toDaysAfterOnboarding: 365 },
      healthTickHours: 24,
    },
    keyFeatures: ['dashboards', 'reports', 'alerts', 'api'],
    outcomeMilestones: ['first_value', 'roi_documented'],
    ...rest,
  };
  return ZLifecycleDefinition.parse(input);
}

export const HANDOFF_AT = '2026-01-01T00:00:00.000Z';

export function handoff(overrides: Partial<z.input<typeof ZCustomerHandoff>> = {}): TCustomerHandoff {
  return ZCustomerHandoff.parse({
    customerId: 'acme',
    name: 'Acme',
    arr: 20_000,
    contractStart: '2026-01-01T00:00:00.000Z',
    contractEnd: '2027-01-01T00:00:00.000Z',
    csmOwner: 'dana',
    ...overrides,
  });
}

/** Facts straight after the handoff, with fields overridden as given. */
export function facts(overrides: Partial<CustomerFacts> = {}, handoffOverrides: Partial<z.input<typeof ZCustomerHandoff>> = {}): CustomerFacts {
  return { ...factsFromHandoff(handoff(handoffOverrides), HANDOFF_AT), ...overrides };
}

export function stakeholder(id: string, role: StakeholderFact['role'], engaged: boolean, name = id.charAt(0).toUpperCase() + id.slice(1)): StakeholderFact {
  return { id, name, role, engaged, addedAt: HANDOFF_AT };
}

export function stakeholders(...list: StakeholderFact[]): Record<string, StakeholderFact> {
  return Object.fromEntries(list.map((s) => [s.id, s]));
}

type EventInput = z.input<typeof ZCustomerEvent>;
type WithOptionalId<T> = T extends unknown ? Omit<T, 'id'> & { id?: string } : never;
let eventSeq = 0;

/** A validated event (schema defaults applied); the id is generated unless given. */
export function event(input: WithOptionalId<EventInput>): TCustomerEvent {
  eventSeq += 1;
  return ZCustomerEvent.parse({ id: `evt-${eventSeq}`, ...input });
}

export function ruleContext(overrides: Partial<RuleContext> = {}): RuleContext {
  return { facts: facts(), metrics: {} as Metrics, band: null, ...overrides };
}

export const milestone = (name: string): TCondition => ({ kind: 'milestone', milestone: name });
