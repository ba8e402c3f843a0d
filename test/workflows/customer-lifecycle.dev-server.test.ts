/**
 * Against the real dev server: what a CS lead sees through visibility, and years of life bounded by
 * continue-as-new (the global setup lowers the server's suggestion threshold).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Database } from '../../src/db/database';
import type { TCustomerEvent, TStageOverride } from '../../src/domain/customer-events';
import { customerWorkflowId } from '../../src/domain/ids';
import { customerLifecycleWorkflow } from '../../workflows';
import { customerEventSignal, customerEventsSignal, getCarriedStateQuery, getStateQuery, overrideStageUpdate } from '../../workflows/messages';
import { DAY, handoff, survey, usage } from '../support/customers';
import { connectDevServer, openTestDatabase, startTestWorker, uniqueSuffix } from '../support/servers';

describe('customer lifecycle workflow (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;

  beforeAll(async () => {
    [env, database] = await Promise.all([connectDevServer(), openTestDatabase('lifecycle_dev')]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), database?.close()]);
  });

  async function withWorker<T>(work: (taskQueue: string) => Promise<T>): Promise<T> {
    const { worker, taskQueue } = await startTestWorker(env, database);
    return worker.runUntil(work(taskQueue));
  }

  const badSignals = (at: number): TCustomerEvent[] => [
    usage(at, { logins: 0, activeUsers: 0, seatsUsed: 1, keyFeaturesUsed: [], lastLoginAt: new Date(at - 29 * DAY).toISOString() }),
    survey('nps', 0, at),
    survey('csat', 1, at),
    { id: `pay-${uniqueSuffix()}`, type: 'payment', status: 'failed', occurredAt: new Date(at).toISOString() },
  ];

  it('answers HealthBand = "red" AND Stage = "retention" with exactly the red customers in retention', async () => {
    await withWorker(async (taskQueue) => {
      const now = Date.now();
      const customers = {
        redRetention: handoff({ startAt: now, name: 'Red in retention' }),
        greenRetention: handoff({ startAt: now, name: 'Green in retention' }),
        redOnboarding: handoff({ startAt: now, name: 'Red in onboarding' }),
      };
      const handles = await Promise.all(
        Object.values(customers).map((input) =>
          env.client.workflow.start(customerLifecycleWorkflow, {
            workflowId: customerWorkflowId(input.customerId),
            taskQueue,
            args: [{ handoff: input }],
          }),
        ),
      );
      const [redRetention, greenRetention, redOnboarding] = handles;
      const toRetention = { args: [{ stage: 'retention', reason: 'imported mid-life', by: 'ops' }] as [TStageOverride] };
      await redRetention!.executeUpdate(overrideStageUpdate, toRetention);
      await greenRetention!.executeUpdate(overrideStageUpdate, toRetention);
      await redRetention!.signal(customerEventsSignal, badSignals(now));
      await redOnboarding!.signal(customerEventsSignal, badSignals(now));
      await greenRetention!.signal(customerEventsSignal, [usage(now), survey('nps', 10, now), survey('csat', 5, now)]);

      // Each customer has applied its events (a new customer can be red for a moment before them).
      await eventually(async () => ((await redRetention!.query(getStateQuery)).health?.band === 'red' ? true : undefined));
      await eventually(async () => ((await redOnboarding!.query(getStateQuery)).health?.band === 'red' ? true : undefined));
      await eventually(async () => {
        const band = (await greenRetention!.query(getStateQuery)).health?.band;
        return band && band !== 'red' ? true : undefined;
      });

      const ids = Object.values(customers)
        .map((c) => `"${c.customerId}"`)
        .join(', ');
      // Running runs only: a customer that continued as new (its plays add history) also has closed runs.
      const query = `HealthBand = "red" AND Stage = "retention" AND ExecutionStatus = "Running" AND CustomerId IN (${ids})`;
      const expected = [customerWorkflowId(customers.redRetention.customerId)];
      // Visibility trails the workflows by a moment: poll until the listing settles on the answer.
      const found = await eventually(async () => {
        const listed: string[] = [];
        for await (const execution of env.client.workflow.list({ query })) listed.push(execution.workflowId);
        return JSON.stringify(listed) === JSON.stringify(expected) ? listed : undefined;
      });
      expect(found).toEqual(expected);
      await Promise.all(handles.map((h) => h.terminate('test done')));
    });
  });

  it('continues as new when the server suggests it and carries every field of the state', async () => {
    await withWorker(async (taskQueue) => {
      const input = handoff({ startAt: Date.now() });
      const handle = await env.client.workflow.start(customerLifecycleWorkflow, {
        workflowId: customerWorkflowId(input.customerId),
        taskQueue,
        args: [{ handoff: input }],
      });
      const firstRunId = (await handle.describe()).runId;
      const latest = env.client.workflow.getHandle(handle.workflowId);
      const events = Array.from({ length: 60 }, (_, i) => usage(Date.now(), { logins: 1, activeUsers: i + 1 }));
      // One at a time, each applied before the next: every event then costs its own workflow task and
      // activity, so the history passes the lowered threshold however busy the machine is.
      for (const event of events) {
        await latest.signal(customerEventSignal, event);
        await eventually(async () => ((await latest.query(getCarriedStateQuery)).seenEventIds[event.id] ? true : undefined));
      }
      expect(await eventually(async () => ((await latest.describe()).runId !== firstRunId ? true : undefined))).toBe(true);
      const state = await latest.query(getCarriedStateQuery);
      expect(Object.keys(state.seenEventIds)).toEqual(expect.arrayContaining(events.map((e) => e.id)));
      expect(state.facts.activeUsers).toBe(60);
      expect(state.handoff).toEqual(input);
      expect(Object.values(state.facts.dailyLogins).reduce((a, b) => a + b, 0)).toBe(60);
      expect(state.nextSeq).toBeGreaterThan(60); // the timeline sequence did not restart
      expect(state.timeline.map((e) => e.seq)).toEqual([...state.timeline.map((e) => e.seq)].sort((a, b) => a - b));

      // An event seen in an earlier run is still recognised after continue-as-new.
      await latest.signal(customerEventSignal, events[0]!);
      await latest.signal(customerEventSignal, survey('nps', 9, Date.now()));
      const after = await eventually(async () => {
        const current = await latest.query(getCarriedStateQuery);
        return current.facts.surveys.nps ? current : undefined;
      });
      expect(Object.values(after!.facts.dailyLogins).reduce((a, b) => a + b, 0)).toBe(60);
      await latest.terminate('test done');
    });
  });
});

/** Visibility and message handling are asynchronous: poll briefly instead of sleeping a fixed time. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
