/**
 * Workers down, events accepted: with no worker process running, the API keeps acknowledging a
 * customer's events (202, recorded and signalled: Temporal holds the signals in the workflow's
 * history), and writes none of the rows they imply; when a worker process starts again, the
 * customer's workflow applies each event once and writes its rows (survey response, stakeholder,
 * renewed term, ARR movement) once. The dev server and PostgreSQL are real; the API runs in-process,
 * the worker as its own OS process, killed with SIGKILL (no goodbye) and started again.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { createApiKey } from '../../src/api/api-keys';
import { createApiApp } from '../../src/api/app';
import { startApiServer, type ApiServer } from '../../src/api/server';
import type { Database } from '../../src/db/database';
import { ZCustomerView } from '../../src/domain/customer-view-schema';
import { customerWorkflowId } from '../../src/domain/ids';
import { registerSearchAttributes } from '../../src/temporal/namespace';
import { customerEventsSignal } from '../../workflows/messages';
import { startNodeProcess, type ReadyProcess } from '../support/node-process';
import { connectDevServer, openTestDatabase, uniqueSuffix, workflowBundle } from '../support/servers';
import { until } from '../support/until';

const DAY_MS = 86_400_000;

/** What `POST /v1/events` answers with a 202. */
const ZEventAnswer = z.object({ id: z.string(), customerId: z.string(), status: z.enum(['accepted', 'duplicate']) }).strict();

describe('events while no worker runs (dev server, PostgreSQL, a worker process killed and started again)', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;
  let api: ApiServer;
  let key: string;
  let worker: ReadyProcess | undefined;
  const taskQueue = `stopped-worker-${uniqueSuffix()}`;

  beforeAll(async () => {
    [env, database] = await Promise.all([connectDevServer(), openTestDatabase('stopped_worker')]);
    if (database.target.kind !== 'postgres') throw new Error('needs the PostgreSQL test database');
    await registerSearchAttributes(env.connection, 'default');
    key = await createApiKey(database.prisma, 'stopped-worker');
    api = await startApiServer(createApiApp({ prisma: database.prisma, client: env.client, taskQueue }), { port: 0 });
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await api?.stop(5_000);
    await Promise.all([env?.teardown(), database?.close()]);
  });

  function startWorkerProcess(): Promise<ReadyProcess> {
    return startNodeProcess(
      'test/support/worker-process.ts',
      [],
      {
        TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
        DATABASE_URL: database.target.kind === 'postgres' ? database.target.url : '',
        TASK_QUEUE: taskQueue,
        SMTP_URL: process.env.TEST_SMTP_URL,
        WORKFLOW_BUNDLE: workflowBundle().codePath,
        LIFECYCLE_DEFINITION: '',
      },
      /^ready$/m,
    );
  }

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const post = async (event: { id: string }) => {
    const answer = await call('POST', '/v1/events', event);
    expect(answer.status).toBe(202);
    return ZEventAnswer.parse(answer.body);
  };

  it('acknowledges every event while no worker runs, and the next worker applies each once and writes its rows', async () => {
    const customerId = `stopped-${uniqueSuffix()}`;
    const now = () => new Date().toISOString();
    const renewedEnd = new Date(Date.now() + 2 * 365 * DAY_MS).toISOString();

    // 1. A customer created while a worker process runs, its handoff applied.
    worker = await startWorkerProcess();
    const created = await call('POST', '/v1/customers', {
      customerId,
      name: 'Stopped Worker Inc',
      arr: 30_000,
      contractStart: now(),
      contractEnd: new Date(Date.now() + 365 * DAY_MS).toISOString(),
      csmOwner: 'dana@example.com',
      stakeholders: [{ id: 'champ', name: 'Priya', role: 'champion' }],
    });
    expect(created.status).toBe(201);
    await until('the workflow to apply the handoff', async () => (await database.prisma.timelineEntry.count({ where: { customerId } })) > 0, 120_000);

    // 2. No worker: killed without a chance to finish anything.
    await worker.stop('SIGKILL');
    expect(worker.child.signalCode).toBe('SIGKILL');
    worker = undefined;

    const suffix = uniqueSuffix();
    const dev = { id: 'dev', name: 'Dev', role: 'executive_sponsor', email: 'dev@acme.example' };
    const events = {
      survey: { customerId, id: `nps-${suffix}`, type: 'survey', survey: 'nps', score: 9, occurredAt: now() },
      added: { customerId, id: `added-${suffix}`, type: 'stakeholder', action: 'added', stakeholder: dev, occurredAt: now() },
      engaged: { customerId, id: `engaged-${suffix}`, type: 'stakeholder', action: 'engaged', stakeholder: dev, occurredAt: now() },
      expanded: { customerId, id: `expanded-${suffix}`, type: 'contract', action: 'expanded', arr: 45_000, occurredAt: now() },
      renewed: { customerId, id: `renewed-${suffix}`, type: 'contract', action: 'renewed', contractEnd: renewedEnd, occurredAt: now() },
      usage: { customerId, id: `usage-${suffix}`, type: 'usage', logins: 12, occurredAt: now() },
    };
    const all = Object.values(events);
    const ids = all.map((e) => e.id);
    const readModelIds = [events.survey, events.added, events.engaged, events.expanded, events.renewed].map((e) => e.id);
    for (const event of all) expect(await post(event)).toEqual({ id: event.id, customerId, status: 'accepted' });
    expect(await post(events.expanded)).toEqual({ id: events.expanded.id, customerId, status: 'duplicate' });

    // Recorded and delivered: Temporal took the signals with no worker to run them.
    const recorded = await database.prisma.ingestedEvent.findMany({ where: { customerId }, select: { idempotencyKey: true, deliveredAt: true } });
    expect(recorded.map((r) => r.idempotencyKey).sort()).toEqual([...ids].sort());
    expect(recorded.every((r) => r.deliveredAt !== null)).toBe(true);
    // Signals taken during a workflow task the killed worker had started are buffered by the
    // server and written to the history when that task times out: all of them, with no worker.
    const handle = env.client.workflow.getHandle(customerWorkflowId(customerId));
    await until(
      'the six signals in the workflow history',
      async () => {
        const history = await handle.fetchHistory();
        const signalled = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === customerEventsSignal.name);
        return signalled.length === all.length;
      },
      60_000,
    );
    // Nothing they imply is written yet: only the customer's workflow writes those rows.
    expect(await database.prisma.appliedEvent.count({ where: { customerId, eventId: { in: ids } } })).toBe(0);
    expect(await database.prisma.surveyResponse.count({ where: { customerId } })).toBe(0);
    expect((await database.prisma.arrMovement.findMany({ where: { customerId } })).map((m) => m.kind)).toEqual(['new']);
    expect(await database.prisma.contract.count({ where: { customerId } })).toBe(1);
    expect(await database.prisma.stakeholder.count({ where: { customerId, stakeholderId: 'dev' } })).toBe(0);
    expect(await database.prisma.timelineEntry.count({ where: { customerId, causeId: { in: ids } } })).toBe(0);
    expect(Number((await database.prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).arr)).toBe(30_000);

    // 3. A worker process again: the workflow applies what Temporal kept for it.
    worker = await startWorkerProcess();
    await until(
      'the workflow to apply the events',
      async () => {
        const [applied, usage, row] = await Promise.all([
          database.prisma.appliedEvent.count({ where: { customerId, eventId: { in: readModelIds } } }),
          database.prisma.timelineEntry.count({ where: { customerId, causeId: events.usage.id } }),
          database.prisma.customer.findUniqueOrThrow({ where: { id: customerId } }),
        ]);
        return applied === readModelIds.length && usage > 0 && Number(row.arr) === 45_000;
      },
      180_000,
    );
    // Settled: nothing more arrives for these events (a second application would add rows).
    const counts = async () =>
      JSON.stringify(
        await Promise.all([
          database.prisma.timelineEntry.count({ where: { customerId, causeId: { in: ids } } }),
          database.prisma.appliedEvent.count({ where: { customerId } }),
          database.prisma.arrMovement.count({ where: { customerId } }),
          database.prisma.contract.count({ where: { customerId } }),
        ]),
      );
    await until('the rows to settle', async () => {
      const before = await counts();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return before === (await counts());
    });

    expect((await database.prisma.appliedEvent.findMany({ where: { customerId } })).map((a) => a.eventId).sort()).toEqual([...readModelIds].sort());
    const surveys = await database.prisma.surveyResponse.findMany({ where: { customerId } });
    expect(surveys.map((s) => [s.idempotencyKey, s.survey, s.score])).toEqual([[events.survey.id, 'nps', 9]]);
    const people = await database.prisma.stakeholder.findMany({ where: { customerId }, orderBy: { stakeholderId: 'asc' } });
    expect(people.map((p) => [p.stakeholderId, p.role, p.engaged, p.leftAt])).toEqual([
      ['champ', 'champion', false, null],
      ['dev', 'executive_sponsor', true, null],
    ]);
    const terms = await database.prisma.contract.findMany({ where: { customerId }, orderBy: { term: 'asc' } });
    expect(terms.map((t) => [t.term, t.status, Number(t.arr)])).toEqual([
      [1, 'renewed', 45_000],
      [2, 'active', 45_000],
    ]);
    expect(terms[1]!.endsAt.toISOString()).toBe(renewedEnd);
    const ledger = await database.prisma.arrMovement.findMany({ where: { customerId }, orderBy: { kind: 'asc' } });
    expect(ledger.map((m) => [m.kind, m.idempotencyKey, Number(m.amount)])).toEqual([
      ['expansion', events.expanded.id, 15_000],
      ['new', `${customerId}:new`, 30_000],
    ]);
    const signedAmount = (m: { kind: string; amount: unknown }) => (m.kind === 'new' || m.kind === 'expansion' ? 1 : -1) * Number(m.amount);
    expect(ledger.reduce((sum, m) => sum + signedAmount(m), 0)).toBe(45_000);
    // Each event on the timeline once, the repeat not at all.
    const timeline = await database.prisma.timelineEntry.findMany({ where: { customerId, causeId: { in: ids }, kind: 'event' }, select: { causeId: true } });
    expect(timeline.map((t) => t.causeId).sort()).toEqual([...ids].sort());
    expect((await database.prisma.ingestedEvent.findMany({ where: { customerId } })).every((r) => r.deliveredAt !== null)).toBe(true);

    // What the workflow holds, through the API.
    const state = await call('GET', `/v1/customers/${customerId}`);
    expect(state.status).toBe(200);
    const view = ZCustomerView.parse(state.body);
    expect(view.customer).toMatchObject({ id: customerId, arr: 45_000, contractTerm: 2, contractEnd: renewedEnd });
    expect(view.customer.stakeholders.find((s) => s.id === 'dev')).toMatchObject({ engaged: true });
    expect(view.customer.surveys.nps).toMatchObject({ score: 9 });
  }, 420_000);
});
