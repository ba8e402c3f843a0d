/**
 * Which durable timers a customer has, derived from its state each time anything changes, so a
 * timer moves when its basis moves (renewal date, segment, last login). Each timer's id embeds its
 * basis, and the workflow fires each id once. A renewal rung's id is (contract term, rung): a moved
 * renewal date re-plans the rungs not yet fired without firing a fired one again, and a renewal
 * starts a new ladder. (Older runs embedded the contract end instead; see `pendingTimers`.)
 * Sandbox-safe.
 */
import type { CustomerFacts } from './customer-facts';
import type { TLifecycleDefinition, TSegment, TStage } from './lifecycle-definition';
import { slaThresholds } from './stage-rules';
import { isoPlusDays } from './instants';

export type TimerKind = 'renewal' | 'qbr' | 'inactivity' | 'time_to_value' | 'stage_sla' | 'advocacy' | 'health_tick';

export interface PlannedTimer {
  id: string;
  kind: TimerKind;
  at: string;
  /** Shown as the timer's summary in the Temporal UI and in the timeline. */
  label: string;
  /** Which rung of the renewal ladder (its id in the definition), for plays triggered by one rung. */
  ref?: string;
}

export interface TimerBasis {
  facts: CustomerFacts;
  segment: TSegment;
  stage: TStage;
  stageEnteredAt: string;
  onboardingCompletedAt?: string;
  lastHealthAt?: string;
  /**
   * The seed-held rules (from `seed-rules-v1`): rung ids per contract term, and no SLA timers once
   * the stage's exit is met. Absent for histories recorded before, which replay as they ran.
   */
  seedRules?: { term: number; exitMet: boolean };
  /** The lean step plans its health checks itself (`next-change.ts`): no daily tick timer then. */
  lean?: boolean;
}

/** A renewal rung's id: per contract term under the seed-held rules, else per contract end (older runs). */
export const renewalRungId = (stepId: string, basis: Pick<TimerBasis, 'facts' | 'seedRules'>) =>
  basis.seedRules ? `renewal:${stepId}:term-${basis.seedRules.term}` : `renewal:${stepId}:${basis.facts.contractEnd.slice(0, 10)}`;

const DAY_MS = 24 * 60 * 60 * 1000;
const addDays = isoPlusDays;

/** Every timer that applies now, due or not, sorted by time. The workflow skips ids already fired. */
export function planTimers(definition: TLifecycleDefinition, basis: TimerBasis, now: string): PlannedTimer[] {
  const { facts, segment, stage } = basis;
  const timers: PlannedTimer[] = [];
  const { timers: config } = definition;
  if (facts.contractStatus === 'churned') return timers;

  for (const step of config.renewalLadder) {
    if (step.segments && !step.segments.includes(segment.id)) continue;
    const at = addDays(facts.contractEnd, step.daysFromContractEnd);
    timers.push({ id: renewalRungId(step.id, basis), kind: 'renewal', at, label: step.label, ref: step.id });
  }

  // The latest QBR that came due and the next one: when the workflow wakes for QBR #n, "now" already
  // counts towards #n+1, so planning only the next would skip every QBR. Fired ids are skipped.
  const sinceStart = Math.max(0, (Date.parse(now) - Date.parse(facts.contractStart)) / DAY_MS);
  const nextQbr = Math.floor(sinceStart / segment.qbrEveryDays) + 1;
  for (const qbrNumber of nextQbr > 1 ? [nextQbr - 1, nextQbr] : [nextQbr]) {
    timers.push({
      id: `qbr:${segment.id}:${qbrNumber}`,
      kind: 'qbr',
      at: addDays(facts.contractStart, qbrNumber * segment.qbrEveryDays),
      label: `QBR #${qbrNumber} (${segment.label}, every ${segment.qbrEveryDays} days)`,
    });
  }

  const loginBasis = facts.lastLoginAt ?? facts.contractStart;
  timers.push({
    id: `inactivity:${loginBasis}`,
    kind: 'inactivity',
    at: addDays(loginBasis, config.inactivityDays),
    label: `${config.inactivityDays} days without login`,
  });

  if (!facts.milestones.first_value) {
    timers.push({
      id: `time_to_value:${segment.id}:${facts.contractStart.slice(0, 10)}`,
      kind: 'time_to_value',
      at: addDays(facts.contractStart, segment.timeToFirstValueDays),
      label: `first value due within ${segment.timeToFirstValueDays} days`,
    });
  }

  // A met exit is never behind: no SLA timers then (seed-held rules).
  if (!basis.seedRules?.exitMet) {
    const thresholds = slaThresholds(stage, basis.stageEnteredAt, facts.contractEnd);
    for (const threshold of ['behind', 'stuck'] as const) {
      const at = thresholds[threshold];
      // Time in stage: the id keeps its entry basis (as older runs planned it); to the contract end: its own time.
      const idBasis = 'behindAfterDays' in stage.sla ? basis.stageEnteredAt : at;
      timers.push({ id: `stage_sla:${stage.id}:${threshold}:${idBasis}`, kind: 'stage_sla', at, label: thresholds.label(threshold) });
    }
  }

  if (basis.onboardingCompletedAt) {
    timers.push({
      id: `advocacy:${basis.onboardingCompletedAt}`,
      kind: 'advocacy',
      at: addDays(basis.onboardingCompletedAt, config.advocacyWindow.fromDaysAfterOnboarding),
      label: `advocacy window opens (${config.advocacyWindow.fromDaysAfterOnboarding}-${config.advocacyWindow.toDaysAfterOnboarding} days after onboarding)`,
    });
  }

  if (basis.lean) return timers.sort((a, b) => a.at.localeCompare(b.at));
  const tickBasis = basis.lastHealthAt ?? now;
  const tickAt = new Date(Date.parse(tickBasis) + config.healthTickHours * 60 * 60 * 1000).toISOString();
  timers.push({ id: `health_tick:${tickAt}`, kind: 'health_tick', at: tickAt, label: 'daily health recompute' });

  return timers.sort((a, b) => a.at.localeCompare(b.at));
}
