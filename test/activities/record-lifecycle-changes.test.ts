import { createActivities } from '../../activities';
import { sampleChanges } from '../support/lifecycle-changes';
import type { Database } from '../../src/db/database';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { openTestDatabase, testMailer } from '../support/servers';

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
});
