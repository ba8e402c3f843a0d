import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { customerWorkflowId } from '../../src/domain/ids';
import { createLifecycleWorker } from '../../src/temporal/worker';
import type { Database } from '../../src/db/database';
import { customerLifecycleWorkflow } from '../../workflows';
import { customerEventSignal, getStateQuery } from '../../workflows/messages';
import { createTimeSkippingEnv, openTestDatabase, uniqueSuffix, workflowBundle } from '../support/servers';

describe('customer lifecycle workflow (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;

  beforeAll(async () => {
    [env, database] = await Promise.all([createTimeSkippingEnv(), openTestDatabase('lifecycle_ts')]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), database?.close()]);
  });

  async function withWorker<T>(work: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `test-${uniqueSuffix()}`;
    const worker: Worker = await createLifecycleWorker({
      connection: env.nativeConnection,
      taskQueue,
      prisma: database.prisma,
      workflowBundle: workflowBundle(),
    });
    return worker.runUntil(work(taskQueue));
  }

  it('fires the onboarding review timer after 90 simulated days and records it in PostgreSQL', async () => {
    const customerId = `acme-${uniqueSuffix()}`;
    await withWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(customerLifecycleWorkflow, {
        workflowId: customerWorkflowId(customerId),
        taskQueue,
        args: [{ customerId, name: 'Acme' }],
      });
      await env.sleep('89 days');
      expect((await handle.query(getStateQuery)).onboardingReviewDone).toBe(false);
      await env.sleep('2 days');
      expect((await handle.query(getStateQuery)).onboardingReviewDone).toBe(true);
      await handle.terminate('test done');
    });
    const entries = await database.prisma.timelineEntry.findMany({ where: { customerId } });
    expect(entries.map((e) => e.kind)).toEqual(['timer.onboarding-review']);
  });

  it('applies an event once even when it is signalled twice', async () => {
    const customerId = `dup-${uniqueSuffix()}`;
    await withWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(customerLifecycleWorkflow, {
        workflowId: customerWorkflowId(customerId),
        taskQueue,
        args: [{ customerId, name: 'Dup Corp' }],
      });
      const event = { id: 'evt-1', type: 'milestone.kickoff-held', occurredAt: '2026-01-05T10:00:00.000Z' };
      await handle.signal(customerEventSignal, event);
      await handle.signal(customerEventSignal, event);
      await env.sleep('1 hour');
      const state = await handle.query(getStateQuery);
      expect(state.eventsApplied).toBe(1);
      expect(state.seenEventIds).toEqual(['evt-1']);
      await handle.terminate('test done');
    });
    expect(await database.prisma.timelineEntry.count({ where: { customerId } })).toBe(1);
  });
});
