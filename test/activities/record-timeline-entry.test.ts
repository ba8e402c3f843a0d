import { createActivities } from '../../activities';
import type { Database } from '../../src/db/database';
import { openTestDatabase } from '../support/servers';

describe('recordTimelineEntry (real PostgreSQL)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('activities');
  });
  afterAll(async () => {
    await database?.close();
  });

  const entry = {
    customerId: 'cust-1',
    customerName: 'Cust One',
    idempotencyKey: 'customer:cust-1:event:e1',
    kind: 'event.usage',
    occurredAt: '2026-03-01T12:00:00.000Z',
    detail: { eventId: 'e1' },
  };

  it('creates the customer and the entry on first write', async () => {
    const { recordTimelineEntry } = createActivities({ prisma: database.prisma });
    await expect(recordTimelineEntry(entry)).resolves.toBe('recorded');
    const customer = await database.prisma.customer.findUniqueOrThrow({
      where: { id: 'cust-1' },
      include: { timeline: true },
    });
    expect(customer.name).toBe('Cust One');
    expect(customer.timeline).toHaveLength(1);
    expect(customer.timeline[0]).toMatchObject({
      kind: 'event.usage',
      occurredAt: new Date('2026-03-01T12:00:00.000Z'),
      detail: { eventId: 'e1' },
    });
  });

  it('treats a retried write with the same idempotency key as already done', async () => {
    const { recordTimelineEntry } = createActivities({ prisma: database.prisma });
    await expect(recordTimelineEntry(entry)).resolves.toBe('duplicate');
    expect(await database.prisma.timelineEntry.count({ where: { customerId: 'cust-1' } })).toBe(1);
  });
});
