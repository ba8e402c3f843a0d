/**
 * Simulator speed benchmark (a script, not a test: it measures, it asserts nothing about speed).
 * Backtests replay many customer-years through `simulate()`; this times that in-process, one core,
 * no servers. Each customer is the lifecycle benchmark's customer-year (`customer-year.ts`: the
 * portfolio mix, one in ten fading; daily usage rollups, tickets, milestones, surveys, a renewal
 * move), every event delivered at its own time — so the step runs about once a day, as it would for
 * a customer whose usage arrives daily — under the default lifecycle with its plays.
 *
 *   npm run bench:simulate                    # 200 customer-years after 20 warm-up ones
 *   npm run bench:simulate -- --n=50 --warmup=5
 *
 * Prints customer-years per second and milliseconds per customer-year (wall, one thread), the
 * process's CPU time per customer-year (steadier on a shared machine), and the step count per
 * customer-year as a check that two runs simulated the same work. `--full` also collects the
 * story and timeline, as `cli simulate` does.
 *
 *   npm run bench:simulate -- --digest        # no timing: one hash of what 40 customer-years did
 *
 * `--digest` is the check for speed work on the step: it simulates customer-years delivered daily
 * and in weekly batches (several events per step, so causes are tracked across a batch), and with
 * repeats (duplicates a day later and within one step, which judge nothing), with the
 * story and timeline collected, and prints a sha-256 of everything they produced (story, timeline,
 * stage paths, plays, snapshots, the final state, the step count). A faster step must print the
 * same digest as the commit before it.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import type { Scenario } from '../simulate/scenario';
import { simulate, type SimulateOptions } from '../simulate/simulator';
import { handoffFor, profile, yearPlan } from './customer-year';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const N = Number(args.get('n') ?? 200);
const WARMUP = Number(args.get('warmup') ?? 20);
/** `--full`: collect the story and timeline too (what `cli simulate` reads); default: as a backtest would. */
const FULL = args.has('full');
const START = Date.parse('2026-01-05T09:00:00.000Z');
const DAYS = 365;

/** One customer-year as a scenario, each event delivered at its `occurredAt`. */
export function customerYearScenario(index: number): Scenario {
  const customer = profile(index, 'sim');
  const events = yearPlan(customer, START)
    .flat()
    .map((event) => ({ atMs: Date.parse(event.occurredAt), event }))
    .sort((a, b) => a.atMs - b.atMs);
  return {
    name: `customer-year ${index}`,
    startMs: START,
    handoff: handoffFor(customer, START),
    events,
    // A few days an expectation would ask about, so snapshots are taken as in a real scenario.
    expectations: [30, 90, 180, 270, 365].map((day) => ({ day, stage: 'adoption' as const })),
    untilDay: DAYS,
  };
}

function run(scenarios: Scenario[], definition: TLifecycleDefinition, options: SimulateOptions): { ms: number; cpuMs: number; steps: number } {
  const began = performance.now();
  const cpu = process.cpuUsage();
  let steps = 0;
  for (const scenario of scenarios) steps += simulate(scenario, definition, options).steps;
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - began, cpuMs: (used.user + used.system) / 1000, steps };
}

/** The same customer-year with each week's events delivered together, at the week's last event. */
function weeklyBatches(scenario: Scenario): Scenario {
  const week = 7 * 24 * 60 * 60 * 1000;
  const lastOfWeek = new Map<number, number>();
  for (const { atMs } of scenario.events) {
    const index = Math.floor((atMs - scenario.startMs) / week);
    lastOfWeek.set(index, Math.max(lastOfWeek.get(index) ?? 0, atMs));
  }
  const events = scenario.events.map(({ atMs, event }) => ({ atMs: lastOfWeek.get(Math.floor((atMs - scenario.startMs) / week))!, event }));
  return { ...scenario, name: `${scenario.name}, weekly`, events };
}

/**
 * The same customer-year with every fourth event sent again a day later and every ninth twice at
 * once: steps that bring only repeats judge nothing, and the digest must see them.
 */
function withRepeats(scenario: Scenario): Scenario {
  const events = scenario.events.flatMap((item, index) => [
    item,
    ...(index % 9 === 0 ? [item] : []),
    ...(index % 4 === 0 ? [{ atMs: item.atMs + 24 * 60 * 60 * 1000, event: item.event }] : []),
  ]);
  return { ...scenario, name: `${scenario.name}, with repeats`, events: events.sort((a, b) => a.atMs - b.atMs) };
}

function digest(definition: TLifecycleDefinition): string {
  const hash = createHash('sha256');
  for (let i = 0; i < 20; i += 1) {
    for (const scenario of [customerYearScenario(i), weeklyBatches(customerYearScenario(500 + i)), withRepeats(customerYearScenario(800 + i))]) {
      const simulation = simulate(scenario, definition);
      hash.update(
        JSON.stringify({
          story: simulation.story,
          timeline: simulation.timeline,
          stagePath: simulation.stagePath,
          plays: simulation.plays,
          snapshots: [...simulation.snapshots],
          final: simulation.final,
          steps: simulation.steps,
        }),
      );
    }
  }
  return hash.digest('hex');
}

function main(): void {
  if (args.has('digest')) {
    process.stdout.write(`simulate() digest over 20 daily, 20 weekly-batched and 20 repeating customer-years: ${digest(DEFAULT_LIFECYCLE)}\n`);
    return;
  }
  const definition = DEFAULT_LIFECYCLE;
  const options: SimulateOptions = FULL ? {} : { collect: 'outcomes' };
  // Built before timing: the scenarios are the backtest's input, not its work.
  const warm = Array.from({ length: WARMUP }, (_, i) => customerYearScenario(1_000 + i));
  const scenarios = Array.from({ length: N }, (_, i) => customerYearScenario(i));
  run(warm, definition, options);
  const { ms, cpuMs, steps } = run(scenarios, definition, options);
  const perYear = ms / N;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `simulate(): ${N} customer-years (after ${WARMUP} warm-up), ${FULL ? 'story and timeline collected' : "collect: 'outcomes'"}`,
    `  ${(N / (ms / 1000)).toFixed(1)} customer-years/s, ${perYear.toFixed(1)} ms per customer-year (${(ms / 1000).toFixed(1)} s wall)`,
    `  ${(cpuMs / N).toFixed(1)} ms CPU per customer-year (this process; less sensitive to other work on the machine)`,
    `  ${(steps / N).toFixed(1)} steps per customer-year`,
    `  ${os.cpus().length} x ${cpu}, Node ${process.version}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
