/**
 * `cli simulate <file|folder>... [--definition <module>] [--json]`: runs scenario files in-process
 * with the pure step and simulated time (no servers, no database), prints each customer's story and
 * each expectation passed or failed, and exits 1 when any failed or a file is not a valid scenario.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { TEngineConfig } from '../config';
import { formatRun, formatSummary, passed, runJson, type ScenarioRun } from '../simulate/report';
import { runScenarioFile } from '../simulate/run';
import { scenarioFiles, type ScenarioFileError } from '../simulate/scenario-file';
import { check } from './commands';

const isScenarioFileError = (error: unknown): error is ScenarioFileError => (error as Error | undefined)?.name === 'ScenarioFileError';

export function simulateCommand(
  config: Pick<TEngineConfig, 'LIFECYCLE_DEFINITION'>,
  argv: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { definition: { type: 'string' }, json: { type: 'boolean' } } });
  const args = check(
    z.object({
      targets: z.array(z.string().min(1).max(4096)).min(1, 'give at least one scenario file or folder').max(1_000),
      definition: z.string().min(1).max(4096).optional(),
      json: z.boolean().default(false),
    }),
    { targets: positionals, definition: values.definition, json: values.json },
    'simulate',
  );
  const runs: ScenarioRun[] = [];
  const invalid: ScenarioFileError[] = [];
  const collect = (error: unknown) => {
    if (!isScenarioFileError(error)) throw error;
    invalid.push(error);
    if (!args.json) out(`✖ ${error.message}\n\n`);
  };
  let files: string[] = [];
  try {
    files = scenarioFiles(args.targets);
  } catch (error) {
    collect(error);
  }
  for (const file of files) {
    try {
      const run = runScenarioFile(file, { definition: args.definition, current: config.LIFECYCLE_DEFINITION });
      runs.push(run);
      if (!args.json) out(`${formatRun(run)}\n\n`);
    } catch (error) {
      collect(error);
    }
  }
  const ok = invalid.length === 0 && runs.every(passed);
  if (args.json) {
    out(`${JSON.stringify({ passed: ok, scenarios: runs.map(runJson), invalid: invalid.map((e) => ({ file: e.file, problems: e.problems })) }, null, 2)}\n`);
  } else {
    out(`${formatSummary(runs)}${invalid.length > 0 ? `\ninvalid: ${invalid.map((e) => e.file).join(', ')}` : ''}\n`);
  }
  return ok ? 0 : 1;
}
