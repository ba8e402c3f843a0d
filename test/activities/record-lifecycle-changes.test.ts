import { createActivities } from '../../activities';
import { sampleChanges } from '../support/lifecycle-changes';
import type { Database } from '../../src/db/database';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { openTestDatabase, testMailer } from '../support/servers';
import type { LifecycleWrite } from '../../src/domain/lifecycle-step';
import { readModelEvent } from '../../src/domain/read-model-rows';

describe('recordLifecycleChanges (real PostgreSQL)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('activities');
  });
  afterAll(async () => {
    await database?.close();
  });

  it('writes the customer row, the timeline entry with its cause, the stage move and the health snapshot', async () => {
    const { recordLifecycleChanges } = createActivities({ prisma: database.prisma, definition: DEFAULT_LIFECYCLE, mailer: testMailer(), webhookTargets: {} });
    await expect(recordLifecycleChanges(sampleChanges('cust-1'))).resolves.toEqual({ entries: 1, stageMoves: 1, health: 1 });
    const customer = await database.prisma.customer.findUniqueOrThrow({
      where: { id: 'cust-1' },
      include: { timeline: true, stageChanges: true, healthHistory: true },
    });
    expect(customer).toMatchObject({ name: 'Cust One', stage: 'adoption', segment: 'enterprise', csmOwner: 'dana@example.com' });
    expect(customer.timeline[0]).toMatchObject({ kind: 'stage', causeType: 'event', causeId: 'evt-9', definitionVersion: '2026.11.1' });
    expect(customer.stageChanges[0]).toMatchObject({ fromStage: 'onboarding', toStage: 'adoption', reason: 'exit criteria met' });
    expect(customer.healthHistory[0]).toMatchObject({ score: 72.5, band: 'yellow', missing: ['nps'] });
  });

  it('writes nothing twice when the same changes are recorded again (activity retry or replay)', async () => {
    const { recordLifecycleChanges } = createActivities({ prisma: database.prisma, definition: DEFAULT_LIFECYCLE, mailer: testMailer(), webhookTargets: {} });
    await expect(recordLifecycleChanges(sampleChanges('cust-1'))).resolves.toEqual({ entries: 0, stageMoves: 0, health: 0 });
    expect(await database.prisma.timelineEntry.count({ where: { customerId: 'cust-1' } })).toBe(1);
    expect(await database.prisma.stageTransition.count({ where: { customerId: 'cust-1' } })).toBe(1);
    expect(await database.prisma.healthSnapshot.count({ where: { customerId: 'cust-1' } })).toBe(1);
  });

  it("writes an applied event's read-model rows once, however often the write is retried", async () => {
    const { recordLifecycleChanges } = createActivities({ prisma: database.prisma, definition: DEFAULT_LIFECYCLE, mailer: testMailer(), webhookTargets: {} });
    const customerId = 'cust-read-model';
    const at = '2026-03-01T10:00:00.000Z';
    await database.prisma.customer.create({ data: { id: customerId, name: 'Read Model', arr: 30_000 } });
    await database.prisma.contract.create({
      data: { customerId, term: 1, startsAt: new Date('2026-01-01T00:00:00Z'), endsAt: new Date('2027-01-01T00:00:00Z'), arr: 30_000 },
    });
    const write: LifecycleWrite = {
      writeVersion: 2,
      workflowId: `customer-${customerId}`,
      customerId,
      definitionVersion: DEFAULT_LIFECYCLE.version,
      entries: [],
      stageMoves: [],
      readModel: [
        readModelEvent({ id: 'nps-1', type: 'survey', survey: 'nps', score: 9, occurredAt: at }, 30_000),
        readModelEvent(
          { id: 'sh-1', type: 'stakeholder', action: 'engaged', stakeholder: { id: 'p', name: 'Priya', role: 'champion' }, occurredAt: at },
          30_000,
        ),
        readModelEvent({ id: 'renew-1', type: 'contract', action: 'renewed', arr: 36_000, occurredAt: at }, 30_000),
        readModelEvent({ id: 'down-1', type: 'contract', action: 'contracted', arr: 32_000, occurredAt: at }, 36_000),
      ],
    };
    await expect(recordLifecycleChanges(write)).resolves.toMatchObject({ readModelEvents: 4 });
    // A retry (the worker died after the commit) and a replayed step write nothing again: no third term.
    await expect(recordLifecycleChanges(write)).resolves.toMatchObject({ readModelEvents: 0 });
    await expect(recordLifecycleChanges({ ...write, readModel: write.readModel!.slice(2) })).resolves.toMatchObject({ readModelEvents: 0 });
    const customer = await database.prisma.customer.findUniqueOrThrow({
      where: { id: customerId },
      include: { surveys: true, stakeholders: true, contracts: { orderBy: { term: 'asc' } }, arrMovements: { orderBy: { amount: 'desc' } } },
    });
    expect(customer.surveys.map((s) => [s.idempotencyKey, s.score])).toEqual([['nps-1', 9]]);
    expect(customer.stakeholders.map((p) => [p.stakeholderId, p.role, p.engaged])).toEqual([['p', 'champion', true]]);
    expect(customer.contracts.map((c) => [c.term, c.status, Number(c.arr)])).toEqual([
      [1, 'renewed', 30_000],
      [2, 'active', 32_000],
    ]);
    expect(customer.arrMovements.map((m) => [m.idempotencyKey, m.kind, Number(m.amount)])).toEqual([
      ['renew-1', 'expansion', 6_000],
      ['down-1', 'contraction', 4_000],
    ]);
  });
});
