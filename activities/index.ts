/**
 * Activities: the only place side effects happen. Built by a factory over real dependencies so tests
 * pass a Prisma client bound to their own database. Each write carries an idempotency key derived
 * from the workflow id and the step, so a retried or replayed activity never writes twice.
 */
import type { PrismaClient } from '../src/generated/prisma/client';

export interface ActivityDeps {
  prisma: PrismaClient;
}

export interface TimelineEntryInput {
  customerId: string;
  customerName: string;
  idempotencyKey: string;
  kind: string;
  occurredAt: string;
  detail: Record<string, string | number | boolean | null>;
}

export function createActivities({ prisma }: ActivityDeps) {
  return {
    /** Returns 'recorded', or 'duplicate' when this key was written before (an earlier attempt). */
    async recordTimelineEntry(entry: TimelineEntryInput): Promise<'recorded' | 'duplicate'> {
      const result = await prisma.$transaction(async (tx) => {
        await tx.customer.upsert({
          where: { id: entry.customerId },
          create: { id: entry.customerId, name: entry.customerName },
          update: {},
        });
        return tx.timelineEntry.createMany({
          data: [
            {
              customerId: entry.customerId,
              idempotencyKey: entry.idempotencyKey,
              kind: entry.kind,
              occurredAt: new Date(entry.occurredAt),
              detail: entry.detail,
            },
          ],
          skipDuplicates: true,
        });
      });
      return result.count === 1 ? 'recorded' : 'duplicate';
    },
  };
}

export type LifecycleActivities = ReturnType<typeof createActivities>;
