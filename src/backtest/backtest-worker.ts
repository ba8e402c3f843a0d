/**
 * A backtest worker thread: receives batches of customer replays, runs each through its baseline
 * and the candidate, and posts back the results (or, per customer, why it could not run). The
 * definitions arrive once, with the thread's start.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { backtestCustomer, type CustomerReplay } from './replay';
import type { CustomerResult } from './tally';

export interface WorkerSetup {
  definitions: Record<string, TLifecycleDefinition>;
  candidate: string;
}
export interface BatchRequest {
  batch: number;
  replays: CustomerReplay[];
}
export interface BatchAnswer {
  batch: number;
  results: CustomerResult[];
  failures: { customerId: string; message: string }[];
}

export function runBatch(setup: WorkerSetup, { batch, replays }: BatchRequest): BatchAnswer {
  const answer: BatchAnswer = { batch, results: [], failures: [] };
  const candidate = setup.definitions[setup.candidate]!;
  for (const replay of replays) {
    try {
      const baseline = setup.definitions[replay.baseline];
      if (!baseline) throw new Error(`no baseline definition ${replay.baseline} was loaded`);
      answer.results.push(backtestCustomer(replay, baseline, candidate));
    } catch (error) {
      answer.failures.push({ customerId: replay.customerId, message: (error as Error).message ?? String(error) });
    }
  }
  return answer;
}

if (parentPort && (workerData as { backtest?: WorkerSetup } | undefined)?.backtest) {
  const setup = (workerData as { backtest: WorkerSetup }).backtest;
  const port = parentPort;
  port.on('message', (request: BatchRequest) => port.postMessage(runBatch(setup, request)));
}
