/**
 * `cli lifecycle publish|list|rollout|status`: definition versions in the database, and moving
 * running customers between them. Publish and list need only the database; rollout and status also
 * ask Temporal visibility which customers run which version (`LifecycleVersion`).
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { TEngineConfig } from '../config';
import type { Database } from '../db/database';
import { ZDefinitionVersion } from '../domain/definition-version';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { isSetupError } from '../dev-infra/setup-error';
import {
  currentVersion,
  DefinitionVersionConflictError,
  findDefinition,
  listDefinitions,
  publishDefinition,
  ZPublishedBy,
  ZPublishNote,
} from '../lifecycle/definition-store';
import { loadLifecycleDefinition, parseLifecycleDefinition } from '../lifecycle/load-definition';
import { customersPerVersion, describeUnfinishedRollout, inSlice, newRolloutId, rollOut, runningCustomers, type RolloutOutcome } from '../lifecycle/rollout';
import { openCliDatabase } from './cli-database';
import { check, cliTemporalClient, UsageError } from './commands';

/** A roll-out looks at no more customers than this in one run (a larger portfolio: run it by slices or queries). */
const MAX_ROLLOUT_CUSTOMERS = 100_000;
const ZQuery = z.string().min(1).max(2_000, 'a visibility query has at most 2,000 characters');

export async function lifecycleCommand(config: TEngineConfig, argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  switch (action) {
    case 'publish':
      return publish(config, rest);
    case 'list':
      return list(config, rest);
    case 'rollout':
      return rollout(config, rest);
    case 'status':
      return status(config, rest);
    default:
      throw new UsageError('lifecycle: use `lifecycle publish <module|file>`, `lifecycle list`, `lifecycle rollout <version>` or `lifecycle status`');
  }
}

const defaultBy = () => process.env.CS_USER || safeUserName();
function safeUserName(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}

/** A definition from a module (.ts/.js: its default export or `lifecycle`) or a JSON/YAML file. */
export function readDefinitionSource(source: string): TLifecycleDefinition {
  const extension = extname(source).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(extension)) return loadLifecycleDefinition(source);
  const file = resolve(source);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`lifecycle publish: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let document: unknown;
  try {
    document = extension === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UsageError(`lifecycle publish: ${file} is not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseLifecycleDefinition(document, file);
}

async function withDatabase<T>(config: TEngineConfig, command: string, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openCliDatabase(config, command);
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

async function publish(config: TEngineConfig, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { current: { type: 'boolean' }, note: { type: 'string' }, by: { type: 'string' } },
  });
  const args = check(
    z.object({
      source: z.string({ error: 'name the definition: a module (.ts/.js) or a file (.json/.yaml)' }).min(1).max(4_096),
      current: z.boolean().default(false),
      note: ZPublishNote.optional(),
      by: ZPublishedBy.default(defaultBy()),
      extra: z.array(z.string()).max(0, 'publish takes one definition'),
    }),
    { ...values, source: positionals[0], extra: positionals.slice(1) },
    'lifecycle publish',
  );
  let definition: TLifecycleDefinition;
  try {
    definition = readDefinitionSource(args.source);
  } catch (error) {
    // Every invalid field at once, as the worker reports them.
    if (isSetupError(error)) throw new UsageError(`lifecycle publish: ${error.message}`);
    throw error;
  }
  check(ZDefinitionVersion, definition.version, 'lifecycle publish: version');
  return withDatabase(config, 'lifecycle publish', async ({ prisma }) => {
    try {
      const result = await publishDefinition(prisma, definition, { by: args.by, note: args.note, current: args.current });
      const { published } = result;
      const what = result.created ? 'published' : 'already published (same content)';
      process.stdout.write(
        `${definition.name} ${published.version} ${what}; sha-256 ${published.sha256.slice(0, 16)}…` +
          `${result.madeCurrent ? '; now current (new customers start on it)' : args.current ? '; already current' : ''}\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof DefinitionVersionConflictError) throw new UsageError(`lifecycle publish: ${error.message}`);
      throw error;
    }
  });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => (cell ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Visibility counts when Temporal answers; the listing still prints without them. */
async function countsIfReachable(config: TEngineConfig, versions: string[]): Promise<{ perVersion: Map<string, number>; total: number } | string> {
  try {
    const { connection, client } = await cliTemporalClient(config);
    try {
      return await customersPerVersion(client, versions);
    } finally {
      await connection.close();
    }
  } catch (error) {
    return (error as Error).message;
  }
}

async function list(config: TEngineConfig, argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, limit: { type: 'string' } } });
  const args = check(z.object({ json: z.boolean().default(false), limit: z.coerce.number().int().min(1).max(1_000).default(50) }), values, 'lifecycle list');
  return withDatabase(config, 'lifecycle list', async ({ prisma }) => {
    const versions = await listDefinitions(prisma, args.limit);
    const current = await currentVersion(prisma);
    const counts = await countsIfReachable(
      config,
      versions.map((v) => v.version),
    );
    const running = (version: string) => (typeof counts === 'string' ? undefined : (counts.perVersion.get(version) ?? 0));
    if (args.json) {
      process.stdout.write(
        `${JSON.stringify(
          versions.map((v) => ({ ...v, current: v.version === current?.version, runningCustomers: running(v.version) ?? null })),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    if (versions.length === 0) {
      process.stdout.write('no lifecycle definition is published yet (the worker publishes its own when it starts)\n');
      return 0;
    }
    const rows = versions.map((v) => [
      v.version === current?.version ? '*' : '',
      v.version,
      v.name,
      String(running(v.version) ?? '?'),
      v.publishedAt.toISOString().slice(0, 16).replace('T', ' '),
      v.publishedBy,
      v.sha256.slice(0, 12),
      v.note ?? '',
    ]);
    process.stdout.write(`${table(['', 'version', 'name', 'customers', 'published', 'by', 'sha-256', 'note'], rows)}\n`);
    process.stdout.write(`* current: new customers start on it${typeof counts === 'string' ? `\ncustomer counts unavailable: ${counts}` : ''}\n`);
    return 0;
  });
}

async function rollout(config: TEngineConfig, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      customers: { type: 'string' },
      percent: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'allow-downgrade': { type: 'boolean' },
      by: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const args = check(
    z.object({
      version: ZDefinitionVersion,
      customers: ZQuery.optional(),
      percent: z.coerce.number().int().min(1).max(100).default(100),
      'dry-run': z.boolean().default(false),
      'allow-downgrade': z.boolean().default(false),
      by: ZPublishedBy.default(defaultBy()),
      json: z.boolean().default(false),
    }),
    { ...values, version: positionals[0] },
    'lifecycle rollout',
  );
  return withDatabase(config, 'lifecycle rollout', async ({ prisma }) => {
    if (!(await findDefinition(prisma, args.version))) {
      throw new UsageError(`lifecycle rollout: no version ${args.version} is published (see \`lifecycle list\`; publish it with \`lifecycle publish\`)`);
    }
    const { connection, client } = await cliTemporalClient(config);
    try {
      let running;
      try {
        running = await runningCustomers(client, args.customers, MAX_ROLLOUT_CUSTOMERS);
      } catch (error) {
        // A malformed query is the user's: Temporal's own words say what is wrong with it.
        if (args.customers) throw new UsageError(`lifecycle rollout --customers: ${(error as Error).message.split('\n')[0]}`);
        throw error;
      }
      const selected = running.filter((customer) => inSlice(customer.customerId, args.percent));
      const rolloutId = newRolloutId();
      const dryRun = args['dry-run'];
      process.stderr.write(
        `${dryRun ? 'dry run: ' : ''}roll-out ${rolloutId} of ${args.version}: ${selected.length} of ${running.length} running customer(s)` +
          `${args.customers ? ` matching ${args.customers}` : ''}${args.percent < 100 ? `, the ${args.percent} % slice` : ''}\n`,
      );
      const report = await rollOut(
        { client, prisma },
        { rolloutId, version: args.version, query: args.customers, percent: args.percent, by: args.by, dryRun, allowDowngrade: args['allow-downgrade'] },
        selected,
        (done, total) => {
          if (done === total || done % 25 === 0) process.stderr.write(`  ${done}/${total}\n`);
        },
      );
      if (args.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const lines = report.outcomes
          .filter(({ outcome }) => outcome.kind !== 'already_on')
          .map(({ customer, outcome }) => `  ${customer.customerId}: ${describe(outcome)}`);
        const c = report.counts;
        process.stdout.write(
          `${lines.join('\n')}${lines.length ? '\n' : ''}` +
            `${dryRun ? `would move ${c.would_adopt}` : `moved ${c.adopted}`} onto ${args.version}; ${c.already_on} already on it` +
            `${c.downgrade_refused ? `; ${c.downgrade_refused} refused as a downgrade (--allow-downgrade to roll back)` : ''}` +
            `${c.refused ? `; ${c.refused} refused` : ''}${c.unreachable ? `; ${c.unreachable} unreachable` : ''}\n`,
        );
      }
      return report.counts.refused + report.counts.downgrade_refused > 0 ? 1 : 0;
    } finally {
      await connection.close();
    }
  });
}

function describe(outcome: RolloutOutcome): string {
  switch (outcome.kind) {
    case 'adopted':
      return `${outcome.from} -> ${outcome.to}`;
    case 'already_on':
      return 'already on it';
    case 'would_adopt':
      return `would move from ${outcome.from ?? 'an unknown version'}`;
    case 'downgrade_refused':
      return `refused: ${outcome.from} was published later (a downgrade)`;
    case 'unreachable':
      return `unreachable (${outcome.reason})`;
    case 'refused':
      return `refused: ${outcome.reason}`;
  }
}

async function status(config: TEngineConfig, argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } } });
  const args = check(z.object({ json: z.boolean().default(false) }), values, 'lifecycle status');
  return withDatabase(config, 'lifecycle status', async ({ prisma }) => {
    const versions = await listDefinitions(prisma, 1_000);
    const current = await currentVersion(prisma);
    const { connection, client } = await cliTemporalClient(config);
    try {
      const counts = await customersPerVersion(
        client,
        versions.map((v) => v.version),
      );
      const rollouts = await prisma.lifecycleRollout.findMany({ orderBy: { startedAt: 'desc' }, take: 10 });
      const other = counts.total - [...counts.perVersion.values()].reduce((a, b) => a + b, 0);
      if (args.json) {
        process.stdout.write(
          `${JSON.stringify({ current: current?.version ?? null, running: counts.total, perVersion: Object.fromEntries(counts.perVersion), otherVersions: other, rollouts }, null, 2)}\n`,
        );
        return 0;
      }
      const rows = versions
        .filter((v) => (counts.perVersion.get(v.version) ?? 0) > 0 || v.version === current?.version)
        .map((v) => [v.version === current?.version ? '*' : '', v.version, String(counts.perVersion.get(v.version) ?? 0)]);
      if (other > 0) rows.push(['', '(unpublished)', String(other)]);
      process.stdout.write(`${counts.total} running customer(s)\n${table(['', 'version', 'customers'], rows)}\n`);
      const inProgress = rollouts.filter((r) => r.finishedAt === null);
      process.stdout.write(
        `${inProgress.length ? `roll-outs not finished:\n${inProgress.map((r) => `  ${describeUnfinishedRollout(r)}`).join('\n')}` : 'no roll-out in progress'}\n`,
      );
      const finished = rollouts.filter((r) => r.finishedAt !== null).slice(0, 5);
      if (finished.length) {
        process.stdout.write(
          `recent roll-outs:\n${finished
            .map(
              (r) =>
                `  ${r.id}: ${r.version}${r.percent < 100 ? ` ${r.percent} %` : ''}${r.query ? ` where ${r.query}` : ''} — ${r.adopted} moved, ${r.alreadyOn} already on it, ${r.refused} refused, ${r.unreachable} unreachable`,
            )
            .join('\n')}\n`,
        );
      }
      return 0;
    } finally {
      await connection.close();
    }
  });
}
