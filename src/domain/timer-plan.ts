/**
 * Which durable timers a customer has, derived from its state each time anything changes, so a
 * timer moves when its basis moves (renewal date, segment, last login). Each timer's id embeds its
 * basis: a moved renewal date yields new ids, and the workflow fires each id once. Sandbox-safe.
 */
import type { CustomerFacts } from './customer-facts';
import type { TLifecycleDefinition, TSegment, TStage } from './lifecycle-definition';

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
}

const DAY_MS = 24 * 60 * 60 * 1000;
const addDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY_MS).toISOString();

/** Every timer that applies now, due or not, sorted by time. The workflow skips ids already fired. */
export function planTimers(definition: TLifecycleDefinition, basis: TimerBasis, now: string): PlannedTimer[] {
  const { facts, segment, stage } = basis;
  const timers: PlannedTimer[] = [];
  const { timers: config } = definition;
  if (facts.contractStatus === 'churned') return timers;

  for (const step of config.renewalLadder) {
    if (step.segments && !step.segments.includes(segment.id)) continue;
    const at = addDays(facts.contractEnd, step.daysFromContractEnd);
    timers.push({ id: `renewal:${step.id}:${facts.contractEnd.slice(0, 10)}`, kind: 'renewal', at, label: step.label, ref: step.id });
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

  for (const threshold of ['behind', 'stuck'] as const) {
    const days = threshold === 'behind' ? stage.sla.behindAfterDays : stage.sla.stuckAfterDays;
    timers.push({
      id: `stage_sla:${stage.id}:${threshold}:${basis.stageEnteredAt}`,
      kind: 'stage_sla',
      at: addDays(basis.stageEnteredAt, days),
      label: `${stage.id} ${threshold} after ${days} days`,
    });
  }

  if (basis.onboardingCompletedAt) {
    timers.push({
      id: `advocacy:${basis.onboardingCompletedAt}`,
      kind: 'advocacy',
      at: addDays(basis.onboardingCompletedAt, config.advocacyWindow.fromDaysAfterOnboarding),
      label: `advocacy window opens (${config.advocacyWindow.fromDaysAfterOnboarding}-${config.advocacyWindow.toDaysAfterOnboarding} days after onboarding)`,
    });
  }

  const tickBasis = basis.lastHealthAt ?? now;
  const tickAt = new Date(Date.parse(tickBasis) + config.healthTickHours * 60 * 60 * 1000).toISOString();
  timers.push({ id: `health_tick:${tickAt}`, kind: 'health_tick', at: tickAt, label: 'daily health recompute' });

  return timers.sort((a, b) => a.at.localeCompare(b.at));
}
