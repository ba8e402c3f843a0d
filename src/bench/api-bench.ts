/**
 * API benchmark (a script, not a test: it measures, it asserts nothing about speed). In one run,
 * on one dev server with one worker, it prints side by side:
 *   - events per second into customer workflows through the HTTP API (single events and batches
 *     of 100), against bare `client.workflow.signal` calls carrying the same events;
 *   - p50 / p99 latency from an event accepted (the API's 202) to the play it triggers started
 *     (an NPS detractor score starting the `nps_detractor` play's child workflow).
 *
 *   npm run bench:api                     # defaults: 20 customers, 2,000 events per mode, 100 latency samples
 *   npm run bench:api -- --events=500 --samples=40 --concurrency=8
 *
 * Everything is provisioned with the project's own modules (dev server in a temp folder, embedded
 * PGlite in memory, in-process SMTP sink) and torn down at the end.
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
import { openDatabase } from '../db/database';
import { freePort, startDevServer } from '../dev-infra/dev-server';
import { ensureTemporalCli } from '../dev-infra/temporal-cli';
import { ZCustomerHandoff, type TCustomerEvent } from '../domain/customer-events';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import { customerWorkflowId } from '../domain/ids';
import { createCustomer } from '../ingest/create-customer';
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
const TAG = Date.now().toString(36);
const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const dir = mkdtempSync(join(os.tmpdir(), 'cs-api-bench-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const [database, cliPath, smtp] = await Promise.all([openDatabase({ kind: 'pglite', dataDir: 'memory://' }), ensureTemporalCli(), startSmtpSink()]);
    cleanups.push(
      () => database.close(),
      () => smtp.stop(),
    );
    const server = await startDevServer({ cliPath, dbFilename: join(dir, 'dev.db'), port: await freePort() });
    cleanups.push(() => server.stop());
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    cleanups.push(() => connection.close());
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const taskQueue = `bench-api-${TAG}`;
    const worker = await createLifecycleWorker({
      connection: nativeConnection,
      taskQueue,
      prisma: database.prisma,
      definition: DEFAULT_LIFECYCLE,
      mailer: createMailer({ ...ZMailConfig.parse({ SMTP_URL: smtp.url }), SMTP_URL: smtp.url }),
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    });
    const api = await startApiServer(createApiApp({ prisma: database.prisma, client, taskQueue }), { port: 0 });
    cleanups.push(() => api.stop());
    const key = await createApiKey(database.prisma, 'bench');
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 202) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
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
    const measure = async (label: string, run: () => Promise<unknown>) => {
      const t0 = performance.now();
      await run();
      const seconds = (performance.now() - t0) / 1000;
      log(`${label}: ${EVENTS} events in ${seconds.toFixed(1)} s`);
      return { label, seconds, perSecond: EVENTS / seconds };
    };
    const indexes = Array.from({ length: EVENTS }, (_, i) => i);
    const results = [];
    results.push(
      await measure(`bare client.workflow.signal, one event per call, ${CONCURRENCY} in flight`, () =>
        mapWithConcurrency(indexes, CONCURRENCY, async (n) => {
          const { customerId, event } = usage('sig', n);
          await client.workflow.getHandle(customerWorkflowId(customerId)).signal(customerEventSignal, event);
        }),
      ),
    );
    results.push(
      await measure(`HTTP API POST /v1/events, one event per request, ${CONCURRENCY} in flight`, () =>
        mapWithConcurrency(indexes, CONCURRENCY, async (n) => {
          const { customerId, event } = usage('api', n);
          await post('/v1/events', { customerId, ...event });
        }),
      ),
    );
    const batches = Array.from({ length: Math.ceil(EVENTS / 100) }, (_, b) => indexes.slice(b * 100, b * 100 + 100));
    results.push(
      await measure(`HTTP API POST /v1/events/batch, 100 events per request, ${Math.min(CONCURRENCY, 4)} in flight`, () =>
        mapWithConcurrency(batches, Math.min(CONCURRENCY, 4), async (batch) => {
          await post('/v1/events/batch', { events: batch.map((n) => usage('batch', n)).map(({ customerId, event }) => ({ customerId, ...event })) });
        }),
      ),
    );

    // Latency: a detractor score on a fresh customer starts its nps_detractor play. Measured one at
    // a time on an idle worker (the throughput phases leave thousands of events to work off first),
    // from the 202 to the play's child workflow starting (its own clock, same machine).
    const latencyCustomers = Array.from({ length: SAMPLES }, (_, i) => customer(i, 'lat'));
    await mapWithConcurrency(latencyCustomers, 4, async (c) => void (await createCustomer({ prisma: database.prisma, client, taskQueue }, c)));
    log('waiting for the worker to work off the backlog');
    for (let quiet = 0; quiet < 6;) {
      await new Promise((r) => setTimeout(r, 500));
      const status = worker.getStatus();
      quiet = status.numInFlightWorkflowActivations === 0 && status.numInFlightActivities === 0 ? quiet + 1 : 0;
    }
    log(`latency: ${SAMPLES} detractor scores, one at a time, each on its own customer`);
    const latencies: number[] = [];
    for (const c of latencyCustomers) {
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
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        const run = await database.prisma.playRun.findFirst({ where: { customerId: c.customerId, playId: 'nps_detractor' }, select: { startedAt: true } });
        if (run) {
          latencies.push(run.startedAt.getTime() - acceptedAt);
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    latencies.sort((a, b) => a - b);

    const cpus = os.cpus();
    const rows = [
      ...results.map((r) => [r.label, `${r.perSecond.toFixed(0)} events/s (${EVENTS} events in ${r.seconds.toFixed(1)} s)`]),
      [
        `event accepted (202) -> play started, ${latencies.length}/${SAMPLES} samples`,
        latencies.length ? `p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms` : 'no play started',
      ],
    ];
    process.stdout.write(
      [
        '',
        `API benchmark — ${new Date().toISOString()}`,
        `  machine: ${cpus.length} cores (${cpus[0]?.model.trim()}), node ${process.version}; Temporal dev server (CLI), embedded PGlite, one worker`,
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
