/**
 * The engine as deployed: a real Temporal server on PostgreSQL (4 history shards, SQL visibility),
 * two `cli worker` and two `cli api` processes, 50 customers. A worker is killed (SIGKILL) in the
 * middle of plays and an API process in the middle of a batch, which the client then sends again
 * to the other API. Afterwards: every acknowledged event is in its customer's timeline exactly
 * once, no email or task is doubled, every customer goes on (its play completes, later events
 * land), and the redelivery sweep, run by the maintenance schedule the two workers keep (not by the
 * APIs), delivers a pending event once.
 *
 * Falls back to the dev server (and says why) when the Temporal server cannot be built here.
 *
 * `npm test` runs it after the rest of the suite, on its own (`src/bootstrap.cjs`): five server
 * and engine processes would otherwise fight two other test files for 2 cores. About 80 s with a
 * built server; the first run builds the server and its SQL tool from the Go module proxy into the
 * tool cache (about 3 min on 2 cores). CLUSTER_TEST=0 leaves it out of quick local runs.
 * The workers load the run's prebuilt workflow bundle (WORKFLOW_BUNDLE, as the image's do) and the
 * schedule sweeps every 5 s instead of 30 (REDELIVERY_SWEEP_SECONDS), so no time goes on waiting idle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApiKey } from '../../src/api/api-keys';
import type { Database } from '../../src/db/database';
import { startEngineProcess, startTemporal, type EngineProcess, type LocalTemporal } from '../../src/dev-infra/local-cluster';
import type { TCustomerEvent } from '../../src/domain/customer-events';
import { startSmtpSink, type SmtpSink } from '../../src/mail/smtp-sink';
import { RESEND_OF_HEADER } from '../../activities/plays';
import { handoff } from '../support/customers';
import { openTestDatabase, uniqueSuffix, workflowBundle } from '../support/servers';
import { until } from '../support/until';

const DEFINITION = resolve(__dirname, '../fixtures/two-step-play-lifecycle.ts');
const CUSTOMERS = 50;
const SWEEP_SECONDS = 5;
const t0 = Date.now();
/** Where the run is, with elapsed seconds: on a busy machine a slow phase is told from a stuck one. */
const step = (what: string) => process.stderr.write(`[cluster test +${Math.round((Date.now() - t0) / 1000)} s] ${what}\n`);

jest.setTimeout(20 * 60_000);

const describeCluster = process.env.CLUSTER_TEST === '0' ? describe.skip : describe;

describeCluster('the engine as several processes on a real Temporal server', () => {
  let temporal: LocalTemporal;
  let database: Database;
  let smtp: SmtpSink;
  let dataDir: string;
  let key: string;
  const taskQueue = `cluster-${uniqueSuffix()}`;
  const processes: EngineProcess[] = [];

  const engineEnv = (name: string) => ({
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: database.target.kind === 'postgres' ? database.target.url : '',
    SMTP_URL: smtp.url,
    LIFECYCLE_DEFINITION: DEFINITION,
    CS_DATA_DIR: join(dataDir, name),
    API_PORT: '0',
    WORKFLOW_BUNDLE: workflowBundle().codePath,
    REDELIVERY_SWEEP_SECONDS: String(SWEEP_SECONDS),
    // Each usage event on its own: the check below finds every acknowledged id in a timeline.
    // Rolled-up usage has its own test (test/ingest/usage-rollups.dev-server.test.ts).
    USAGE_ROLLUP_SECONDS: '0',
    INGEST_WEBHOOK_SECRET: '',
    API_MAX_BODY_BYTES: '',
  });
  const start = async (command: 'worker' | 'api', name: string) => {
    const started = await startEngineProcess(command, name, engineEnv(name));
    processes.push(started);
    return started;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cs-cluster-test-'));
    [temporal, database, smtp] = await Promise.all([
      startTemporal({ postgresUrl: process.env.TEST_POSTGRES_URL!, devServerOnly: process.env.CLUSTER_TEMPORAL === 'dev-server' }),
      openTestDatabase('cluster'),
      startSmtpSink(),
    ]);
    step(
      temporal.kind === 'dev-server'
        ? `running against the dev server: ${temporal.fallbackReason}`
        : `Temporal server v${temporal.version} at ${temporal.address}`,
    );
    key = await createApiKey(database.prisma, 'cluster-test');
    // On a fresh machine this builds the server: about 3 min on 2 cores, far longer beside other builds.
  }, 60 * 60_000);

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop('SIGKILL')));
    await Promise.allSettled([temporal?.stop(), database?.close(), smtp?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged event and doubles no email or task when a worker and an API are killed', async () => {
    const [workerA, , apiA, apiB] = await Promise.all([start('worker', 'worker-a'), start('worker', 'worker-b'), start('api', 'api-a'), start('api', 'api-b')]);
    let apis = [apiA, apiB];
    step('2 workers and 2 APIs ready');

    const call = (api: EngineProcess, path: string, body: unknown) =>
      fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const acknowledged = new Map<string, string>(); // event id → customer id
    let sent = 0;
    /** Posts a batch (round-robin over the live APIs); on a lost connection, the same batch to the next API. */
    const sendBatch = async (events: Array<{ customerId: string } & TCustomerEvent>, via = sent++) => {
      for (let attempt = 0; attempt < 6; attempt++) {
        const api = apis[(via + attempt) % apis.length]!;
        try {
          const response = await call(api, '/v1/events/batch', { events });
          if (response.status !== 202) throw new Error(`${api.name} answered ${response.status}: ${await response.text()}`);
          const { results } = (await response.json()) as { results: Array<{ id: string; customerId: string; status: string }> };
          for (const r of results) acknowledged.set(r.id, r.customerId);
          return results;
        } catch (error) {
          if (attempt === 5) throw error;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      throw new Error('unreachable');
    };

    // 50 customers, created through both APIs.
    const now = Date.now();
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => handoff({ startAt: now, name: `Cluster-${uniqueSuffix()}-${i}` }));
    for (let i = 0; i < customers.length; i += 10) {
      await Promise.all(
        customers.slice(i, i + 10).map(async (customer, j) => {
          const response = await call(apis[(i + j) % 2]!, '/v1/customers', customer);
          expect(response.status).toBe(201);
        }),
      );
    }
    await until(
      'every play to send its first email',
      async () => customers.every((c) => smtp.messages.some((m) => m.subject === `Step one for ${c.name}`)),
      300_000,
    );

    step(`${CUSTOMERS} customers created, every first email sent`);
    let counter = 0;
    const usageFor = (customerId: string): { customerId: string } & TCustomerEvent => ({
      customerId,
      id: `u-${uniqueSuffix()}-${++counter}`,
      type: 'usage',
      logins: 2,
      keyFeaturesUsed: ['dashboards'],
      occurredAt: new Date().toISOString(),
    });
    const batchOf = (perCustomer: number) => customers.flatMap((c) => Array.from({ length: perCustomer }, () => usageFor(c.customerId)));

    // Events through both APIs while the plays wait in the middle for `go_on`.
    await Promise.all(Array.from({ length: 6 }, () => sendBatch(batchOf(2))));

    // The plays' second half (task, email) starts everywhere; a worker dies as the first of them ends.
    await sendBatch(
      customers.map((c) => ({
        customerId: c.customerId,
        id: `go-${c.customerId}`,
        type: 'milestone',
        milestone: 'go_on',
        occurredAt: new Date().toISOString(),
      })),
    );
    await smtp.waitFor((m) => m.subject.startsWith('Step two for Cluster-'), 120_000);
    await workerA.stop('SIGKILL');
    step('worker-a killed in the middle of the plays');

    // An API dies in the middle of a 500-event batch: once its rows are recorded, before it answers.
    const big = batchOf(10);
    let firstAnswer: string | undefined;
    const firstTry = call(apiB, '/v1/events/batch', { events: big }).then(
      async (response) => (firstAnswer = `${response.status} ${(await response.text()).slice(0, 300)}`),
      () => 'connection lost',
    );
    await until(
      'the batch recorded by the API about to die',
      async () => firstAnswer || (await database.prisma.ingestedEvent.count({ where: { idempotencyKey: { in: big.map((e) => e.id) } } })) > 0,
      300_000,
    );
    // On a slow machine the API may answer before it dies: then the retry is all duplicates, still a check.
    if (firstAnswer && !firstAnswer.startsWith('202')) throw new Error(`api-b refused the batch: ${firstAnswer}`);
    await apiB.stop('SIGKILL');
    const firstOutcome = await firstTry;
    apis = [apiA];
    const recordedBefore = new Set(
      (await database.prisma.ingestedEvent.findMany({ where: { idempotencyKey: { in: big.map((e) => e.id) } }, select: { idempotencyKey: true } })).map(
        (r) => r.idempotencyKey,
      ),
    );
    const retried = await sendBatch(big, 0);
    expect(retried).toHaveLength(big.length);
    // What the dead API recorded is a duplicate on the retry, and nothing recorded is reported new.
    for (const result of retried) expect(result.status).toBe(recordedBefore.has(result.id) ? 'duplicate' : 'accepted');
    step(`api-b killed: its request ended with "${firstOutcome}"; ${recordedBefore.size} of ${big.length} recorded before the retry`);

    // After both kills every customer goes on: events land and every play completes.
    await sendBatch(batchOf(2));
    const customerIds = customers.map((c) => c.customerId);
    await until(
      'every play to complete on the surviving worker',
      async () => (await database.prisma.playRun.count({ where: { customerId: { in: customerIds }, status: 'completed' } })) === CUSTOMERS,
      600_000,
    ).catch(async (error: Error) => {
      const statuses = await database.prisma.playRun.groupBy({ by: ['status'], where: { customerId: { in: customerIds } }, _count: { _all: true } });
      const stepTwo = smtp.messages.filter((m) => m.subject.startsWith('Step two for Cluster-')).length;
      throw new Error(`${error.message}; play runs by status ${JSON.stringify(statuses.map((s) => [s.status, s._count._all]))}, ${stepTwo} second emails`);
    });
    step('every play completed');

    // The redelivery sweep (the schedule's job; two workers and two APIs running): events recorded
    // and never delivered (an API died between the two and nobody retried) are delivered once.
    const apiB2 = await start('api', 'api-b-restarted');
    apis = [apiA, apiB2];
    const pending = customers.map((c, i) => ({
      customerId: c.customerId,
      event: { id: `swept-${c.customerId}`, type: 'milestone' as const, milestone: `swept_${i}`, occurredAt: new Date().toISOString() },
    }));
    await database.prisma.ingestedEvent.createMany({
      data: pending.map(({ customerId, event }) => ({
        idempotencyKey: event.id,
        customerId,
        type: event.type,
        source: 'api',
        payload: event,
        occurredAt: new Date(event.occurredAt),
        receivedAt: new Date(Date.now() - 5 * 60_000),
      })),
    });
    for (const { customerId, event } of pending) acknowledged.set(event.id, customerId);
    await until(
      'the sweep to deliver the pending events',
      async () => (await database.prisma.ingestedEvent.count({ where: { idempotencyKey: { in: pending.map((p) => p.event.id) }, deliveredAt: null } })) === 0,
      // A sweep is due every 5 s; a busy machine may run it late.
      120_000,
    );
    step('the sweep delivered the pending events');
    // The schedule has swept at least once more since (a run is due every 5 s).
    await new Promise((r) => setTimeout(r, 2 * SWEEP_SECONDS * 1000 + 2_000));

    // Every acknowledged event is in its customer's timeline exactly once.
    const ids = [...acknowledged.keys()];
    const counts = async () => {
      const rows = await database.prisma.timelineEntry.groupBy({
        by: ['causeId'],
        where: { kind: 'event', causeType: 'event', causeId: { in: ids } },
        _count: { _all: true },
      });
      return new Map(rows.map((r) => [r.causeId!, r._count._all]));
    };
    const inTimeline = await until('every acknowledged event in a timeline', async () => {
      const found = await counts();
      return found.size === ids.length && found;
    });
    expect([...inTimeline].filter(([, n]) => n !== 1)).toEqual([]);
    const owners = await database.prisma.timelineEntry.findMany({
      where: { kind: 'event', causeId: { in: ids } },
      select: { causeId: true, customerId: true },
    });
    expect(owners.filter((o) => acknowledged.get(o.causeId!) !== o.customerId)).toEqual([]);

    // Every email arrives, none doubled unmarked: at most one original, any other copy a marked
    // resend of the same message (one Message-ID), one task per customer. The original can be the
    // copy that is missing: a worker killed in the middle of the SMTP exchange leaves the relay
    // without it, and the resend (marked, since the outbox cannot know) is then the one that arrives.
    for (const customer of customers) {
      for (const subject of [`Step one for ${customer.name}`, `Step two for ${customer.name}`]) {
        const copies = smtp.messages.filter((m) => m.subject === subject);
        const originals = copies.filter((m) => !m.headers[RESEND_OF_HEADER.toLowerCase()]).length;
        expect({ subject, arrived: copies.length > 0, doubled: originals > 1 }).toEqual({ subject, arrived: true, doubled: false });
        expect(new Set(copies.map((m) => m.messageId)).size).toBe(1);
      }
    }
    const tasks = await database.prisma.csmTask.groupBy({ by: ['customerId'], where: { customerId: { in: customerIds } }, _count: { _all: true } });
    expect(tasks).toHaveLength(CUSTOMERS);
    expect(tasks.filter((t) => t._count._all !== 1)).toEqual([]);
    expect(await database.prisma.emailOutbox.count({ where: { customerId: { in: customerIds }, status: 'sent' } })).toBe(2 * CUSTOMERS);
  });
});
