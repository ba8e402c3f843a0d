/**
 * The CLI's everyday commands. Those that read or write customers go through the HTTP API (so they
 * work while `npm start` holds the embedded database), `list` asks Temporal visibility directly,
 * and `api-key` goes through the API too, writing the database itself only when no engine runs. Arguments are parsed with node:util and validated with zod:
 * a wrong one is answered with its name and what is expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, type Connection } from '@temporalio/client';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { API_KEY_NAME, API_SCOPES, createApiKey, DEFAULT_API_SCOPES, revokeApiKey } from '../api/api-keys';
import type { TEngineConfig } from '../config';
import { openDatabase } from '../db/database';
import { isSetupError } from '../dev-infra/setup-error';
import { connectTemporalClient } from '../temporal/connection-options';
import { livePgliteLockHolder } from '../db/pglite-lock';
import { ZCustomerHandoff, ZCustomerId, type TCustomerHandoff } from '../domain/customer-events';
import { ZCustomerView } from '../domain/customer-view-schema';
import { HEALTH_BANDS, STAGE_IDS } from '../domain/lifecycle-definition';
import { mapWithConcurrency } from '../util/concurrency';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // An option is named as typed (`--limit`); a positional argument (a number in the path) by the command alone.
    const where = (path: PropertyKey[]) => (typeof path[0] === 'string' ? ` --${path.join('.')}` : '');
    throw new UsageError(parsed.error.issues.map((issue) => `${what}${where(issue.path)}: ${issue.message}`).join('\n'));
  }
  return parsed.data;
}

// ------------------------------------------------------------------------------------ API access

/** The API answered with an error status; `status` tells the cases apart (a 409 on import is fine). */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Nothing answered at the API's address: the engine is not running there. */
export class ApiUnreachableError extends Error {
  override readonly name = 'ApiUnreachableError';
}

const isApiCallError = (error: unknown): error is ApiCallError => (error as Error | undefined)?.name === 'ApiCallError';
const isApiUnreachable = (error: unknown): error is ApiUnreachableError => (error as Error | undefined)?.name === 'ApiUnreachableError';

function apiUrl(config: TEngineConfig): string {
  // Empty means unset, as for every other setting.
  return process.env.CS_API_URL || `http://${config.API_HOST}:${config.API_PORT}`;
}

/** CS_API_KEY, else the local key `npm start` keeps in the data folder; undefined when neither exists. */
function apiKeyAtHand(config: TEngineConfig): string | undefined {
  const keyFile = join(resolve(config.CS_DATA_DIR), 'local-api-key');
  return process.env.CS_API_KEY || (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() || undefined : undefined);
}

function apiAccess(config: TEngineConfig): { url: string; key: string } {
  const key = apiKeyAtHand(config);
  if (!key) throw new UsageError(`no API key: set CS_API_KEY (create one with \`cli api-key create <name>\`), or run \`npm start\` once for a local key`);
  return { url: apiUrl(config), key };
}

async function api<T>(config: TEngineConfig, method: string, path: string, body?: unknown): Promise<T> {
  const { url, key } = apiAccess(config);
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiUnreachableError(`cannot reach the API at ${url}: is the engine running (\`npm start\`)? Set CS_API_URL for another address.`);
  }
  const payload = (await response.json().catch(() => ({}))) as { message?: string; issues?: { path: string; message: string }[] };
  if (!response.ok) {
    const issues = payload.issues?.map((i) => `  ${i.path}: ${i.message}`).join('\n');
    throw new ApiCallError(response.status, `the API answered ${response.status}: ${issues ? `\n${issues}` : (payload.message ?? '')}`);
  }
  return payload as T;
}

// --------------------------------------------------------------------------------------- commands

export async function sendEvent(config: TEngineConfig, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { customer: { type: 'string' }, json: { type: 'string' }, file: { type: 'string' } } });
  const args = check(
    z
      .object({
        customer: ZCustomerId,
        json: z
          .string()
          .max(1024 * 1024, 'at most 1 MiB of JSON')
          .optional(),
        file: z.string().max(4096).optional(),
      })
      .refine((a) => (a.json === undefined) !== (a.file === undefined), {
        message: "give the event as --json '{…}' or --file event.json (one of them)",
        path: ['json'],
      }),
    values,
    'send-event',
  );
  const text = args.json ?? readEventFile(args.file!);
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`send-event: the event is not valid JSON (${(error as Error).message})`);
  }
  const result = await api<{ id: string; status: string }>(config, 'POST', '/v1/events', { ...(event as object), customerId: args.customer });
  process.stdout.write(`${result.status}: event ${result.id} for ${args.customer}\n`);
}

function readEventFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(`send-event: cannot read the event file ${file} (${why})`);
  }
}

export async function showCustomer(config: TEngineConfig, argv: string[]): Promise<void> {
  const [customerId] = check(z.tuple([ZCustomerId], { error: 'give one customer id: cli show <customerId>' }), argv, 'show');
  // The API answers the customer view; parsed like any input, so an API on other code is named as such.
  const answer = ZCustomerView.safeParse(await api<unknown>(config, 'GET', `/v1/customers/${encodeURIComponent(customerId)}`));
  if (!answer.success) {
    const issue = answer.error.issues[0];
    throw new ApiCallError(
      200,
      `show: the API answered a customer this CLI does not read (${issue?.path.join('.') || 'body'}: ${issue?.message}); is it on other code?`,
    );
  }
  const view = answer.data;
  const { customer, health } = view;
  const lines = [
    `${customer.name} (${customerId})`,
    `  stage     ${view.stage} (${view.sla.replace('_', ' ')}), segment ${customer.segment}, ARR ${customer.arr}, CSM ${customer.csmOwner}`,
    `  renewal   ${customer.contractEnd.slice(0, 10)}`,
    `  health    ${health?.score ?? '—'} (${health?.band ?? 'no data'}, ${health?.trend ?? 'flat'})` +
      (health ? `: ${health.dimensions.map((d) => `${d.label} ${d.score === null ? '—' : Math.round(d.score)}`).join(', ')}` : ''),
    ...(health?.conditions ?? []).map((c) => `  risk      ${c.label}`),
    `  to leave  ${
      view.exit.required
        .filter((a) => !a.met)
        .map((a) => (a.late ? `${a.label} (late)` : a.label))
        .join('; ') || 'nothing left'
    }`,
    '  recent:',
    ...view.timeline.slice(-8).map((e) => `    ${e.at.slice(0, 16).replace('T', ' ')}  ${e.summary}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Temporal for a CLI command: the engine's server unless TEMPORAL_ADDRESS names another; one sentence when it is not there. */
export async function cliTemporalClient(config: TEngineConfig): Promise<{ connection: Connection; client: Client }> {
  const address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
  const connection = await connectTemporalClient(config, address, { connectTimeout: 5_000 }).catch((error: unknown) => {
    // Refused credentials or a failed handshake say so; a server that is not there is most likely the engine not running.
    if (isSetupError(error) && !error.message.startsWith('Cannot reach')) throw error;
    throw new UsageError(`cannot reach Temporal at ${address}: is the engine running? Set TEMPORAL_ADDRESS for another server.`);
  });
  return { connection, client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }) };
}

export async function listCustomers(config: TEngineConfig, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { stage: { type: 'string' }, band: { type: 'string' }, csm: { type: 'string' }, segment: { type: 'string' }, limit: { type: 'string' } },
  });
  const args = check(
    z.object({
      stage: z.enum(STAGE_IDS).optional(),
      band: z.enum(HEALTH_BANDS).optional(),
      csm: z.string().max(200).optional(),
      segment: z.string().max(100).optional(),
      limit: z.coerce.number().int().positive().max(10_000).default(100),
    }),
    values,
    'list',
  );
  const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;
  const clauses = [
    'WorkflowType = "customerLifecycleWorkflow"',
    'ExecutionStatus = "Running"',
    ...(args.stage ? [`Stage = ${quote(args.stage)}`] : []),
    ...(args.band ? [`HealthBand = ${quote(args.band)}`] : []),
    ...(args.csm ? [`CsmOwner = ${quote(args.csm)}`] : []),
    ...(args.segment ? [`Segment = ${quote(args.segment)}`] : []),
  ];
  const { connection, client } = await cliTemporalClient(config);
  try {
    const rows: string[][] = [];
    for await (const execution of client.workflow.list({ query: clauses.join(' AND ') })) {
      const attrs = execution.typedSearchAttributes;
      const get = (name: string) => attrs.getAll().find((pair) => pair.key.name === name)?.value;
      rows.push([
        String(get('CustomerId') ?? execution.workflowId),
        String(get('Stage') ?? ''),
        String(get('HealthBand') ?? ''),
        get('HealthScore') === undefined ? '' : String(get('HealthScore')),
        String(get('Segment') ?? ''),
        String(get('CsmOwner') ?? ''),
        get('RenewalDate') instanceof Date ? (get('RenewalDate') as Date).toISOString().slice(0, 10) : '',
      ]);
      if (rows.length >= args.limit) break;
    }
    const header = ['customer', 'stage', 'band', 'score', 'segment', 'csm', 'renewal'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const format = (r: string[]) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    process.stdout.write(`${[format(header), ...rows.map(format)].join('\n')}\n${rows.length} customer(s) where ${clauses.slice(2).join(' AND ') || 'any'}\n`);
  } finally {
    await connection.close();
  }
}

export async function printMetrics(config: TEngineConfig, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { days: { type: 'string' }, json: { type: 'boolean' } } });
  const args = check(z.object({ days: z.coerce.number().int().min(1).max(3650).default(90), json: z.boolean().default(false) }), values, 'metrics');
  type Report = {
    arr: {
      total: number;
      nrr: number | null;
      grr: number | null;
      expansionArr: number;
      churnArr: number;
      contractionArr: number;
      cohortCustomers: number;
      churnedCustomers: number;
      logoChurnRate: number | null;
      newArr: number;
      newCustomerChurnArr: number;
    };
    nps: { score: number | null; responses: number };
    timeToValue: Record<string, { medianDays: number | null; p90Days: number | null; customers: number }>;
    health: Record<string, number>;
    renewalsDue90Days: { name: string; renewalDate: string; healthBand: string | null }[];
    atRisk: { name: string; arr: number }[];
    booksOfBusiness: { csmOwner: string; accounts: number; arr: number; load: number }[];
  };
  const report = await api<Report>(config, 'GET', `/v1/metrics?days=${args.days}`);
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const pct = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)} %`);
  const lines = [
    `Portfolio, last ${args.days} days`,
    `  ARR          ${report.arr.total.toLocaleString('en-US')} (expansion ${report.arr.expansionArr}, contraction ${report.arr.contractionArr}, churn ${report.arr.churnArr})`,
    `  NRR / GRR    ${pct(report.arr.nrr)} / ${pct(report.arr.grr)} (cohort of ${report.arr.cohortCustomers})`,
    `  logo churn   ${pct(report.arr.logoChurnRate)} (${report.arr.churnedCustomers} of the cohort)`,
    `  new ARR      ${report.arr.newArr} (churned again within the period: ${report.arr.newCustomerChurnArr})`,
    `  NPS          ${report.nps.score ?? '—'} (${report.nps.responses} responses)`,
    `  health       ${Object.entries(report.health)
      .map(([band, n]) => `${band} ${n}`)
      .join(', ')}`,
    `  time to value ${
      Object.entries(report.timeToValue)
        .map(([s, t]) => `${s}: median ${t.medianDays} d, p90 ${t.p90Days} d (${t.customers})`)
        .join('; ') || '—'
    }`,
    `  renewals due in 90 days: ${report.renewalsDue90Days.length}`,
    ...report.renewalsDue90Days.slice(0, 10).map((r) => `    ${r.renewalDate.slice(0, 10)}  ${r.name} (${r.healthBand ?? 'no data'})`),
    `  at risk (red): ${report.atRisk.length}`,
    ...report.atRisk.slice(0, 10).map((r) => `    ${r.name}, ARR ${r.arr}`),
    '  books of business (load 1.0 = a full book for the segments carried):',
    ...report.booksOfBusiness.map((b) => `    ${b.csmOwner}: ${b.accounts} accounts, ARR ${b.arr}, load ${b.load}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Customers created at once by `cli import` (`--concurrency`): enough to keep the API busy, few enough not to queue for long. */
const IMPORT_CONCURRENCY = 8;

/** CSV columns: customerId,name,arr,contractStart,contractEnd,csmOwner[,segment,complexity,seatsPurchased,timezone,championName,championEmail]. */
export async function importCustomers(config: TEngineConfig, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { concurrency: { type: 'string' } } });
  const [file] = check(z.tuple([z.string().min(1).max(4096)], { error: 'give one CSV file: cli import <customers.csv>' }), positionals, 'import');
  const { concurrency } = check(z.object({ concurrency: z.coerce.number().int().min(1).max(64).default(IMPORT_CONCURRENCY) }), values, 'import');
  let records: Record<string, string>[];
  try {
    records = parseCsv(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    throw new UsageError(`import: cannot read ${file} as CSV (${(error as Error).message})`);
  }
  // "imported 0" would read as success for a file that was truncated or is the wrong one.
  if (records.length === 0) throw new UsageError(`import: ${file} has no rows (a header line, then one customer per line)`);
  const handoffs: TCustomerHandoff[] = [];
  const problems: string[] = [];
  records.forEach((record, index) => {
    const line = index + 2; // the header is line 1
    const parsed = ZCustomerHandoff.safeParse({
      customerId: record.customerId,
      name: record.name,
      arr: record.arr === undefined || record.arr === '' ? undefined : Number(record.arr),
      contractStart: record.contractStart,
      contractEnd: record.contractEnd,
      csmOwner: record.csmOwner,
      ...(record.segment ? { segment: record.segment } : {}),
      ...(record.complexity ? { complexity: record.complexity } : {}),
      ...(record.seatsPurchased ? { seatsPurchased: Number(record.seatsPurchased) } : {}),
      ...(record.timezone ? { timezone: record.timezone } : {}),
      stakeholders: record.championName
        ? [{ id: 'champion', name: record.championName, role: 'champion', ...(record.championEmail ? { email: record.championEmail } : {}) }]
        : [],
    });
    if (parsed.success) handoffs.push(parsed.data);
    else problems.push(...parsed.error.issues.map((issue) => `  line ${line}, ${issue.path.join('.') || 'row'}: ${issue.message}`));
  });
  if (problems.length > 0) throw new UsageError(`import: ${problems.length} problem(s) in ${file}; nothing was imported:\n${problems.join('\n')}`);
  let created = 0;
  let existing = 0;
  // Several creations in flight: one at a time, each waited on a round trip to the database and
  // one to Temporal. Still idempotent: a customer that exists answers 409 and is counted as such.
  // The first failure stops new requests; one cut short by it is finished by a re-run (createCustomer
  // completes a customer whose row exists without a workflow).
  let failed = false;
  await mapWithConcurrency(handoffs, concurrency, async (handoff) => {
    if (failed) return;
    try {
      await api(config, 'POST', '/v1/customers', handoff);
      created += 1;
    } catch (error) {
      if (!(isApiCallError(error) && error.status === 409)) {
        failed = true;
        throw error;
      }
      existing += 1;
    }
    const done = created + existing;
    if (done % 10 === 0 || done === handoffs.length) {
      process.stderr.write(`\r[import] ${done}/${handoffs.length} (${created} created, ${existing} already there)`);
    }
  });
  process.stderr.write('\n');
  process.stdout.write(`imported ${created} customer(s); ${existing} already existed\n`);
}

/**
 * Keys are made through the running engine (POST /v1/api-keys, scope keys:write) whenever one
 * answers: the embedded database belongs to the engine's process, and a key written beside it
 * would never be seen. The database is written directly only when nothing answers and nobody
 * holds it: PostgreSQL (DATABASE_URL; also how the first key of a deployment is made) or an
 * embedded database no live process has open.
 */
export async function apiKeyCommand(config: TEngineConfig, argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { scopes: { type: 'string' } } });
  const args = check(
    z.object({
      action: z.enum(['create', 'revoke'], { error: 'use `api-key create <name>` or `api-key revoke <name>`' }),
      name: z.string().regex(API_KEY_NAME, 'a name of letters, digits, _ . - (max 64)'),
      scopes: z
        .array(z.enum(API_SCOPES))
        .min(1)
        .max(API_SCOPES.length)
        .transform((scopes) => [...new Set(scopes)])
        .default([...DEFAULT_API_SCOPES]),
    }),
    { action, name: positionals[0], scopes: values.scopes?.split(',').map((s) => s.trim()) },
    'api-key',
  );
  const report = (key: string) => {
    process.stdout.write(`${key}\n`);
    process.stderr.write(`API key "${args.name}" (${args.scopes.join(', ')}): shown once, stored only as a hash.\n`);
  };

  const key = apiKeyAtHand(config);
  if (key) {
    try {
      if (args.action === 'create') {
        report((await api<{ key: string }>(config, 'POST', '/v1/api-keys', { name: args.name, scopes: args.scopes })).key);
      } else {
        await api(config, 'POST', `/v1/api-keys/${encodeURIComponent(args.name)}/revoke`).catch((error: unknown) => {
          throw isApiCallError(error) && error.status === 404 ? new UsageError(`api-key: no active key named "${args.name}"`) : error;
        });
        process.stdout.write(`revoked ${args.name}\n`);
      }
      return;
    } catch (error) {
      if (!isApiUnreachable(error)) throw error;
      // Nothing answers: the database directly, below, unless a live engine holds it.
    }
  }
  if (!config.DATABASE_URL) {
    const dataDir = join(resolve(config.CS_DATA_DIR), 'pglite');
    const holder = livePgliteLockHolder(dataDir);
    if (holder) {
      throw new UsageError(
        `api-key: the embedded database in ${dataDir} is held by process ${holder.pid} (${holder.command}) and no API answers at ${apiUrl(config)}${key ? '' : ' (nor is there a key to call one with)'}, so the key is not written: a second process's write there would be lost; point CS_API_URL and CS_API_KEY (a key with keys:write) at that engine's API.`,
      );
    }
  }
  const database = await openDatabase(
    config.DATABASE_URL ? { kind: 'postgres', url: config.DATABASE_URL } : { kind: 'pglite', dataDir: join(resolve(config.CS_DATA_DIR), 'pglite') },
  );
  try {
    if (args.action === 'create') {
      try {
        report(await createApiKey(database.prisma, args.name, args.scopes));
      } catch (error) {
        if ((error as Error).name === 'ApiKeyNameTakenError') throw new UsageError(`api-key: ${(error as Error).message}`);
        throw error;
      }
    } else {
      const revoked = await revokeApiKey(database.prisma, args.name);
      if (!revoked) throw new UsageError(`api-key: no active key named "${args.name}"`);
      process.stdout.write(`revoked ${args.name}\n`);
    }
  } finally {
    await database.close();
  }
}
