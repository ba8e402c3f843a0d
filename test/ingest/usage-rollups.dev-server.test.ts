/**
 * Rolled-up usage end to end (dev server, PostgreSQL, the API as its own process with
 * `USAGE_ROLLUP_SECONDS=60`): 3,000 Segment tracks (and some page and screen views) over two days
 * of occurrence are answered at once and signal nothing; one maintenance flush adds one signal to
 * the customer's history; and the customer knows exactly what a twin customer sent the same events
 * one by one knows. A flush that dies after signalling is redelivered under the same ids and
 * changes nothing.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApiKey } from '../../src/api/api-keys';
import type { Database } from '../../src/db/database';
import type { TCustomerEvent } from '../../src/domain/customer-events';
import { customerWorkflowId } from '../../src/domain/ids';
import { acceptEvents } from '../../src/ingest/accept-events';
import { createCustomer } from '../../src/ingest/create-customer';
import { assignUsageRollups, deliverUsageRollups } from '../../src/ingest/usage-rollups';
import { getCarriedStateQuery } from '../../workflows/messages';
import { handoff } from '../support/customers';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { uniqueSuffix } from '../support/servers';
import { until } from '../support/until';

const TRACKS = 3_000;
const WINDOW_MS = 60_000;

describe('rolled-up usage (API process with USAGE_ROLLUP_SECONDS=60, dev server, PostgreSQL)', () => {
  let stack: ApiStack;
  let env: TestWorkflowEnvironment;
  let database: Database;
  let key: string;
  beforeAll(async () => {
    stack = await startApiStack('rollups', { usageRollupSeconds: 60 });
    ({ env, database } = stack);
    key = await createApiKey(database.prisma, 'rollup-source', ['events:write']);
  }, 120_000);
  afterAll(() => stack?.stop());

  const segment = (kind: string, body: unknown) =>
    fetch(`${stack.api.url}/v1/segment/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: JSON.stringify(body),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, any> }));

  const signalsIn = async (customerId: string): Promise<number> => {
    const history = await env.client.workflow.getHandle(customerWorkflowId(customerId)).fetchHistory();
    return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
  };
  const factsOf = async (customerId: string) => (await env.client.workflow.getHandle(customerWorkflowId(customerId)).query(getCarriedStateQuery)).facts;
  const usageFacts = (facts: Awaited<ReturnType<typeof factsOf>>) => ({
    dailyLogins: facts.dailyLogins,
    lastLoginAt: facts.lastLoginAt,
    keyFeaturesUsed: facts.keyFeaturesUsed,
    activeUsers: facts.activeUsers,
    seatsUsed: facts.seatsUsed,
    seatsPurchased: facts.seatsPurchased,
  });

  it('adds one signal for 3,000 tracks, and the customer knows what one-by-one delivery tells', async () => {
    const now = Date.now();
    const [rolled, twin] = [handoff({ startAt: now - 30 * 86_400_000 }), handoff({ startAt: now - 30 * 86_400_000 })];
    for (const customer of [rolled, twin]) await createCustomer({ prisma: database.prisma, client: env.client, taskQueue: stack.taskQueue }, customer);
    await until(
      'both customers written by their workflows',
      async () => (await database.prisma.customer.count({ where: { id: { in: [rolled.customerId, twin.customerId] } } })) === 2,
    );

    const userId = `rollup-user-${uniqueSuffix()}`;
    expect((await segment('group', { type: 'group', userId, groupId: rolled.customerId, messageId: `g-${userId}` })).status).toBe(200);
    const signalsBefore = await signalsIn(rolled.customerId);

    // Yesterday and today: two days of logins, so two rolled-up events, still one signal.
    const yesterday = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate()) - 86_400_000;
    const features = ['reports', 'alerts', 'api', 'exports', 'sso'];
    const messages = Array.from({ length: TRACKS }, (_, i) => {
      const timestamp = new Date(Math.min(now - 1_000, yesterday + Math.floor((i / TRACKS) * 1.8 * 86_400_000))).toISOString();
      const common = { userId, messageId: `m-${userId}-${i}`, timestamp };
      if (i % 50 === 7) return { ...common, type: 'page', name: 'Dashboard', properties: { feature: 'dashboards' } };
      if (i % 50 === 9) return { ...common, type: 'screen', name: 'Home' };
      return i % 3 === 0
        ? { ...common, type: 'track', event: 'Logged In' }
        : { ...common, type: 'track', event: 'Feature Used', properties: { feature: features[i % features.length] } };
    });
    const logins = messages.filter((m) => 'event' in m && m.event === 'Logged In').length;
    for (let i = 0; i < messages.length; i += 500) {
      const answer = await segment('batch', { batch: messages.slice(i, i + 500) });
      expect(answer).toMatchObject({ status: 200, body: { accepted: 500, duplicates: 0 } });
    }
    // A Segment retry of the last flush: all repeats, counted once.
    expect(await segment('batch', { batch: messages.slice(-500) })).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 500 } });

    const rows = await database.prisma.ingestedEvent.findMany({
      where: { customerId: rolled.customerId, source: 'segment' },
      orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
    });
    expect(rows).toHaveLength(TRACKS);
    expect(rows.every((r) => r.type === 'usage' && r.viaRollup && r.rollupId === null && r.deliveredAt === null)).toBe(true);
    expect(await signalsIn(rolled.customerId)).toBe(signalsBefore);

    // The twin receives the same events one by one (five signals of 100 per request of 500).
    const raw = rows.map((r) => r.payload as unknown as TCustomerEvent);
    for (let i = 0; i < raw.length; i += 500) {
      await acceptEvents(
        { prisma: database.prisma, client: env.client },
        raw.slice(i, i + 500).map((event) => ({ customerId: twin.customerId, event })),
        'segment',
      );
    }

    // The maintenance run, after the window closed (as the schedule's activity calls it).
    const flushAt = now + 2 * WINDOW_MS;
    expect(await assignUsageRollups(database.prisma, { windowMs: WINDOW_MS, now: flushAt })).toBe(TRACKS);
    const delivered = await deliverUsageRollups({ prisma: database.prisma, client: env.client }, { windowMs: WINDOW_MS });
    expect(delivered).toBe(2);
    const assigned = await database.prisma.ingestedEvent.groupBy({ by: ['rollupId'], where: { customerId: rolled.customerId }, _count: { _all: true } });
    expect(assigned.map((a) => a._count._all).reduce((a, b) => a + b, 0)).toBe(TRACKS);
    expect(assigned).toHaveLength(2);
    expect(await database.prisma.ingestedEvent.count({ where: { customerId: rolled.customerId, deliveredAt: null } })).toBe(0);
    const signalsAdded = (await signalsIn(rolled.customerId)) - signalsBefore;
    expect(signalsAdded).toBeLessThanOrEqual(2);
    expect(signalsAdded).toBe(1);

    const expected = await until('the twin to apply every event one by one', async () => {
      const facts = await factsOf(twin.customerId);
      return Object.values(facts.dailyLogins).reduce((a, b) => a + b, 0) === logins && facts.keyFeaturesUsed.length === features.length + 1 && facts;
    });
    const actual = await until('the rolled-up customer to apply its rollups', async () => {
      const facts = await factsOf(rolled.customerId);
      return Object.values(facts.dailyLogins).reduce((a, b) => a + b, 0) === logins && facts;
    });
    expect(usageFacts(actual)).toEqual(usageFacts(expected));
    expect(Object.keys(actual.dailyLogins).length).toBeGreaterThanOrEqual(2);

    // A run that signalled and died before marking: the next one signals the same ids again, and
    // the workflow ignores them. A milestone after them shows they were processed.
    await database.prisma.ingestedEvent.updateMany({ where: { customerId: rolled.customerId, source: 'segment' }, data: { deliveredAt: null } });
    expect(await deliverUsageRollups({ prisma: database.prisma, client: env.client }, { windowMs: WINDOW_MS })).toBe(2);
    const marker = { id: `after-redelivery-${uniqueSuffix()}`, type: 'milestone' as const, milestone: 'rollup_marker', occurredAt: new Date().toISOString() };
    await acceptEvents({ prisma: database.prisma, client: env.client }, [{ customerId: rolled.customerId, event: marker }]);
    const after = await until('the marker applied after the redelivered rollups', async () => {
      const facts = await factsOf(rolled.customerId);
      return facts.milestones.rollup_marker !== undefined && facts;
    });
    expect(usageFacts(after)).toEqual(usageFacts(expected));
  }, 300_000);

  it("puts off a terminated customer's rollups, so they never hold up another's", async () => {
    const [gone, running] = [handoff({ startAt: Date.now() - 86_400_000 }), handoff({ startAt: Date.now() - 86_400_000 })];
    for (const customer of [gone, running]) await createCustomer({ prisma: database.prisma, client: env.client, taskQueue: stack.taskQueue }, customer);
    await env.client.workflow.getHandle(customerWorkflowId(gone.customerId)).terminate('offboarded by hand');
    const usageRow = (customerId: string, id: string, minutesAgo: number) => {
      const event = { id, type: 'usage' as const, logins: 2, activeUsers: 7, keyFeaturesUsed: [], occurredAt: new Date().toISOString() };
      return {
        idempotencyKey: id,
        customerId,
        type: 'usage',
        payload: event,
        occurredAt: new Date(event.occurredAt),
        receivedAt: new Date(Date.now() - minutesAgo * 60_000),
        viaRollup: true,
      };
    };
    // The terminated customer's usage in three earlier windows, each its own rollup, then the running one's.
    for (const minutesAgo of [40, 30, 20]) {
      await database.prisma.ingestedEvent.create({ data: usageRow(gone.customerId, `gone-${minutesAgo}`, minutesAgo) });
      await assignUsageRollups(database.prisma, { windowMs: WINDOW_MS, now: Date.now() - (minutesAgo - 5) * 60_000 });
    }
    await database.prisma.ingestedEvent.create({ data: usageRow(running.customerId, 'alive', 10) });
    await assignUsageRollups(database.prisma, { windowMs: WINDOW_MS, now: Date.now() });
    // One rollup a run: the first three runs meet the terminated customer's and put each off.
    const alive = () => database.prisma.ingestedEvent.findFirstOrThrow({ where: { customerId: running.customerId, idempotencyKey: 'alive' } });
    for (let run = 0; run < 6 && (await alive()).deliveredAt === null; run += 1) {
      await deliverUsageRollups({ prisma: database.prisma, client: env.client }, { windowMs: WINDOW_MS, limit: 1 });
    }
    expect((await alive()).deliveredAt).not.toBeNull();
    await until('the rolled-up usage', async () => (await factsOf(running.customerId)).activeUsers === 7);
    const putOff = await database.prisma.ingestedEvent.findMany({ where: { customerId: gone.customerId } });
    expect(putOff).toHaveLength(3);
    expect(putOff.every((row) => row.deliveredAt === null && row.rollupId !== null && row.deliveryRetryAt!.getTime() > Date.now())).toBe(true);
  }, 180_000);

  it('sends other event types at once, and a usage event of the API on the next flush', async () => {
    const customer = handoff({ startAt: Date.now() - 86_400_000 });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue: stack.taskQueue }, customer);
    const post = (events: unknown[]) =>
      fetch(`${stack.api.url}/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ events }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, any> }));
    const at = new Date().toISOString();
    const answer = await post([
      { customerId: customer.customerId, id: 'usage-1', type: 'usage', logins: 4, activeUsers: 12, occurredAt: at },
      { customerId: customer.customerId, id: 'kickoff', type: 'milestone', milestone: 'kickoff_done', occurredAt: at },
    ]);
    expect(answer).toMatchObject({ status: 202 });
    const rows = await database.prisma.ingestedEvent.findMany({ where: { customerId: customer.customerId }, orderBy: { idempotencyKey: 'asc' } });
    expect(rows.map((r) => [r.idempotencyKey, r.viaRollup, r.deliveredAt !== null])).toEqual([
      ['kickoff', false, true],
      ['usage-1', true, false],
    ]);
    await until('the milestone, sent at once', async () => (await factsOf(customer.customerId)).milestones.kickoff_done !== undefined);
    expect((await factsOf(customer.customerId)).activeUsers).toBeUndefined();

    // Received in a window that has not closed: left for the next flush.
    expect(await assignUsageRollups(database.prisma, { windowMs: 3_600_000 * 24, now: Date.now() })).toBe(0);
    await assignUsageRollups(database.prisma, { windowMs: WINDOW_MS, now: Date.now() + 2 * WINDOW_MS });
    await deliverUsageRollups({ prisma: database.prisma, client: env.client }, { windowMs: WINDOW_MS });
    await until('the rolled-up usage', async () => (await factsOf(customer.customerId)).activeUsers === 12);
  }, 180_000);

  it('counts each event toward the day it is dated with its offset, as one by one would', async () => {
    const customer = handoff({ startAt: Date.now() - 2 * 86_400_000 });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue: stack.taskQueue }, customer);
    // One instant written three ways: -12:00 and +14:00 are 26 hours apart, so they always name two
    // dates, and the UTC date is one of them or a third.
    const instant = Date.now() - 3_600_000;
    const written = (offsetHours: number) => {
      const local = new Date(instant + offsetHours * 3_600_000).toISOString().slice(0, 19);
      return offsetHours === 0 ? `${local}Z` : `${local}${offsetHours < 0 ? '-' : '+'}${String(Math.abs(offsetHours)).padStart(2, '0')}:00`;
    };
    const events = [
      { id: 'utc', logins: 1, occurredAt: written(0) },
      { id: 'west', logins: 2, occurredAt: written(-12) },
      { id: 'east', logins: 4, occurredAt: written(14) },
    ];
    await acceptEvents(
      { prisma: database.prisma, client: env.client, rollUpUsage: true },
      events.map((e) => ({ customerId: customer.customerId, event: { ...e, type: 'usage' as const, keyFeaturesUsed: [] } })),
    );
    const expected: Record<string, number> = {};
    for (const e of events) expected[e.occurredAt.slice(0, 10)] = (expected[e.occurredAt.slice(0, 10)] ?? 0) + e.logins;

    await assignUsageRollups(database.prisma, { windowMs: WINDOW_MS, now: Date.now() + 2 * WINDOW_MS });
    expect(await deliverUsageRollups({ prisma: database.prisma, client: env.client }, { windowMs: WINDOW_MS })).toBe(Object.keys(expected).length);
    const facts = await until('the rolled-up logins', async () => {
      const current = await factsOf(customer.customerId);
      return Object.values(current.dailyLogins).reduce((a, b) => a + b, 0) === 7 && current;
    });
    expect(facts.dailyLogins).toEqual(expected);
  }, 180_000);
});
