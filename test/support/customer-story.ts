/**
 * One customer's life on its own time-skipping test server: a worker on a fresh task queue, the
 * customer's workflow started from a handoff, and a story that moves the clock day by day and sends
 * events. Shared by the lifecycle and the plays scenarios.
 *
 * The story never stands on the moment a timer fires. The daily health tick falls 24 h after the
 * last evaluation, so "day n at the start's time of day" is exactly when it fires; a signal whose
 * workflow task then cancels that timer, fired while the task was in flight, is refused by the Java
 * test server ("invalid history builder state for action") and wedges the customer (see the README,
 * "What the time-skipping test server cannot do"). `day()` stops a few minutes short, looks at the
 * customer's upcoming timers, and moves past any that falls near the target.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Database } from '../../src/db/database';
import type { TCustomerEvent, TCustomerHandoff } from '../../src/domain/customer-events';
import { customerWorkflowId } from '../../src/domain/ids';
import { customerLifecycleWorkflow } from '../../workflows';
import { customerEventsSignal, getUpcomingTimersQuery } from '../../workflows/messages';
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

/** How far the story keeps from a timer's moment, in virtual time. */
const CLEARANCE_MS = 5 * 60 * 1000;

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
        let target = start + n * DAY + timeOfDayMs(n);
        let now = await env.currentTimeMs();
        // Stop short of the target: the timers that could fire near it are planned by then.
        if (target - CLEARANCE_MS > now) {
          await env.sleep(target - CLEARANCE_MS - now);
          now = await env.currentTimeMs();
        }
        target = Math.max(target, now);
        const upcoming = await handle.query(getUpcomingTimersQuery).catch(() => []);
        for (const timer of upcoming.map((t) => Date.parse(t.at)).sort((a, b) => a - b)) {
          if (Math.abs(timer - target) < CLEARANCE_MS) target = timer + CLEARANCE_MS;
        }
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
