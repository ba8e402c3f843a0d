/**
 * Definition versions on live customers (dev server, real workers, real PostgreSQL): new customers
 * start on the current published version; a roll-out to a 10 % slice moves exactly that slice, then
 * 100 % the rest; a re-run skips them; `status` counts per version; a roll-back is refused as a
 * downgrade unless allowed; an unpublished version fails the update, not the customer; a customer
 * mid-play keeps its play; a continued run stays on its version; and the history that crossed a
 * roll-out replays (saved as a fixture with SAVE_ROLLOUT_HISTORY=1).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Database } from '../../src/db/database';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import type { CustomerView } from '../../src/domain/customer-view';
import { customerWorkflowId } from '../../src/domain/ids';
import type { TLifecycleDefinition } from '../../src/domain/lifecycle-definition';
import { publishDefinition, UnknownDefinitionVersionError } from '../../src/lifecycle/definition-store';
import { customersPerVersion, inSlice, rollOut, runningCustomers, type RolloutPlan } from '../../src/lifecycle/rollout';
import { registerSearchAttributes } from '../../src/temporal/namespace';
import { adoptDefinitionUpdate, customerEventsSignal, getCarriedStateQuery, getStateQuery } from '../../workflows/messages';
import { handoff, usage } from '../support/customers';
import { connectDevServer, openTestDatabase, startTestWorker, uniqueSuffix, workflowBundle } from '../support/servers';
import { until } from '../support/until';

jest.setTimeout(600_000);

const V1 = DEFAULT_LIFECYCLE;
/** The same rules with a stricter red band: what an ops change looks like. */
const V2: TLifecycleDefinition = {
  ...DEFAULT_LIFECYCLE,
  version: `rollout-test.${uniqueSuffix()}`,
  healthModels: DEFAULT_LIFECYCLE.healthModels.map((model) => ({
    ...model,
    bands: { ...model.bands, yellow: Math.min(model.bands.green - 1, model.bands.yellow + 10) },
  })),
};

describe('rolling definition versions out to running customers (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let running: Promise<void>;
  const customerIds = Array.from({ length: 20 }, (_, i) => (i === 0 ? 'fixture-crossed-rollout' : `rollout-${uniqueSuffix()}-${i}`));

  beforeAll(async () => {
    [env, database] = await Promise.all([connectDevServer(), openTestDatabase('rollout_dev')]);
    await registerSearchAttributes(env.connection, 'default');
    await publishDefinition(database.prisma, V1, { by: 'test', current: true });
    await publishDefinition(database.prisma, V2, { by: 'test', note: 'stricter red' });
    worker = await startTestWorker(env, database);
    running = worker.worker.run();
    // The fixture's id is fixed (its play runs are named after it): a run left by an earlier try goes.
    await env.client.workflow
      .getHandle(customerWorkflowId(customerIds[0]!))
      .terminate('a new test run')
      .catch(() => undefined);
  });
  afterAll(async () => {
    for (const id of customerIds) {
      await env?.client.workflow
        .getHandle(customerWorkflowId(id))
        .terminate('test over')
        .catch(() => undefined);
    }
    worker?.worker.shutdown();
    await running?.catch(() => undefined);
    await Promise.all([env?.teardown(), database?.close()]);
  });

  const view = (customerId: string) => env.client.workflow.getHandle(customerWorkflowId(customerId)).query(getStateQuery) as Promise<CustomerView>;
  const query = () => `TaskQueue = "${worker.taskQueue}"`;
  const plan = (overrides: Partial<RolloutPlan>): RolloutPlan => ({
    rolloutId: `rollout-${uniqueSuffix()}`,
    version: V2.version,
    percent: 100,
    by: 'ops@example.com',
    dryRun: false,
    allowDowngrade: false,
    ...overrides,
  });
  /** The selection as the CLI makes it, once visibility lists every customer on the version it expects. */
  const selection = async (percent: number, expectVersion?: (id: string) => string) =>
    until(`visibility to list the ${customerIds.length} customers`, async () => {
      const found = await runningCustomers(env.client, query(), 1_000);
      if (found.length !== customerIds.length) return undefined;
      if (expectVersion && found.some((c) => c.version !== expectVersion(c.customerId))) return undefined;
      return found.filter((c) => inSlice(c.customerId, percent));
    });

  it('starts new customers on the current version, then moves a 10 % slice, then all, then back', async () => {
    const now = Date.now();
    for (const customerId of customerIds) {
      await env.client.workflow.start('customerLifecycleWorkflow', {
        workflowId: customerWorkflowId(customerId),
        taskQueue: worker.taskQueue,
        args: [{ handoff: handoff({ startAt: now - 3 * 86_400_000, customerId }) }],
      });
    }
    for (const id of customerIds) await until(`${id} to start`, async () => (await view(id).catch(() => undefined))?.definitionVersion === V1.version);

    // 10 %: exactly the customers the stable hash puts in the slice.
    const slice = await selection(10, () => V1.version);
    const inTen = customerIds.filter((id) => inSlice(id, 10));
    expect(slice.map((c) => c.customerId).sort()).toEqual([...inTen].sort());
    const first = await rollOut({ client: env.client, prisma: database.prisma }, plan({ percent: 10, query: query() }), slice);
    expect(first.counts.adopted).toBe(inTen.length);
    for (const id of customerIds) {
      const customer = await view(id);
      expect(customer.definitionVersion).toBe(inTen.includes(id) ? V2.version : V1.version);
      if (inTen.includes(id)) {
        const entry = customer.timeline.find((e) => e.kind === 'definition');
        expect(entry?.cause).toEqual({ type: 'rollout', id: first.rolloutId, from: V1.version, to: V2.version, by: 'ops@example.com' });
      }
    }

    // 100 %: the rest; those in the slice are skipped as already on it.
    const all = await selection(100, (id) => (inTen.includes(id) ? V2.version : V1.version));
    const second = await rollOut({ client: env.client, prisma: database.prisma }, plan({ query: query() }), all);
    expect(second.counts).toMatchObject({ adopted: customerIds.length - inTen.length, already_on: inTen.length, unreachable: 0 });
    for (const id of customerIds) expect((await view(id)).definitionVersion).toBe(V2.version);

    // Status: visibility counts every customer on V2 (ours only: the shared server holds others).
    await until('visibility to count V2', async () => (await customersPerVersion(env.client, [V2.version])).perVersion.get(V2.version) === customerIds.length);
    const recorded = await database.prisma.lifecycleRollout.findMany({ orderBy: { startedAt: 'asc' } });
    expect(recorded.map((r) => [r.percent, r.adopted, r.alreadyOn, r.finishedAt !== null])).toEqual([
      [10, inTen.length, 0, true],
      [100, customerIds.length - inTen.length, inTen.length, true],
    ]);

    // A re-run changes nothing.
    const again = await rollOut({ client: env.client, prisma: database.prisma }, plan({ query: query() }), await selection(100, () => V2.version));
    expect(again.counts).toMatchObject({ adopted: 0, already_on: customerIds.length });

    // Back to V1: a downgrade, refused unless allowed.
    const back = await selection(100, () => V2.version);
    const refused = await rollOut({ client: env.client, prisma: database.prisma }, plan({ version: V1.version, query: query() }), back);
    expect(refused.counts.downgrade_refused).toBe(customerIds.length);
    const rolledBack = await rollOut(
      { client: env.client, prisma: database.prisma },
      plan({ version: V1.version, query: query(), allowDowngrade: true }),
      back,
    );
    expect(rolledBack.counts.adopted).toBe(customerIds.length);
    for (const id of customerIds) expect((await view(id)).definitionVersion).toBe(V1.version);
  });

  it('keeps a play that was running when the definition changed', async () => {
    // Every customer started the kickoff play at its handoff; it waits days for the kickoff.
    const id = customerIds[1]!;
    const customer = await view(id);
    const kickoff = customer.plays.running.find((run) => run.playId === 'onboarding_kickoff');
    expect(kickoff).toBeDefined();
    const play = await env.client.workflow.getHandle(kickoff!.runId).describe();
    expect(play.status.name).toBe('RUNNING');
    // Started under V1, it carries V1's play in its input whatever the customer runs now.
    // Onto V2 (in the 10 % slice or with the rest), then back to V1.
    expect(customer.timeline.filter((e) => e.kind === 'definition').map((e) => e.detail?.to)).toEqual([V2.version, V1.version]);
  });

  it('refuses an unpublished version in the update, and the customer goes on', async () => {
    await expect(rollOut({ client: env.client, prisma: database.prisma }, plan({ version: 'never-published' }), [])).rejects.toBeInstanceOf(
      UnknownDefinitionVersionError,
    );
    const handle = env.client.workflow.getHandle(customerWorkflowId(customerIds[2]!));
    await expect(handle.executeUpdate(adoptDefinitionUpdate, { args: [{ version: 'never-published', rolloutId: 'r-1', by: 'ops' }] })).rejects.toBeInstanceOf(
      WorkflowUpdateFailedError,
    );
    // Malformed: refused by the validator before anything is recorded.
    await expect(
      handle.executeUpdate(adoptDefinitionUpdate, { args: [{ version: 'has spaces', rolloutId: 'r-1', by: 'ops' } as never] }),
    ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    const before = (await view(customerIds[2]!)).timeline.length;
    await handle.signal(customerEventsSignal, [usage(Date.now())]);
    await until('the customer to apply the next event', async () => (await view(customerIds[2]!)).timeline.length > before);
  });

  it('stays on its version across continue-as-new, and the history that crossed a roll-out replays', async () => {
    const id = customerIds[0]!;
    const handle = env.client.workflow.getHandle(customerWorkflowId(id));
    // Onto V2 again (current stays V1), then enough events for the shared server to suggest continue-as-new.
    const result = await handle.executeUpdate(adoptDefinitionUpdate, { args: [{ version: V2.version, rolloutId: 'rollout-fixture', by: 'ops' }] });
    expect(result).toEqual({ from: V1.version, to: V2.version, changed: true });
    const { runId } = await handle.describe();
    for (let batch = 0; batch < 30; batch += 1) {
      await handle.signal(customerEventsSignal, [usage(Date.now() - (30 - batch) * 60_000)]);
      if ((await handle.describe()).runId !== runId) break;
    }
    await until('a continued run', async () => (await handle.describe()).runId !== runId);
    await until('the continued run to load its version', async () => (await handle.query(getCarriedStateQuery)).definitionVersion === V2.version);
    expect((await view(id)).definitionVersion).toBe(V2.version);

    // The run that took the roll-out, through to its continue-as-new.
    const history = await env.client.workflow.getHandle(customerWorkflowId(id), runId).fetchHistory();
    const replays = Worker.runReplayHistories({ workflowBundle: workflowBundle() }, [{ workflowId: customerWorkflowId(id), history }]);
    for await (const replay of replays) expect(replay.error).toBeUndefined();
    if (process.env.SAVE_ROLLOUT_HISTORY) {
      writeFileSync(join(__dirname, '../fixtures/histories/crossed-rollout.binpb'), temporal.api.history.v1.History.encode(history).finish());
    }
  });
});
