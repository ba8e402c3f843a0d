/**
 * How one memory setting, WORKER_MEMORY_MB, bounds the worker. Most of a worker's memory is its
 * workflow cache: every cached customer or play run keeps its sandboxed state in the V8 heap. The
 * cache is the one thing that grows with the portfolio, so it is sized from the budget; a workflow
 * that falls out of it loses nothing: its next task (a signal, a timer) replays it from its history.
 *
 * The figures are measured (src/bench/RESULTS.md, "Portfolio on one engine"): the worker's RSS with
 * an empty cache, and the slope of its RSS over the cache's size while 1,000 customers were imported.
 * Since the workflow modules are shared by every cached workflow of a thread
 * (workflows/shared-modules.ts), a cached workflow holds only its own state and the SDK's per-run
 * objects, so the slope is a tenth of what it was.
 */

/**
 * RSS of a worker process with an empty cache: Node, tsx, Prisma, the SDK's core, the workflow
 * bundle in its thread with its shared modules, and what bundling it at start-up leaves behind
 * (measured intercept 602 MiB; 537 MiB before the modules were shared). Under `npm start`, which
 * runs the worker compiled and bundles the workflows in another process, the intercept measured
 * 361–390 MiB; the figure stays at 610 for `cli worker` run through tsx, which pays both.
 */
export const WORKER_BASELINE_MB = 610;
/**
 * RSS per cached workflow, rounded up from the largest measured figure: 286 KiB as the engine's
 * slope while importing, 322–513 KiB per freshly started customer in `bench:lifecycle --only=memory`
 * (2,066–2,475 KiB before the modules were shared). A customer's carried state grows over its
 * year (about 50 KiB of JSON), which the fresh customers measured do not show; the rounding covers it.
 */
export const CACHED_WORKFLOW_KB = 512;
/** The smallest budget allowed: the baseline and room for a cache worth having (180 workflows). */
export const MIN_WORKER_MEMORY_MB = 700;
/** The SDK's default number of workflow tasks run at once; fewer when the cache is smaller. */
const DEFAULT_CONCURRENT_WORKFLOW_TASKS = 40;

export interface WorkerMemoryPlan {
  /** Workflows kept in the worker's cache; beyond it the least recently used are evicted. */
  maxCachedWorkflows: number;
  /** The SDK requires it at most the cache's size (a task's workflow must fit in the cache). */
  maxConcurrentWorkflowTaskExecutions: number;
  /** V8's old-space limit (--max-old-space-size): a backstop above what the cache needs, not the bound itself. */
  maxOldSpaceSizeMb: number;
}

export function workerMemoryPlan(memoryMb: number): WorkerMemoryPlan {
  if (!Number.isInteger(memoryMb) || memoryMb < MIN_WORKER_MEMORY_MB) {
    throw new RangeError(`a worker needs at least ${MIN_WORKER_MEMORY_MB} MiB (got ${memoryMb})`);
  }
  const maxCachedWorkflows = Math.floor(((memoryMb - WORKER_BASELINE_MB) * 1024) / CACHED_WORKFLOW_KB);
  return {
    maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: Math.min(DEFAULT_CONCURRENT_WORKFLOW_TASKS, maxCachedWorkflows),
    maxOldSpaceSizeMb: memoryMb,
  };
}
