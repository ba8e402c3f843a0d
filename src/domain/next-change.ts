/**
 * When can a rule's outcome change if nothing arrives? The customer workflow used to wake every
 * `healthTickHours` to re-judge health and stage; most of those wake-ups changed nothing and each
 * cost a timer, a workflow task, an upsert and a database write. This module finds the earliest
 * health check at which anything observable would change, so the workflow sleeps until then.
 *
 * "Observable" is the outcome signature: the health band and its active hard conditions, whether
 * the current stage's exit is met and which move-back rule holds, the condition triggers of the
 * plays that may run in the stage, the goals of running plays, and the SLA status. Stage moves,
 * band changes and plays are all functions of that signature, so a check at which it is unchanged
 * would have done nothing but redraw the score.
 *
 * Health checks stay on the old grid (the last evaluation plus whole multiples of
 * `healthTickHours`): the lean workflow wakes at the same check a daily-ticking one would have
 * acted on, never earlier or later (the equivalence test in `test/domain/next-change.test.ts`).
 *
 * How the search stays cheap: with no new facts, the signature can only change
 *   1. where a time-based metric (days since last login, in stage, to renewal, …) crosses a value
 *      some condition compares it with, or one of a health input's scoring breakpoints;
 *   2. where an event falls out of a rolling window (high-severity tickets in 60 days, the 30-vs-30
 *      day login trend), or at an SLA threshold;
 *   3. where the score, linear in time between those instants, crosses a band or a score threshold.
 * Between two consecutive instants of kinds 1-2 the score moves one way only, so "has the
 * signature changed yet?" is monotone across the checks in between and a binary search finds the
 * first one. The work is linear in the number of such instants, not in the days of sleep.
 * Sandbox-safe.
 */
import type { TCondition, THealthBand, TLifecycleDefinition, TMetricName } from './lifecycle-definition';
import { computeHealth } from './health';
import { metricsSampler, type Metrics } from './metrics';
import { conditionMet, exitProgress, healthModelFor, moveBackRule, segmentFor, slaStatus, slaThresholds } from './stage-rules';
import { stageOf } from './definition-lookups';
import type { LifecycleState } from './lifecycle-state';
import { loginDays } from './customer-facts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Never plan a check further out than this: the workflow wakes, finds nothing, and plans again. */
const MAX_HORIZON_DAYS = 400;

interface DefinitionThresholds {
  /** Values each metric is compared with or scored against. */
  values: Map<TMetricName, number[]>;
}

const thresholdsCache = new WeakMap<TLifecycleDefinition, DefinitionThresholds>();

/** Every value a metric condition compares with, and every scoring breakpoint, in the definition (walked once). */
function thresholdsOf(definition: TLifecycleDefinition): DefinitionThresholds {
  const cached = thresholdsCache.get(definition);
  if (cached) return cached;
  const values = new Map<TMetricName, number[]>();
  const note = (metric: TMetricName, value: number) => {
    const list = values.get(metric) ?? [];
    if (!list.includes(value)) list.push(value);
    values.set(metric, list);
  };
  const seen = new Set<object>();
  const walk = (node: unknown, depth: number): void => {
    if (node === null || typeof node !== 'object' || depth > 40 || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    const record = node as Record<string, unknown>;
    if (record.kind === 'metric' && typeof record.metric === 'string' && typeof record.value === 'number' && typeof record.op === 'string') {
      note(record.metric as TMetricName, record.value);
    } else if (typeof record.metric === 'string' && typeof record.zeroAt === 'number' && typeof record.fullAt === 'number') {
      note(record.metric as TMetricName, record.zeroAt);
      note(record.metric as TMetricName, record.fullAt);
    }
    for (const value of Object.values(record)) walk(value, depth + 1);
  };
  walk(definition, 0);
  const result = { values };
  thresholdsCache.set(definition, result);
  return result;
}

/**
 * Everything observable about the customer at `at`, given no new facts, as one string: two
 * instants with the same signature lead to the same stage, band, SLA and play decisions. Only
 * what can act now counts: the current stage's exit and move-back rules, the condition triggers of
 * plays that may run in this stage (see `decidePlays`), the goals of running plays not yet told.
 */
export function outcomeSignature(state: LifecycleState, definition: TLifecycleDefinition, at: string): string {
  return signatureSampler(state, definition)(at);
}

/**
 * `outcomeSignature` of the state as it is now, at any instant: the search below asks for dozens
 * of instants with the same facts, so what does not depend on the time (the model, the conditions
 * that count, the facts' counts and dates) is worked out once. The state must not change meanwhile.
 */
function signatureSampler(state: LifecycleState, definition: TLifecycleDefinition): (at: string) => string {
  const segment = segmentFor(definition, state.facts);
  const stage = stageOf(definition, state.stage);
  const model = healthModelFor(definition, stage, segment);
  const sample = metricsSampler(state.facts, {
    stageEnteredAt: state.stageEnteredAt,
    keyFeatures: definition.keyFeatures,
    outcomeMilestones: definition.outcomeMilestones,
  });
  const playConditions: TCondition[] = [];
  for (const play of definition.plays ?? []) {
    if (!play.enabled || (play.stages && !play.stages.includes(stage.id))) continue;
    for (const trigger of play.trigger.on === 'any' ? play.trigger.of : [play.trigger]) {
      if (trigger.on === 'condition') playConditions.push(trigger.when);
    }
  }
  const goalConditions: TCondition[] = [];
  for (const run of state.plays?.active ?? []) {
    if (run.goalNotified) continue;
    const success = (definition.plays ?? []).find((p) => p.id === run.playId)?.success;
    if (success) goalConditions.push(success.when);
  }
  const stageEnteredAt = Date.parse(state.stageEnteredAt);
  const contractEnd = Date.parse(state.facts.contractEnd);
  const exitMet = state.seedRules === true && state.exit.ready;

  return (at) => {
    const base = sample(at);
    const health = computeHealth(model, base, definition.version, { facts: state.facts });
    const metrics: Metrics = { ...base, healthScore: health.score ?? undefined, hardConditionsActive: health.conditions?.length };
    const ctx = { facts: state.facts, metrics, band: health.band as THealthBand | null };
    const bit = (condition: TCondition) => (conditionMet(condition, ctx) ? '1' : '0');
    let plays = '';
    for (const condition of playConditions) plays += bit(condition);
    let goals = '';
    for (const condition of goalConditions) goals += bit(condition);
    const conditions = (health.conditions ?? []).map((c) => c.id).join(',');
    const exit = exitProgress(stage, ctx).ready ? 'ready' : 'open';
    const back = moveBackRule(stage, ctx)?.id ?? '-';
    const atMs = Date.parse(at);
    const sla = slaStatus(stage, (atMs - stageEnteredAt) / DAY_MS, { daysToRenewal: (contractEnd - atMs) / DAY_MS, exitMet });
    return `${health.band ?? '-'}|${conditions}|${exit}|${back}|${plays}|${goals}|${sla}`;
  };
}

/** Instants (ms) after `from` and up to `until` where a time-based input may cross a threshold. */
function candidateInstants(state: LifecycleState, definition: TLifecycleDefinition, from: number, until: number): number[] {
  const { facts } = state;
  const { values } = thresholdsOf(definition);
  const out: number[] = [];
  const add = (ms: number) => {
    // Both sides of the instant: `>=` turns at it, `>` just after it.
    if (ms > from && ms <= until) out.push(ms);
    if (ms + 1 > from && ms + 1 <= until) out.push(ms + 1);
  };
  const linear: [TMetricName, string | undefined, 1 | -1][] = [
    ['daysSinceStart', facts.contractStart, 1],
    ['daysInStage', state.stageEnteredAt, 1],
    ['daysToRenewal', facts.contractEnd, -1],
    ['daysSinceLastLogin', facts.lastLoginAt, 1],
    ['daysSinceNps', facts.surveys.nps?.at, 1],
    ['daysSinceChampionLeft', facts.championLeftAt, 1],
  ];
  for (const [metric, basis, direction] of linear) {
    if (!basis) continue;
    const at = Date.parse(basis);
    for (const value of values.get(metric) ?? []) add(at + direction * value * DAY_MS);
  }
  for (const opened of facts.highSeverityOpenedAt) add(Date.parse(opened) + 60 * DAY_MS);
  for (const start of loginDays(facts.dailyLogins).starts) {
    add(start + 30 * DAY_MS);
    add(start + 60 * DAY_MS);
  }
  const thresholds = slaThresholds(stageOf(definition, state.stage), state.stageEnteredAt, facts.contractEnd);
  add(Date.parse(thresholds.behind));
  add(Date.parse(thresholds.stuck));
  return [...new Set(out)].sort((a, b) => a - b);
}

export interface NextCheck {
  at: string;
  label: string;
}

/**
 * The first health check after `now` (on the grid anchored at the last evaluation) at which the
 * outcome signature differs from now's, before `until` (the next planned timer, which wakes the
 * workflow anyway). Undefined when nothing changes before then.
 */
export function nextHealthCheck(state: LifecycleState, definition: TLifecycleDefinition, now: string, until?: string): NextCheck | undefined {
  const tick = definition.timers.healthTickHours * 60 * 60 * 1000;
  const nowMs = Date.parse(now);
  const anchor = Math.min(Date.parse(state.health?.at ?? now), nowMs);
  const horizon = Math.min(until ? Date.parse(until) : Infinity, nowMs + MAX_HORIZON_DAYS * DAY_MS);
  // Checks are anchor + k * tick for k >= kFirst, strictly after now.
  const kFirst = Math.floor((nowMs - anchor) / tick) + 1;
  const checkAt = (k: number) => anchor + k * tick;
  const kLast = Math.floor((horizon - anchor) / tick);
  if (kLast < kFirst) return undefined;

  const signatureAt = signatureSampler(state, definition);
  const before = signatureAt(now);
  const changedAt = (k: number) => signatureAt(new Date(checkAt(k)).toISOString()) !== before;
  // One check before the horizon (a customer whose events come daily): the intervals below would
  // only lead to that check, so they are not worked out.
  if (kLast === kFirst) return changedAt(kFirst) ? found(kFirst) : undefined;
  // Interval boundaries: the checks between two candidate instants see constant conditions.
  const bounds = [...candidateInstants(state, definition, nowMs, checkAt(kLast)), Infinity];
  let k = kFirst;
  for (const bound of bounds) {
    if (k > kLast) break;
    // The last check before this boundary (checks at or after it belong to the next interval).
    const kEnd = Math.min(kLast, Math.ceil((bound - anchor) / tick) - 1);
    if (kEnd < k) continue;
    if (changedAt(k)) return found(k);
    if (kEnd > k && changedAt(kEnd)) {
      // Monotone inside the interval: the first changed check lies in (k, kEnd].
      let low = k;
      let high = kEnd;
      while (high - low > 1) {
        const mid = Math.floor((low + high) / 2);
        if (changedAt(mid)) high = mid;
        else low = mid;
      }
      return found(high);
    }
    k = kEnd + 1;
  }
  return undefined;

  function found(at: number): NextCheck {
    return { at: new Date(checkAt(at)).toISOString(), label: 'health check: a rule outcome changes' };
  }
}
