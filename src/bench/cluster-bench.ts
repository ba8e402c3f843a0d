/**
 * Cluster benchmark (a script, not a test: it measures, it asserts nothing about speed). On a real
 * Temporal server on PostgreSQL (the dev server if the server cannot be built), with two `cli api`
 * processes and first one, then two `cli worker` processes, it prints:
 *   - events per second through the HTTP API (batches of 100, round-robin over both APIs);
 *   - customers advanced per second: one milestone to every customer at once, until each
 *     customer's workflow has recorded it in the timeline;
 *   - after kill -9 of one of the two workers: how long until every customer advanced again
 *     (the killed worker's customers wait for their sticky queue to time out on the server).
 *
 *   npm run bench:cluster                      # defaults: 100 customers per phase, 20 events each
 *   npm run bench:cluster -- --customers=50 --events=10 --temporal=dev-server
 *
 * Everything runs on throwaway infrastructure (PostgreSQL cluster, Temporal databases, SMTP sink)
 * and is torn down at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApiKey } from '../api/api-keys';
import { openDatabase } from '../db/database';
import { startEngineProcess, startTemporal, type EngineProcess } from '../dev-infra/local-cluster';
import { createScratchDatabase, startTestPostgres } from '../dev-infra/postgres';
import { ZCustomerHandoff, type TCustomerEvent } from '../domain/customer-events';
import { startSmtpSink } from '../mail/smtp-sink';
import { mapWithConcurrency } from '../util/concurrency';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const CUSTOMERS = Number(args.get('customers') ?? 100);
const EVENTS_PER_CUSTOMER = Number(args.get('events') ?? 20);
const BATCH = 100;
const IN_FLIGHT = 4;
const TAG = Date.now().toString(36);
const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

type ApiEvent = { customerId: string } & TCustomerEvent;

async function main(): Promise<void> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const processes: EngineProcess[] = [];
  cleanups.push(() => Promise.allSettled(processes.map((p) => p.stop('SIGKILL'))));
  try {
    const dir = mkdtempSync(join(os.tmpdir(), 'cs-cluster-bench-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const postgres = await startTestPostgres();
    cleanups.push(() => postgres.stop());
    const [temporal, smtp, database] = await Promise.all([
      startTemporal({ postgresUrl: postgres.url, devServerOnly: args.get('temporal') === 'dev-server' }),
      startSmtpSink(),
      createScratchDatabase(postgres.url, `cluster_bench_${TAG}`).then((url) => openDatabase({ kind: 'postgres', url })),
    ]);
    cleanups.push(
      () => temporal.stop(),
      () => smtp.stop(),
      () => database.close(),
    );
    log(
      `Temporal: ${temporal.kind}${temporal.version ? ` v${temporal.version}` : ''} at ${temporal.address}${temporal.fallbackReason ? ` (${temporal.fallbackReason})` : ''}`,
    );
    const key = await createApiKey(database.prisma, 'bench');
    const taskQueue = `cluster-bench-${TAG}`;
    const env = (name: string) => ({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: database.target.kind === 'postgres' ? database.target.url : '',
      SMTP_URL: smtp.url,
      LIFECYCLE_DEFINITION: '',
      CS_DATA_DIR: join(dir, name),
      API_PORT: '0',
    });
    const start = async (command: 'worker' | 'api', name: string) => {
      const started = await startEngineProcess(command, name, env(name));
      processes.push(started);
      return started;
    };
    log('starting 2 API processes and 1 worker process');
    const [apiA, apiB, worker1] = await Promise.all([start('api', 'api-a'), start('api', 'api-b'), start('worker', 'worker-1')]);
    const apis = [apiA, apiB];
    let calls = 0;
    const retried: string[] = [];
    // As a real sender: a 500 or 503 says sending again is safe (ids are idempotency keys), so it is
    // sent again, to the next API; the retries are counted and printed with the results.
    const post = async (path: string, body: unknown, expected: number) => {
      for (let attempt = 1; ; attempt++) {
        const api = apis[calls++ % apis.length]!;
        const response = await fetch(`${api.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (response.status === expected || (expected === 201 && response.status === 409 && attempt > 1)) return;
        const text = await response.text();
        if ((response.status === 500 || response.status === 503) && attempt < 5) {
          retried.push(`${api.name} ${path} ${response.status}`);
          await sleep(1_000);
          continue;
        }
        throw new Error(`${api.name} ${path} answered ${response.status}: ${text}\n${api.name} output:\n${api.output().slice(-3000)}`);
      }
    };

    const phase = async (label: string) => {
      const customers = Array.from({ length: CUSTOMERS }, (_, i) =>
        ZCustomerHandoff.parse({
          customerId: `${label}-${TAG}-${i}`,
          name: `Bench ${label} ${i}`,
          arr: 30_000,
          contractStart: new Date().toISOString(),
          contractEnd: new Date(Date.now() + 365 * 86_400_000).toISOString(),
          csmOwner: 'dana@example.com',
          stakeholders: [{ id: 'c', name: 'Priya', role: 'champion', email: 'priya@bench.example' }],
        }),
      );
      const ids = customers.map((c) => c.customerId);
      log(`${label}: creating ${CUSTOMERS} customers`);
      await mapWithConcurrency(customers, 4, (c) => post('/v1/customers', c, 201));
      await waitFor(`${label}: every customer's handoff recorded`, async () =>
        (await database.prisma.timelineEntry.count({ where: { customerId: { in: ids }, kind: 'handoff' } })) === CUSTOMERS ? true : undefined,
      );
      await sleep(5_000); // the handoff plays settle

      // Round by round, so that each batch reaches many customers, as a real sender's would.
      let n = 0;
      const events: ApiEvent[] = Array.from({ length: EVENTS_PER_CUSTOMER }, () =>
        customers.map((c) => ({
          customerId: c.customerId,
          id: `${label}-${TAG}-u${++n}`,
          type: 'usage' as const,
          logins: 2,
          keyFeaturesUsed: ['dashboards'],
          occurredAt: new Date().toISOString(),
        })),
      ).flat();
      const batches = Array.from({ length: Math.ceil(events.length / BATCH) }, (_, b) => events.slice(b * BATCH, b * BATCH + BATCH));
      const t0 = performance.now();
      await mapWithConcurrency(batches, IN_FLIGHT, (batch) => post('/v1/events/batch', { events: batch }, 202));
      const acked = (performance.now() - t0) / 1000;
      const eventIds = events.map((e) => e.id);
      await waitFor(`${label}: every event applied`, async () =>
        (await database.prisma.timelineEntry.count({ where: { causeId: { in: eventIds }, kind: 'event' } })) === events.length ? true : undefined,
      );
      const applied = (performance.now() - t0) / 1000;
      const advance = await advanceAll(
        label,
        customers.map((c) => c.customerId),
        'steady',
      );
      return {
        customers: ids,
        eventsPerSecond: events.length / acked,
        appliedPerSecond: events.length / applied,
        advancedPerSecond: CUSTOMERS / advance.seconds,
        advance,
      };
    };

    let round = 0;
    const advanceAll = async (label: string, customerIds: string[], why: string) => {
      round += 1;
      const sentAt = new Map<string, number>();
      const milestones = customerIds.map((customerId) => ({
        customerId,
        id: `${label}-${TAG}-m${round}-${customerId}`,
        type: 'milestone' as const,
        milestone: `bench_${round}`,
        occurredAt: new Date().toISOString(),
      }));
      const t0 = performance.now();
      const wall0 = Date.now();
      await mapWithConcurrency(
        Array.from({ length: Math.ceil(milestones.length / BATCH) }, (_, b) => milestones.slice(b * BATCH, b * BATCH + BATCH)),
        IN_FLIGHT,
        async (batch) => {
          for (const m of batch) sentAt.set(m.id, Date.now());
          await post('/v1/events/batch', { events: batch }, 202);
        },
      );
      const ids = milestones.map((m) => m.id);
      await waitFor(`${label}: every customer advanced (${why})`, async () =>
        (await database.prisma.timelineEntry.count({ where: { causeId: { in: ids }, kind: 'event' } })) === ids.length ? true : undefined,
      );
      const seconds = (performance.now() - t0) / 1000;
      const rows = await database.prisma.timelineEntry.findMany({
        where: { causeId: { in: ids }, kind: 'event' },
        select: { causeId: true, recordedAt: true },
      });
      const latencies = rows.map((r) => (r.recordedAt.getTime() - (sentAt.get(r.causeId!) ?? wall0)) / 1000).sort((a, b) => a - b);
      return { seconds, p50: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), max: latencies[latencies.length - 1]! };
    };

    const one = await phase('w1');
    log(`1 worker: ${one.eventsPerSecond.toFixed(0)} events/s acked, ${one.advancedPerSecond.toFixed(1)} customers advanced/s`);
    log('starting a second worker process');
    await start('worker', 'worker-2');
    const two = await phase('w2');
    log(`2 workers: ${two.eventsPerSecond.toFixed(0)} events/s acked, ${two.advancedPerSecond.toFixed(1)} customers advanced/s`);

    // Both workers hold customers in their caches now (phase w2's). Kill one without a goodbye.
    log('kill -9 worker-1, then one milestone to every phase-2 customer');
    await worker1.stop('SIGKILL');
    const killedAt = performance.now();
    const afterKill = await advanceAll('w2', two.customers, 'after kill -9');
    const resumeSeconds = (performance.now() - killedAt) / 1000;

    const rows: Array<[string, string, string]> = [
      ['events/s through the API (acknowledged, batches of 100, 2 APIs)', one.eventsPerSecond.toFixed(0), two.eventsPerSecond.toFixed(0)],
      ['events/s applied (acknowledged and in the timeline)', one.appliedPerSecond.toFixed(0), two.appliedPerSecond.toFixed(0)],
      [`customers advanced/s (one milestone to each of ${CUSTOMERS})`, one.advancedPerSecond.toFixed(1), two.advancedPerSecond.toFixed(1)],
      ['  per-customer latency p50 / p90 / max (s)', fmt(one.advance), fmt(two.advance)],
    ];
    process.stdout.write(
      `\nCluster benchmark — ${temporal.kind}${temporal.version ? ` v${temporal.version}` : ''}, ${CUSTOMERS} customers per phase, ` +
        `${EVENTS_PER_CUSTOMER} events each; ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}\n\n` +
        `| measure | 1 worker | 2 workers |\n|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n\n` +
        `After kill -9 of one of the 2 workers: every customer advanced again ${resumeSeconds.toFixed(1)} s after the kill; ` +
        `per-customer latency p50 ${afterKill.p50.toFixed(2)} s, p90 ${afterKill.p90.toFixed(2)} s, max ${afterKill.max.toFixed(2)} s ` +
        `(the same round without a kill: max ${two.advance.max.toFixed(2)} s).\n` +
        `Requests sent again after a 500/503: ${retried.length}${retried.length ? ` (${[...new Set(retried)].join(', ')})` : ''}.\n`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => log(`cleanup failed: ${(error as Error).message}`));
  }
}

const fmt = (a: { p50: number; p90: number; max: number }) => `${a.p50.toFixed(2)} / ${a.p90.toFixed(2)} / ${a.max.toFixed(2)}`;

async function waitFor(what: string, probe: () => Promise<true | undefined>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
