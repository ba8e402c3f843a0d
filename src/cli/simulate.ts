/**
 * `cli simulate <file|folder>... [--definition <module|version>] [--json]`: runs scenario files
 * in-process with the pure step and simulated time (no servers; the database only to read a
 * published version named instead of a module), prints each customer's story and each expectation
 * passed or failed, and exits 1 when any failed or a file is not a valid scenario.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { TEngineConfig } from '../config';
import { formatRun, formatSummary, passed, runJson, type ScenarioRun } from '../simulate/report';
import { runScenarioFile } from '../simulate/run';
import { readScenarioFile, scenarioFiles, versionToLookUp, type ScenarioFileError } from '../simulate/scenario-file';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config';
import { ZDefinitionVersion } from '../domain/definition-version';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { findDefinition } from '../lifecycle/definition-store';
import { check } from './commands';
import { openCliDatabase } from './cli-database';

async function fromDatabase(config: Partial<TEngineConfig>, versions: string[]): Promise<Map<string, TLifecycleDefinition>> {
  const database = await openCliDatabase({ ...loadConfig({}), ...config } as TEngineConfig, 'simulate');
  try {
    const found = new Map<string, TLifecycleDefinition>();
    for (const version of versions) {
      const definition = await findDefinition(database.prisma, version);
      if (definition) found.set(version, definition);
    }
    return found;
  } finally {
    await database.close();
  }
}

const isScenarioFileError = (error: unknown): error is ScenarioFileError => (error as Error | undefined)?.name === 'ScenarioFileError';

/** Reads published versions by name; those not published are left out. */
export type PublishedVersions = (versions: string[]) => Promise<Map<string, TLifecycleDefinition>>;

export async function simulateCommand(
  config: Pick<TEngineConfig, 'LIFECYCLE_DEFINITION'> & Partial<TEngineConfig>,
  argv: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
  readPublished: PublishedVersions = (versions) => fromDatabase(config, versions),
): Promise<number> {
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
  // Names that are neither `default` nor a module: published versions, read once, before any run.
  const wanted = new Set<string>();
  if (args.definition !== undefined && versionToLookUp(args.definition, process.cwd())) wanted.add(args.definition);
  if (args.definition === undefined) {
    for (const file of files) {
      try {
        const named = readScenarioFile(file).definition;
        if (named !== undefined && versionToLookUp(named, dirname(resolve(file)))) wanted.add(named);
      } catch {
        // reported when the file runs
      }
    }
  }
  const versions = [...wanted].filter((name) => ZDefinitionVersion.safeParse(name).success);
  const published = versions.length > 0 ? await readPublished(versions) : new Map<string, TLifecycleDefinition>();
  for (const file of files) {
    try {
      const run = runScenarioFile(file, { definition: args.definition, current: config.LIFECYCLE_DEFINITION, published });
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
