/**
 * A customer running the code from before the lean step continues on today's worker without losing
 * anything (dev server, real workers): started and fed by a worker on the shipped bundle of
 * `876ea6d` (see `test/fixtures/bundles/README.md`), then taken over by a worker on today's code.
 * The older loop replays, the customer moves onto the step at its next iteration (`lean-step-v1`),
 * and every field of its state is still there.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTemporalCli } from '../../src/dev-infra/temporal-cli';
import { freePort, startDevServer, type DevServerHandle } from '../../src/dev-infra/dev-server';
import { registerSearchAttributes } from '../../src/temporal/namespace';
import type { Database } from '../../src/db/database';
import type { LifecycleState } from '../../src/domain/lifecycle-state';
import { customerWorkflowId } from '../../src/domain/ids';
import { customerEventsSignal, getCarriedStateQuery } from '../../workflows/messages';
import { createCustomer } from '../../src/ingest/create-customer';
import type { TCustomerEvent } from '../../src/domain/customer-events';
import { handoff, milestone, usage } from '../support/customers';
import { openTestDatabase, startTestWorker } from '../support/servers';
import { until } from '../support/until';

jest.setTimeout(240_000);

describe('upgrading a running customer onto the lean step (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;
  let server: DevServerHandle;
  let bundleDir: string;
  let oldBundle: { codePath: string };
  let bundleBeforeReadModel: { codePath: string };

  beforeAll(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), 'old-bundle-'));
    // A dev server of its own, at the default continue-as-new threshold: the shared one suggests it
    // after 40 events, and the old code would then hand over by continue-as-new, not mid-run.
    server = await startDevServer({ cliPath: await ensureTemporalCli(), dbFilename: join(bundleDir, 'temporal', 'dev.db'), port: await freePort() });
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
    await registerSearchAttributes(env.connection, 'default');
    database = await openTestDatabase('upgrade_dev');
    const codePath = join(bundleDir, 'workflows-876ea6d.js');
    writeFileSync(codePath, gunzipSync(readFileSync(join(__dirname, '../fixtures/bundles/workflows-876ea6d.js.gz'))));
    oldBundle = { codePath };
    const beforeReadModel = join(bundleDir, 'workflows-164673a.js');
    writeFileSync(beforeReadModel, gunzipSync(readFileSync(join(__dirname, '../fixtures/bundles/workflows-164673a.js.gz'))));
    bundleBeforeReadModel = { codePath: beforeReadModel };
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), database?.close()]);
    await server?.stop();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  it('keeps every field of the state, applies what comes next once, and records the switch', async () => {
    const now = Date.now();
    const input = handoff({ startAt: now - 10 * 24 * 3_600_000, name: 'Running since before the lean step', customerId: 'fixture-upgraded-to-lean-step' }); // the replay test's id (server of its own)
    const workflowId = customerWorkflowId(input.customerId);
    let firstRunId = '';
    // The old code's state query answered the working state itself.
    const oldState = async () => (await env.client.workflow.getHandle(workflowId).query<LifecycleState>('getState')) as LifecycleState;

    const first = await startTestWorker(env, database, { workflowBundle: oldBundle });
    const before = await first.worker.runUntil(async () => {
      const handle = await env.client.workflow.start('customerLifecycleWorkflow', { workflowId, taskQueue: first.taskQueue, args: [{ handoff: input }] });
      firstRunId = handle.firstExecutionRunId;
      await handle.signal('customerEvents', [usage(now - 2 * 3_600_000), milestone('kickoff_held', now - 3_600_000), milestone('setup_done', now)]);
      await handle.executeUpdate('recordCsmSentiment', { args: [{ score: 4, by: 'dana@example.com' }] });
      await until('the old code to apply the batch', async () => (await oldState()).facts.milestones.setup_done !== undefined);
      return oldState();
    });
    expect(before.leanStep).toBeUndefined();

    const second = await startTestWorker(env, database, { taskQueue: first.taskQueue });
    const after = await second.worker.runUntil(async () => {
      const handle = env.client.workflow.getHandle(workflowId);
      const later = [milestone('training_done', Date.now()), usage(Date.now())];
      // One of the old batch again: a repeat must still be recognised after the switch.
      await handle.signal('customerEvents', [...later, milestone('setup_done', now)]);
      await handle.executeUpdate('overrideStage', { args: [{ stage: 'retention', reason: 'imported mid-life', by: 'ops' }] });
      await until('the new code to apply the batch', async () => {
        const carried = await handle.query(getCarriedStateQuery);
        // The switch comes at the older loop's next iteration, after the batch it is taking.
        return carried.leanStep === true && carried.stage === 'retention' && carried.facts.milestones.training_done !== undefined;
      });
      return handle.query(getCarriedStateQuery);
    });

    expect(after.leanStep).toBe(true);
    // Every field the old state had is still there, and what did not change is unchanged.
    for (const key of Object.keys(before) as (keyof LifecycleState)[]) expect(after).toHaveProperty(key);
    expect(after.handoff).toEqual(before.handoff);
    expect(after.stageEnteredAt >= before.stageEnteredAt).toBe(true);
    expect(after.nextSeq).toBeGreaterThan(before.nextSeq);
    for (const id of Object.keys(before.seenEventIds)) expect(after.seenEventIds[id]).toBe(before.seenEventIds[id]);
    for (const [name, at] of Object.entries(before.facts.milestones)) expect(after.facts.milestones[name]).toBe(at);
    expect(after.facts.csmSentiment).toEqual(before.facts.csmSentiment);
    for (const [id, at] of Object.entries(before.firedTimers)) expect(after.firedTimers[id]).toBe(at);
    expect(after.timeline.slice(0, before.timeline.length).map((e) => e.seq)).toEqual(before.timeline.map((e) => e.seq));
    // The repeat of setup_done changed nothing: one timeline entry for it, from the old code.
    const setupEntries = after.timeline.filter((e) => e.kind === 'event' && e.summary.includes('setup_done'));
    expect(setupEntries).toHaveLength(1);
    // Written once each, with no gap: the database has every entry the workflow numbered.
    const rows = await database.prisma.timelineEntry.findMany({ where: { customerId: input.customerId }, orderBy: { occurredAt: 'asc' } });
    const keys = rows.map((row) => Number(row.idempotencyKey.split(':').pop()));
    expect(new Set(keys).size).toBe(keys.length);
    expect(Math.max(...keys)).toBe(after.nextSeq - 1);

    // Still the first run: the switch happened inside it, not at a continue-as-new.
    const described = await env.client.workflow.getHandle(workflowId).describe();
    expect(described.runId).toBe(firstRunId);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    // Patch markers (core's `core_patch`) carry the patch id in their details' payloads.
    const markers = (history.events ?? []).flatMap((event) => {
      const attributes = event.markerRecordedEventAttributes;
      if (attributes?.markerName !== 'core_patch') return [];
      return Object.values(attributes.details ?? {}).flatMap((payloads) => (payloads.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString()));
    });
    expect(markers.some((marker) => marker.includes('lean-step-v1'))).toBe(true);
    if (process.env.SAVE_UPGRADE_HISTORY) {
      writeFileSync(join(__dirname, '../fixtures/histories/upgraded-to-lean-step.binpb'), temporal.api.history.v1.History.encode(history).finish());
    }
    await env.client.workflow.getHandle(workflowId).terminate('test over');
  });

  it('a customer running before the workflow wrote its read model takes over the ARR ledger at its next step', async () => {
    const now = Date.now();
    const input = handoff({
      startAt: now - 20 * 24 * 3_600_000,
      name: 'Running before the workflow wrote its read model',
      customerId: 'fixture-read-model-upgrade',
    });
    const { customerId } = input;
    const workflowId = customerWorkflowId(customerId);
    const contract = (id: string, arr: number, at: number): TCustomerEvent => ({
      id,
      type: 'contract',
      action: 'expanded',
      arr,
      occurredAt: new Date(at).toISOString(),
    });
    const first = await startTestWorker(env, database, { workflowBundle: bundleBeforeReadModel });
    await first.worker.runUntil(async () => {
      await createCustomer({ prisma: database.prisma, client: env.client, taskQueue: first.taskQueue }, input);
      const handle = env.client.workflow.getHandle(workflowId);
      // Applied by the code from before: the API of that code wrote its rows (the migration marks
      // such events applied); this test's API writes none, so none are there.
      await handle.signal(customerEventsSignal, [contract('up-before', input.arr + 10_000, now - 3_600_000)]);
      await until('the old code to apply the expansion', async () => (await handle.query(getCarriedStateQuery)).seenEventIds['up-before'] !== undefined);
    });
    expect(await database.prisma.appliedEvent.count({ where: { customerId } })).toBe(0);

    const second = await startTestWorker(env, database, { taskQueue: first.taskQueue });
    await second.worker.runUntil(async () => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(customerEventsSignal, [
        contract('up-after', input.arr + 25_000, now),
        { id: 'nps-after', type: 'survey', survey: 'nps', score: 9, occurredAt: new Date(now).toISOString() },
      ]);
      await until('the new code to write the read model', async () => (await database.prisma.appliedEvent.count({ where: { customerId } })) === 2);
    });
    // Measured from the ARR the running customer carried (after the old code's expansion), once.
    const movements = await database.prisma.arrMovement.findMany({ where: { customerId }, orderBy: { occurredAt: 'asc' } });
    expect(movements.map((m) => [m.idempotencyKey, m.kind, Number(m.amount)])).toEqual([
      [`${customerId}:new`, 'new', input.arr],
      ['up-after', 'expansion', 15_000],
    ]);
    expect(Number((await database.prisma.contract.findFirstOrThrow({ where: { customerId }, orderBy: { term: 'desc' } })).arr)).toBe(input.arr + 25_000);
    expect(await database.prisma.surveyResponse.count({ where: { customerId } })).toBe(1);

    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const markers = (history.events ?? []).flatMap((event) => {
      const attributes = event.markerRecordedEventAttributes;
      if (attributes?.markerName !== 'core_patch') return [];
      return Object.values(attributes.details ?? {}).flatMap((payloads) => (payloads.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString()));
    });
    expect(markers.some((marker) => marker.includes('workflow-read-model-v1'))).toBe(true);
    if (process.env.SAVE_UPGRADE_HISTORY) {
      writeFileSync(join(__dirname, '../fixtures/histories/read-model-upgrade.binpb'), temporal.api.history.v1.History.encode(history).finish());
    }
    await env.client.workflow.getHandle(workflowId).terminate('test over');
  });
});
