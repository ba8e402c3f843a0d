import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { customerWorkflowId } from '../../src/domain/ids';
import { createLifecycleWorker } from '../../src/temporal/worker';
import type { Database } from '../../src/db/database';
import { customerLifecycleWorkflow } from '../../workflows';
import { getStateQuery } from '../../workflows/messages';
import { connectDevServer, openTestDatabase, uniqueSuffix, workflowBundle } from '../support/servers';

describe('customer lifecycle workflow (dev server visibility)', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;

  beforeAll(async () => {
    [env, database] = await Promise.all([connectDevServer(), openTestDatabase('lifecycle_vis')]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), database?.close()]);
  });

  it('is found by its CustomerId and Stage search attributes with a visibility query', async () => {
    const customerId = `visible-${uniqueSuffix()}`;
    const taskQueue = `test-${uniqueSuffix()}`;
    const worker = await createLifecycleWorker({
      connection: env.nativeConnection,
      taskQueue,
      prisma: database.prisma,
      workflowBundle: workflowBundle(),
    });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(customerLifecycleWorkflow, {
        workflowId: customerWorkflowId(customerId),
        taskQueue,
        args: [{ customerId, name: 'Visible Inc' }],
      });
      await handle.query(getStateQuery); // the first workflow task, which upserts the attributes, has run

      const query = `CustomerId = "${customerId}" AND Stage = "onboarding"`;
      const found = await eventually(async () => {
        const ids: string[] = [];
        for await (const execution of env.client.workflow.list({ query })) ids.push(execution.workflowId);
        return ids.length > 0 ? ids : undefined;
      });
      expect(found).toEqual([customerWorkflowId(customerId)]);
      await handle.terminate('test done');
    });
  });
});

/** Visibility is eventually consistent: poll briefly instead of sleeping a fixed time. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
