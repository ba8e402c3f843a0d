/**
 * Pure rules over a customer's state: conditions, exit-criteria progress, time-in-stage SLA,
 * moving back on risk, which segment and which health model apply. The workflow asks these and acts
 * on the answers; tests drive them with tables. Sandbox-safe.
 */
import { isoPlusDays } from './instants';
import { contractEndAt, type CustomerFacts } from './customer-facts';
import { STAGE_IDS } from './conditions';
import type { TAchievement, TCondition, THealthBand, THealthModel, TLifecycleDefinition, TSegment, TStage, TStageId } from './lifecycle-definition';
import type { Metrics } from './metrics';

export interface RuleContext {
  facts: CustomerFacts;
  metrics: Metrics;
  band: THealthBand | null;
}

export function conditionMet(condition: TCondition, ctx: RuleContext): boolean {
  switch (condition.kind) {
    case 'milestone':
      return milestoneTiming(condition, ctx) === 'met';
    case 'metric': {
      const value = ctx.metrics[condition.metric];
      if (value === undefined) return false;
      switch (condition.op) {
        case '>=':
          return value >= condition.value;
        case '>':
          return value > condition.value;
        case '<=':
          return value <= condition.value;
        case '<':
          return value < condition.value;
        case '==':
          return value === condition.value;
      }
      return false;
    }
    case 'stakeholders': {
      const matching = Object.values(ctx.facts.stakeholders).filter(
        (s) => (condition.role === undefined || s.role === condition.role) && (condition.engaged === undefined || s.engaged === condition.engaged),
      );
      return matching.length >= condition.min;
    }
    case 'band':
      return ctx.band !== null && condition.in.includes(ctx.band);
    case 'any':
      return condition.of.some((c) => conditionMet(c, ctx));
    case 'all':
      return condition.of.every((c) => conditionMet(c, ctx));
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
const utcDay = (iso: string) => Math.floor(Date.parse(iso) / DAY_MS);

/**
 * A milestone is met, reached too late for a time-relative criterion ("at least 90 days before
 * contract end", counted in whole UTC days against the end in force when it occurred), or missing.
 */
function milestoneTiming(condition: Extract<TCondition, { kind: 'milestone' }>, ctx: RuleContext): 'met' | 'late' | 'missing' {
  const at = ctx.facts.milestones[condition.milestone];
  if (at === undefined) return 'missing';
  const before = condition.atLeastDaysBeforeContractEnd;
  if (before === undefined) return 'met';
  return utcDay(contractEndAt(ctx.facts, at)) - utcDay(at) >= before ? 'met' : 'late';
}

/** Not met, and only because a time-relative milestone it needs came too late. */
export function conditionLate(condition: TCondition, ctx: RuleContext): boolean {
  switch (condition.kind) {
    case 'milestone':
      return milestoneTiming(condition, ctx) === 'late';
    case 'any':
      return !conditionMet(condition, ctx) && condition.of.some((c) => conditionLate(c, ctx));
    case 'all':
      return !conditionMet(condition, ctx) && condition.of.some((c) => conditionLate(c, ctx));
    default:
      return false;
  }
}

export interface AchievementStatus {
  id: string;
  label: string;
  met: boolean;
  /** Reached, but too late to count (a time-relative criterion); absent when not late. */
  late?: boolean;
}

export interface ExitProgress {
  required: AchievementStatus[];
  optional: AchievementStatus[];
  minOptional: number;
  ready: boolean;
}

export function exitProgress(stage: TStage, ctx: RuleContext): ExitProgress {
  const status = (a: TAchievement): AchievementStatus => {
    const met = conditionMet(a.when, ctx);
    return !met && conditionLate(a.when, ctx) ? { id: a.id, label: a.label, met, late: true } : { id: a.id, label: a.label, met };
  };
  const required = stage.exit.required.map(status);
  const optional = stage.exit.optional.map(status);
  const ready = required.every((a) => a.met) && optional.filter((a) => a.met).length >= stage.exit.minOptional;
  return { required, optional, minOptional: stage.exit.minOptional, ready };
}

export type SlaStatus = 'on_track' | 'behind' | 'stuck';

export interface SlaBasis {
  /** Days until the contract end (negative once past), for a time box that runs to the renewal window. */
  daysToRenewal?: number;
  /** The stage's exit is met (for the last stage: its goal is reached): never behind. */
  exitMet?: boolean;
}

export function slaStatus(stage: TStage, daysInStage: number, basis: SlaBasis = {}): SlaStatus {
  if (basis.exitMet) return 'on_track';
  const { sla } = stage;
  if ('behindAfterDays' in sla) {
    if (daysInStage >= sla.stuckAfterDays) return 'stuck';
    if (daysInStage >= sla.behindAfterDays) return 'behind';
    return 'on_track';
  }
  if (basis.daysToRenewal === undefined) return 'on_track';
  if (basis.daysToRenewal <= sla.stuckDaysBeforeContractEnd) return 'stuck';
  if (basis.daysToRenewal <= sla.behindDaysBeforeContractEnd) return 'behind';
  return 'on_track';
}

/** When the stage's time box makes the customer behind and stuck, for the SLA timers. */
export function slaThresholds(
  stage: TStage,
  stageEnteredAt: string,
  contractEnd: string,
): { behind: string; stuck: string; label: (t: 'behind' | 'stuck') => string } {
  const { sla } = stage;
  const at = isoPlusDays;
  if ('behindAfterDays' in sla) {
    return {
      behind: at(stageEnteredAt, sla.behindAfterDays),
      stuck: at(stageEnteredAt, sla.stuckAfterDays),
      label: (t) => `${stage.id} ${t} after ${t === 'behind' ? sla.behindAfterDays : sla.stuckAfterDays} days`,
    };
  }
  return {
    behind: at(contractEnd, -sla.behindDaysBeforeContractEnd),
    stuck: at(contractEnd, -sla.stuckDaysBeforeContractEnd),
    label: (t) => `${stage.id} ${t} ${t === 'behind' ? sla.behindDaysBeforeContractEnd : sla.stuckDaysBeforeContractEnd} days before the contract end`,
  };
}

/** The first move-back rule of the stage whose condition holds. */
export function moveBackRule(stage: TStage, ctx: RuleContext): TStage['moveBack'][number] | undefined {
  return stage.moveBack.find((rule) => conditionMet(rule.when, ctx));
}

export function nextStage(stage: TStageId): TStageId | undefined {
  return STAGE_IDS[STAGE_IDS.indexOf(stage) + 1];
}

export function segmentFor(definition: TLifecycleDefinition, facts: Pick<CustomerFacts, 'arr' | 'complexity' | 'segmentOverride'>): TSegment {
  const override = facts.segmentOverride && definition.segments.find((s) => s.id === facts.segmentOverride);
  if (override) return override;
  const rank = { low: 0, medium: 1, high: 2 } as const;
  const match = definition.segments.find((s) => facts.arr >= s.minArr && (s.minComplexity === undefined || rank[facts.complexity] >= rank[s.minComplexity]));
  // The schema guarantees a catch-all segment.
  return match ?? definition.segments[definition.segments.length - 1]!;
}

/** Stage model, else segment model, else the default. */
export function healthModelFor(definition: TLifecycleDefinition, stage: TStage, segment: TSegment): THealthModel {
  const id = stage.healthModel ?? segment.healthModel ?? definition.defaultHealthModel;
  return definition.healthModels.find((m) => m.id === id)!;
}
