/**
 * `cli backtest --candidate <module|version> [--baseline <version|module>] [--customers '<query>']
 * [--from DATE] [--to DATE] [--html report.html] [--json] [--threads N]`: replays each selected
 * customer's recorded events (the event log) through the baseline (by default the version each
 * customer runs) and the candidate with the simulator, across worker threads, and reports what the
 * candidate would change. Reads the database (and Temporal visibility with `--customers`); writes
 * nothing but the report.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { TEngineConfig } from '../config';
import { reportPage } from '../backtest/html';
import { defaultThreads, runBacktest } from '../backtest/engine';
import { allCustomerIds, recordedVersions, replaysFromDatabase } from '../backtest/portfolio-source';
import { formatReport, reportJson, type ReportLabels } from '../backtest/report';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { CustomerIdKey, LifecycleVersionKey } from '../domain/search-attributes';
import type { PrismaClient } from '../generated/prisma/client';
import { currentVersion, findDefinition } from '../lifecycle/definition-store';
import { ZDefinitionVersion } from '../domain/definition-version';
import { loadLifecycleDefinition } from '../lifecycle/load-definition';
import { openCliDatabase } from './cli-database';
import { check, cliTemporalClient, UsageError } from './commands';

/** A portfolio larger than this is a job for slices (`--customers`), not one run. */
export const MAX_BACKTEST_CUSTOMERS = 200_000;

/** `2026-06-30` (the whole day) or an ISO date-time with an offset. */
const ZDate = (edge: 'from' | 'to') =>
  z
    .string()
    .max(40)
    .refine((text) => /^\d{4}-\d{2}-\d{2}$/.test(text) || z.iso.datetime({ offset: true }).safeParse(text).success, 'a date (2026-06-30) or an ISO date-time')
    .transform((text) => {
      const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
      // `--to 2026-06-30` includes that day.
      return edge === 'to' && /^\d{4}-\d{2}-\d{2}$/.test(text) ? ms + 24 * 60 * 60 * 1000 : ms;
    })
    .pipe(z.number().min(Date.parse('2000-01-01T00:00:00Z'), 'not before 2000-01-01').max(Date.parse('2200-01-01T00:00:00Z'), 'before 2200-01-01'));

const ZSpec = z.string().min(1).max(4096);

export const ZBacktestArgs = z
  .object({
    candidate: z.string({ error: 'give the definition to try: --candidate <module|version>' }).min(1).max(4096),
    baseline: ZSpec.optional(),
    customers: z.string().min(1).max(4_000).optional(),
    from: ZDate('from').optional(),
    to: ZDate('to').optional(),
    html: z.string().min(1).max(4096).optional(),
    json: z.boolean().default(false),
    threads: z.coerce.number().int().min(0).max(64).optional(),
  })
  .refine((a) => a.from === undefined || a.to === undefined || a.from < a.to, { message: '--from must be before --to', path: ['to'] });

export interface BacktestIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (a progress bar) or not (a line now and then). */
  errIsTty: boolean;
  now?: () => number;
}

const defaultIo = (): BacktestIo => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  errIsTty: process.stderr.isTTY === true,
});

export async function backtestCommand(config: TEngineConfig, argv: string[], io: BacktestIo = defaultIo()): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      candidate: { type: 'string' },
      baseline: { type: 'string' },
      customers: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      html: { type: 'string' },
      json: { type: 'boolean' },
      threads: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`backtest: unexpected argument "${positionals[0]}" (options only: see \`backtest --help\`)`);
  const args = check(ZBacktestArgs, values, 'backtest');
  const toMs = args.to ?? (io.now ?? Date.now)();
  if (args.from !== undefined && args.from >= toMs) throw new UsageError('backtest --from: must be before --to (or now)');

  // Selection first (it may name each customer's version), then the database.
  const selected = args.customers !== undefined ? await selectByQuery(config, args.customers) : undefined;
  const database = await openCliDatabase(config, 'backtest');
  try {
    const prisma = database.prisma;
    const customers = selected ? [...selected.keys()] : await allCustomerIds(prisma, MAX_BACKTEST_CUSTOMERS + 1);
    if (customers.length > MAX_BACKTEST_CUSTOMERS) {
      throw new UsageError(`backtest: more than ${MAX_BACKTEST_CUSTOMERS} customers; backtest a slice with --customers '<visibility query>'`);
    }
    if (customers.length === 0) throw new UsageError(`backtest: no customers ${selected ? 'match --customers' : 'in the database'}`);

    const candidate = await definitionNamed(prisma, config, args.candidate, '--candidate');
    const definitions: Record<string, TLifecycleDefinition> = { candidate: candidate.definition };
    let baselineOf: (customerId: string) => string;
    let baselineLabel: string;
    if (args.baseline !== undefined) {
      const baseline = await definitionNamed(prisma, config, args.baseline, '--baseline');
      definitions.baseline = baseline.definition;
      baselineOf = () => 'baseline';
      baselineLabel = `baseline ${baseline.label}`;
    } else {
      const versions = await customerVersions(prisma, config, customers, selected);
      const counts = new Map<string, number>();
      for (const version of versions.values()) counts.set(version, (counts.get(version) ?? 0) + 1);
      for (const [version, count] of counts) {
        const definition = await versionNamed(prisma, config, version);
        if (!definition) {
          throw new UsageError(
            `backtest: ${count} customer(s) run version ${version}, which is neither published nor the built-in default: publish it, or give --baseline <module|version>`,
          );
        }
        definitions[`version:${version}`] = definition;
      }
      baselineOf = (customerId) => `version:${versions.get(customerId)!}`;
      baselineLabel = `each customer's own version (${[...counts].map(([v, n]) => `${v}: ${n}`).join(', ')})`;
    }
    const labels: ReportLabels = { candidate: candidate.label, baseline: baselineLabel };

    const progress = progressReporter(customers.length, io);
    const threads = args.threads ?? Math.min(defaultThreads(), Math.ceil(customers.length / 8));
    const report = await runBacktest(replaysFromDatabase(prisma, customers, { ...(args.from !== undefined ? { fromMs: args.from } : {}), toMs }, baselineOf), {
      definitions,
      candidate: 'candidate',
      threads,
      onProgress: progress.update,
    });
    progress.done();
    if (args.html) {
      const file = resolve(args.html);
      try {
        writeFileSync(file, reportPage(report, labels));
      } catch (error) {
        throw new UsageError(`backtest --html: cannot write ${file} (${(error as Error).message})`);
      }
      io.err(`backtest: wrote ${file}\n`);
    }
    io.out(args.json ? `${JSON.stringify(reportJson(report, labels), null, 2)}\n` : formatReport(report, labels));
    return report.failures.length > 0 ? 1 : 0;
  } finally {
    await database.close();
  }
}

interface NamedDefinition {
  definition: TLifecycleDefinition;
  label: string;
}

/** `--candidate`/`--baseline`: `default`, a module path that exists, or a published version. */
async function definitionNamed(prisma: PrismaClient, config: TEngineConfig, spec: string, option: string): Promise<NamedDefinition> {
  if (spec === 'default') return { definition: DEFAULT_LIFECYCLE, label: `${DEFAULT_LIFECYCLE.version} (the built-in default)` };
  const module = existingModule(spec);
  if (module) return { definition: loadLifecycleDefinition(module), label: `${loadLifecycleDefinition(module).version} (module ${spec})` };
  if (!ZDefinitionVersion.safeParse(spec).success) throw new UsageError(`backtest ${option} ${spec}: neither a module that exists nor a version`);
  const definition = await versionNamed(prisma, config, spec);
  if (!definition) throw new UsageError(`backtest ${option} ${spec}: neither a module that exists nor a published version (see \`lifecycle list\`)`);
  return { definition, label: `${spec} (published)` };
}

/**
 * A version as the store has it; else the built-in default's, or the `LIFECYCLE_DEFINITION` module's,
 * when it is theirs: customers that ran before anything was published carry those versions.
 */
async function versionNamed(prisma: PrismaClient, config: TEngineConfig, version: string): Promise<TLifecycleDefinition | undefined> {
  const published = await findDefinition(prisma, version);
  if (published) return published;
  if (version === DEFAULT_LIFECYCLE.version) return DEFAULT_LIFECYCLE;
  if (config.LIFECYCLE_DEFINITION) {
    const configured = loadLifecycleDefinition(config.LIFECYCLE_DEFINITION);
    if (configured.version === version) return configured;
  }
  return undefined;
}

function existingModule(spec: string): string | undefined {
  try {
    return require.resolve(resolve(spec));
  } catch {
    return undefined;
  }
}

/**
 * The version each customer runs: its LifecycleVersion search attribute when Temporal selected it,
 * else its newest timeline entry's; a customer with neither has not run a step yet and would start
 * on the current version.
 */
async function customerVersions(
  prisma: PrismaClient,
  config: TEngineConfig,
  customers: string[],
  selected: Map<string, string | undefined> | undefined,
): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  const unknown = customers.filter((id) => {
    const version = selected?.get(id);
    if (version) versions.set(id, version);
    return !version;
  });
  if (unknown.length > 0) {
    const recorded = await recordedVersions(prisma, unknown);
    const fallback = (await currentVersion(prisma))?.version ?? loadLifecycleDefinition(config.LIFECYCLE_DEFINITION).version;
    for (const id of unknown) versions.set(id, recorded.get(id) ?? fallback);
  }
  return versions;
}

/** Customers whose lifecycle workflow matches a visibility query: id -> LifecycleVersion (newest run first). */
async function selectByQuery(config: TEngineConfig, query: string): Promise<Map<string, string | undefined>> {
  const { connection, client } = await cliTemporalClient(config);
  try {
    const selected = new Map<string, string | undefined>();
    try {
      for await (const execution of client.workflow.list({ query: `WorkflowType = "customerLifecycleWorkflow" AND (${query})` })) {
        const customerId = execution.typedSearchAttributes.get(CustomerIdKey);
        // Runs of one customer (continue-as-new, a restart) come newest first: the first one counts.
        if (!customerId || selected.has(customerId)) continue;
        selected.set(customerId, execution.typedSearchAttributes.get(LifecycleVersionKey));
        if (selected.size > MAX_BACKTEST_CUSTOMERS) break;
      }
    } catch (error) {
      if ((error as { code?: number }).code === 3 /* INVALID_ARGUMENT */) {
        throw new UsageError(`backtest --customers: Temporal refused the query (${(error as Error).message.split('\n')[0]})`);
      }
      throw error;
    }
    return selected;
  } finally {
    await connection.close();
  }
}

/** A bar redrawn in place on a terminal; elsewhere (CI logs) a line at every tenth. */
function progressReporter(total: number, io: BacktestIo): { update: (done: number) => void; done: () => void } {
  const began = Date.now();
  let drawnAt = 0;
  let lastTenth = 0;
  let last = 0;
  const line = (done: number) => {
    const seconds = (Date.now() - began) / 1000;
    return `backtest: ${done}/${total} customers, ${seconds.toFixed(1)} s${seconds > 0 ? ` (${(done / seconds).toFixed(1)}/s)` : ''}`;
  };
  return {
    update: (done) => {
      last = done;
      if (io.errIsTty) {
        if (Date.now() - drawnAt < 100 && done < total) return;
        drawnAt = Date.now();
        const width = 30;
        const filled = Math.round((done / total) * width);
        io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line(done)}`);
      } else {
        const tenth = Math.floor((done / total) * 10);
        if (tenth > lastTenth || done === total) {
          lastTenth = tenth;
          io.err(`${line(done)}\n`);
        }
      }
    },
    done: () => {
      if (io.errIsTty) io.err(`\r${line(last)}${' '.repeat(20)}\n`);
      else if (last < total) io.err(`${line(last)}\n`);
    },
  };
}
