/**
 * API benchmark (a script, not a test: it measures, it asserts nothing about speed). In one run,
 * on one dev server with one worker, it prints side by side:
 *   - events per second into customer workflows through the HTTP API (single events and batches
 *     of 100), against bare `client.workflow.signal` calls carrying the same events;
 *   - the API's rates as a share of the bare signal rate (single events) and a multiple of it (batches);
 *   - p50 / p99 latency from an event accepted (the API's 202) to the play it triggers started
 *     (an NPS detractor score starting the `nps_detractor` play's child workflow): one at a time on
 *     an idle worker, then while usage batches arrive at half the measured maximum ingest rate,
 *     once with each usage event signalled and once rolled up (`USAGE_ROLLUP_SECONDS=60`, the default);
 *   - the signals 3,000 Segment tracks sent over one minute (50 a second) add to one customer's
 *     history with usage rolled up, the maintenance run flushing every 30 s as the schedule does.
 *
 *   npm run bench:api                     # defaults: 20 customers, 2,000 events per mode, 100 latency samples
 *   npm run bench:api -- --events=500 --samples=40 --concurrency=8 --load-seconds=10 --rollup-seconds=20
 *   npm run bench:api -- --db=postgres --api=process   # PostgreSQL, `cli worker` and each API's `cli api` as processes, as deployed
 *   npm run bench:api -- --ingest-worker=off   # no worker while the ingest rates are measured: the API's own cost against a signal's
 *   npm run bench:api -- --only=ingest         # the ingest rates and ratios only (a quick before/after)
 *
 * Everything is provisioned with the project's own modules (dev server in a temp folder, embedded
 * PGlite in memory, or with `--db=postgres` a throwaway PostgreSQL (DATABASE_URL's server when set)
 * with a connection pool as production has, in-process SMTP sink) and torn down at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { createApiApp } from '../api/app';
import { createApiKey } from '../api/api-keys';
import { startApiServer } from '../api/server';
import { openDatabase, type Database } from '../db/database';
import { createScratchDatabase, startTestPostgres } from '../dev-infra/postgres';
import { startEngineProcess } from '../dev-infra/local-cluster';
import { freePort, startDevServer } from '../dev-infra/dev-server';
import { ensureTemporalCli } from '../dev-infra/temporal-cli';
import { ZCustomerHandoff, type TCustomerEvent } from '../domain/customer-events';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import { customerWorkflowId } from '../domain/ids';
import { createCustomer } from '../ingest/create-customer';
import { flushUsageRollups } from '../ingest/usage-rollups';
import { ZMailConfig } from '../mail/mail-config';
import { startSmtpSink } from '../mail/smtp-sink';
import { createMailer } from '../mail/transport';
import { createLifecycleWorker } from '../temporal/worker';
import { mapWithConcurrency } from '../util/concurrency';
import { customerEventSignal } from '../../workflows/messages';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const CUSTOMERS = Number(args.get('customers') ?? 20);
const EVENTS = Number(args.get('events') ?? 2000);
const SAMPLES = Number(args.get('samples') ?? 100);
const CONCURRENCY = Number(args.get('concurrency') ?? 16);
const LOAD_SECONDS = Number(args.get('load-seconds') ?? 20);
const ROLLUP_SECONDS = Number(args.get('rollup-seconds') ?? 60);
const TRACKS = 3_000;
const DB = args.get('db') ?? 'pglite';
const API_MODE = args.get('api') ?? 'in-process';
/** `--ingest-worker=off`: no worker runs during the three ingest phases (see where it stops). */
const INGEST_WORKER = args.get('ingest-worker') !== 'off';
/** `--only=ingest`: the three ingest rates and their ratios, nothing after them (a quick A/B). */
const ONLY_INGEST = args.get('only') === 'ingest';
const TAG = Date.now().toString(36);
const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const dir = mkdtempSync(join(os.tmpdir(), 'cs-api-bench-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const openBenchDatabase = async (): Promise<Database> => {
      if (DB !== 'postgres') return openDatabase({ kind: 'pglite', dataDir: 'memory://' });
      const postgres = await startTestPostgres();
      cleanups.push(() => postgres.stop());
      return openDatabase({ kind: 'postgres', url: await createScratchDatabase(postgres.url, `bench_api_${TAG}`) });
    };
    const [database, cliPath, smtp] = await Promise.all([openBenchDatabase(), ensureTemporalCli(), startSmtpSink()]);
    cleanups.push(
      () => database.close(),
      () => smtp.stop(),
    );
    const server = await startDevServer({ cliPath, dbFilename: join(dir, 'dev.db'), port: await freePort() });
    cleanups.push(() => server.stop());
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    cleanups.push(() => connection.close());
    const taskQueue = `bench-api-${TAG}`;
    const engineEnv = (name: string): Record<string, string> => {
      if (database.target.kind !== 'postgres') throw new Error('--api=process needs --db=postgres: each process opens the database itself');
      return {
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        TEMPORAL_TASK_QUEUE: taskQueue,
        DATABASE_URL: database.target.url,
        SMTP_URL: smtp.url,
        API_PORT: '0',
        LIFECYCLE_DEFINITION: '',
        INGEST_WEBHOOK_SECRET: '',
        API_MAX_BODY_BYTES: '',
        CS_DATA_DIR: join(dir, name),
      };
    };
    // The worker, and whether it is still working off a backlog: its own status in this process,
    // or (a worker process) whether the rows it writes for each applied event are still growing.
    const startWorker = async (): Promise<{ stop: () => Promise<unknown>; busy: () => Promise<boolean> }> => {
      if (API_MODE === 'process') {
        // The worker as deployed, its own process: this one then only sends, as a client would.
        const workerProcess = await startEngineProcess('worker', 'worker', engineEnv('worker'));
        let last = -1;
        return {
          stop: () => workerProcess.stop(),
          busy: async () => {
            const written = (await database.prisma.timelineEntry.count()) + (await database.prisma.playRun.count());
            const growing = written !== last;
            last = written;
            return growing;
          },
        };
      }
      const nativeConnection = await NativeConnection.connect({ address: server.address });
      const worker = await createLifecycleWorker({
        connection: nativeConnection,
        taskQueue,
        prisma: database.prisma,
        definition: DEFAULT_LIFECYCLE,
        mailer: createMailer({ ...ZMailConfig.parse({ SMTP_URL: smtp.url }), SMTP_URL: smtp.url }),
      });
      const running = worker.run();
      return {
        stop: async () => {
          worker.shutdown();
          await running;
          await nativeConnection.close();
        },
        busy: async () => {
          const status = worker.getStatus();
          return status.numInFlightWorkflowActivations > 0 || status.numInFlightActivities > 0;
        },
      };
    };
    let worker = await startWorker();
    cleanups.push(() => worker.stop());
    const busy = () => worker.busy();
    // Two APIs: one signalling each usage event, and one as `cli api` runs by default (usage recorded
    // for the maintenance run's rollup). In this process, or (`--api=process`) each its own `cli api`.
    const startApi = async (usageRollupSeconds: number): Promise<{ url: string }> => {
      if (API_MODE !== 'process') {
        const server = await startApiServer(createApiApp({ prisma: database.prisma, client, taskQueue, usageRollupSeconds }), { port: 0 });
        cleanups.push(() => server.stop());
        return server;
      }
      const name = `api-rollup-${usageRollupSeconds}`;
      const child = await startEngineProcess('api', name, { ...engineEnv(name), USAGE_ROLLUP_SECONDS: String(usageRollupSeconds) });
      cleanups.push(() => child.stop());
      return { url: child.url! };
    };
    const api = await startApi(0);
    const rollupApi = await startApi(60);
    const key = await createApiKey(database.prisma, 'bench');
    const post = async (path: string, body: unknown, url = api.url) => {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 202 && response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    };

    const now = Date.now();
    const customer = (i: number, prefix: string) =>
      ZCustomerHandoff.parse({
        customerId: `${prefix}-${TAG}-${i}`,
        name: `Bench ${prefix} ${i}`,
        arr: 30_000,
        contractStart: new Date(now).toISOString(),
        contractEnd: new Date(now + 365 * 86_400_000).toISOString(),
        csmOwner: 'dana@example.com',
        stakeholders: [{ id: 'c', name: 'Priya', role: 'champion', email: 'priya@bench.example' }],
      });
    log(`creating ${CUSTOMERS} customers`);
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => customer(i, 'tp'));
    await mapWithConcurrency(customers, 4, async (c) => void (await createCustomer({ prisma: database.prisma, client, taskQueue }, c)));
    await new Promise((r) => setTimeout(r, 3000)); // let the handoff plays settle

    const usage = (mode: string, n: number): { customerId: string; event: TCustomerEvent } => ({
      customerId: customers[n % customers.length]!.customerId,
      event: { id: `${mode}-${TAG}-${n}`, type: 'usage', logins: 3, keyFeaturesUsed: ['dashboards'], occurredAt: new Date().toISOString() },
    });
    // Each phase starts on an idle worker: otherwise it races the previous phase's backlog.
    const idle = async () => {
      log('waiting for the worker to work off the backlog');
      for (let quiet = 0; quiet < 6;) {
        await new Promise((r) => setTimeout(r, 500));
        quiet = (await busy()) ? 0 : quiet + 1;
      }
    };
    const xacts = async () =>
      Number(
        (await database.prisma.$queryRaw<{ n: bigint }[]>`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`)[0]!
          .n,
      );
    const measure = async (label: string, count: number, run: () => Promise<unknown>) => {
      await idle();
      const x0 = DB === 'postgres' ? await xacts() : 0;
      const t0 = performance.now();
      await run();
      const seconds = (performance.now() - t0) / 1000;
      // The database statements it took (PostgreSQL counts them a moment later), its polling included.
      if (DB === 'postgres') {
        await new Promise((r) => setTimeout(r, 1000));
        log(`${label}: ${(((await xacts()) - x0) / count).toFixed(2)} database statements per event`);
      }
      log(`${label}: ${count} events in ${seconds.toFixed(1)} s`);
      return { label, count, seconds, perSecond: count / seconds };
    };
    if (!INGEST_WORKER) {
      // The ingest phases with no worker applying what they send: each then costs Temporal a signal
      // and nothing else, whatever its rate. With a worker, the fastest sender (bare signals)
      // outruns it and its signals share workflow tasks, while the API's, slower, each wake the
      // workflow: the worker's share of the server then weighs on the API's rate alone.
      await idle();
      await worker.stop();
      log('worker stopped for the ingest phases (--ingest-worker=off)');
    }
    // An API phase ends when its last event is signalled (marked delivered), not at its last 202:
    // an API that answers once an event is recorded and delivers behind it is timed to the same end.
    const allDelivered = async (mode: string) => {
      for (;;) {
        const [row] = await database.prisma.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM ingested_events WHERE delivered_at IS NULL AND idempotency_key LIKE ${`${mode}-${TAG}-%`}`;
        if (row!.n === 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const indexes = Array.from({ length: EVENTS }, (_, i) => i);
    // Batches go fast: five times the events, so the phase lasts long enough to measure.
    const batchIndexes = Array.from({ length: EVENTS * 5 }, (_, i) => i);
    const results = [];
    results.push(
      await measure(`bare client.workflow.signal, one event per call, ${CONCURRENCY} in flight`, EVENTS, () =>
        mapWithConcurrency(indexes, CONCURRENCY, async (n) => {
          const { customerId, event } = usage('sig', n);
          await client.workflow.getHandle(customerWorkflowId(customerId)).signal(customerEventSignal, event);
        }),
      ),
    );
    results.push(
      await measure(`HTTP API POST /v1/events, one event per request, ${CONCURRENCY} in flight`, EVENTS, () =>
        mapWithConcurrency(indexes, CONCURRENCY, async (n) => {
          const { customerId, event } = usage('api', n);
          await post('/v1/events', { customerId, ...event });
        }).then(() => allDelivered('api')),
      ),
    );
    const batches = Array.from({ length: Math.ceil(batchIndexes.length / 100) }, (_, b) => batchIndexes.slice(b * 100, b * 100 + 100));
    results.push(
      await measure(`HTTP API POST /v1/events/batch, 100 events per request, ${Math.min(CONCURRENCY, 4)} in flight`, batchIndexes.length, () =>
        mapWithConcurrency(batches, Math.min(CONCURRENCY, 4), async (batch) => {
          await post('/v1/events/batch', { events: batch.map((n) => usage('batch', n)).map(({ customerId, event }) => ({ customerId, ...event })) });
        }).then(() => allDelivered('batch')),
      ),
    );

    if (ONLY_INGEST) {
      const [bare, single, batch] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
      process.stdout.write(
        [
          '',
          `API benchmark, ingest phases only — ${new Date().toISOString()}, worker during them: ${INGEST_WORKER ? 'running' : 'stopped'}`,
          ...results.map((r) => `  ${r.label}: ${r.perSecond.toFixed(0)} events/s`),
          `  POST /v1/events vs bare signals: ${((single.perSecond / bare.perSecond) * 100).toFixed(0)} %; POST /v1/events/batch vs bare signals: ${(batch.perSecond / bare.perSecond).toFixed(1)}×`,
          '',
        ].join('\n'),
      );
      return;
    }
    if (!INGEST_WORKER) {
      worker = await startWorker();
      log("worker started again: it applies the ingest phases' backlog before the latency phases");
    }

    // Latency: a detractor score on a fresh customer starts its nps_detractor play, from the 202 to
    // the play's child workflow starting (its own clock, same machine).
    const detractorLatency = async (c: ReturnType<typeof customer>): Promise<number | undefined> => {
      await post('/v1/events', {
        customerId: c.customerId,
        id: `nps-${c.customerId}`,
        type: 'survey',
        survey: 'nps',
        score: 2,
        occurredAt: new Date().toISOString(),
      });
      const acceptedAt = Date.now();
      // The play run records its start time (its first workflow task) in play_runs.
      for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
        const run = await database.prisma.playRun.findFirst({ where: { customerId: c.customerId, playId: 'nps_detractor' }, select: { startedAt: true } });
        if (run) return run.startedAt.getTime() - acceptedAt;
        await new Promise((r) => setTimeout(r, 10));
      }
      return undefined;
    };
    const latencyCustomers = Array.from({ length: SAMPLES }, (_, i) => customer(i, 'lat'));
    await mapWithConcurrency(latencyCustomers, 4, async (c) => void (await createCustomer({ prisma: database.prisma, client, taskQueue }, c)));
    await idle();
    log(`latency: ${SAMPLES} detractor scores, one at a time on an idle worker, each on its own customer`);
    const latencies: number[] = [];
    for (const c of latencyCustomers) {
      const latency = await detractorLatency(c);
      if (latency !== undefined) latencies.push(latency);
    }
    latencies.sort((a, b) => a - b);

    // The same while usage batches arrive at half the highest rate the API took above, for
    // LOAD_SECONDS: a detractor score every 250 ms, each on its own customer.
    const maxRate = Math.max(...results.slice(1).map((r) => r.perSecond));
    const loadRate = maxRate / 2;
    const underLoad = async (mode: string, url: string) => {
      const loadCustomers = Array.from({ length: Math.ceil((LOAD_SECONDS * 1000) / 250) }, (_, i) => customer(i, `load${mode}`));
      await mapWithConcurrency(loadCustomers, 4, async (c) => void (await createCustomer({ prisma: database.prisma, client, taskQueue }, c)));
      await idle();
      log(`latency under load (${mode}): usage at ${loadRate.toFixed(0)} events/s for ${LOAD_SECONDS} s, a detractor score every 250 ms`);
      const tickMs = 100;
      const perTick = Math.max(1, Math.round((loadRate * tickMs) / 1000));
      const started = performance.now();
      let sent = 0;
      // An overloaded API answers 503 (the signal's deadline passed): counted, not fatal to the run.
      let refused = 0;
      const background = (async () => {
        const inFlight: Promise<void>[] = [];
        for (let tick = 0; performance.now() - started < LOAD_SECONDS * 1000; tick += 1) {
          const events = Array.from({ length: perTick }, (_, i) => usage(`load${mode}`, tick * perTick + i)).map(({ customerId, event }) => ({
            customerId,
            ...event,
          }));
          inFlight.push(
            post('/v1/events/batch', { events }, url).then(
              () => void (sent += events.length),
              () => void (refused += events.length),
            ),
          );
          const next = started + (tick + 1) * tickMs;
          await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
        }
        await Promise.all(inFlight);
      })();
      const samples: number[] = [];
      let missed = 0;
      const sampling = loadCustomers.map(async (c, i) => {
        await new Promise((r) => setTimeout(r, i * 250));
        const latency = await detractorLatency(c).catch(() => undefined);
        if (latency === undefined) missed += 1;
        else samples.push(latency);
      });
      await Promise.all([background, ...sampling]);
      const seconds = (performance.now() - started) / 1000;
      samples.sort((a, b) => a - b);
      return { mode, samples, missed, refused, sentPerSecond: sent / seconds };
    };
    const loaded = [await underLoad('signalled', api.url), await underLoad('rolled', rollupApi.url)];

    // Rolled-up usage: 3,000 Segment tracks for one customer over ROLLUP_SECONDS, the maintenance
    // run flushing every 30 s (the schedule's interval) and once more after the last window closed.
    const tracked = customer(0, 'rollup');
    await createCustomer({ prisma: database.prisma, client, taskQueue }, tracked);
    await idle();
    const segment = (body: unknown) => post('/v1/segment/batch', { batch: Array.isArray(body) ? body : [body] }, rollupApi.url);
    const userId = `bench-user-${TAG}`;
    await segment({ type: 'group', userId, groupId: tracked.customerId, messageId: `group-${TAG}` });
    const signals = async () =>
      ((await client.workflow.getHandle(customerWorkflowId(tracked.customerId)).fetchHistory()).events ?? []).filter(
        (e) => e.workflowExecutionSignaledEventAttributes,
      ).length;
    const signalsBefore = await signals();
    log(`rollups: ${TRACKS} tracks over ${ROLLUP_SECONDS} s for one customer`);
    const rollupStarted = performance.now();
    const flushes: Promise<unknown>[] = [];
    const flusher = setInterval(() => flushes.push(flushUsageRollups({ prisma: database.prisma, client }, { windowMs: 60_000 })), 30_000);
    const perTick = Math.max(1, Math.round(TRACKS / ((ROLLUP_SECONDS * 1000) / 100)));
    for (let sentTracks = 0, tick = 0; sentTracks < TRACKS; tick += 1) {
      const batch = Array.from({ length: Math.min(perTick, TRACKS - sentTracks) }, (_, i) => ({
        type: 'track',
        userId,
        event: (sentTracks + i) % 3 === 0 ? 'Logged In' : 'Feature Used',
        properties: { feature: ['reports', 'alerts', 'api'][(sentTracks + i) % 3] },
        messageId: `track-${TAG}-${sentTracks + i}`,
      }));
      await segment(batch);
      sentTracks += batch.length;
      const next = rollupStarted + (tick + 1) * 100;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    clearInterval(flusher);
    await Promise.all(flushes);
    await flushUsageRollups({ prisma: database.prisma, client }, { windowMs: 60_000, now: Date.now() + 60_000 });
    const rollupSignals = (await signals()) - signalsBefore;
    const rollupSeconds = (performance.now() - rollupStarted) / 1000;

    const cpus = os.cpus();
    const spread = (values: number[]) =>
      values.length ? `p50 ${quantile(values, 0.5)} ms, p99 ${quantile(values, 0.99)} ms, max ${values.at(-1)} ms` : 'no play started';
    const [bare, single, batch] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
    const rows = [
      ...results.map((r) => [r.label, `${r.perSecond.toFixed(0)} events/s (${r.count} events in ${r.seconds.toFixed(1)} s)`]),
      ['POST /v1/events (one per request) vs bare signals', `${((single.perSecond / bare.perSecond) * 100).toFixed(0)} %`],
      ['POST /v1/events/batch (100 per request) vs bare signals', `${(batch.perSecond / bare.perSecond).toFixed(1)}×`],
      [`event accepted (202) -> play started, idle worker, ${latencies.length}/${SAMPLES} samples`, spread(latencies)],
      ...loaded.map(({ mode, samples, missed, refused, sentPerSecond }) => [
        `event accepted (202) -> play started, usage batches at half the maximum (${loadRate.toFixed(0)} events/s asked, ${sentPerSecond.toFixed(0)} taken${refused ? `, ${refused} refused with 503` : ''}), usage ${mode === 'rolled' ? 'rolled up (USAGE_ROLLUP_SECONDS=60)' : 'signalled per event'}, ${samples.length} samples${missed ? `, ${missed} not started within 60 s or refused` : ''}`,
        spread(samples),
      ]),
      [`history signals added to one customer by ${TRACKS} Segment tracks over ${rollupSeconds.toFixed(0)} s, usage rolled up`, `${rollupSignals}`],
    ];
    process.stdout.write(
      [
        '',
        `API benchmark — ${new Date().toISOString()}`,
        `  machine: ${cpus.length} cores (${cpus[0]?.model.trim()}), node ${process.version}; Temporal dev server (CLI), ${DB === 'postgres' ? 'PostgreSQL (pool)' : 'embedded PGlite'}, ${API_MODE === 'process' ? 'the worker and each API their own process (cli worker, cli api)' : 'one worker and the APIs in the benchmark process'}`,
        `  worker during the ingest phases: ${INGEST_WORKER ? 'running' : 'stopped (started again for the latency phases)'}`,
        `  command: npm run bench:api${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
        '',
        '| measure | value |',
        '|---|---|',
        ...rows.map(([k, v]) => `| ${k} | ${v} |`),
        '',
      ].join('\n'),
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
