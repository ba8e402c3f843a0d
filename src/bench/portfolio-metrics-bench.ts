/**
 * Portfolio metrics benchmark (a script, not a test: it measures, it asserts nothing about speed).
 * Seeds a portfolio's read-model rows (default 10,000 customers, see portfolio-seed.ts) into a
 * throwaway PostgreSQL and into an in-memory PGlite, builds the API app in-process and prints the
 * server time — the app handling the request, the database and the JSON body included, no network —
 * of `GET /v1/metrics` and of the portfolio page `GET /` (skipped with a note while that route
 * answers 404), as median and p95 over a number of sequential requests after a warm-up.
 *
 *   npm run bench:portfolio-metrics                               # 10,000 customers, both databases, 20 requests each
 *   npm run bench:portfolio-metrics -- --customers=2000 --db=postgres --requests=10
 *
 * The metrics route never calls Temporal: the app gets a lazy client that would only connect if
 * a route used it (none measured here does).
 */
import { SESSION_COOKIE } from '../pages/session';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { createApiApp } from '../api/app';
import { createApiKey } from '../api/api-keys';
import { openDatabase, type Database } from '../db/database';
import { createScratchDatabase, startTestPostgres } from '../dev-infra/postgres';
import { seedPortfolio } from './portfolio-seed';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const CUSTOMERS = Number(args.get('customers') ?? 10_000);
const REQUESTS = Number(args.get('requests') ?? 20);
const WARMUP = Number(args.get('warmup') ?? 3);
const USAGE = Number(args.get('usage-events') ?? 20);
const DATABASES = (args.get('db') ?? 'postgres,pglite').split(',') as ('postgres' | 'pglite')[];
const ROUTES = ['/v1/metrics', '/v1/metrics?days=365', '/'];
const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

interface RouteResult {
  database: string;
  route: string;
  note?: string;
  medianMs?: number;
  p95Ms?: number;
  maxMs?: number;
  bodyKiB?: number;
}

async function measure(label: string, database: Database): Promise<{ seedSeconds: number; rows: string; results: RouteResult[] }> {
  const t0 = performance.now();
  const counts = await seedPortfolio(database.prisma, { customers: CUSTOMERS, usageEventsPerCustomer: USAGE });
  // A live database has statistics (autovacuum analyzes); fresh bulk-loaded tables have none yet.
  await database.prisma.$executeRawUnsafe('ANALYZE');
  const seedSeconds = (performance.now() - t0) / 1000;
  const rows = Object.entries(counts)
    .map(([table, n]) => `${n.toLocaleString('en-US')} ${table}`)
    .join(', ');
  log(`${label}: seeded ${rows} in ${seedSeconds.toFixed(1)} s`);
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:7233' }) });
  const app = createApiApp({ prisma: database.prisma, client });
  const key = await createApiKey(database.prisma, `bench-${Date.now().toString(36)}`);
  const get = async (route: string) => {
    const t = performance.now();
    // Pages read the key from the sign-in cookie, the API from the bearer header; send both.
    const headers = { authorization: `Bearer ${key}`, cookie: `${SESSION_COOKIE}=${key}`, accept: 'text/html, application/json' };
    const response = await app.request(route, { headers });
    const body = await response.text();
    return { status: response.status, ms: performance.now() - t, bytes: Buffer.byteLength(body) };
  };
  const results: RouteResult[] = [];
  for (const route of ROUTES) {
    const first = await get(route);
    if (first.status === 404) {
      results.push({ database: label, route, note: 'skipped: the route answers 404 (not built yet)' });
      continue;
    }
    if (first.status !== 200) {
      // Noted, not fatal: the other routes' figures are still worth the seeding.
      results.push({ database: label, route, note: `not measured: the route answers ${first.status}` });
      continue;
    }
    for (let i = 1; i < WARMUP; i++) await get(route);
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const run = await get(route);
      times.push(run.ms);
      bytes = run.bytes;
    }
    times.sort((a, b) => a - b);
    const result = { database: label, route, medianMs: quantile(times, 0.5), p95Ms: quantile(times, 0.95), maxMs: times.at(-1)!, bodyKiB: bytes / 1024 };
    log(`${label} ${route}: median ${result.medianMs.toFixed(0)} ms, p95 ${result.p95Ms.toFixed(0)} ms`);
    results.push(result);
  }
  return { seedSeconds, rows, results };
}

async function main(): Promise<void> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const runs: { label: string; seedSeconds: number; rows: string; results: RouteResult[] }[] = [];
  try {
    for (const kind of DATABASES) {
      let database: Database;
      let label: string;
      if (kind === 'postgres') {
        // DATABASE_URL's server when set (a scratch database on it), otherwise a throwaway cluster.
        const server = await startTestPostgres();
        cleanups.push(() => server.stop());
        const url = await createScratchDatabase(server.url, `bench_portfolio_${Date.now().toString(36)}`);
        database = await openDatabase({ kind: 'postgres', url });
        const version = await database.prisma.$queryRawUnsafe<{ server_version: string }[]>('SHOW server_version');
        label = `PostgreSQL ${version[0]?.server_version.split(' ')[0]}`;
      } else {
        database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
        label = 'PGlite (in memory)';
      }
      try {
        runs.push({ label, ...(await measure(label, database)) });
      } finally {
        await database.close();
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
  const cpus = os.cpus();
  const ms = (value?: number) => (value === undefined ? '' : `${value.toFixed(0)} ms`);
  process.stdout.write(
    [
      '',
      `Portfolio metrics benchmark — ${new Date().toISOString()}`,
      `  machine: ${cpus.length} cores (${cpus[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
      `  command: npm run bench:portfolio-metrics${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      `  ${REQUESTS} sequential requests per route after ${WARMUP} warm-up; server time = app.request() until the body is read`,
      ...runs.map((r) => `  ${r.label}: ${r.rows} (seeded in ${r.seedSeconds.toFixed(1)} s)`),
      '',
      '| database | route | median | p95 | max | body |',
      '|---|---|---|---|---|---|',
      ...runs.flatMap((r) =>
        r.results.map((x) =>
          x.note
            ? `| ${x.database} | \`GET ${x.route}\` | ${x.note} | | | |`
            : `| ${x.database} | \`GET ${x.route}\` | ${ms(x.medianMs)} | ${ms(x.p95Ms)} | ${ms(x.maxMs)} | ${x.bodyKiB!.toFixed(0)} KiB |`,
        ),
      ),
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
