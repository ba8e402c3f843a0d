/**
 * Lifecycle benchmark (a script, not a test: it measures, it asserts nothing about speed).
 *
 *   npm run bench:lifecycle                  # everything, ~5-10 min on 2 cores
 *   npm run bench:lifecycle -- --only=one,hundred --customers=20
 *
 * Phases (`--only=` picks some; default all):
 *   one      wall time to simulate ONE customer-year on the time-skipping test server
 *   hundred  wall time to simulate `--customers` (default 100) customer-years at once on one
 *            time-skipping server, then history events per customer-year (all runs of each customer)
 *   memory   worker memory per cached customer workflow on a real dev server (SQLite in a temp folder,
 *            headless): N = 200, then 400 workflows waiting on their timers, forced GC, RSS and heap
 *
 * Event volume per customer-year, as the ingest side would send it (`src/ingest/usage-rollups.ts`
 * rolls usage up before signalling): one `customerEvents` batch signal per simulated week carrying the
 * week's 7 daily usage rollups, the tickets opened or resolved that week (~0.3 new a week), a survey a
 * quarter, the onboarding-to-advocacy milestones as they happen and one renewal-date move.
 *
 * Everything is provisioned with the project's own modules and torn down at the end (also on Ctrl-C).
 * Run with `--expose-gc` (the npm script does) so the memory phase can force collections.
 * `--only=memory --heap-snapshot=/tmp/worker.heapsnapshot` also writes a V8 heap snapshot of the
 * worker (main-thread mode) with the customers cached: where a cached customer's memory goes.
 */
import { writeHeapSnapshot } from 'node:v8';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, Connection, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, type Worker, type WorkerOptions } from '@temporalio/worker';
import { openDatabase, type Database } from '../db/database';
import { freePort, startDevServer, type DevServerHandle } from '../dev-infra/dev-server';
import { ensureTemporalCli } from '../dev-infra/temporal-cli';
import { ensureTimeSkippingTestServer } from '../dev-infra/test-server';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import { customerWorkflowId } from '../domain/ids';
import { registerSearchAttributes } from '../temporal/namespace';
import { ZMailConfig } from '../mail/mail-config';
import { startSmtpSink } from '../mail/smtp-sink';
import { createMailer, type Mailer } from '../mail/transport';
import { createLifecycleWorker, WORKFLOW_BUNDLE_OPTIONS } from '../temporal/worker';
import { mapWithConcurrency } from '../util/concurrency';
import { handoffFor, profile, sendAt, WEEKS, yearPlan } from './customer-year';
import { customerLifecycleWorkflow } from '../../workflows';
import { customerEventsSignal, getCarriedStateQuery } from '../../workflows/messages';

type Handle = WorkflowHandleWithFirstExecutionRunId<typeof customerLifecycleWorkflow>;
type Bundle = NonNullable<WorkerOptions['workflowBundle']>;

const DAY = 24 * 60 * 60 * 1000;
let mailer: Mailer;
const KiB = 1024;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Arguments and cleanup

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key!, value ?? 'true'] as const;
  }),
);
const PHASES = new Set((args.get('only') ?? 'one,hundred,memory').split(','));
const CUSTOMERS = Number(args.get('customers') ?? 100);
const MEMORY_STEPS = (args.get('memory-n') ?? '200,400').split(',').map(Number);
const MEMORY_WARMUP = 20;
/** `--heap-snapshot=<file>`: after the memory phase's last step (main thread only), a V8 heap snapshot of the worker. */
const HEAP_SNAPSHOT = args.get('heap-snapshot');
const VERBOSE = args.has('verbose');
const RUN_TAG = Date.now().toString(36);

/** What to undo on exit or Ctrl-C, last registered first. `onCleanup` returns a remover. */
const cleanups: (() => Promise<unknown>)[] = [];
function onCleanup(cleanup: () => Promise<unknown>): () => void {
  cleanups.push(cleanup);
  return () => {
    const at = cleanups.indexOf(cleanup);
    if (at >= 0) cleanups.splice(at, 1);
  };
}
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((error) => log(`cleanup failed: ${(error as Error).message}`));
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: tearing down`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/** CPU seconds used by this process and by its child processes (the Temporal servers), from /proc. */
function cpuSplit(): string {
  const { user, system } = process.cpuUsage();
  let children = 0;
  try {
    const ticks = 100; // USER_HZ on Linux
    const tasks = readdirSync(`/proc/${process.pid}/task`);
    const pids = tasks.flatMap((task) => readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/));
    for (const pid of pids.filter(Boolean)) {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /, '')
        .split(' ');
      children += (Number(fields[11]) + Number(fields[12])) / ticks;
    }
  } catch {
    return `node ${((user + system) / 1e6).toFixed(0)} s`;
  }
  return `node ${((user + system) / 1e6).toFixed(0)} s, servers ${children.toFixed(0)} s`;
}

const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Time-skipping phases

interface YearResult {
  customers: number;
  wallMs: number;
  signals: number;
  events: number;
  histories: HistoryCount[];
  /** JSON size of each customer's workflow state after the year (what a cached workflow holds). */
  stateBytes: number[];
}

interface HistoryCount {
  events: number;
  bytes: number;
  runs: number;
  /** History length at which the server first suggested continue-as-new, if it did. */
  suggestedAt?: number;
  byType: Map<string, number>;
  /** Local activities (their markers), billed as actions. */
  localActivities: number;
  bytesByType: Map<string, number>;
}

async function simulateYears(testServerPath: string, database: Database, bundle: Bundle, count: number, label: string): Promise<YearResult> {
  // One server per phase: skipped time is global to a server.
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath } },
  });
  const forgetServer = onCleanup(() => env.teardown());
  let forgetWorker = () => {};
  try {
    await registerSearchAttributes(env.connection, 'default');
    const taskQueue = `bench-${label}-${RUN_TAG}`;
    const worker = await createLifecycleWorker({
      connection: env.nativeConnection,
      taskQueue,
      prisma: database.prisma,
      definition: DEFAULT_LIFECYCLE,
      workflowBundle: bundle,
      mailer,
    });
    const customers = Array.from({ length: count }, (_, i) => profile(i, `bench-${label}-${RUN_TAG}`));
    forgetWorker = onCleanup(() => stopped(worker));
    return await worker.runUntil(async () => {
      const t0 = performance.now();
      const start = await env.currentTimeMs();
      const plans = customers.map((c) => yearPlan(c, start));
      const handles: Handle[] = await Promise.all(
        customers.map((c) =>
          env.client.workflow.start(customerLifecycleWorkflow, {
            workflowId: customerWorkflowId(c.customerId),
            taskQueue,
            args: [{ handoff: handoffFor(c, start) }],
          }),
        ),
      );
      const until = async (target: number) => {
        const now = await env.currentTimeMs();
        if (target > now) await env.sleep(target - now);
      };
      let signals = 0;
      let events = 0;
      for (let week = 1; week <= WEEKS; week += 1) {
        await until(sendAt(start, week));
        await Promise.all(
          handles.map(async (handle, i) => {
            const batch = plans[i]![week]!;
            if (batch.length === 0) return;
            await handle.signal(customerEventsSignal, batch);
            signals += 1;
            events += batch.length;
          }),
        );
        if (VERBOSE || (count > 1 && week % 13 === 0)) {
          log(`${label}: week ${week}/52 after ${seconds(performance.now() - t0)} (CPU so far: ${cpuSplit()})`);
        }
      }
      await until(start + 365 * DAY);
      const wallMs = performance.now() - t0;
      log(`${label}: ${count} customer-year(s) in ${seconds(wallMs)}; reading histories`);
      const histories = await mapWithConcurrency(handles, 10, (handle) => countHistory(env.client, handle.workflowId, handle.firstExecutionRunId));
      const stateBytes = await mapWithConcurrency(handles, 10, async (handle) => JSON.stringify(await handle.query(getCarriedStateQuery)).length);
      await Promise.all(handles.map((handle) => handle.terminate('benchmark year done').catch(() => undefined)));
      return { customers: count, wallMs, signals, events, histories, stateBytes };
    });
  } finally {
    forgetWorker();
    forgetServer();
    await env.teardown();
  }
}

type Footprint = { customers: number; rows: number; bytes: number; tables: { name: string; rows: number; bytes: number }[] };
/** Rows and on-disk bytes (with indexes and TOAST) of each engine table, less `minus`; for the capacity figures. */
async function databaseFootprint(database: Database, minus?: Footprint): Promise<Footprint> {
  const names = await database.prisma.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_prisma%'`;
  const tables = [];
  for (const { name } of names) {
    const [row] = await database.prisma.$queryRawUnsafe<{ rows: number; bytes: bigint }[]>(
      `SELECT (SELECT count(*)::int FROM "${name.replace(/"/g, '""')}") AS rows, pg_total_relation_size('"${name.replace(/"/g, '""')}"')::bigint AS bytes`,
    );
    const before = minus?.tables.find((t) => t.name === name);
    tables.push({ name, rows: (row?.rows ?? 0) - (before?.rows ?? 0), bytes: Number(row?.bytes ?? 0) - (before?.bytes ?? 0) });
  }
  const customers = tables.find((t) => t.name === 'customers')?.rows ?? 0;
  return { customers, rows: tables.reduce((sum, t) => sum + t.rows, 0), bytes: tables.reduce((sum, t) => sum + t.bytes, 0), tables };
}

/** Shuts a worker down (on Ctrl-C): its connection cannot close while it runs. */
async function stopped(worker: Worker): Promise<void> {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  const deadline = Date.now() + 15_000;
  while (worker.getState() !== 'STOPPED' && worker.getState() !== 'FAILED' && Date.now() < deadline) await sleep(100);
}

/** Events and encoded bytes of a customer's history, following continue-as-new across runs. */
async function countHistory(client: Client, workflowId: string, firstRunId: string): Promise<HistoryCount> {
  const result: HistoryCount = { events: 0, bytes: 0, runs: 0, byType: new Map(), bytesByType: new Map(), localActivities: 0 };
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    result.runs += 1;
    result.bytes += temporal.api.history.v1.History.encode(history).finish().length;
    events.forEach((event, i) => {
      const type = temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType);
      const name = type.replace(/^EVENT_TYPE_/, '');
      result.byType.set(name, (result.byType.get(name) ?? 0) + 1);
      if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') result.localActivities += 1;
      const size = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
      result.bytesByType.set(name, (result.bytesByType.get(name) ?? 0) + size);
      if (result.suggestedAt === undefined && event.workflowTaskStartedEventAttributes?.suggestContinueAsNew) {
        result.suggestedAt = result.events + i + 1;
      }
    });
    result.events += events.length;
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return result;
}

/**
 * History events that Temporal Cloud bills as actions (its pricing documentation's list): starts
 * (and continue-as-new, which starts a run), signals received, timers, activities scheduled, local
 * activities (one marker each), search-attribute upserts, child workflow starts, signals sent to
 * other workflows, accepted updates. Patch markers are not billed. Queries, also billed, are not in
 * the history and are not counted here.
 */
const BILLED = [
  'WORKFLOW_EXECUTION_STARTED',
  'WORKFLOW_EXECUTION_SIGNALED',
  'TIMER_STARTED',
  'ACTIVITY_TASK_SCHEDULED',
  'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
  'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
  'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
];
function billableActions(count: HistoryCount): number {
  let actions = BILLED.reduce((sum, type) => sum + (count.byType.get(type) ?? 0), 0);
  actions += count.localActivities;
  return actions;
}

// ---------------------------------------------------------------------------------------------
// Memory phase (dev server)

interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
}
interface MemoryResult {
  mode: string;
  baseline: MemorySample;
  steps: { n: number; sample: MemorySample; settleMs: number }[];
}

function gcFunction(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  // Started without --expose-gc: expose it now (works for the main thread only).
  log('started without --expose-gc; enabling it at run time');
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function collectAndSample(): Promise<MemorySample> {
  const gc = gcFunction();
  for (let i = 0; i < 4; i += 1) {
    gc();
    await sleep(100);
  }
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

async function measureMemory(server: DevServerHandle, database: Database, bundle: Bundle, mode: 'main-thread' | 'threaded'): Promise<MemoryResult> {
  const total = MEMORY_WARMUP + Math.max(...MEMORY_STEPS);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  let forgetWorker = () => {};
  try {
    const taskQueue = `bench-mem-${mode}-${RUN_TAG}`;
    const prefix = `bench-mem-${mode}-${RUN_TAG}`;
    const worker = await createLifecycleWorker({
      connection: nativeConnection,
      namespace: server.namespace,
      taskQueue,
      prisma: database.prisma,
      definition: DEFAULT_LIFECYCLE,
      workflowBundle: bundle,
      mailer,
      workerOptions: {
        maxCachedWorkflows: total + 100, // every customer stays cached
        // Main thread: the workflow sandbox shares the main isolate, so `gc()` and `heapUsed` see it.
        // Threaded (the default): the sandbox lives in a worker thread this process cannot collect.
        debugMode: mode === 'main-thread',
      },
    });
    forgetWorker = onCleanup(() => stopped(worker));
    return await worker.runUntil(async () => {
      let started = 0;
      const startUpTo = async (n: number) => {
        const now = Date.now();
        const ids = Array.from({ length: n - started }, (_, i) => started + i);
        started = n;
        await mapWithConcurrency(ids, 25, (i) =>
          client.workflow.start(customerLifecycleWorkflow, {
            workflowId: customerWorkflowId(`${prefix}-${i}`),
            taskQueue,
            args: [{ handoff: handoffFor(profile(i, prefix), now) }],
          }),
        );
        const t0 = performance.now();
        await settle(worker, database, client, prefix, n);
        return performance.now() - t0;
      };
      await startUpTo(MEMORY_WARMUP); // loads the bundle, JITs the code paths: not per-workflow cost
      const baseline = await collectAndSample();
      const steps: MemoryResult['steps'] = [];
      for (const n of MEMORY_STEPS) {
        const settleMs = await startUpTo(MEMORY_WARMUP + n);
        steps.push({ n, sample: await collectAndSample(), settleMs });
        log(`memory (${mode}): ${n} customers cached and waiting`);
      }
      if (HEAP_SNAPSHOT && mode === 'main-thread') log(`heap snapshot: ${writeHeapSnapshot(HEAP_SNAPSHOT)}`);
      return { mode, baseline, steps };
    });
  } finally {
    forgetWorker();
    await connection.close();
    await nativeConnection.close();
  }
}

/**
 * Waits until `expected` customers are cached by the worker and each is waiting on its timer: its
 * handoff written to the database, nothing in flight, and the server showing no pending activity or
 * workflow task for any of them.
 */
async function settle(worker: Worker, database: Database, client: Client, prefix: string, expected: number): Promise<void> {
  const deadline = Date.now() + 300_000;
  let quiet = 0;
  while (quiet < 3) {
    if (Date.now() > deadline) throw new Error(`customers did not settle: ${JSON.stringify(worker.getStatus())}`);
    await sleep(300);
    const status = worker.getStatus();
    const written = await database.prisma.customer.count({ where: { id: { startsWith: `${prefix}-` } } });
    const idle = status.numInFlightWorkflowActivations === 0 && status.numInFlightActivities === 0;
    quiet = idle && written === expected && status.numCachedWorkflows >= expected ? quiet + 1 : 0;
  }
  const busy = await mapWithConcurrency(
    Array.from({ length: expected }, (_, i) => i),
    20,
    async (i) => {
      const described = await client.workflowService.describeWorkflowExecution({
        namespace: 'default',
        execution: { workflowId: customerWorkflowId(`${prefix}-${i}`) },
      });
      return (described.pendingActivities?.length ?? 0) > 0 || described.pendingWorkflowTask != null;
    },
  );
  const stillBusy = busy.filter(Boolean).length;
  if (stillBusy > 0) {
    log(`${stillBusy} customers still had work pending; waiting again`);
    await sleep(1000);
    return settle(worker, database, client, prefix, expected);
  }
  if (worker.getStatus().numCachedWorkflows < expected) throw new Error('customers were evicted from the cache');
}

// ---------------------------------------------------------------------------------------------
// Report

const stats = (values: number[]) => ({
  mean: values.reduce((a, b) => a + b, 0) / values.length,
  min: Math.min(...values),
  max: Math.max(...values),
});
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

async function main(): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) } },
  });
  const benchStart = performance.now();
  const date = new Date().toISOString();
  const cpus = os.cpus();
  const machine =
    `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `node ${process.version}, ${os.platform()} ${os.arch()}`;
  log(`lifecycle benchmark: ${machine}; phases ${[...PHASES].join(', ')}`);

  const setupStart = performance.now();
  const databaseUrl = process.env.DATABASE_URL;
  const [database, bundle, testServerPath] = await Promise.all([
    openDatabase(databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir: 'memory://' }),
    bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: quietBundler }).then(({ code }) => ({ code })),
    PHASES.has('one') || PHASES.has('hundred') ? ensureTimeSkippingTestServer() : Promise.resolve(''),
  ]);
  onCleanup(() => database.close());
  // Plays send email: to an in-process sink, so SMTP is real but costs no network.
  const smtp = await startSmtpSink();
  onCleanup(() => smtp.stop());
  mailer = createMailer({ ...ZMailConfig.parse({ SMTP_URL: smtp.url }), SMTP_URL: smtp.url });
  const dbLabel = databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite (memory://)';
  log(`setup (database, workflow bundle, test server) in ${seconds(performance.now() - setupStart)}; database: ${dbLabel}`);

  // Empty tables and indexes take pages too: the footprint below is what the years added to this.
  const emptyFootprint = await databaseFootprint(database);
  let one: YearResult | undefined;
  let many: YearResult | undefined;
  const memory: MemoryResult[] = [];
  if (PHASES.has('one')) one = await simulateYears(testServerPath, database, bundle, 1, 'one');
  if (PHASES.has('hundred')) many = await simulateYears(testServerPath, database, bundle, CUSTOMERS, 'many');
  if (PHASES.has('memory')) {
    const cliPath = await ensureTemporalCli();
    const dir = mkdtempSync(join(os.tmpdir(), 'cs-lifecycle-bench-'));
    onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
    const server = await startDevServer({ cliPath, dbFilename: join(dir, 'dev.db'), port: await freePort() });
    onCleanup(() => server.stop());
    for (const mode of HEAP_SNAPSHOT ? (['main-thread'] as const) : (['main-thread', 'threaded'] as const))
      memory.push(await measureMemory(server, database, bundle, mode));
  }
  // The engine's own database after the simulated years: rows and bytes per customer-year.
  const footprint = one || many ? await databaseFootprint(database, emptyFootprint) : undefined;
  const benchMs = performance.now() - benchStart;

  // ------------------------------------------------------------------ print
  const rows: [string, string][] = [];
  const md: string[] = [];
  const add = (measure: string, value: string) => {
    rows.push([measure, value]);
    md.push(`| ${measure} | ${value} |`);
  };
  const volume = one ?? many;
  if (volume) {
    add(
      'event volume per customer-year',
      `${int(volume.signals / volume.customers)} batch signals, ${int(volume.events / volume.customers)} events ` +
        `(${WEEKS * 7} daily usage rollups + tickets, 4 surveys, milestones, 1 renewal move)`,
    );
  }
  if (one) add('1 customer-year, time skipping (wall)', seconds(one.wallMs));
  if (many) {
    add(
      `${many.customers} customer-years at once, one time-skipping server (wall)`,
      `${seconds(many.wallMs)} (${seconds(many.wallMs / many.customers)} per customer-year)`,
    );
  }
  const histories = [...(many?.histories ?? []), ...(many ? [] : (one?.histories ?? []))];
  if (histories.length > 0) {
    const events = stats(histories.map((h) => h.events));
    const bytes = stats(histories.map((h) => h.bytes));
    const runs = stats(histories.map((h) => h.runs));
    const suggested = histories.filter((h) => h.suggestedAt !== undefined);
    add(`history events per customer-year (${histories.length} customers)`, `mean ${int(events.mean)}, min ${int(events.min)}, max ${int(events.max)}`);
    add('history size per customer-year', `mean ${int(bytes.mean / KiB)} KiB, max ${int(bytes.max / KiB)} KiB`);
    const actions = stats(histories.map(billableActions));
    add(
      'billable Temporal actions per customer-year (from the history; queries not counted)',
      `mean ${int(actions.mean)}, min ${int(actions.min)}, max ${int(actions.max)}`,
    );
    const states = stats((many ?? one)!.stateBytes);
    add('workflow state after the year (JSON)', `mean ${int(states.mean / KiB)} KiB, max ${int(states.max / KiB)} KiB`);
    add(
      'runs per customer-year (continue-as-new)',
      `${runs.min === runs.max ? runs.min : `${runs.min}-${runs.max}`}; server suggested continue-as-new for ` +
        `${suggested.length}/${histories.length}` +
        (suggested.length ? ` (first at event ${int(Math.min(...suggested.map((h) => h.suggestedAt!)))})` : ''),
    );
  }
  if (footprint && footprint.customers > 0) {
    const per = (n: number) => n / footprint.customers;
    add(
      `engine database per customer-year (${footprint.customers} customer(s), tables with indexes)`,
      `${int(per(footprint.rows))} rows, ${int(per(footprint.bytes) / KiB)} KiB: ` +
        footprint.tables
          .filter((t) => t.rows > 0)
          .sort((a, b) => b.bytes - a.bytes)
          .map((t) => `${t.name} ${int(per(t.rows))} rows / ${int(per(t.bytes) / KiB)} KiB`)
          .join(', '),
    );
  }
  for (const result of memory) {
    for (const step of result.steps) {
      const perRss = (step.sample.rss - result.baseline.rss) / step.n;
      const perHeap = (step.sample.heapUsed - result.baseline.heapUsed) / step.n;
      const heap =
        result.mode === 'main-thread'
          ? `, heapUsed ${int(perHeap / KiB)} KiB`
          : ' (workflow thread not force-collected; heapUsed of the main thread only: ' + `${int(perHeap / KiB)} KiB)`;
      add(`worker memory per cached customer, N=${step.n} (${result.mode})`, `RSS ${int(perRss / KiB)} KiB${heap}`);
    }
  }

  const one1 = one?.histories[0];
  process.stdout.write(
    [
      '',
      `Customer lifecycle benchmark — ${date}`,
      `  machine:  ${machine}`,
      `  database: ${dbLabel}; Temporal: Java time-skipping test server, dev server (temporal CLI) for memory`,
      `  command:  npm run bench:lifecycle${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      '',
      table(rows),
      '',
      ...(one1
        ? [
            `  the single customer's history by event type (count, KiB): ` +
              [...one1.byType]
                .sort((a, b) => b[1] - a[1])
                .map(([t, n]) => `${t} ${n} (${int((one1.bytesByType.get(t) ?? 0) / KiB)})`)
                .join(', '),
          ]
        : []),
      ...memory.map(
        (m) =>
          `  memory ${m.mode}: baseline (after ${MEMORY_WARMUP} warm-up customers) RSS ${int(m.baseline.rss / MiB)} MiB, heap ${int(m.baseline.heapUsed / MiB)} MiB; ` +
          m.steps
            .map((s) => `N=${s.n}: RSS ${int(s.sample.rss / MiB)} MiB, heap ${int(s.sample.heapUsed / MiB)} MiB (settled in ${seconds(s.settleMs)})`)
            .join('; '),
      ),
      `  whole benchmark: ${seconds(benchMs)}`,
      '',
      'Markdown:',
      '| measure | value |',
      '|---|---|',
      ...md,
      '',
    ].join('\n'),
  );
}

const quietBundler = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => log(`[bundler] ${message}`),
  error: (message: string) => log(`[bundler] ${message}`),
};

main().then(cleanUp, async (error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  await cleanUp();
  process.exitCode = 1;
});
