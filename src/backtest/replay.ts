/**
 * One customer's replay: its handoff and its recorded events as a scenario, run through the baseline
 * and the candidate, boiled down to what the backtest reports. The same function runs in a worker
 * thread and in-process. Pure and synchronous.
 */
import type { TCustomerEvent, TCustomerHandoff } from '../domain/customer-events';
import { rememberedAdmissions } from '../domain/event-admission';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import type { Scenario } from '../simulate/scenario';
import { simulate } from '../simulate/simulator';
import { compareOutcomes, outcomeOf, weekSamples } from './outcome';
import type { CustomerResult } from './tally';

export interface CustomerReplay {
  customerId: string;
  /** Day 0: when the customer's workflow recorded the handoff (or the replay's `--from`). */
  startMs: number;
  /** The last day replayed. */
  untilDay: number;
  handoff: TCustomerHandoff;
  /**
   * The events as accepted (`IngestedEvent.payload`), delivered at their `occurredAt`, in order. Not
   * parsed again here: the step checks every arrival with the API's schemas, as the workflow does,
   * and records one that no longer passes as rejected, so parsing here would be the same work twice.
   */
  events: { atMs: number; event: unknown }[];
  /** Which of the run's definitions is this customer's baseline (its version, or the module's). */
  baseline: string;
}

/** What a portfolio source yields: a replay, or a customer that cannot be replayed and why. */
export type ReplayOrSkip = { replay: CustomerReplay } | { skipped: { customerId: string; reason: string } };

export function scenarioOf(replay: CustomerReplay): Scenario {
  return {
    name: replay.customerId,
    startMs: replay.startMs,
    handoff: replay.handoff,
    events: replay.events as { atMs: number; event: TCustomerEvent }[],
    expectations: [],
    untilDay: replay.untilDay,
  };
}

export function backtestCustomer(replay: CustomerReplay, baseline: TLifecycleDefinition, candidate: TLifecycleDefinition): CustomerResult {
  const scenario = scenarioOf(replay);
  const span = { startMs: replay.startMs, untilDay: replay.untilDay };
  // Each simulation is reduced at once: its story and timeline are garbage before the next one runs.
  // Both simulations deliver the same recorded events at the same instants: each is checked once.
  const admit = rememberedAdmissions();
  const before = outcomeOf(simulate(scenario, baseline, { admit }));
  const after = outcomeOf(simulate(scenario, candidate, { admit }));
  const playCounts: CustomerResult['playCounts'] = {};
  for (const [side, outcome] of [
    ['baseline', before],
    ['candidate', after],
  ] as const) {
    for (const { playId } of outcome.plays) {
      const counts = (playCounts[playId] ??= { baseline: 0, candidate: 0 });
      counts[side] += 1;
    }
  }
  return { diff: compareOutcomes(replay.customerId, span, before, after), weeks: weekSamples(span, before, after), playCounts };
}
