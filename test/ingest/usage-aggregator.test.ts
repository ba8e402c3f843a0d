import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { UsageAggregator } from '../../src/ingest/usage-aggregator';
import type { Database } from '../../src/db/database';
import { customerWorkflowId } from '../../src/domain/ids';
import { customerLifecycleWorkflow } from '../../workflows';
import { customerEventSignal, getCarriedStateQuery } from '../../workflows/messages';
import { handoff } from '../support/customers';
import { connectDevServer, openTestDatabase, startTestWorker } from '../support/servers';

describe('usage aggregation before signalling', () => {
  const clock = (start: string) => {
    let now = Date.parse(start);
    return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
  };

  it('rolls many hits into one usage event per customer per flush', async () => {
    const time = clock('2026-05-01T10:00:00.000Z');
    const delivered: [string, unknown][] = [];
    const aggregator = new UsageAggregator({ deliver: async (c, e) => void delivered.push([c, e]), now: time.now });
    for (let i = 0; i < 500; i += 1) {
      aggregator.record({
        customerId: 'a',
        userId: `u${i % 7}`,
        at: `2026-05-01T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
        feature: i % 2 ? 'alerts' : undefined,
      });
    }
    aggregator.record({ customerId: 'b', at: '2026-05-01T10:00:01.000Z', login: false, feature: 'api', seatsUsed: 3, seatsPurchased: 10 });
    time.advance(60_000);
    await expect(aggregator.flush()).resolves.toBe(2);
    expect(Object.fromEntries(delivered)).toEqual({
      a: expect.objectContaining({ type: 'usage', logins: 500, activeUsers: 7, keyFeaturesUsed: ['alerts'], lastLoginAt: '2026-05-01T10:00:59.000Z' }),
      b: expect.objectContaining({ logins: 0, keyFeaturesUsed: ['api'], seatsUsed: 3, seatsPurchased: 10 }),
    });
    await expect(aggregator.flush()).resolves.toBe(0);
  });

  it('keeps a rollup whose delivery failed and retries it with the same id', async () => {
    const time = clock('2026-05-01T10:00:00.000Z');
    const ids: string[] = [];
    let failing = true;
    const aggregator = new UsageAggregator({
      now: time.now,
      deliver: async (_c, e) => {
        if (failing) throw new Error('Temporal unavailable');
        ids.push(e.id);
      },
    });
    aggregator.record({ customerId: 'a', at: '2026-05-01T10:00:00.000Z' });
    time.advance(60_000);
    await expect(aggregator.flush()).resolves.toBe(0);
    expect(aggregator.pendingCustomers).toBe(1);
    failing = false;
    aggregator.record({ customerId: 'a', at: '2026-05-01T10:01:30.000Z' });
    time.advance(60_000);
    await expect(aggregator.flush()).resolves.toBe(2);
    expect(ids).toEqual(['usage:a:2026-05-01T10:00:00.000Z/2026-05-01T10:01:00.000Z', 'usage:a:2026-05-01T10:01:00.000Z/2026-05-01T10:02:00.000Z']);
    expect(aggregator.pendingCustomers).toBe(0);
  });

  describe('into a real customer workflow (dev server)', () => {
    let env: TestWorkflowEnvironment;
    let database: Database;
    beforeAll(async () => {
      [env, database] = await Promise.all([connectDevServer(), openTestDatabase('ingest')]);
    });
    afterAll(async () => {
      await Promise.all([env?.teardown(), database?.close()]);
    });

    it('delivers a thousand hits as one signal, and a redelivered rollup is not counted twice', async () => {
      const { worker, taskQueue } = await startTestWorker(env, database);
      await worker.runUntil(async () => {
        const input = handoff({ startAt: Date.now() });
        const handle = await env.client.workflow.start(customerLifecycleWorkflow, {
          workflowId: customerWorkflowId(input.customerId),
          taskQueue,
          args: [{ handoff: input }],
        });
        let signals = 0;
        const sent: Parameters<typeof handle.signal>[1][] = [];
        const aggregator = new UsageAggregator({
          deliver: async (customerId, event) => {
            signals += 1;
            sent.push(event);
            await env.client.workflow.getHandle(customerWorkflowId(customerId)).signal(customerEventSignal, event);
          },
        });
        for (let i = 0; i < 1000; i += 1) aggregator.record({ customerId: input.customerId, userId: `u${i % 25}`, at: new Date().toISOString() });
        await aggregator.flush();
        await handle.signal(customerEventSignal, sent[0]!); // a retry of the same rollup
        expect(signals).toBe(1);

        let state = await handle.query(getCarriedStateQuery);
        for (let tries = 0; tries < 40 && state.facts.activeUsers === undefined; tries += 1) {
          await new Promise((r) => setTimeout(r, 250));
          state = await handle.query(getCarriedStateQuery);
        }
        expect(Object.values(state.facts.dailyLogins).reduce((a, b) => a + b, 0)).toBe(1000);
        expect(state.facts.activeUsers).toBe(25);
        await handle.terminate('test done');
      });
    });
  });
});
