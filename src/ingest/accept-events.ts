/**
 * Accepting customer events from outside (API, CLI): record each durably under its idempotency key
 * (the event id), deliver it to the customer's workflow, mark it delivered, and only then answer.
 * A repeated key is acknowledged as a duplicate and not applied again; a key recorded but not yet
 * delivered (a crash between the two) is delivered again — the workflow ignores an id it has seen.
 *
 * Derived read-model rows (survey responses, ARR movements) are written in the same transaction,
 * keyed by the event id, so they are as exactly-once as the event.
 */
import type { Client } from '@temporalio/client';
import type { TCustomerEvent } from '../domain/customer-events';
import { customerWorkflowId } from '../domain/ids';
import type { PrismaClient } from '../generated/prisma/client';
import { ApiError } from '../api/errors';
import { customerEventsSignal } from '../../workflows/messages';

export interface IncomingEvent {
  customerId: string;
  event: TCustomerEvent;
}

export interface EventResult {
  id: string;
  customerId: string;
  status: 'accepted' | 'duplicate';
}

/** Events per signal: Temporal advises a few signals per second per workflow, so a batch is one signal. */
const SIGNAL_BATCH = 100;

export async function acceptEvents(
  deps: { prisma: PrismaClient; client: Client },
  incoming: IncomingEvent[],
  source = 'api',
): Promise<EventResult[]> {
  const { prisma, client } = deps;
  const ids = incoming.map((e) => e.event.id);
  const repeatedInRequest = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeatedInRequest) {
    throw new ApiError(422, 'duplicate_id_in_request', `event id "${repeatedInRequest}" appears twice in this request`);
  }
  const customerIds = [...new Set(incoming.map((e) => e.customerId))];
  const known = await prisma.customer.findMany({ where: { id: { in: customerIds } }, select: { id: true, arr: true } });
  const unknown = customerIds.filter((id) => !known.some((k) => k.id === id));
  if (unknown.length > 0) {
    throw new ApiError(404, 'unknown_customer', `unknown customer${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, { customerIds: unknown });
  }
  const arrOf = new Map(known.map((k) => [k.id, Number(k.arr)]));

  // 1. Record (or find) every event.
  const existing = await prisma.ingestedEvent.findMany({ where: { idempotencyKey: { in: ids } } });
  for (const row of existing) {
    const sent = incoming.find((e) => e.event.id === row.idempotencyKey)!;
    if (row.customerId !== sent.customerId || row.type !== sent.event.type) {
      throw new ApiError(409, 'idempotency_key_reused', `event id "${row.idempotencyKey}" was already used for another ${row.type} event of customer ${row.customerId}`);
    }
  }
  const fresh = incoming.filter((e) => !existing.some((row) => row.idempotencyKey === e.event.id));
  if (fresh.length > 0) {
    await prisma.$transaction(async (tx) => {
      await tx.ingestedEvent.createMany({
        data: fresh.map(({ customerId, event }) => ({
          idempotencyKey: event.id,
          customerId,
          type: event.type,
          source,
          payload: JSON.parse(JSON.stringify(event)),
          occurredAt: new Date(event.occurredAt),
        })),
        skipDuplicates: true, // a concurrent request with the same key: both answer, one row
      });
      const surveys = fresh.flatMap(({ customerId, event }) => (event.type === 'survey' ? [{ customerId, event }] : []));
      if (surveys.length > 0) {
        await tx.surveyResponse.createMany({
          data: surveys.map(({ customerId, event }) => ({
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
      for (const { customerId, event } of fresh) {
        if (event.type === 'stakeholder') {
          const { stakeholder, action } = event;
          const row = {
            name: stakeholder.name,
            role: stakeholder.role,
            email: stakeholder.email ?? null,
            engaged: action !== 'disengaged' && action !== 'left',
            leftAt: action === 'left' ? new Date(event.occurredAt) : null,
          };
          await tx.stakeholder.upsert({
            where: { customerId_stakeholderId: { customerId, stakeholderId: stakeholder.id } },
            create: { customerId, stakeholderId: stakeholder.id, ...row },
            update: row,
          });
        }
        if (event.type === 'contract') await recordContractChange(tx, customerId, event);
      }
      const movements = fresh.flatMap(({ customerId, event }) => {
        if (event.type !== 'contract') return [];
        const before = arrOf.get(customerId) ?? 0;
        const movement = arrMovement(event, before);
        if (movement) arrOf.set(customerId, movement.after);
        return movement ? [{ customerId, event, ...movement }] : [];
      });
      if (movements.length > 0) {
        await tx.arrMovement.createMany({
          data: movements.map((m) => ({
            idempotencyKey: m.event.id,
            customerId: m.customerId,
            kind: m.kind,
            amount: m.amount,
            occurredAt: new Date(m.event.occurredAt),
          })),
          skipDuplicates: true,
        });
      }
    });
  }

  // 2. Deliver what is not delivered yet (new, or recorded by a request that died before delivering).
  const delivered = new Set(existing.filter((row) => row.deliveredAt !== null).map((row) => row.idempotencyKey));
  const toDeliver = incoming.filter((e) => !delivered.has(e.event.id));
  const byCustomer = new Map<string, TCustomerEvent[]>();
  for (const { customerId, event } of toDeliver) byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), event]);
  await Promise.all(
    [...byCustomer].map(async ([customerId, events]) => {
      const handle = client.workflow.getHandle(customerWorkflowId(customerId));
      for (let i = 0; i < events.length; i += SIGNAL_BATCH) {
        try {
          await handle.signal(customerEventsSignal, events.slice(i, i + SIGNAL_BATCH));
        } catch (error) {
          if ((error as Error).name === 'WorkflowNotFoundError') {
            // The record stays undelivered: a retry of the same request delivers it once the customer runs.
            throw new ApiError(503, 'customer_not_running', `customer ${customerId} has no running workflow; retry later`);
          }
          throw error;
        }
      }
    }),
  );
  if (toDeliver.length > 0) {
    await prisma.ingestedEvent.updateMany({
      where: { idempotencyKey: { in: toDeliver.map((e) => e.event.id) }, deliveredAt: null },
      data: { deliveredAt: new Date() },
    });
  }
  return incoming.map(({ customerId, event }) => ({
    id: event.id,
    customerId,
    status: delivered.has(event.id) ? 'duplicate' : existing.some((row) => row.idempotencyKey === event.id) ? 'duplicate' : 'accepted',
  }));
}

/** The ARR component a contract event represents, against the customer's ARR before it. */
function arrMovement(
  event: Extract<TCustomerEvent, { type: 'contract' }>,
  before: number,
): { kind: 'expansion' | 'contraction' | 'churn'; amount: number; after: number } | undefined {
  if (event.action === 'churned') return before > 0 ? { kind: 'churn', amount: before, after: 0 } : undefined;
  if (event.arr === undefined) return undefined;
  if (event.arr > before) return { kind: 'expansion', amount: event.arr - before, after: event.arr };
  if (event.arr < before) return { kind: 'contraction', amount: before - event.arr, after: event.arr };
  return undefined;
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** Keeps the contract terms current: a moved end, a renewal (a new term), a churn, a new ARR. */
async function recordContractChange(tx: Tx, customerId: string, event: Extract<TCustomerEvent, { type: 'contract' }>): Promise<void> {
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
          endsAt: event.contractEnd ? new Date(event.contractEnd) : new Date(current.endsAt.getTime() + (current.endsAt.getTime() - current.startsAt.getTime())),
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
