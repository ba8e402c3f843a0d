/**
 * Writes the read-model rows a customer's workflow noted for the events it applied (survey
 * responses, stakeholders, contract terms, ARR movements; `src/domain/read-model-rows.ts`), inside
 * `recordLifecycleChanges`'s transaction. Each event is listed in `applied_events` in the same
 * transaction, and only events not listed before are written: a retried activity, or a workflow
 * replayed or reset over events already written, writes nothing twice (a renewal does not open a
 * second new term). The workflow applies one customer's events one at a time, so no lock orders
 * them: each ARR movement was measured by the workflow against the ARR the one before left.
 */
import type { Prisma } from '../src/generated/prisma/client';
import type { ReadModelEvent } from '../src/domain/read-model-rows';

type ContractEvent = Extract<ReadModelEvent['event'], { type: 'contract' }>;

/** Returns how many events' rows it wrote (0 when all were written before). */
export async function writeReadModelRows(tx: Prisma.TransactionClient, customerId: string, events: ReadModelEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const inserted = await tx.appliedEvent.createManyAndReturn({
    data: events.map(({ event }) => ({ customerId, eventId: event.id })),
    skipDuplicates: true,
    select: { eventId: true },
  });
  const fresh = new Set(inserted.map((row) => row.eventId));
  const apply = events.filter(({ event }) => fresh.has(event.id));

  const surveys = apply.flatMap(({ event }) => (event.type === 'survey' ? [event] : []));
  if (surveys.length > 0) {
    await tx.surveyResponse.createMany({
      data: surveys.map((event) => ({
        idempotencyKey: event.id,
        customerId,
        survey: event.survey,
        score: event.score,
        respondent: event.respondent ?? null,
        comment: event.comment ?? null,
        occurredAt: new Date(event.occurredAt),
      })),
      skipDuplicates: true,
    });
  }
  for (const { event, arrMovement } of apply) {
    if (event.type === 'stakeholder') {
      const { stakeholder, action } = event;
      // Named is known, not engaged: only an `engaged` event engages, as the workflow's health
      // rules count it; a role change or an update keeps what was recorded before.
      const engaged = action === 'engaged' ? true : action === 'disengaged' || action === 'left' ? false : undefined;
      const row = {
        name: stakeholder.name,
        role: stakeholder.role,
        email: stakeholder.email ?? null,
        leftAt: action === 'left' ? new Date(event.occurredAt) : null,
      };
      await tx.stakeholder.upsert({
        where: { customerId_stakeholderId: { customerId, stakeholderId: stakeholder.id } },
        create: { customerId, stakeholderId: stakeholder.id, ...row, engaged: engaged ?? false },
        update: engaged === undefined ? row : { ...row, engaged },
      });
    }
    if (event.type === 'contract') {
      await recordContractChange(tx, customerId, event);
      if (arrMovement) {
        await tx.arrMovement.createMany({
          data: [{ idempotencyKey: event.id, customerId, kind: arrMovement.kind, amount: arrMovement.amount, occurredAt: new Date(event.occurredAt) }],
          skipDuplicates: true,
        });
      }
    }
  }
  return apply.length;
}

/** Keeps the contract terms current: a moved end, a renewal (a new term), a churn, a new ARR. */
async function recordContractChange(tx: Prisma.TransactionClient, customerId: string, event: ContractEvent): Promise<void> {
  const current = await tx.contract.findFirst({ where: { customerId }, orderBy: { term: 'desc' } });
  if (!current) return;
  switch (event.action) {
    case 'renewal_date_moved':
      if (event.contractEnd) await tx.contract.update({ where: { id: current.id }, data: { endsAt: new Date(event.contractEnd) } });
      return;
    case 'renewed':
      await tx.contract.update({ where: { id: current.id }, data: { status: 'renewed' } });
      await tx.contract.create({
        data: {
          customerId,
          term: current.term + 1,
          startsAt: current.endsAt,
          endsAt: event.contractEnd
            ? new Date(event.contractEnd)
            : new Date(current.endsAt.getTime() + (current.endsAt.getTime() - current.startsAt.getTime())),
          arr: event.arr ?? current.arr,
        },
      });
      return;
    case 'churned':
      await tx.contract.update({ where: { id: current.id }, data: { status: 'churned' } });
      return;
    case 'expanded':
    case 'contracted':
      if (event.arr !== undefined) await tx.contract.update({ where: { id: current.id }, data: { arr: event.arr } });
      return;
  }
}
