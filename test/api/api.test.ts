/**
 * The HTTP API over real HTTP, against the dev server, a lifecycle worker and PostgreSQL: events are
 * acknowledged only once recorded and delivered, repeats are not applied twice, bad input is told
 * by field, and every auth case answers as documented.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { API_SCOPES, createApiKey, revokeApiKey } from '../../src/api/api-keys';
import type { Database } from '../../src/db/database';
import { customerWorkflowId } from '../../src/domain/ids';
import { CustomerSignals, NOT_RUNNING_RETRY_MS, redeliverPendingEvents, SharedEventLog } from '../../src/ingest/accept-events';
import type { TCustomerEvent } from '../../src/domain/customer-events';
import { signWebhook } from '../../src/webhooks/signature';
import { customerEventsSignal, getCarriedStateQuery, getStateQuery } from '../../workflows/messages';
import { ZCustomerView, type CustomerView } from '../../src/domain/customer-view-schema';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { uniqueSuffix } from '../support/servers';
import { until } from '../support/until';

const INGEST_SECRET = 'ingest-secret-for-tests';

describe('HTTP API (real HTTP, dev server, worker, PostgreSQL)', () => {
  let stack: ApiStack;
  let env: TestWorkflowEnvironment;
  let database: Database;
  let api: ApiStack['api'];
  let key: string;
  let readOnlyKey: string;
  let revokedKey: string;

  beforeAll(async () => {
    stack = await startApiStack('api', { ingestSecret: INGEST_SECRET, maxBodyBytes: 64 * 1024 });
    ({ env, database, api } = stack);
    key = await createApiKey(database.prisma, 'test-all');
    readOnlyKey = await createApiKey(database.prisma, 'test-read', ['read']);
    revokedKey = await createApiKey(database.prisma, 'test-revoked');
    await revokeApiKey(database.prisma, 'test-revoked');
  });
  afterAll(() => stack?.stop());

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${key}` }) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }).then(async (response) => ({ status: response.status, body: (await response.json().catch(() => null)) as Record<string, any> }));

  const now = () => new Date().toISOString();
  const handoff = (customerId: string) => ({
    customerId,
    name: `API customer ${customerId}`,
    arr: 30_000,
    contractStart: now(),
    contractEnd: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    csmOwner: 'dana@example.com',
    stakeholders: [{ id: 'c', name: 'Priya', role: 'champion', email: 'priya@acme.example' }],
  });
  async function newCustomer(): Promise<string> {
    const customerId = `api-${uniqueSuffix()}`;
    const created = await call('POST', '/v1/customers', handoff(customerId));
    expect(created).toMatchObject({ status: 201, body: { customerId, workflowId: customerWorkflowId(customerId) } });
    return customerId;
  }
  const milestone = (customerId: string, id: string, name = 'kickoff_held') => ({ customerId, id, type: 'milestone', milestone: name, occurredAt: now() });

  it('creates a customer from the handoff, accepts its events once and shows them in its state', async () => {
    const customerId = await newCustomer();
    const event = milestone(customerId, `m-${uniqueSuffix()}`, 'setup_done');
    expect(await call('POST', '/v1/events', event)).toEqual({ status: 202, body: { id: event.id, customerId, status: 'accepted' } });
    expect(await call('POST', '/v1/events', event)).toEqual({ status: 202, body: { id: event.id, customerId, status: 'duplicate' } });
    const rows = await database.prisma.ingestedEvent.findMany({ where: { customerId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.deliveredAt).not.toBeNull();
    // Delivered before the 202: the workflow has it (or is applying it right now).
    const handle = env.client.workflow.getHandle(customerWorkflowId(customerId));
    const reached = (view: CustomerView) => view.customer.milestones.some((m) => m.id === 'setup_done');
    await until('the workflow to apply setup_done', async () => reached(await handle.query(getStateQuery)));
    const state = await call('GET', `/v1/customers/${customerId}`);
    expect(state.status).toBe(200);
    // What the API answers is the customer view, every field within its bounds.
    const view = ZCustomerView.parse(state.body);
    expect(reached(view)).toBe(true);
    expect(view).toMatchObject({ viewVersion: 1, customer: { id: customerId }, stage: 'onboarding' });
    expect(state.body).not.toHaveProperty('seenEventIds');
    expect(await call('POST', '/v1/customers', handoff(customerId))).toMatchObject({ status: 409, body: { error: 'customer_exists' } });
  });

  it('takes a batch, reports duplicates per event, and the workflow records survey responses and ARR movements', async () => {
    const customerId = await newCustomer();
    const suffix = uniqueSuffix();
    const events = [
      { customerId, id: `nps-${suffix}`, type: 'survey', survey: 'nps', score: 4, occurredAt: now() },
      { customerId, id: `exp-${suffix}`, type: 'contract', action: 'expanded', arr: 45_000, occurredAt: now() },
      milestone(customerId, `m-${suffix}`),
    ];
    const first = await call('POST', '/v1/events/batch', { events });
    expect(first.status).toBe(202);
    expect(first.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const again = await call('POST', '/v1/events/batch', { events: [events[0], milestone(customerId, `m2-${suffix}`)] });
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'accepted']);
    // Written by the customer's workflow as it applies them, not by the API: waited for.
    const surveys = await until('the workflow to record the survey', async () => {
      const rows = await database.prisma.surveyResponse.findMany({ where: { customerId }, select: { survey: true, score: true } });
      return rows.length > 0 && rows;
    });
    expect(surveys).toEqual([{ survey: 'nps', score: 4 }]);
    const movements = await until('the workflow to record the expansion', async () => {
      const rows = await database.prisma.arrMovement.findMany({ where: { customerId }, orderBy: { kind: 'asc' } });
      return rows.length === 2 && rows;
    });
    expect(movements.map((m) => [m.kind, Number(m.amount)])).toEqual([
      ['expansion', 15_000],
      ['new', 30_000],
    ]);
  });

  it('applies a key two requests race for once, and nets ten raced contract changes to the final ARR', async () => {
    const customerId = await newCustomer();
    const suffix = uniqueSuffix();
    const handle = env.client.workflow.getHandle(customerWorkflowId(customerId));
    const renewal = { customerId, id: `renew-${suffix}`, type: 'contract', action: 'renewed', arr: 36_000, occurredAt: now() };
    const raced = await Promise.all([call('POST', '/v1/events', renewal), call('POST', '/v1/events', renewal)]);
    expect(raced.map((r) => r.status)).toEqual([202, 202]);
    expect(raced.map((r) => r.body.status).sort()).toEqual(['accepted', 'duplicate']);
    await until('the workflow to open the renewed term', async () => (await database.prisma.contract.count({ where: { customerId } })) === 2);
    // Ten changes at once, each its own request: no lock orders them, the one workflow applies them
    // one at a time, so each movement starts where the one before ended, whatever the order.
    const changes = Array.from({ length: 10 }, (_, i) => {
      const arr = 20_000 + ((i * 7_919) % 10) * 5_000; // ten different amounts, above and below 36,000
      return { customerId, id: `race-${i}-${suffix}`, type: 'contract', action: arr >= 36_000 ? 'expanded' : 'contracted', arr, occurredAt: now() };
    });
    const answers = await Promise.all(changes.map((change) => call('POST', '/v1/events', change)));
    expect(answers.map((r) => [r.status, r.body.status])).toEqual(changes.map(() => [202, 'accepted']));
    const applied = await until('the workflow to apply the ten changes', async () => {
      const state = await handle.query(getCarriedStateQuery);
      return changes.every((c) => state.seenEventIds[c.id] !== undefined) && state;
    });
    const finalArr = applied.facts.arr;
    const signedAmount = (m: { kind: string; amount: unknown }) => (m.kind === 'new' || m.kind === 'expansion' ? 1 : -1) * Number(m.amount);
    const movements = await until('the ledger to hold the ten changes', async () => {
      // Counted first: the ledger rows commit with their applied_events rows, so read after the
      // count they hold all ten (read before it, a transaction could commit in between).
      const appliedChanges = await database.prisma.appliedEvent.count({ where: { customerId, eventId: { in: changes.map((c) => c.id) } } });
      return appliedChanges === 10 && (await database.prisma.arrMovement.findMany({ where: { customerId } }));
    });
    expect(movements.reduce((sum, m) => sum + signedAmount(m), 0)).toBe(finalArr);
    expect(Number((await database.prisma.contract.findFirstOrThrow({ where: { customerId }, orderBy: { term: 'desc' } })).arr)).toBe(finalArr);
    expect(Number((await database.prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).arr)).toBe(finalArr);
    // A churn (sent twice with two ids) takes the ledger to zero once.
    for (const id of ['churn-1', 'churn-2']) {
      expect((await call('POST', '/v1/events', { customerId, id: `${id}-${suffix}`, type: 'contract', action: 'churned', occurredAt: now() })).status).toBe(
        202,
      );
    }
    const churns = await until('the workflow to record the churn', async () => {
      const state = await handle.query(getCarriedStateQuery);
      const rows = await database.prisma.arrMovement.findMany({ where: { customerId, kind: 'churn' } });
      return state.seenEventIds[`churn-2-${suffix}`] !== undefined && (await database.prisma.appliedEvent.count({ where: { customerId } })) === 13 && rows;
    });
    expect(churns.map((m) => Number(m.amount))).toEqual([finalArr]);
    const ledger = await database.prisma.arrMovement.findMany({ where: { customerId } });
    expect(ledger.reduce((sum, m) => sum + signedAmount(m), 0)).toBe(0);
  }, 300_000);

  it('signals together what concurrent requests send one customer, at most 100 events a signal, each applied', async () => {
    const customerId = await newCustomer();
    const handle = env.client.workflow.getHandle(customerWorkflowId(customerId));
    const eventSignals = async () =>
      ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === customerEventsSignal.name).length;
    const before = await eventSignals();
    const suffix = uniqueSuffix();
    const events = Array.from({ length: 150 }, (_, i) => ({
      id: `together-${i}-${suffix}`,
      type: 'usage' as const,
      logins: 1,
      keyFeaturesUsed: [],
      occurredAt: now(),
    }));
    // Three requests' events in one moment (40 + 50 + 60): one signal of 100, then one of 50.
    const signals = new CustomerSignals(env.client);
    await Promise.all([
      signals.send(customerId, events.slice(0, 40)),
      signals.send(customerId, events.slice(40, 90)),
      signals.send(customerId, events.slice(90)),
    ]);
    await until('the workflow to apply all 150', async () => {
      const state = await handle.query(getCarriedStateQuery);
      return events.every((e) => state.seenEventIds[e.id] !== undefined);
    });
    // Counted once applied: signals taken during a workflow task enter the history after it.
    expect((await eventSignals()) - before).toBe(2);
    // A customer no request waits for is forgotten: the map does not grow with the portfolio.
    expect((signals as unknown as { byCustomer: Map<string, unknown> }).byCustomer.size).toBe(0);
  });

  it('keeps one id sent for two customers as two events, each applied by its own customer', async () => {
    const [a, b] = [await newCustomer(), await newCustomer()];
    const ids = Array.from({ length: 30 }, (_, i) => `cross-${uniqueSuffix()}-${i}`);
    // Sixty signals at once can outlast the API's signal deadline on a busy machine: a 503 that says
    // the event is recorded is sent again (the README's advice), and then answered `duplicate`.
    const send = async (event: ReturnType<typeof milestone>): Promise<string> => {
      let answer = await call('POST', '/v1/events', event);
      for (let attempt = 0; answer.status === 503 && answer.body.details?.recorded === true && attempt < 5; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        answer = await call('POST', '/v1/events', event);
        if (answer.status === 202) return answer.body.status === 'duplicate' ? 'accepted' : `${answer.body.status} after a recorded 503`;
      }
      return answer.status === 202 ? answer.body.status : `${answer.status} ${answer.body.error}`;
    };
    const pairs = await Promise.all(ids.map((id) => Promise.all([send(milestone(a, id, 'setup_done')), send(milestone(b, id, 'setup_done'))])));
    expect(pairs).toEqual(ids.map(() => ['accepted', 'accepted']));
    // Idempotency keys are scoped per customer: each id is recorded and applied once for each.
    expect(await database.prisma.ingestedEvent.count({ where: { idempotencyKey: { in: ids } } })).toBe(60);
    for (const customerId of [a, b]) {
      const handle = env.client.workflow.getHandle(customerWorkflowId(customerId));
      await until(`${customerId}'s workflow to apply the 30 ids`, async () => {
        const state = await handle.query(getCarriedStateQuery);
        return ids.every((id) => state.seenEventIds[id] !== undefined);
      });
    }
    // Sent again, each is a duplicate for its own customer.
    const sent = await database.prisma.ingestedEvent.findFirstOrThrow({ where: { customerId: b, idempotencyKey: ids[0]! } });
    const again = await call('POST', '/v1/events', { customerId: b, ...(sent.payload as object) });
    expect(again).toMatchObject({ status: 202, body: { status: 'duplicate' } });
  }, 300_000);

  it('delivers the stored payload when one id is raced with two payloads for one customer', async () => {
    const customerId = await newCustomer();
    const handle = env.client.workflow.getHandle(customerWorkflowId(customerId));
    const usageWith = (id: string, logins: number) => ({ customerId, id, type: 'usage', logins, occurredAt: now() });
    for (let round = 0; round < 5; round += 1) {
      const id = `payload-${uniqueSuffix()}`;
      const answers = await Promise.all([call('POST', '/v1/events', usageWith(id, 3)), call('POST', '/v1/events', usageWith(id, 7))]);
      expect(answers.map((r) => r.status).sort()).toEqual([202, 409]);
      const row = await database.prisma.ingestedEvent.findFirstOrThrow({ where: { idempotencyKey: id } });
      const stored = (row.payload as { logins: number }).logins;
      const timeline = await until('the workflow to apply the usage', async () => {
        const entries = (await handle.query(getStateQuery)).timeline
          .filter((e) => e.kind === 'event' && e.cause.type === 'event' && e.cause.id === id)
          .map((e) => e.summary);
        return entries.length > 0 && entries;
      });
      expect(timeline).toEqual([`usage: ${stored} logins`]);
    }
  }, 300_000);

  it('shares one insert between concurrent requests, and one that fails fails only itself', async () => {
    const customerId = await newCustomer();
    const log = new SharedEventLog(database.prisma);
    const suffix = uniqueSuffix();
    const row = (id: string, of = customerId) => [
      { customerId: of, event: { id, type: 'milestone', milestone: 'setup_done', occurredAt: now() } as TCustomerEvent },
    ];
    // Added in one moment, the four share one statement; the row of a customer that does not exist
    // fails it (a foreign key), so each runs again alone, and only that one fails.
    const first = await Promise.allSettled([
      log.record(row(`a-${suffix}`), 'api', false),
      log.record(row(`b-${suffix}`), 'api', false),
      log.record(row(`c-${suffix}`, `nobody-${suffix}`), 'api', false),
      log.record(row(`b-${suffix}`), 'api', false),
    ]);
    expect(first.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const sizes = first.map((r) => (r.status === 'fulfilled' ? r.value.size : undefined));
    expect(sizes[0]).toBe(1);
    expect(sizes[1]! + sizes[3]!).toBe(1); // a key two requests race for is theirs once
    // One key twice in one shared statement that succeeds: inserted once, told to one of the two.
    const second = await Promise.all([log.record(row(`d-${suffix}`), 'api', false), log.record(row(`d-${suffix}`), 'api', false)]);
    expect(second.map((keys) => keys.size).sort()).toEqual([0, 1]);
    const stored = await database.prisma.ingestedEvent.findMany({
      where: { customerId, idempotencyKey: { endsWith: suffix } },
      select: { idempotencyKey: true },
    });
    expect(stored.map((r) => r.idempotencyKey).sort()).toEqual([`a-${suffix}`, `b-${suffix}`, `d-${suffix}`]);
  });

  it('finishes a creation whose workflow never started instead of answering 409', async () => {
    const customerId = `api-${uniqueSuffix()}`;
    // What a first attempt leaves when Temporal is away at the start: the row, no workflow.
    await database.prisma.customer.create({ data: { id: customerId, name: 'Half made', arr: 30_000 } });
    const retried = await call('POST', '/v1/customers', handoff(customerId));
    expect(retried).toMatchObject({ status: 201, body: { customerId } });
    expect((await env.client.workflow.getHandle(customerWorkflowId(customerId)).describe()).status.name).toBe('RUNNING');
    expect((await call('POST', '/v1/customers', handoff(customerId))).status).toBe(409);
  });

  it('delivers an event that was recorded but never delivered, without its sender retrying', async () => {
    const customerId = await newCustomer();
    const event = milestone(customerId, `stranded-${uniqueSuffix()}`, 'setup_done');
    const { customerId: _, ...payload } = event;
    // What a crash between recording and signalling leaves behind.
    await database.prisma.ingestedEvent.create({
      data: {
        idempotencyKey: event.id,
        customerId,
        type: 'milestone',
        payload,
        occurredAt: new Date(event.occurredAt),
        receivedAt: new Date(Date.now() - 120_000),
      },
    });
    // What the maintenance schedule's run does (no schedule is kept for this test's task queue).
    await redeliverPendingEvents({ prisma: database.prisma, client: env.client });
    await until(
      'the stranded event to be delivered',
      async () => (await database.prisma.ingestedEvent.findFirstOrThrow({ where: { idempotencyKey: event.id } })).deliveredAt !== null,
    );
    const handle = env.client.workflow.getHandle(customerWorkflowId(customerId));
    await until('the workflow to apply setup_done', async () => (await handle.query(getCarriedStateQuery)).facts.milestones.setup_done !== undefined);
    expect((await handle.query(getCarriedStateQuery)).facts.milestones.setup_done).toBeDefined();
  });

  it('puts off the events of a customer that is not running, so they never hold up the others', async () => {
    const [gone, running] = [await newCustomer(), await newCustomer()];
    await env.client.workflow.getHandle(customerWorkflowId(gone)).terminate('offboarded by hand');
    const suffix = uniqueSuffix();
    const stranded = (customerId: string, id: string, minutesAgo: number) => {
      const { customerId: _, ...payload } = milestone(customerId, id, 'setup_done');
      return { idempotencyKey: id, customerId, type: 'milestone', payload, occurredAt: new Date(), receivedAt: new Date(Date.now() - minutesAgo * 60_000) };
    };
    // Ten events of the terminated customer, older than the one of the running customer.
    await database.prisma.ingestedEvent.createMany({
      data: [...Array.from({ length: 10 }, (_, i) => stranded(gone, `gone-${i}-${suffix}`, 30 - i)), stranded(running, `alive-${suffix}`, 5)],
    });
    const only = { customerId: { in: [gone, running] } };
    const alive = () => database.prisma.ingestedEvent.findFirstOrThrow({ where: { idempotencyKey: `alive-${suffix}` } });
    // Four events a run: the first two runs meet only the terminated customer's and put them off;
    // before, every run met the same four and the running customer's event waited for ever. (Up to
    // ten runs: another test's leftovers may come first.)
    for (let run = 0; run < 10 && (await alive()).deliveredAt === null; run += 1) {
      const pending = await database.prisma.ingestedEvent.count({ where: { ...only, deliveredAt: null, deliveryRetryAt: null } });
      expect(pending).toBeGreaterThan(0);
      await redeliverPendingEvents({ prisma: database.prisma, client: env.client }, { limit: 4 });
    }
    expect((await alive()).deliveredAt).not.toBeNull();
    const putOff = await database.prisma.ingestedEvent.findMany({ where: { customerId: gone } });
    expect(putOff.every((row) => row.deliveredAt === null && row.deliveryRetryAt !== null && row.deliveryRetryAt.getTime() > Date.now())).toBe(true);
    // Once due, events never tried still come first (NULLS FIRST): one a run, the running customer's new one.
    const later = Date.now() + NOT_RUNNING_RETRY_MS + 1_000;
    await database.prisma.ingestedEvent.create({ data: stranded(running, `alive-again-${suffix}`, 2) });
    const aliveAgain = () => database.prisma.ingestedEvent.findFirstOrThrow({ where: { idempotencyKey: `alive-again-${suffix}` } });
    for (let run = 0; run < 10 && (await aliveAgain()).deliveredAt === null; run += 1) {
      await redeliverPendingEvents({ prisma: database.prisma, client: env.client }, { limit: 1, now: later });
    }
    expect((await aliveAgain()).deliveredAt).not.toBeNull();
    expect((await database.prisma.ingestedEvent.findMany({ where: { customerId: gone } })).every((row) => row.deliveryRetryAt!.getTime() < later)).toBe(true);
    // Then they are tried again, and all put off again while the customer is still not running.
    await redeliverPendingEvents({ prisma: database.prisma, client: env.client }, { limit: 1_000, now: later });
    const again = await database.prisma.ingestedEvent.findMany({ where: { customerId: gone } });
    expect(again.every((row) => row.deliveredAt === null && row.deliveryRetryAt!.getTime() >= later)).toBe(true);
    // The API puts a new event of that customer off as it answers that the customer is not running.
    const answer = await call('POST', '/v1/events', milestone(gone, `gone-new-${suffix}`, 'setup_done'));
    expect(answer).toMatchObject({ status: 503, body: { error: 'customer_not_running', details: { recorded: true } } });
    const fresh = await database.prisma.ingestedEvent.findFirstOrThrow({ where: { customerId: gone, idempotencyKey: `gone-new-${suffix}` } });
    expect(fresh.deliveryRetryAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it('lists tasks by assignee and completes one', async () => {
    const customerId = await newCustomer();
    // The onboarding kickoff play creates the CSM's first task.
    const tasks: { id: string; title: string; link: string }[] = await until('the kickoff task', async () => {
      const listed = (await call('GET', `/v1/tasks?assignee=dana@example.com&customerId=${customerId}`)).body.tasks;
      return listed.length > 0 && listed;
    });
    expect(tasks[0]).toMatchObject({ title: `Hold the kickoff with API customer ${customerId}`, link: `/v1/customers/${customerId}` });
    const done = await call('POST', `/v1/tasks/${tasks[0]!.id}/complete`, { by: 'dana@example.com' });
    expect(done).toMatchObject({ status: 200, body: { status: 'done' } });
    expect((await call('GET', `/v1/tasks?assignee=dana@example.com&customerId=${customerId}`)).body.tasks).toEqual([]);
  });

  it('keeps stakeholders and contract terms current from events', async () => {
    const customerId = await newCustomer();
    const suffix = uniqueSuffix();
    const renewedEnd = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString();
    await call('POST', '/v1/events/batch', {
      events: [
        { customerId, id: `left-${suffix}`, type: 'stakeholder', action: 'left', stakeholder: { id: 'c', name: 'Priya', role: 'champion' }, occurredAt: now() },
        {
          customerId,
          id: `new-${suffix}`,
          type: 'stakeholder',
          action: 'added',
          stakeholder: { id: 'd', name: 'Dev', role: 'champion', email: 'dev@acme.example' },
          occurredAt: now(),
        },
        { customerId, id: `renew-${suffix}`, type: 'contract', action: 'renewed', contractEnd: renewedEnd, arr: 33_000, occurredAt: now() },
      ],
    });
    // The customer's workflow writes these rows as it applies the events.
    await until('the workflow to write the three events', async () => (await database.prisma.appliedEvent.count({ where: { customerId } })) === 3);
    const people = await database.prisma.stakeholder.findMany({ where: { customerId }, orderBy: { stakeholderId: 'asc' } });
    expect(people.map((p) => [p.stakeholderId, p.role, p.engaged, p.leftAt !== null])).toEqual([
      ['c', 'champion', false, true],
      ['d', 'champion', false, false], // named, not yet engaged: that needs an engagement event
    ]);
    const terms = await database.prisma.contract.findMany({ where: { customerId }, orderBy: { term: 'asc' } });
    expect(terms.map((t) => [t.term, t.status, Number(t.arr), t.endsAt.toISOString()])).toEqual([
      [1, 'renewed', 30_000, expect.any(String)],
      [2, 'active', 33_000, renewedEnd],
    ]);
  });

  it('keeps a versioned success plan, editable by the team and shared read-only by link', async () => {
    const customerId = await newCustomer();
    const first = await call('GET', `/v1/customers/${customerId}/success-plan`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ version: 1, updatedBy: 'sales handoff', plan: { milestones: [{ name: 'kickoff_held' }, { name: 'first_value' }] } });
    const plan = {
      ...first.body.plan,
      objectives: [{ title: 'Dashboards live for ops', status: 'in_progress' }],
      risks: [{ description: 'Sponsor changes job', severity: 'high' }],
    };
    const saved = await call('PUT', `/v1/customers/${customerId}/success-plan`, { version: 1, by: 'dana@example.com', plan });
    expect(saved).toMatchObject({ status: 200, body: { version: 2, updatedBy: 'dana@example.com' } });
    expect(await call('PUT', `/v1/customers/${customerId}/success-plan`, { version: 1, by: 'lee@example.com', plan })).toMatchObject({
      status: 409,
      body: { error: 'plan_changed' },
    });
    const bad = await call('PUT', `/v1/customers/${customerId}/success-plan`, {
      version: 2,
      by: 'x',
      plan: { ...plan, risks: [{ description: 'y', severity: 'dire' }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.issues[0].path).toBe('plan.risks.0.severity');
    const shared = await call('GET', first.body.shareUrl, undefined, {});
    expect(shared).toMatchObject({
      status: 200,
      body: { customer: `API customer ${customerId}`, version: 2, plan: { objectives: [{ title: 'Dashboards live for ops' }] } },
    });
    expect((await call('GET', '/v1/shared/success-plans/not-a-real-token', undefined, {})).status).toBe(404);
    // A new link revokes the old one.
    const rotated = await call('POST', `/v1/customers/${customerId}/success-plan/share-link`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.shareUrl).not.toBe(first.body.shareUrl);
    expect((await call('GET', first.body.shareUrl, undefined, {})).status).toBe(404);
    expect((await call('GET', rotated.body.shareUrl, undefined, {})).status).toBe(200);
  });

  it('reports portfolio metrics from the stored components', async () => {
    const metrics = await call('GET', '/v1/metrics?days=30');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatchObject({ period: { days: 30 }, nps: { responses: expect.any(Number) }, health: expect.any(Object) });
    expect(metrics.body.arr.total).toBeGreaterThan(0);
    expect(metrics.body.nps.detractors).toBeGreaterThanOrEqual(1); // the NPS 4 sent above
    expect(metrics.body.booksOfBusiness[0]).toMatchObject({ csmOwner: 'dana@example.com' });
    expect((await call('GET', '/v1/metrics?days=0')).status).toBe(422);
  });

  it('serves its OpenAPI document', async () => {
    const doc = await call('GET', '/v1/openapi.json', undefined, {});
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/events',
        '/v1/events/batch',
        '/v1/customers',
        '/v1/customers/{customerId}',
        '/v1/customers/{customerId}/success-plan',
        '/v1/tasks',
        '/v1/metrics',
        '/v1/segment/batch',
      ]),
    );
    // The event and the customer are described field by field, bounds included, not as {}.
    const { schemas, securitySchemes } = doc.body.components;
    expect(schemas.CustomerEvent.oneOf.map((s: any) => s.properties.type.enum[0]).sort()).toEqual([
      'contract',
      'milestone',
      'payment',
      'stakeholder',
      'survey',
      'ticket',
      'usage',
    ]);
    const usage = schemas.CustomerEvent.oneOf.find((s: any) => s.properties.type.enum[0] === 'usage');
    expect(usage.properties.keyFeaturesUsed).toMatchObject({ maxItems: 200, items: { maxLength: 100 } });
    expect(usage.properties.occurredAt.description).toMatch(/at most a day ahead/);
    expect(Object.keys(schemas.CustomerView.properties)).toEqual(
      expect.arrayContaining(['viewVersion', 'customer', 'stage', 'health', 'timeline', 'upcomingTimers']),
    );
    expect(schemas.CustomerView.properties.timeline).toMatchObject({ maxItems: 50 });
    expect(Object.keys(securitySchemes).sort()).toEqual(['apiKeyHeader', 'bearer', 'segmentWriteKey', 'signedBody']);
  });

  describe('bad input is answered with what is wrong and where, and records nothing', () => {
    let customerId: string;
    beforeAll(async () => {
      customerId = await newCustomer();
    });

    it.each<[string, () => unknown, number, RegExp]>([
      ['not JSON', () => '{"customerId": ', 400, /malformed_json/],
      ['no customerId', () => ({ id: 'x1', type: 'milestone', milestone: 'a', occurredAt: now() }), 422, /customerId/],
      [
        'an unknown event type',
        () => ({ customerId, id: 'x2', type: 'mood', occurredAt: now() }),
        422,
        /"path":"type","message":"unknown event type \\"mood\\"/,
      ],
      ['an NPS of 11', () => ({ customerId, id: 'x3', type: 'survey', survey: 'nps', score: 11, occurredAt: now() }), 422, /score: score out of range/],
      ['a date without a time zone', () => ({ customerId, id: 'x4', type: 'milestone', milestone: 'a', occurredAt: '2026-11-24 10:00' }), 422, /occurredAt/],
      [
        'a milestone not in snake case',
        () => ({ customerId, id: 'x5', type: 'milestone', milestone: 'Kick Off', occurredAt: now() }),
        422,
        /milestone: use lower_snake_case/,
      ],
      ['an unknown field', () => ({ customerId, id: 'x6', type: 'payment', status: 'late', occurredAt: now(), extra: 1 }), 422, /extra/],
      ['an unknown customer', () => milestone('nobody-here', 'x7'), 404, /unknown customer: nobody-here/],
      ['a body over the limit', () => ({ ...milestone(customerId, 'x8'), padding: 'x'.repeat(70 * 1024) }), 413, /payload_too_large/],
      // Each answered with the field, not "(body): Invalid input" for the union as a whole.
      [
        'logins as a string',
        () => ({ customerId, id: 'x9', type: 'usage', logins: '3', occurredAt: now() }),
        422,
        /"path":"logins","message":"Invalid input: expected number/,
      ],
      [
        'an unknown severity',
        () => ({ customerId, id: 'x10', type: 'ticket', ticketId: 't', action: 'opened', severity: 'critical', occurredAt: now() }),
        422,
        /"path":"severity"/,
      ],
      ['an unknown payment status', () => ({ customerId, id: 'x11', type: 'payment', status: 'paid', occurredAt: now() }), 422, /"path":"status"/],
      ['no id', () => ({ customerId, type: 'milestone', milestone: 'a', occurredAt: now() }), 422, /"path":"id"/],
      ['a NUL in the id', () => ({ ...milestone(customerId, 'x12\u0000'), id: 'x12\u0000' }), 422, /"path":"id","message":"must not contain a NUL/],
      [
        'a NUL in a text field',
        () => ({ customerId, id: 'x13', type: 'ticket', ticketId: 't', action: 'opened', severity: 'low', subject: 'a\u0000b', occurredAt: now() }),
        422,
        /"path":"subject"/,
      ],
      [
        'a lone surrogate',
        () => `{"customerId":"${customerId}","id":"x14\\ud800","type":"milestone","milestone":"a","occurredAt":"${now()}"}`,
        422,
        /"path":"id","message":"must not contain an unpaired/,
      ],
      ['a contract ARR of 1e13', () => ({ customerId, id: 'x15', type: 'contract', action: 'expanded', arr: 1e13, occurredAt: now() }), 422, /"path":"arr"/],
      [
        'a date in year 9999',
        () => ({ ...milestone(customerId, 'x16'), occurredAt: '9999-12-31T00:00:00Z' }),
        422,
        /"path":"occurredAt","message":"must not be more than a day in the future/,
      ],
      [
        'a date in year 1',
        () => ({ ...milestone(customerId, 'x17'), occurredAt: '0001-01-01T00:00:00Z' }),
        422,
        /"path":"occurredAt","message":"must not be before 2000/,
      ],
      [
        'a date long before the contract',
        () => ({ ...milestone(customerId, 'x18'), occurredAt: '2020-01-01T00:00:00Z' }),
        422,
        /"path":"occurredAt","message":"must not be more than a year before the contract start/,
      ],
      [
        '201 feature names',
        () => ({ customerId, id: 'x19', type: 'usage', logins: 1, keyFeaturesUsed: Array.from({ length: 201 }, (_, i) => `f${i}`), occurredAt: now() }),
        422,
        /"path":"keyFeaturesUsed"/,
      ],
      [
        'a feature name of 101 characters',
        () => ({ customerId, id: 'x20', type: 'usage', logins: 1, keyFeaturesUsed: ['f'.repeat(101)], occurredAt: now() }),
        422,
        /"path":"keyFeaturesUsed.0"/,
      ],
      ['ten million and one logins', () => ({ customerId, id: 'x21', type: 'usage', logins: 10_000_001, occurredAt: now() }), 422, /"path":"logins"/],
    ])('%s', async (_, body, status, message) => {
      const response = await call('POST', '/v1/events', body());
      expect(response.status).toBe(status);
      expect(JSON.stringify(response.body)).toMatch(message);
      expect(await database.prisma.ingestedEvent.count({ where: { idempotencyKey: { startsWith: 'x' } } })).toBe(0);
    });

    // The look-up and the insert are one statement when the whole batch can be recorded; a batch
    // with one event it must refuse falls back to the look-up alone, and records none of the rest.
    it.each<[string, (reusedId: string) => unknown, number, RegExp]>([
      ['one unknown customer', () => milestone('nobody-here', 'y3'), 404, /unknown customer: nobody-here/],
      ['one event long before the contract', () => ({ ...milestone(customerId, 'y3'), occurredAt: '2020-01-01T00:00:00Z' }), 422, /events\.2\.occurredAt/],
      [
        'one id already used for another event',
        (reusedId) => ({ ...milestone(customerId, reusedId), milestone: 'something_else' }),
        409,
        /idempotency_key_reused/,
      ],
    ])('a batch with %s records none of its events', async (_, odd, status, message) => {
      const reusedId = `y-used-${uniqueSuffix()}`;
      expect((await call('POST', '/v1/events', milestone(customerId, reusedId))).status).toBe(202);
      const response = await call('POST', '/v1/events/batch', { events: [milestone(customerId, 'y1'), milestone(customerId, 'y2'), odd(reusedId)] });
      expect(response.status).toBe(status);
      expect(JSON.stringify(response.body)).toMatch(message);
      expect(await database.prisma.ingestedEvent.count({ where: { customerId, idempotencyKey: { in: ['y1', 'y2', 'y3'] } } })).toBe(0);
    });

    it.each<[string, Record<string, string>, string, number, RegExp]>([
      ['plain text instead of JSON', { 'content-type': 'text/plain' }, '{}', 415, /unsupported_media_type/],
      ['no content type', {}, '{}', 415, /Content-Type: application\/json/],
      ['an empty JSON body', { 'content-type': 'application/json' }, '', 400, /malformed_json/],
    ])('%s', async (_, headers, body, status, message) => {
      const response = await fetch(`${api.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body });
      expect(response.status).toBe(status);
      expect(await response.text()).toMatch(message);
    });

    it.each<[string, string, string, unknown, number, RegExp]>([
      ['an empty batch', 'POST', '/v1/events/batch', { events: [] }, 422, /"path":"events"/],
      ['a batch over 500', 'POST', '/v1/events/batch', { events: Array.from({ length: 501 }, () => ({})) }, 422, /"path":"events"/],
      ['a batch that is not a list', 'POST', '/v1/events/batch', { events: 'all of them' }, 422, /"path":"events"/],
      ['a handoff ARR of 1e13', 'POST', '/v1/customers', { ...handoff('big-arr'), arr: 1e13 }, 422, /"path":"arr"/],
      [
        'a handoff with 101 stakeholders',
        'POST',
        '/v1/customers',
        { ...handoff('many'), stakeholders: Array.from({ length: 101 }, (_, i) => ({ id: `s${i}`, name: 'S', role: 'user' })) },
        422,
        /"path":"stakeholders"/,
      ],
      ['a handoff name of 201 characters', 'POST', '/v1/customers', { ...handoff('long'), name: 'n'.repeat(201) }, 422, /"path":"name"/],
      [
        'a NUL in a success plan',
        'PUT',
        '/v1/customers/nobody-here/success-plan',
        { version: 1, by: 'x', plan: { objectives: [{ title: 'a\u0000b' }] } },
        422,
        /"path":"plan.objectives.0.title"/,
      ],
      ['a NUL in who completes a task', 'POST', '/v1/tasks/00000000-0000-4000-8000-000000000000/complete', { by: 'a\u0000' }, 422, /"path":"by"/],
      ['a timeline cursor this API never gave out', 'GET', '/v1/customers/nobody-here/timeline?cursor=bm9wZQ', undefined, 422, /"path":"cursor"/],
      [
        'a handoff without ARR',
        'POST',
        '/v1/customers',
        { customerId: 'no-arr', name: 'X', contractStart: '2026-11-01T00:00:00Z', contractEnd: '2027-11-01T00:00:00Z', stakeholders: [] },
        422,
        /"path":"arr"/,
      ],
      ['a customer id with a slash', 'GET', '/v1/customers/a%2Fb', undefined, 422, /customerId/],
      ['an unknown customer', 'GET', '/v1/customers/nobody-here', undefined, 404, /unknown_customer/],
      ['the timeline of an unknown customer', 'GET', '/v1/customers/nobody-here/timeline', undefined, 404, /unknown_customer/],
      ['the plan of an unknown customer', 'GET', '/v1/customers/nobody-here/success-plan', undefined, 404, /unknown_customer/],
      ['a plan saved without a version', 'PUT', '/v1/customers/nobody-here/success-plan', { by: 'x', plan: {} }, 422, /"path":"version"/],
      ['tasks in an unknown status', 'GET', '/v1/tasks?status=later', undefined, 422, /"path":"status"/],
      ['completing a task that is not a uuid', 'POST', '/v1/tasks/42/complete', { by: 'dana' }, 422, /"path":"taskId"/],
      ['completing an unknown task', 'POST', '/v1/tasks/00000000-0000-4000-8000-000000000000/complete', { by: 'dana' }, 404, /unknown_task/],
      ['completing a task without saying who', 'POST', '/v1/tasks/00000000-0000-4000-8000-000000000000/complete', {}, 422, /"path":"by"/],
      ['metrics over 0 days', 'GET', '/v1/metrics?days=0', undefined, 422, /"path":"days"/],
      ['metrics over "a while"', 'GET', '/v1/metrics?days=a%20while', undefined, 422, /"path":"days"/],
      ['a Segment track without an event name', 'POST', '/v1/segment/track', { type: 'track', userId: 'u1', messageId: 'm1' }, 422, /"path":"event"/],
      ['a Segment body that is not a batch', 'POST', '/v1/segment/batch', { batch: { type: 'screen', userId: 'u1' } }, 422, /"path":"batch"/],
    ])('%s: %s %s answers %d naming the field', async (_, method, path, body, status, message) => {
      const response = await call(method, path, body);
      expect(response.status).toBe(status);
      expect(JSON.stringify(response.body)).toMatch(message);
    });

    it('refuses a body that is not valid UTF-8 instead of turning its bytes into U+FFFD', async () => {
      const json = Buffer.from(JSON.stringify(milestone(customerId, 'x-utf8-ZZ')), 'utf8');
      const at = json.indexOf('ZZ');
      json[at] = 0xff; // never valid in UTF-8
      json[at + 1] = 0xfe;
      const response = await fetch(`${api.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: json,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_utf8' });
      expect(await database.prisma.ingestedEvent.count({ where: { idempotencyKey: { startsWith: 'x-utf8' } } })).toBe(0);
    });

    it('counts a body without a Content-Length (chunked) against the limit as it arrives', async () => {
      const chunked = (text: string) =>
        fetch(`${api.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: new ReadableStream({
            start(controller) {
              for (let i = 0; i < text.length; i += 16 * 1024) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 16 * 1024)));
              controller.close();
            },
          }),
          duplex: 'half',
        } as RequestInit).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));
      const big = await chunked(JSON.stringify({ ...milestone(customerId, `chunked-big-${uniqueSuffix()}`), padding: 'x'.repeat(70 * 1024) }));
      expect(big).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
      const small = await chunked(JSON.stringify(milestone(customerId, `chunked-${uniqueSuffix()}`)));
      expect(small).toMatchObject({ status: 202, body: { status: 'accepted' } });
    });

    it('names the repeated id inside a batch', async () => {
      const event = milestone(customerId, `twice-${uniqueSuffix()}`);
      const response = await call('POST', '/v1/events/batch', { events: [event, milestone(customerId, 'other'), event] });
      expect(response.status).toBe(422);
      expect(response.body.issues).toContainEqual({ path: 'events.2.id', message: expect.stringContaining('appears twice') });
    });

    it('checks the scope before the body: a read-only key posting anything gets 403', async () => {
      for (const body of [{ nonsense: true }, 'not json at all']) {
        expect((await call('POST', '/v1/events', body, { authorization: `Bearer ${readOnlyKey}` })).status).toBe(403);
      }
      expect((await call('POST', '/v1/customers', {}, { authorization: `Bearer ${readOnlyKey}` })).status).toBe(403);
    });

    it('pages through a long timeline with a cursor', async () => {
      const events = Array.from({ length: 30 }, (_, i) => ({ ...milestone(customerId, `page-${uniqueSuffix()}-${i}`, `page_${i}`) }));
      // 503 with Retry-After means "not taken, send again" (see the README), which a busy CI machine can
      // answer; the ids make the resend safe.
      let sent = await call('POST', '/v1/events/batch', { events });
      for (let attempt = 0; sent.status === 503 && attempt < 5; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        sent = await call('POST', '/v1/events/batch', { events });
      }
      expect(sent.status).toBe(202);
      await until(
        'the milestones to reach the timeline',
        async () => (await database.prisma.timelineEntry.count({ where: { customerId, kind: 'event' } })) >= 30,
      );
      // And the workflow done writing what they caused (health, stage): the timeline holds still.
      await until('the timeline to settle', async () => {
        const before = await database.prisma.timelineEntry.count({ where: { customerId } });
        await new Promise((r) => setTimeout(r, 1_000));
        return before === (await database.prisma.timelineEntry.count({ where: { customerId } }));
      });
      const all = await database.prisma.timelineEntry.findMany({ where: { customerId }, orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }] });
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page += 1) {
        const response = await call('GET', `/v1/customers/${customerId}/timeline?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.status).toBe(200);
        seen.push(...response.body.entries.map((e: { summary: string; occurredAt: string }) => `${e.occurredAt} ${e.summary}`));
        cursor = response.body.nextCursor;
        if (!cursor) break;
      }
      expect(seen).toEqual(all.map((e) => `${e.occurredAt.toISOString()} ${e.summary}`));
    });

    it('names the field inside a batch', async () => {
      const response = await call('POST', '/v1/events/batch', {
        events: [milestone(customerId, 'ok-1'), { customerId, id: 'bad', type: 'survey', survey: 'nps', score: -1, occurredAt: now() }],
      });
      expect(response.status).toBe(422);
      expect(response.body.issues).toContainEqual({ path: 'events.1.score', message: expect.stringContaining('out of range') });
    });

    it('refuses an id reused for another event with 409', async () => {
      const id = `reuse-${uniqueSuffix()}`;
      expect((await call('POST', '/v1/events', milestone(customerId, id))).status).toBe(202);
      const response = await call('POST', '/v1/events', { customerId, id, type: 'payment', status: 'late', occurredAt: now() });
      expect(response).toMatchObject({ status: 409, body: { error: 'idempotency_key_reused' } });
    });

    it('names the handoff field that is wrong', async () => {
      const response = await call('POST', '/v1/customers', { ...handoff(`h-${uniqueSuffix()}`), stakeholders: [{ id: 'c', name: 'P', role: 'ceo' }] });
      expect(response.status).toBe(422);
      expect(response.body.issues[0].path).toBe('stakeholders.0.role');
    });
  });

  describe('auth', () => {
    let customerId: string;
    beforeAll(async () => {
      customerId = await newCustomer();
    });
    const signedHeaders = (body: string, secret = INGEST_SECRET) => ({
      [`x-cs-signature`]: signWebhook({ secret, timestamp: Math.floor(Date.now() / 1000), body }),
    });

    it.each<[string, string, number, () => Record<string, string>]>([
      ['no key', 'GET /v1/tasks', 401, () => ({})],
      ['an unknown key', 'GET /v1/tasks', 401, () => ({ authorization: 'Bearer csk_not-a-real-key' })],
      ['a revoked key', 'GET /v1/tasks', 403, () => ({ authorization: `Bearer ${revokedKey}` })],
      ['a read-only key sending an event', 'POST /v1/events', 403, () => ({ authorization: `Bearer ${readOnlyKey}` })],
      ['a read-only key reading', 'GET /v1/tasks', 200, () => ({ authorization: `Bearer ${readOnlyKey}` })],
      ['the key in x-api-key', 'GET /v1/tasks', 200, () => ({ 'x-api-key': key })],
    ])('%s: %s answers %d', async (_, route, status, headers) => {
      const [method, path] = route.split(' ') as [string, string];
      const body = method === 'POST' ? milestone(customerId, `auth-${uniqueSuffix()}`) : undefined;
      expect((await call(method, path, body, headers())).status).toBe(status);
    });

    it.each<[string, string, string]>([
      ['POST', '/v1/events', 'events:write'],
      ['POST', '/v1/events/batch', 'events:write'],
      ['POST', '/v1/segment/track', 'events:write'],
      ['POST', '/v1/segment/batch', 'events:write'],
      ['POST', '/v1/customers', 'customers:write'],
      ['GET', '/v1/customers/nobody-here', 'read'],
      ['GET', '/v1/customers/nobody-here/timeline', 'read'],
      ['GET', '/v1/customers/nobody-here/success-plan', 'read'],
      ['PUT', '/v1/customers/nobody-here/success-plan', 'customers:write'],
      ['POST', '/v1/customers/nobody-here/success-plan/share-link', 'customers:write'],
      ['GET', '/v1/tasks', 'read'],
      ['POST', '/v1/tasks/00000000-0000-4000-8000-000000000000/complete', 'tasks:write'],
      ['GET', '/v1/metrics', 'read'],
    ])('%s %s needs the scope %s', async (method, path, scope) => {
      const others = API_SCOPES.filter((s) => s !== scope);
      const lacking = await createApiKey(database.prisma, `lacks-${uniqueSuffix()}`, others);
      const response = await call(method, path, method === 'GET' ? undefined : {}, { authorization: `Bearer ${lacking}` });
      expect(response).toMatchObject({ status: 403, body: { error: 'missing_scope', message: expect.stringContaining(scope) } });
    });

    it('accepts an event body signed with the ingest secret instead of a key, and refuses a bad signature', async () => {
      const body = JSON.stringify(milestone(customerId, `signed-${uniqueSuffix()}`));
      expect((await call('POST', '/v1/events', body, signedHeaders(body))).status).toBe(202);
      expect((await call('POST', '/v1/events', body, signedHeaders(body, 'another-secret-entirely'))).status).toBe(401);
      expect((await call('GET', '/v1/tasks', undefined, signedHeaders(''))).status).toBe(401);
    });
  });
});
