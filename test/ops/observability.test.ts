/**
 * The API and the worker as production runs them (`cli api`, `cli worker` in their own processes):
 * /metrics scraped and read by a Prometheus text-format parser, /readyz following PostgreSQL away
 * and back (a TCP proxy the test cuts), JSON log lines with the request and customer ids, and
 * SIGTERM letting the request or activity in flight finish before the process exits.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { createApiKey } from '../../src/api/api-keys';
import type { Database } from '../../src/db/database';
import { ZCustomerHandoff } from '../../src/domain/customer-events';
import { customerWorkflowId } from '../../src/domain/ids';
import { createCustomer } from '../../src/ingest/create-customer';
import { acceptEvents } from '../../src/ingest/accept-events';
import { startNodeProcess, type ReadyProcess } from '../support/node-process';
import { connectDevServer, openTestDatabase, uniqueSuffix } from '../support/servers';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { until } from '../support/until';

const get = (url: string) => fetch(url, { signal: AbortSignal.timeout(30_000) });

async function scrape(opsUrl: string): Promise<PromFamily[]> {
  const response = await get(`${opsUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return parsePrometheusTextFormat(await response.text());
}

const family = (families: PromFamily[], name: string) => {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no metric ${name}; have ${families.map((f) => f.name).join(', ')}`);
  return found;
};
const sample = (f: PromFamily, labels: Record<string, string>) => f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));

async function readyz(url: string): Promise<{ status: number; body: { ready: boolean; checks: Record<string, string> } }> {
  const response = await get(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as { ready: boolean; checks: Record<string, string> } };
}

/** The JSON log lines a process wrote to stdout (the `[setup]` lines are not JSON). */
const jsonLines = (process: ReadyProcess) =>
  process
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

function proxiedUrl(url: string, proxy: TcpProxy): string {
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return proxied.toString();
}

const exitOf = (process: ReadyProcess) =>
  new Promise<number | null>((done) => {
    if (process.child.exitCode !== null || process.child.signalCode !== null) return done(process.child.exitCode);
    process.child.once('exit', (code) => done(code));
  });

describe('cli api: metrics, readiness, logs, SIGTERM', () => {
  let database: Database;
  let postgres: TcpProxy;
  let api: ReadyProcess;
  let apiUrl: string;
  let opsUrl: string;
  let key: string;

  beforeAll(async () => {
    database = await openTestDatabase('ops_api');
    if (database.target.kind !== 'postgres') throw new Error('needs the PostgreSQL test database');
    const dbUrl = new URL(database.target.url);
    postgres = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
    key = await createApiKey(database.prisma, 'ops');
    api = await startNodeProcess(
      'src/cli/main.ts',
      ['api'],
      {
        TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
        DATABASE_URL: proxiedUrl(database.target.url, postgres),
        // No worker polls it: the API only records events and starts workflows.
        TEMPORAL_TASK_QUEUE: `ops-${uniqueSuffix()}`,
        API_PORT: '0',
        API_METRICS_PORT: '0',
        LOG_LEVEL: 'info',
        SHUTDOWN_GRACE_SECONDS: '60',
        LIFECYCLE_DEFINITION: '',
      },
      /HTTP API on (http:\/\/\S+) .*metrics and health on (http:\/\/[^\s,]+),/,
    );
    [, apiUrl = '', opsUrl = ''] = api.ready;
  });
  afterAll(async () => {
    postgres?.resume();
    await api?.stop();
    await postgres?.close();
    await database?.close();
  });

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  const customerId = `ops-${uniqueSuffix()}`;

  it('counts requests by route and status, and events accepted, duplicate and rejected, in the Prometheus format', async () => {
    const created = await call('POST', '/v1/customers', {
      customerId,
      name: 'Ops Inc',
      arr: 10_000,
      contractStart: new Date().toISOString(),
      contractEnd: new Date(Date.now() + 365 * 86_400_000).toISOString(),
      csmOwner: 'dana@example.com',
    });
    expect(created.status).toBe(201);
    const event = { customerId, id: `m-${uniqueSuffix()}`, type: 'milestone', milestone: 'kickoff_held', occurredAt: new Date().toISOString() };
    expect((await call('POST', '/v1/events', event)).status).toBe(202);
    expect((await call('POST', '/v1/events', event)).status).toBe(202); // the same id: a duplicate
    expect((await call('POST', '/v1/events', { ...event, id: 'x', type: 'no-such-type' })).status).toBe(422);

    const families = await scrape(opsUrl);
    const requests = family(families, 'cs_api_requests_total');
    expect(requests.type).toBe('COUNTER');
    expect(Number(sample(requests, { method: 'POST', route: '/v1/events', status: '202' })?.value)).toBe(2);
    expect(Number(sample(requests, { method: 'POST', route: '/v1/events', status: '422' })?.value)).toBe(1);
    expect(Number(sample(requests, { method: 'POST', route: '/v1/customers', status: '201' })?.value)).toBe(1);
    const latency = family(families, 'cs_api_request_duration_seconds');
    expect(latency.type).toBe('HISTOGRAM');
    // The parser folds a labelled histogram's series into one set of buckets (its prom2json
    // heritage); the per-route figures are the counter's above. The buckets are the ones we chose.
    const buckets = Object.keys(latency.metrics[0]?.buckets ?? {});
    expect(buckets.sort()).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'].sort());
    const events = family(families, 'cs_api_events_total');
    expect(Number(sample(events, { outcome: 'accepted' })?.value)).toBe(1);
    expect(Number(sample(events, { outcome: 'duplicate' })?.value)).toBe(1);
    expect(Number(sample(events, { outcome: 'rejected' })?.value)).toBe(1);
    expect(family(families, 'cs_play_runs').type).toBe('GAUGE');
    expect(family(families, 'process_resident_memory_bytes').type).toBe('GAUGE');
  });

  it('logs one JSON line per request with its request id, route, status and customer', async () => {
    const response = await call('GET', `/v1/customers/${customerId}/timeline`);
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const line = await until('the request log line', async () => jsonLines(api).find((l) => l.requestId === requestId));
    expect(line).toMatchObject({
      level: 'info',
      service: 'api',
      msg: 'request',
      method: 'GET',
      route: '/v1/customers/:customerId/timeline',
      status: '200',
      customerId,
    });
    expect(JSON.stringify(jsonLines(api))).not.toContain(key);
  });

  it('/readyz turns unready when PostgreSQL stops and ready again when it returns', async () => {
    for (const url of [opsUrl, apiUrl]) expect(await readyz(url)).toEqual({ status: 200, body: { ready: true, checks: { database: 'ok', temporal: 'ok' } } });
    await postgres.cut();
    const down = await until('/readyz to say the database is away', async () => {
      const answer = await readyz(opsUrl);
      return answer.status === 503 && answer;
    });
    expect(down.body.ready).toBe(false);
    expect(down.body.checks.database).not.toBe('ok');
    expect(down.body.checks.temporal).toBe('ok');
    // The API's own port answers the same, without the error's text (it is public).
    expect(await readyz(apiUrl)).toEqual({ status: 503, body: { ready: false, checks: { database: 'unavailable', temporal: 'ok' } } });
    expect((await get(`${opsUrl}/healthz`)).status).toBe(200); // alive all the same
    await postgres.restore();
    await until('/readyz to be ready again', async () => (await readyz(opsUrl)).status === 200);
  });

  it('on SIGTERM finishes the request in flight, refuses new ones, then exits', async () => {
    postgres.pause(); // the next request waits on the database
    const inFlight = call('GET', `/v1/customers/${customerId}/timeline`);
    await new Promise((r) => setTimeout(r, 1_000));
    const exited = exitOf(api);
    api.child.kill('SIGTERM');
    // Until the shutdown shows: with the database paused, an earlier 503 may be its check timing out.
    const stopping = await until('/readyz to say it is stopping', async () => {
      const answer = await readyz(opsUrl);
      return answer.status === 503 && answer.body.checks?.shutdown === 'stopping' && answer;
    });
    expect(stopping.body.checks).toEqual({ shutdown: 'stopping' });
    await expect(fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(); // no longer listening
    postgres.resume();
    expect((await inFlight).status).toBe(200);
    expect(await exited).toBe(0);
    expect(jsonLines(api).map((l) => l.msg)).toEqual(expect.arrayContaining(['stopping: finishing the requests in flight', 'stopped']));
  });
});

describe('cli worker: SDK metrics, readiness, SIGTERM drains', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;
  let postgres: TcpProxy;
  let worker: ReadyProcess;
  let opsUrl: string;
  const taskQueue = `ops-worker-${uniqueSuffix()}`;

  beforeAll(async () => {
    [env, database] = await Promise.all([connectDevServer(), openTestDatabase('ops_worker')]);
    if (database.target.kind !== 'postgres') throw new Error('needs the PostgreSQL test database');
    const dbUrl = new URL(database.target.url);
    postgres = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
    worker = await startNodeProcess(
      'src/cli/main.ts',
      ['worker'],
      {
        TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
        DATABASE_URL: proxiedUrl(database.target.url, postgres),
        TEMPORAL_TASK_QUEUE: taskQueue,
        SMTP_URL: process.env.TEST_SMTP_URL,
        SMTP_TLS: 'none',
        // The bundle global setup built, as the image's prebuilt one: no webpack at start-up.
        WORKFLOW_BUNDLE: process.env.TEST_WORKFLOW_BUNDLE,
        WORKER_METRICS_PORT: '0',
        LOG_LEVEL: 'info',
        SHUTDOWN_GRACE_SECONDS: '60',
        LIFECYCLE_DEFINITION: '',
      },
      /worker metrics and health on (http:\/\/\S+)/,
    );
    opsUrl = worker.ready[1]!;
  });
  afterAll(async () => {
    postgres?.resume();
    await worker?.stop();
    await postgres?.close();
    await Promise.all([env?.teardown(), database?.close()]);
  });

  it("serves the Temporal SDK's own metrics and the process's on /metrics", async () => {
    const families = await until('the SDK to report its pollers', async () => {
      const scraped = await scrape(opsUrl);
      return scraped.some((f) => f.name.startsWith('temporal_') && f.metrics.some((m) => m.labels?.task_queue === taskQueue)) && scraped;
    });
    const temporal = families.filter((f) => f.name.startsWith('temporal_'));
    expect(temporal.length).toBeGreaterThan(3);
    expect(family(families, 'process_resident_memory_bytes').type).toBe('GAUGE');
    // The worker's log lines are JSON too, the SDK's among them.
    expect(jsonLines(worker).find((l) => l.msg === 'worker ready')).toMatchObject({ service: 'worker', taskQueue });
  });

  it('/readyz turns unready when PostgreSQL stops and ready again when it returns', async () => {
    // The first database check opens a connection, which may take a moment on a busy machine.
    await until('the worker to be ready', async () => (await readyz(opsUrl)).status === 200);
    expect(await readyz(opsUrl)).toEqual({ status: 200, body: { ready: true, checks: { database: 'ok', temporal: 'ok', worker: 'ok' } } });
    await postgres.cut();
    const down = await until('/readyz to say the database is away', async () => {
      const answer = await readyz(opsUrl);
      return answer.status === 503 && answer;
    });
    expect(down.body.checks.database).not.toBe('ok');
    expect(down.body.checks.temporal).toBe('ok');
    await postgres.restore();
    await until('/readyz to be ready again', async () => (await readyz(opsUrl)).status === 200);
  });

  it('on SIGTERM lets the activity in flight finish before it exits', async () => {
    const customerId = `ops-w-${uniqueSuffix()}`;
    const deps = { prisma: database.prisma, client: env.client, taskQueue };
    await createCustomer(
      deps,
      ZCustomerHandoff.parse({
        customerId,
        name: 'Drain Inc',
        arr: 5_000,
        contractStart: new Date().toISOString(),
        contractEnd: new Date(Date.now() + 365 * 86_400_000).toISOString(),
        csmOwner: 'dana@example.com',
      }),
    );
    const handle = env.client.workflow.getHandle(customerWorkflowId(customerId));
    // The run's start loads its definition in a local activity (not listed as pending) and writes
    // its first step: both done with the database up, so what the pause holds below is a regular
    // activity the server lists as started.
    await until('the customer to have written its first step', async () =>
      ((await handle.fetchHistory()).events ?? []).some((e) => e.activityTaskCompletedEventAttributes),
    );
    postgres.pause(); // the step of the event below waits on the database
    await acceptEvents(deps, [
      { customerId, event: { id: `drain-${customerId}`, type: 'milestone', milestone: 'setup_done', occurredAt: new Date().toISOString() } },
    ]);
    const activity = await until('an activity to be running on the worker', async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.find((a) => String(a.state) === 'PENDING_ACTIVITY_STATE_STARTED' || a.state === 2);
    });
    expect(activity.activityType?.name).toBe('recordLifecycleChanges');
    const exited = exitOf(worker);
    worker.child.kill('SIGTERM');
    await until('/readyz to say the worker is stopping', async () => (await readyz(opsUrl).catch(() => ({ status: 0 }))).status === 503);
    postgres.resume();
    await exited;
    // The activity the stopping worker held completed there, on its first attempt: drained, not abandoned.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityId === activity.activityId);
    expect(scheduled).toBeDefined();
    const ofIt = (id: unknown) => String(id) === String(scheduled!.eventId);
    const started = events.filter((e) => e.activityTaskStartedEventAttributes && ofIt(e.activityTaskStartedEventAttributes.scheduledEventId));
    expect(started.map((e) => String(e.activityTaskStartedEventAttributes!.attempt))).toEqual(['1']);
    expect(events.some((e) => e.activityTaskCompletedEventAttributes && ofIt(e.activityTaskCompletedEventAttributes.scheduledEventId))).toBe(true);
    expect(events.some((e) => e.activityTaskTimedOutEventAttributes || e.activityTaskFailedEventAttributes)).toBe(false);
  });
});
