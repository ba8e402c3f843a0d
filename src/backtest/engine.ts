/**
 * Runs a backtest across cores: worker threads (one per core by default) each take batches of
 * customer replays and answer with compact results; the main thread only reads the portfolio and
 * adds results up. At most three batches wait per thread, so a portfolio is streamed, not held in
 * memory. `threads: 0` runs everything in this process (a handful of customers, or a profiler).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { runBatch, type BatchAnswer, type WorkerSetup } from './backtest-worker';
import type { CustomerReplay, ReplayOrSkip } from './replay';
import { BacktestTally, type BacktestReport } from './tally';

export interface EngineOptions {
  /** Every definition a replay may name as its baseline, and the candidate, by key. */
  definitions: Record<string, TLifecycleDefinition>;
  candidate: string;
  /** Worker threads; 0 runs in this process. Default: one per core. */
  threads?: number;
  /** Called after each customer with the number done so far. */
  onProgress?: (done: number) => void;
}

export const defaultThreads = (): number => availableParallelism();

/** Customers sent to a thread at once: a simulation takes far longer than a message, so small batches keep threads evenly busy. */
const BATCH_SIZE = 2;
const IN_FLIGHT_PER_THREAD = 3;

/**
 * The workers are TypeScript: each thread first loads tsx's hooks (as `src/cli/bin.cjs` does for
 * the CLI), then the worker module. Hooks given as `execArgv: ['--import', 'tsx']` come too late
 * for a worker's own entry file.
 */
const BOOT = `const { workerData } = require('node:worker_threads'); import(workerData.tsx).then(() => require(workerData.file));`;

export async function runBacktest(items: AsyncIterable<ReplayOrSkip> | Iterable<ReplayOrSkip>, options: EngineOptions): Promise<BacktestReport> {
  const tally = new BacktestTally(options.candidate);
  const setup: WorkerSetup = { definitions: options.definitions, candidate: options.candidate };
  if (!setup.definitions[setup.candidate]) throw new Error(`the candidate ${options.candidate} is not among the definitions`);
  const take = (answer: BatchAnswer) => {
    for (const result of answer.results) tally.add(result);
    for (const failure of answer.failures) tally.fail(failure.customerId, failure.message);
    options.onProgress?.(tally.count);
  };
  const threads = Math.max(0, Math.min(64, options.threads ?? defaultThreads()));
  // Customers that cannot be replayed are counted here; only replays travel to the threads.
  async function* replays(): AsyncGenerator<CustomerReplay> {
    for await (const item of items) {
      if ('replay' in item) yield item.replay;
      else {
        tally.skip(item.skipped.customerId, item.skipped.reason);
        options.onProgress?.(tally.count);
      }
    }
  }
  const batches = batched(replays(), BATCH_SIZE);
  if (threads === 0) {
    let batch = 0;
    for await (const replays of batches) take(runBatch(setup, { batch: batch++, replays }));
    return tally.report();
  }
  const workers = Array.from(
    { length: threads },
    () =>
      new Worker(BOOT, {
        eval: true,
        workerData: { tsx: require.resolve('tsx'), file: join(__dirname, 'backtest-worker.ts'), backtest: setup },
      }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      let nextBatch = 0;
      let inFlight = 0;
      let exhausted = false;
      let reading = false;
      const load = new Map<Worker, number>(workers.map((w) => [w, 0]));
      const fail = (error: unknown) => reject(error instanceof Error ? error : new Error(String(error)));
      const pump = async () => {
        if (reading) return;
        reading = true;
        try {
          for (;;) {
            const [idlest, queued] = [...load].sort((a, b) => a[1] - b[1])[0]!;
            if (exhausted || queued >= IN_FLIGHT_PER_THREAD) break;
            const next = await batches.next();
            if (next.done) {
              exhausted = true;
              break;
            }
            load.set(idlest, queued + 1);
            inFlight += 1;
            idlest.postMessage({ batch: nextBatch++, replays: next.value });
          }
        } finally {
          reading = false;
        }
        if (exhausted && inFlight === 0) resolve();
      };
      for (const worker of workers) {
        worker.on('message', (answer: BatchAnswer) => {
          load.set(worker, load.get(worker)! - 1);
          inFlight -= 1;
          try {
            take(answer);
          } catch (error) {
            fail(error);
            return;
          }
          pump().catch(fail);
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (code !== 0) fail(new Error(`a backtest worker thread stopped (exit code ${code})`));
        });
      }
      pump().catch(fail);
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return tally.report();
}

async function* batched<T>(items: AsyncIterable<T> | Iterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
