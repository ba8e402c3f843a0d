/**
 * The API while PostgreSQL or Temporal is away: real servers behind a TCP proxy that the test cuts
 * and restores. Every answer must be honest — 503 with Retry-After, saying whether the event was
 * recorded — the log must say once that a server went and once that it came back, and nothing
 * acknowledged may be lost or applied twice.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createApiKey } from '../../src/api/api-keys';
import type { Database } from '../../src/db/database';
import { customerWorkflowId } from '../../src/domain/ids';
import { getCarriedStateQuery } from '../../workflows/messages';
import { startNodeProcess, type ReadyProcess } from '../support/node-process';
import { connectDevServer, openTestDatabase, startTestWorker, uniqueSuffix } from '../support/servers';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { until } from '../support/until';

describe('API answers honestly while PostgreSQL or Temporal is away', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;
  let worker: Worker;
  let running: Promise<void>;
  let api: ReadyProcess;
  let url: string;
  let key: string;
  let postgres: TcpProxy;
  let temporal: TcpProxy;

  beforeAll(async () => {
    [env, database] = await Promise.all([connectDevServer(), openTestDatabase('outages')]);
    if (database.target.kind !== 'postgres') throw new Error('needs the PostgreSQL test database');
    let taskQueue: string;
    ({ worker, taskQueue } = await startTestWorker(env, database));
    running = worker.run();
    const dbUrl = new URL(database.target.url);
    const [temporalHost, temporalPort] = process.env.TEST_TEMPORAL_ADDRESS!.split(':') as [string, string];
    postgres = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
    temporal = await startTcpProxy({ host: temporalHost, port: Number(temporalPort) });
    const proxiedDb = new URL(database.target.url);
    proxiedDb.hostname = '127.0.0.1';
    proxiedDb.port = String(postgres.port);
    key = await createApiKey(database.prisma, 'outages');
    api = await startNodeProcess(
      'src/cli/main.ts',
      ['api'],
      {
        TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`,
        DATABASE_URL: proxiedDb.toString(),
        TEMPORAL_TASK_QUEUE: taskQueue,
        API_PORT: '0',
        LIFECYCLE_DEFINITION: '',
      },
      /HTTP API on (http:\/\/\S+) /,
    );
    url = api.ready[1]!;
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([postgres?.close(), temporal?.close()]);
    worker?.shutdown();
    await running;
    await Promise.all([env?.teardown(), database?.close()]);
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, any> };
  };
  const milestone = (customerId: string, id: string, name: string) => ({
    customerId,
    id,
    type: 'milestone',
    milestone: name,
    occurredAt: new Date().toISOString(),
  });
  const logLines = (pattern: RegExp) =>
    api
      .output()
      .split('\n')
      .filter((line) => pattern.test(line));

  async function newCustomer(): Promise<string> {
    const customerId = `outage-${uniqueSuffix()}`;
    const created = await call('POST', '/v1/customers', {
      customerId,
      name: 'Outage Inc',
      arr: 10_000,
      contractStart: new Date().toISOString(),
      contractEnd: new Date(Date.now() + 365 * 86_400_000).toISOString(),
      csmOwner: 'dana@example.com',
    });
    expect(created.status).toBe(201);
    return customerId;
  }

  it('answers 503 "recorded" without Temporal, then delivers the event once it is back', async () => {
    const customerId = await newCustomer();
    const event = milestone(customerId, `t-${uniqueSuffix()}`, 'setup_done');
    await temporal.cut();
    const startedAt = Date.now();
    const away = await call('POST', '/v1/events', event);
    expect(Date.now() - startedAt).toBeLessThan(20_000); // the signal's own deadline, not a ~20 s hang
    expect(away).toMatchObject({ status: 503, retryAfter: expect.any(String), body: { error: 'temporal_unavailable', details: { recorded: true } } });
    expect(await call('POST', '/v1/events', event)).toMatchObject({ status: 503, body: { details: { recorded: true } } });
    const row = await database.prisma.ingestedEvent.findFirstOrThrow({ where: { idempotencyKey: event.id } });
    expect(row.deliveredAt).toBeNull();
    expect(logLines(/Temporal is unreachable/)).toHaveLength(1);

    await temporal.restore();
    // The sender's retry (or the sweep) delivers it; it was recorded by the first request.
    const back = await until(
      'Temporal to be back for the API',
      async () => {
        const answer = await call('POST', '/v1/events', event);
        return answer.status === 202 && answer;
      },
      120_000,
    );
    expect(back.body).toMatchObject({ id: event.id, status: 'duplicate' });
    const handle = env.client.workflow.getHandle(customerWorkflowId(customerId));
    await until('the workflow to apply the event', async () => (await handle.query(getCarriedStateQuery)).facts.milestones.setup_done !== undefined);
    const state = await handle.query(getCarriedStateQuery);
    expect(state.timeline.filter((e) => e.cause.type === 'event' && e.cause.id === event.id)).toHaveLength(1);
    expect(logLines(/Temporal is reachable again/)).toHaveLength(1);
  });

  it('answers 503 "not recorded" without PostgreSQL, with one log line, and takes the event once it is back', async () => {
    const customerId = await newCustomer();
    const event = milestone(customerId, `p-${uniqueSuffix()}`, 'kickoff_held');
    await postgres.cut();
    for (const request of [() => call('POST', '/v1/events', event), () => call('GET', '/v1/tasks'), () => call('POST', '/v1/events', event)]) {
      const answer = await request();
      expect(answer).toMatchObject({ status: 503, retryAfter: expect.any(String), body: { error: 'database_unavailable', details: { recorded: false } } });
    }
    expect(logLines(/PostgreSQL is unreachable/)).toHaveLength(1);
    // No stack trace per request: the API said what happened in one line.
    expect(logLines(/unexpected error/)).toHaveLength(0);

    await postgres.restore();
    const back = await until(
      'PostgreSQL to be back for the API',
      async () => {
        const answer = await call('POST', '/v1/events', event);
        return answer.status === 202 && answer;
      },
      120_000,
    );
    expect(back.body).toMatchObject({ id: event.id, status: 'accepted' });
    expect(await database.prisma.ingestedEvent.count({ where: { idempotencyKey: event.id } })).toBe(1);
    expect(logLines(/PostgreSQL is reachable again/)).toHaveLength(1);
  });
});
