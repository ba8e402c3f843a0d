/**
 * Portfolio benchmark (a script, not a test: it measures, it asserts nothing about speed). Runs the
 * engine as `npm start` does (`src/bootstrap.cjs start`: the supervisor with the embedded PGlite
 * and the Temporal dev server, the worker and the API as its children) on a throwaway data folder,
 * writes N customers into a CSV and imports it with `cli import`, then prints:
 *   - the import rate (customers/s, as the CLI runs it);
 *   - RSS of the engine's whole process tree, sampled every second during the import and after it
 *     (peak, and settled: the mean of the last 10 s), with each part's share;
 *   - workflow-task latency: the worker's own histogram (the SDK's Prometheus metrics on
 *     WORKER_METRICS_PORT: execution and schedule-to-start) and, exact, WorkflowTaskScheduled →
 *     Completed in the histories of a sample of customers;
 *   - running workflows (customers and play runs) and the worker's workflow cache.
 *
 *   npm run bench:portfolio                                   # 1,000 customers
 *   npm run bench:portfolio -- --customers=10000 --memory-mb=1024 --settle=120
 *
 * Options: --customers=N (1000), --memory-mb=M (WORKER_MEMORY_MB; the setting's default when
 * unset), --settle=S seconds of sampling after the import (60), --sample=K histories (100).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { freePort } from '../dev-infra/dev-server';
import { customerWorkflowId } from '../domain/ids';
import { seededRandom } from '../util/seeded-random';

const ROOT = resolve(__dirname, '../..');
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const options = z
  .object({
    customers: z.coerce.number().int().min(1).max(100_000).default(1_000),
    'memory-mb': z.coerce.number().int().min(1).max(1_000_000).optional(),
    settle: z.coerce.number().int().min(10).max(3_600).default(60),
    sample: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .parse(Object.fromEntries(args));
const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
const DAY = 24 * 60 * 60 * 1000;

// ------------------------------------------------------------------------------ the process tree

const PAGE = 4096;
type Part = 'temporal' | 'worker' | 'api' | 'supervisor' | 'other';

/** Every process under `root` (itself included), with its RSS and which part of the engine it is. */
function processTree(root: number): { pid: number; rss: number; part: Part }[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command may hold spaces and parentheses: the fields after the last ")" are fixed.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  const result: { pid: number; rss: number; part: Part }[] = [];
  for (const pid of tree) {
    try {
      const rss = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const last = cmd.filter(Boolean).at(-1) ?? '';
      const part: Part =
        cmd.some((a) => a.includes('temporal')) && cmd.includes('server')
          ? 'temporal'
          : // The CLI from its sources (tsx) or compiled (npm start: bootstrap.cjs runs the supervisor
            // in its own process, dist/cli.cjs the worker and the API).
            cmd.some((a) => a.endsWith('main.ts') || a.endsWith('cli.cjs') || a.endsWith('bootstrap.cjs'))
            ? last === 'worker'
              ? 'worker'
              : last === 'api'
                ? 'api'
                : last === 'start'
                  ? 'supervisor'
                  : 'other'
            : 'other';
      result.push({ pid, rss, part });
    } catch {
      // gone meanwhile
    }
  }
  return result;
}

interface Sample {
  at: number;
  phase: 'import' | 'settle';
  total: number;
  parts: Record<Part, number>;
  cached?: number;
}

// ---------------------------------------------------------------------------------- the metrics

type Histogram = { buckets: [number, number][]; count: number; sum: number };

/** The SDK's histogram `name` from Prometheus text, summed over its label sets. */
function histogram(text: string, name: string): Histogram | undefined {
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? ([^ ]+)/.exec(line);
    if (!match || !match[1]!.startsWith(name)) continue;
    const [, metric, labels = '', value] = match;
    if (metric === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + Number(value));
      found = true;
    } else if (metric === `${name}_count`) count += Number(value);
    else if (metric === `${name}_sum`) sum += Number(value);
  }
  return found ? { buckets: [...buckets].sort((a, b) => a[0] - b[0]), count, sum } : undefined;
}

/** The bucket bound under which a share `q` of the observations fall (an upper bound, not exact). */
function histogramQuantile(h: Histogram, q: number): number {
  const total = h.buckets.at(-1)?.[1] ?? 0;
  const bound = h.buckets.find(([, cumulative]) => cumulative >= q * total);
  return bound?.[0] ?? Infinity;
}

function gauge(text: string, name: string): number | undefined {
  let value: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? ([^ ]+)/.exec(line);
    if (match?.[1] === name) value = (value ?? 0) + Number(match[3]);
  }
  return value;
}

const seconds = (value: number) => (value === Infinity ? '> largest bucket' : value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(1)} s`);
function describeHistogram(h: Histogram | undefined): string {
  if (!h || h.count === 0) return 'none recorded';
  return `p50 ≤ ${seconds(histogramQuantile(h, 0.5))}, p95 ≤ ${seconds(histogramQuantile(h, 0.95))}, max ≤ ${seconds(histogramQuantile(h, 1))}, mean ${seconds(h.sum / h.count)} (${h.count.toLocaleString('en-US')} tasks)`;
}

// ------------------------------------------------------------------------------------- the CSV

function writeCsv(path: string, customers: number): string[] {
  const rand = seededRandom(16);
  const ids: string[] = [];
  const now = Date.now();
  const lines = ['customerId,name,arr,contractStart,contractEnd,csmOwner,seatsPurchased,timezone,championName,championEmail'];
  for (let i = 0; i < customers; i += 1) {
    const id = `bench-${String(i + 1).padStart(6, '0')}`;
    ids.push(id);
    // 40 % tech touch, 30 % mid-market, 30 % enterprise by ARR, as the lifecycle bench mixes them.
    const draw = rand();
    const arr = draw < 0.4 ? 8_000 + Math.round(rand() * 12_000) : draw < 0.7 ? 25_000 + Math.round(rand() * 50_000) : 120_000 + Math.round(rand() * 200_000);
    // Signed within the last two weeks, a year's term: a new book of business, as a migration has.
    const start = now - Math.floor(rand() * 14) * DAY;
    lines.push(
      [
        id,
        `Bench Customer ${i + 1}`,
        arr,
        new Date(start).toISOString(),
        new Date(start + 365 * DAY).toISOString(),
        `csm${(i % 60) + 1}@example.com`,
        Math.max(10, Math.round(arr / 1_000)),
        ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'UTC'][i % 4],
        `Champion ${i + 1}`,
        `champion@${id}.example`,
      ].join(','),
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return ids;
}

// --------------------------------------------------------------------------------------- running

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the engine did not say ${pattern} within ${timeoutMs / 1000} s`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolvePromise();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the engine exited (code ${code}) before it was ready`));
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-portfolio-bench-'));
  const [apiPort, temporalPort, uiPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    CS_DATA_DIR: join(dir, 'data'),
    API_PORT: String(apiPort),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    WORKER_METRICS_PORT: String(metricsPort),
    ...(options['memory-mb'] ? { WORKER_MEMORY_MB: String(options['memory-mb']) } : {}),
  };
  log(`engine: node src/bootstrap.cjs start (what npm start runs), data in ${dir}${options['memory-mb'] ? `, WORKER_MEMORY_MB=${options['memory-mb']}` : ''}`);
  // Its own process group, so the whole tree can be stopped at the end.
  const engine = spawn(process.execPath, [join(ROOT, 'src/bootstrap.cjs'), 'start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const stopEngine = async () => {
    if (engine.exitCode !== null || engine.signalCode !== null) return;
    const exited = new Promise((r) => engine.once('exit', r));
    process.kill(-engine.pid!, 'SIGINT');
    const timer = setTimeout(() => process.kill(-engine.pid!, 'SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  let connection: Connection | undefined;
  try {
    const startedAt = performance.now();
    await waitForLine(engine, /The engine is running\.[\s\S]*Press Ctrl-C/, 10 * 60_000);
    log(`engine ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const client = new Client({ connection });
    const metrics = async () => fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.text());
    const running = async (type?: string) => (await client.workflow.count(`ExecutionStatus = "Running"${type ? ` AND WorkflowType = "${type}"` : ''}`)).count;

    // Let the demo portfolio's first tasks pass, so the idle figure is the engine's own.
    await sleep(15_000);
    const idle = processTree(engine.pid!);
    const idleTotal = idle.reduce((s, p) => s + p.rss, 0);
    log(`idle engine (50 demo customers): RSS ${mib(idleTotal)} in ${idle.length} processes`);

    const csv = join(dir, 'customers.csv');
    const ids = writeCsv(csv, options.customers);
    const samples: Sample[] = [];
    let phase: Sample['phase'] = 'import';
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const tree = processTree(engine.pid!);
        const parts = { temporal: 0, worker: 0, api: 0, supervisor: 0, other: 0 };
        for (const p of tree) parts[p.part] += p.rss;
        const cached = await metrics()
          .then((text) => gauge(text, 'temporal_sticky_cache_size'))
          .catch(() => undefined);
        samples.push({ at: performance.now(), phase, total: tree.reduce((s, p) => s + p.rss, 0), parts, cached });
        await sleep(1_000);
      }
    })();

    const key = readFileSync(join(dir, 'data', 'local-api-key'), 'utf8').trim();
    log(`importing ${options.customers.toLocaleString('en-US')} customers with cli import`);
    const importStart = performance.now();
    const cli = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'import', csv], {
      cwd: ROOT,
      env: { ...env, CS_API_URL: `http://127.0.0.1:${apiPort}`, CS_API_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let cliOut = '';
    cli.stdout!.on('data', (c: Buffer) => (cliOut += c.toString()));
    cli.stderr!.on('data', (c: Buffer) => process.stderr.write(c));
    const code = await new Promise<number | null>((r) => cli.once('exit', r));
    const importSeconds = (performance.now() - importStart) / 1000;
    process.stderr.write('\n');
    if (code !== 0) throw new Error(`cli import exited ${code}: ${cliOut}`);
    log(`${cliOut.trim()} in ${importSeconds.toFixed(1)} s`);

    phase = 'settle';
    log(`sampling for ${options.settle} s after the import`);
    await sleep(options.settle * 1_000);
    sampling = false;
    await sampler;

    const text = await metrics();
    const [customers, plays, all] = [await running('customerLifecycleWorkflow'), await running('playRunWorkflow'), await running()];

    // Exact task latencies from a sample of the imported customers' histories.
    const rand = seededRandom(7);
    const sample = [...ids].sort(() => rand() - 0.5).slice(0, options.sample);
    const latencies: number[] = [];
    for (const id of sample) {
      const history = await client.workflow.getHandle(customerWorkflowId(id)).fetchHistory();
      const scheduled = new Map<string, number>();
      for (const event of history.events ?? []) {
        const at = Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
        if (event.workflowTaskScheduledEventAttributes) scheduled.set(String(event.eventId), at);
        const completed = event.workflowTaskCompletedEventAttributes;
        if (completed) {
          const from = scheduled.get(String(completed.scheduledEventId));
          if (from !== undefined) latencies.push(at - from);
        }
      }
    }
    latencies.sort((a, b) => a - b);

    const during = samples.filter((s) => s.phase === 'import');
    const after = samples.filter((s) => s.phase === 'settle');
    const peak = samples.reduce((best, s) => (s.total > best.total ? s : best), samples[0]!);
    const last = after.slice(-10);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const settled = mean(last.map((s) => s.total));
    const partsOf = (pick: (p: Record<Part, number>) => number) => mib(mean(last.map((s) => pick(s.parts))));
    // Worker RSS per cached workflow: the slope of worker RSS over the cache's size while it grew.
    const growing = samples.filter((s) => s.cached !== undefined);
    const fit = (() => {
      if (growing.length < 5) return undefined;
      const xs = growing.map((s) => s.cached!);
      const ys = growing.map((s) => s.parts.worker);
      const mx = mean(xs);
      const my = mean(ys);
      const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
      if (sxx === 0) return undefined;
      const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx;
      return { slope, intercept: my - slope * mx };
    })();

    const rows: [string, string][] = [
      ['customers imported', `${options.customers.toLocaleString('en-US')} (${cliOut.trim()})`],
      ['import rate (cli import, wall)', `${(options.customers / importSeconds).toFixed(1)} customers/s (${importSeconds.toFixed(1)} s)`],
      ['engine RSS, idle before the import (50 demo customers)', mib(idleTotal)],
      [
        'engine RSS, peak (during the import / after it)',
        `${mib(peak.total)} (${peak.phase}); max during ${mib(Math.max(...during.map((s) => s.total)))}, max after ${mib(Math.max(...after.map((s) => s.total)))}`,
      ],
      [`engine RSS, settled (mean of the last 10 s of ${options.settle} s after)`, mib(settled)],
      [
        'settled RSS by part',
        `worker ${partsOf((p) => p.worker)}, supervisor + PGlite ${partsOf((p) => p.supervisor)}, Temporal dev server ${partsOf((p) => p.temporal)}, API ${partsOf((p) => p.api)}, launchers ${partsOf((p) => p.other)}`,
      ],
      ['workflow cache (temporal_sticky_cache_size), end', String(gauge(text, 'temporal_sticky_cache_size') ?? '—')],
      [
        'worker RSS per cached workflow (least-squares slope over the run; intercept: empty cache)',
        fit === undefined ? '—' : `${Math.round(fit.slope / 1024).toLocaleString('en-US')} KiB; intercept ${mib(fit.intercept)}`,
      ],
      ['worker RSS, peak', mib(Math.max(...samples.map((s) => s.parts.worker)))],
      ['workflow task execution (worker histogram)', describeHistogram(histogram(text, 'temporal_workflow_task_execution_latency'))],
      ['workflow task schedule-to-start (worker histogram)', describeHistogram(histogram(text, 'temporal_workflow_task_schedule_to_start_latency'))],
      ['workflow task replay (worker histogram)', describeHistogram(histogram(text, 'temporal_workflow_task_replay_latency'))],
      [
        `workflow task scheduled → completed (histories of ${sample.length} customers)`,
        latencies.length
          ? `p50 ${seconds(quantile(latencies, 0.5) / 1000)}, p95 ${seconds(quantile(latencies, 0.95) / 1000)}, max ${seconds(latencies.at(-1)! / 1000)} (${latencies.length} tasks)`
          : 'none',
      ],
      ['running workflows', `${all.toLocaleString('en-US')}: ${customers.toLocaleString('en-US')} customers, ${plays.toLocaleString('en-US')} play runs`],
    ];
    process.stdout.write(`\n| measure | value |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`);
  } finally {
    await connection?.close().catch(() => undefined);
    await stopEngine().catch(() => undefined);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`\n✖ ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
