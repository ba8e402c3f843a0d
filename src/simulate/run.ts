/**
 * Running scenario files: read, choose the definition, simulate, judge. What `cli simulate` and the
 * test that runs every shipped scenario share.
 */
import { performance } from 'node:perf_hooks';
import { judge } from './expectations';
import type { ScenarioRun } from './report';
import { definitionFor, readScenarioFile } from './scenario-file';
import { simulate } from './simulator';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';

export interface RunOptions {
  /** `--definition`: a module path (or `default`), for every scenario. */
  definition?: string;
  /** The engine's current definition module (`LIFECYCLE_DEFINITION`), for scenarios that name none. */
  current?: string;
  /** Published versions named by `--definition` or a scenario, read from the database beforehand. */
  published?: ReadonlyMap<string, TLifecycleDefinition>;
}

export function runScenarioFile(file: string, options: RunOptions = {}): ScenarioRun {
  const scenario = readScenarioFile(file);
  const definition = definitionFor(scenario, file, { override: options.definition, current: options.current, published: options.published });
  const began = performance.now();
  const simulation = simulate(scenario, definition);
  const checks = judge(simulation);
  return { file, simulation, checks, elapsedMs: performance.now() - began };
}
