import { loadConfig } from '../src/config';
import { CACHED_WORKFLOW_KB, MIN_WORKER_MEMORY_MB, WORKER_BASELINE_MB, workerMemoryPlan } from '../src/temporal/worker-memory';

describe('the worker memory budget (WORKER_MEMORY_MB)', () => {
  it.each([
    // budget MiB, cached workflows, concurrent workflow tasks
    [MIN_WORKER_MEMORY_MB, Math.floor(((MIN_WORKER_MEMORY_MB - WORKER_BASELINE_MB) * 1024) / CACHED_WORKFLOW_KB), 40],
    [1024, Math.floor(((1024 - WORKER_BASELINE_MB) * 1024) / CACHED_WORKFLOW_KB), 40],
    [4096, Math.floor(((4096 - WORKER_BASELINE_MB) * 1024) / CACHED_WORKFLOW_KB), 40],
  ])('%i MiB caches %i workflows and runs %i tasks at once', (memoryMb, cached, concurrent) => {
    expect(workerMemoryPlan(memoryMb)).toEqual({ maxCachedWorkflows: cached, maxConcurrentWorkflowTaskExecutions: concurrent, maxOldSpaceSizeMb: memoryMb });
  });

  it('keeps the cache worth having at the smallest budget, and growing with the budget', () => {
    expect(workerMemoryPlan(MIN_WORKER_MEMORY_MB).maxCachedWorkflows).toBeGreaterThanOrEqual(40);
    expect(workerMemoryPlan(2048).maxCachedWorkflows).toBeGreaterThan(workerMemoryPlan(1024).maxCachedWorkflows);
  });

  it.each([0, MIN_WORKER_MEMORY_MB - 1, 1.5, Number.NaN])('refuses a budget of %s', (memoryMb) => {
    expect(() => workerMemoryPlan(memoryMb)).toThrow(RangeError);
  });

  it.each([
    [{}, 1024],
    [{ WORKER_MEMORY_MB: '' }, 1024],
    [{ WORKER_MEMORY_MB: ' 2048 ' }, 2048],
  ])('reads %j as %i MiB', (env, expected) => {
    expect(loadConfig(env).WORKER_MEMORY_MB).toBe(expected);
  });

  it.each([
    ['1g', 'WORKER_MEMORY_MB: must be a whole number of MiB'],
    ['-5', 'WORKER_MEMORY_MB: must be a whole number of MiB'],
    ['100', `WORKER_MEMORY_MB: must be at least ${MIN_WORKER_MEMORY_MB} (MiB)`],
    ['99999999', 'WORKER_MEMORY_MB: must be at most 1048576 (MiB)'],
  ])('refuses WORKER_MEMORY_MB=%s', (value, message) => {
    expect(() => loadConfig({ WORKER_MEMORY_MB: value })).toThrow(message);
  });
});
