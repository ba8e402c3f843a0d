/**
 * Pure rules over a customer's state: conditions, exit-criteria progress, time-in-stage SLA,
 * moving back on risk, which segment and which health model apply. The workflow asks these and acts
 * on the answers; tests drive them with tables. Sandbox-safe.
 */
import type { CustomerFacts } from './customer-facts';
import {
  STAGE_IDS,
  type TAchievement,
  type TCondition,
  type THealthBand,
  type THealthModel,
  type TLifecycleDefinition,
  type TSegment,
  type TStage,
  type TStageId,
} from './lifecycle-definition';
import type { Metrics } from './metrics';

export interface RuleContext {
  facts: CustomerFacts;
  metrics: Metrics;
  band: THealthBand | null;
}

export function conditionMet(condition: TCondition, ctx: RuleContext): boolean {
  switch (condition.kind) {
    case 'milestone':
      return ctx.facts.milestones[condition.milestone] !== undefined;
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

export interface AchievementStatus {
  id: string;
  label: string;
  met: boolean;
}

export interface ExitProgress {
  required: AchievementStatus[];
  optional: AchievementStatus[];
  minOptional: number;
  ready: boolean;
}

export function exitProgress(stage: TStage, ctx: RuleContext): ExitProgress {
  const status = (a: TAchievement): AchievementStatus => ({ id: a.id, label: a.label, met: conditionMet(a.when, ctx) });
  const required = stage.exit.required.map(status);
  const optional = stage.exit.optional.map(status);
  const ready = required.every((a) => a.met) && optional.filter((a) => a.met).length >= stage.exit.minOptional;
  return { required, optional, minOptional: stage.exit.minOptional, ready };
}

export type SlaStatus = 'on_track' | 'behind' | 'stuck';

export function slaStatus(stage: TStage, daysInStage: number): SlaStatus {
  if (daysInStage >= stage.sla.stuckAfterDays) return 'stuck';
  if (daysInStage >= stage.sla.behindAfterDays) return 'behind';
  return 'on_track';
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
