/**
 * Backtest benchmark (a script, not a test: it measures, it asserts nothing about speed).
 *
 *   npm run bench:backtest                         # 40 customer-years, one thread per core
 *   npm run bench:backtest -- --customers=400 --threads=2
 *
 * Seeds `--customers` synthetic customer-years in memory (the lifecycle benchmark's portfolio and
 * year of events, `customer-year.ts`: daily usage, tickets, surveys, milestones, a moved renewal),
 * no database, and runs them through the backtest engine (`src/backtest/engine.ts`) exactly as
 * `cli backtest` does after reading the event log: worker threads, baseline = the built-in default,
 * candidate = the same with the red line raised from 60 to 70. A customer-year counts once although
 * it is simulated twice (baseline and candidate): the goal, 10,000 customer-years in <= 60 s on
 * 2 cores, is about customers backtested. Worker start-up (tsx loading the code) is in the figure.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { runBacktest } from '../backtest/engine';
import type { ReplayOrSkip } from '../backtest/replay';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { handoffFor, profile, WEEKS, yearPlan } from './customer-year';

const arg = (name: string, fallback: number) => {
  const given = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = given ? Number(given.split('=')[1]) : fallback;
  if (!Number.isInteger(value) || value < 0 || value > 1_000_000) throw new Error(`--${name} must be a whole number`);
  return value;
};

const customers = arg('customers', 40);
const threads = arg('threads', availableParallelism());
const START_MS = Date.parse('2025-01-06T09:00:00Z');

const candidate: TLifecycleDefinition = {
  ...DEFAULT_LIFECYCLE,
  version: `${DEFAULT_LIFECYCLE.version}-red70`,
  healthModels: DEFAULT_LIFECYCLE.healthModels.map((model) => ({ ...model, bands: { ...model.bands, yellow: 70 } })),
};

/** The portfolio, made as it is consumed: the main thread holds a few batches, not the year of every customer. */
function* portfolio(): Generator<ReplayOrSkip> {
  for (let index = 0; index < customers; index += 1) {
    const customer = profile(index, 'bench');
    const events = yearPlan(customer, START_MS)
      .flat()
      .map((event) => ({ atMs: Date.parse(event.occurredAt), event }))
      .sort((a, b) => a.atMs - b.atMs);
    yield {
      replay: {
        customerId: customer.customerId,
        startMs: START_MS,
        untilDay: WEEKS * 7,
        handoff: handoffFor(customer, START_MS),
        events,
        baseline: 'baseline',
      },
    };
  }
}

async function main() {
  const began = performance.now();
  let lastLine = 0;
  const report = await runBacktest(portfolio(), {
    definitions: { baseline: DEFAULT_LIFECYCLE, candidate },
    candidate: 'candidate',
    threads,
    onProgress: (done) => {
      if (performance.now() - lastLine > 5_000) {
        lastLine = performance.now();
        process.stderr.write(`  ${done}/${customers} after ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
      }
    },
  });
  const seconds = (performance.now() - began) / 1000;
  const rate = report.summary.customers / seconds;
  process.stdout.write(
    [
      `backtest bench: ${report.summary.customers} customer-years (${report.summary.simulations} simulations: baseline + candidate), ${threads} thread(s), ${availableParallelism()} core(s)`,
      `  wall ${seconds.toFixed(1)} s, ${rate.toFixed(2)} customer-years/s (${((seconds * 1000) / Math.max(1, report.summary.customers)).toFixed(0)} ms each)`,
      `  10,000 customer-years at this rate: ${(10_000 / rate).toFixed(0)} s (goal <= 60 s)`,
      `  ${report.summary.changed} change under the candidate; failed ${report.summary.failed}`,
    ].join('\n') + '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
