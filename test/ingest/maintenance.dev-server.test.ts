/**
 * The engine's periodic job as a Temporal Schedule (`src/temporal/maintenance-schedule.ts`), on the
 * dev server and PostgreSQL, with no API process running: an event recorded but never delivered
 * reaches its customer through the schedule's run, and usage recorded for a rollup reaches it rolled
 * up; workers keeping the schedule side by side make one; parked Segment messages past their time are dropped and fresh ones kept.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Database } from '../../src/db/database';
import { customerWorkflowId } from '../../src/domain/ids';
import { expireParkedMessages } from '../../src/ingest/segment';
import { ensureMaintenanceSchedule, maintenanceScheduleId } from '../../src/temporal/maintenance-schedule';
import { customerLifecycleWorkflow } from '../../workflows';
import { getCarriedStateQuery, getStateQuery } from '../../workflows/messages';
import { handoff } from '../support/customers';
import { connectDevServer, openTestDatabase, startTestWorker, uniqueSuffix } from '../support/servers';
import { until } from '../support/until';

describe('the maintenance schedule (dev server, PostgreSQL, no API process)', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;
  beforeAll(async () => {
    [env, database] = await Promise.all([connectDevServer(), openTestDatabase('maintenance')]);
  });
  afterAll(async () => {
    await database?.close();
    await env?.teardown();
  });

  it('is made once by workers starting side by side, and brought to a new interval', async () => {
    const taskQueue = `maintenance-${uniqueSuffix()}`;
    const outcomes = await Promise.all([1, 2, 3].map(() => ensureMaintenanceSchedule(env.client, { taskQueue, intervalSeconds: 30 })));
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'created').every((o) => o === 'unchanged' || o === 'updated')).toBe(true);
    await expect(ensureMaintenanceSchedule(env.client, { taskQueue, intervalSeconds: 30 })).resolves.toBe('unchanged');
    await expect(ensureMaintenanceSchedule(env.client, { taskQueue, intervalSeconds: 45 })).resolves.toBe('updated');
    const handle = env.client.schedule.getHandle(maintenanceScheduleId(taskQueue));
    expect((await handle.describe()).spec.intervals?.[0]?.every).toBe(45_000);
    await handle.delete();
  });

  it('delivers an event recorded but never delivered, once, and rolled-up usage, with no API running', async () => {
    const { worker, taskQueue } = await startTestWorker(env, database, {
      maintenance: { client: env.client, segmentParkedTtlDays: 30, usageRollupSeconds: 60 },
    });
    const customer = handoff({ startAt: Date.now() });
    const scheduleId = maintenanceScheduleId(taskQueue);
    await worker.runUntil(async () => {
      const customerHandle = await env.client.workflow.start(customerLifecycleWorkflow, {
        workflowId: customerWorkflowId(customer.customerId),
        taskQueue,
        args: [{ handoff: customer }],
      });
      await until('the customer row', async () => (await database.prisma.customer.count({ where: { id: customer.customerId } })) === 1);
      // As an API process that died between recording and signalling leaves it.
      const event = { id: `undelivered-${uniqueSuffix()}`, type: 'milestone' as const, milestone: 'kickoff_done', occurredAt: new Date().toISOString() };
      await database.prisma.ingestedEvent.create({
        data: {
          idempotencyKey: event.id,
          customerId: customer.customerId,
          type: event.type,
          source: 'api',
          payload: event,
          occurredAt: new Date(event.occurredAt),
          receivedAt: new Date(Date.now() - 5 * 60_000),
        },
      });
      // As an API with USAGE_ROLLUP_SECONDS leaves product usage: recorded, for the next rollup.
      const usage = { id: `rolled-${uniqueSuffix()}`, type: 'usage' as const, logins: 3, keyFeaturesUsed: ['reports'], occurredAt: new Date().toISOString() };
      await database.prisma.ingestedEvent.create({
        data: {
          idempotencyKey: usage.id,
          customerId: customer.customerId,
          type: usage.type,
          source: 'api',
          payload: usage,
          occurredAt: new Date(usage.occurredAt),
          receivedAt: new Date(Date.now() - 5 * 60_000),
          viaRollup: true,
        },
      });
      await ensureMaintenanceSchedule(env.client, { taskQueue, intervalSeconds: 2 });
      try {
        await until(
          'the schedule to deliver the event',
          async () => (await database.prisma.ingestedEvent.findFirst({ where: { idempotencyKey: event.id } }))?.deliveredAt != null,
          120_000,
        );
        await until('the customer to hold the milestone', async () =>
          (await customerHandle.query(getStateQuery)).customer.milestones.some((m) => m.id === 'kickoff_done'),
        );
        const rolledUp = await until('the schedule to deliver the usage rolled up', async () => {
          const row = await database.prisma.ingestedEvent.findFirst({ where: { customerId: customer.customerId, idempotencyKey: usage.id } });
          return row?.deliveredAt != null && row;
        });
        expect(rolledUp.rollupId).toMatch(/^usage-rollup:\d{4}-\d{2}-\d{2}:/);
        await until('the customer to know the rolled-up usage', async () =>
          (await customerHandle.query(getCarriedStateQuery)).facts.keyFeaturesUsed.includes('reports'),
        );
        // Later runs find nothing to deliver: the milestone is in the timeline once.
        const runs = async () => (await env.client.schedule.getHandle(scheduleId).describe()).info.numActionsTaken;
        const before = await runs();
        await until('two more runs of the schedule', async () => (await runs()) >= before + 2, 60_000);
        const entries = await database.prisma.timelineEntry.count({ where: { customerId: customer.customerId, causeId: event.id, kind: 'event' } });
        expect(entries).toBe(1);
        const usageEntries = await database.prisma.timelineEntry.count({
          where: { customerId: customer.customerId, causeId: rolledUp.rollupId!, kind: 'event' },
        });
        expect(usageEntries).toBe(1);
      } finally {
        await env.client.schedule.getHandle(scheduleId).delete();
        await customerHandle.terminate('test over');
      }
    });
  }, 240_000);

  it('drops parked Segment messages older than their time and keeps fresh ones', async () => {
    const old = `parked-old-${uniqueSuffix()}`;
    const fresh = `parked-fresh-${uniqueSuffix()}`;
    const now = Date.now();
    await database.prisma.segmentParkedMessage.createMany({
      data: [
        { messageId: old, userId: 'u-1', message: { type: 'track' }, receivedAt: new Date(now - 40 * 86_400_000) },
        { messageId: fresh, userId: 'u-1', message: { type: 'track' }, receivedAt: new Date(now - 86_400_000) },
      ],
    });
    const dropped = await expireParkedMessages(database.prisma, { olderThan: new Date(now - 30 * 86_400_000) });
    expect(dropped).toBeGreaterThanOrEqual(1);
    const left = await database.prisma.segmentParkedMessage.findMany({ where: { messageId: { in: [old, fresh] } }, select: { messageId: true } });
    expect(left.map((m) => m.messageId)).toEqual([fresh]);
  });
});
