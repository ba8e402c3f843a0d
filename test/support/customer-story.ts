/**
 * One customer's life on its own time-skipping test server: a worker on a fresh task queue, the
 * customer's workflow started from a handoff, and a story that moves the clock day by day and sends
 * events. Shared by the lifecycle and the plays scenarios.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Database } from '../../src/db/database';
import type { TCustomerEvent, TCustomerHandoff } from '../../src/domain/customer-events';
import { customerWorkflowId } from '../../src/domain/ids';
import { customerLifecycleWorkflow } from '../../workflows';
import { customerEventsSignal } from '../../workflows/messages';
import { DAY } from './customers';
import { createTimeSkippingEnv, startTestWorker, type TestWorkerOptions } from './servers';

export interface CustomerStory {
  handle: WorkflowHandle<typeof customerLifecycleWorkflow>;
  customerId: string;
  start: number;
  env: TestWorkflowEnvironment;
  /** Skips time to day `n` after the start (plus `timeOfDayMs(n)`) and returns that moment. */
  day: (n: number) => Promise<number>;
  /** Signals the events, then lets the workflow apply them before the story goes on. */
  send: (...events: TCustomerEvent[]) => Promise<void>;
}

export interface StoryOptions extends TestWorkerOptions {
  /** Where in day `n` the story stands; 0 (the start's own time of day) unless set. */
  timeOfDayMs?: (n: number) => number;
}

/** Runs `story` for the customer `makeHandoff` describes; returns the customer id. */
export async function runCustomerStory(
  database: Database,
  makeHandoff: (startAt: number) => TCustomerHandoff,
  story: (customer: CustomerStory) => Promise<void>,
  options: StoryOptions = {},
): Promise<string> {
  // One test server per story: after a story that used updates, a shared server stopped skipping
  // time for the next one (seen with temporal-test-server 1.38.0), and each starts in ~0.5 s.
  const env = await createTimeSkippingEnv();
  try {
    const { timeOfDayMs = () => 0, ...workerOptions } = options;
    const { worker, taskQueue } = await startTestWorker(env, database, workerOptions);
    const start = await env.currentTimeMs();
    const input = makeHandoff(start);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(customerLifecycleWorkflow, {
        workflowId: customerWorkflowId(input.customerId),
        taskQueue,
        args: [{ handoff: input }],
      });
      const day = async (n: number) => {
        const target = start + n * DAY + timeOfDayMs(n);
        const now = await env.currentTimeMs();
        if (target > now) await env.sleep(target - now);
        return target;
      };
      const send = async (...events: TCustomerEvent[]) => {
        await handle.signal(customerEventsSignal, events);
        await env.sleep('1 minute');
      };
      try {
        await story({ handle, customerId: input.customerId, start, env, day, send });
      } finally {
        // Nothing should tick on after the story, whether it passed or not.
        await handle.terminate('story done').catch(() => undefined);
      }
    });
    return input.customerId;
  } finally {
    await env.teardown();
  }
}
