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
import { Prisma, type PrismaClient } from '../generated/prisma/client';
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
  const known = await prisma.customer.findMany({ where: { id: { in: customerIds } }, select: { id: true } });
  const unknown = customerIds.filter((id) => !known.some((k) => k.id === id));
  if (unknown.length > 0) {
    throw new ApiError(404, 'unknown_customer', `unknown customer${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, { customerIds: unknown });
  }

  // 1. Record (or find) every event.
  const existing = await prisma.ingestedEvent.findMany({ where: { idempotencyKey: { in: ids } } });
  for (const row of existing) {
    const sent = incoming.find((e) => e.event.id === row.idempotencyKey)!;
    if (row.customerId !== sent.customerId || row.type !== sent.event.type) {
      throw new ApiError(409, 'idempotency_key_reused', `event id "${row.idempotencyKey}" was already used for another ${row.type} event of customer ${row.customerId}`);
    }
  }
  const fresh = incoming.filter((e) => !existing.some((row) => row.idempotencyKey === e.event.id));
  // The keys this request recorded itself. A concurrent request with the same key may record it
  // first; then this one answers "duplicate" and applies nothing of it.
  const recordedHere = fresh.length > 0 ? await prisma.$transaction((tx) => recordEvents(tx, fresh, source)) : new Set<string>();

  // 2. Deliver what is not known to be delivered (new, or recorded by a request that died before
  //    delivering, or being delivered by a concurrent request): the workflow ignores an id it has seen.
  const delivered = new Set(existing.filter((row) => row.deliveredAt !== null).map((row) => row.idempotencyKey));
  await deliverEvents(deps, incoming.filter((e) => !delivered.has(e.event.id)));
  return incoming.map(({ customerId, event }) => ({
    id: event.id,
    customerId,
    status: recordedHere.has(event.id) ? 'accepted' : 'duplicate',
  }));
}

/**
 * Writes the event rows and what they imply for the read model (survey responses, stakeholders,
 * contract terms, ARR movements) in one transaction. Returns the keys it inserted; only those are
 * applied, so a key two requests race for is applied once.
 */
async function recordEvents(tx: Tx, fresh: IncomingEvent[], source: string): Promise<Set<string>> {
  // Requests changing one customer's contract take turns (each ARR movement starts where the
  // previous one ended). NO KEY UPDATE: it excludes only its own kind, not the key-share locks that
  // inserting rows which reference the customer takes, so other events and the workflow's own
  // writes go on, and two of these cannot deadlock over the customer row.
  const contractCustomers = [...new Set(fresh.filter((e) => e.event.type === 'contract').map((e) => e.customerId))].sort();
  if (contractCustomers.length > 0) {
    await tx.$queryRaw`SELECT id FROM customers WHERE id IN (${Prisma.join(contractCustomers)}) ORDER BY id FOR NO KEY UPDATE`;
  }
  const inserted = await tx.ingestedEvent.createManyAndReturn({
    data: fresh.map(({ customerId, event }) => ({
      idempotencyKey: event.id,
      customerId,
      type: event.type,
      source,
      payload: JSON.parse(JSON.stringify(event)),
      occurredAt: new Date(event.occurredAt),
    })),
    skipDuplicates: true,
    select: { idempotencyKey: true },
  });
  const recorded = new Set(inserted.map((row) => row.idempotencyKey));
  const apply = fresh.filter((e) => recorded.has(e.event.id));

  const surveys = apply.flatMap(({ customerId, event }) => (event.type === 'survey' ? [{ customerId, event }] : []));
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

  // ARR movements are measured against the customer's ARR of record (its current contract term).
  const arrOf = new Map<string, number>();
  for (const customerId of contractCustomers) arrOf.set(customerId, await arrOfRecord(tx, customerId));
  const movements: Array<{ customerId: string; event: TCustomerEvent; kind: string; amount: number }> = [];
  for (const { customerId, event } of apply) {
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
    if (event.type === 'contract') {
      const movement = arrMovement(event, arrOf.get(customerId) ?? 0);
      if (movement) {
        arrOf.set(customerId, movement.after);
        movements.push({ customerId, event, kind: movement.kind, amount: movement.amount });
      }
      await recordContractChange(tx, customerId, event);
    }
  }
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
  return recorded;
}

/** The customer's ARR now: its latest contract term's (0 once churned), else the handoff's. */
async function arrOfRecord(tx: Tx, customerId: string): Promise<number> {
  const current = await tx.contract.findFirst({ where: { customerId }, orderBy: { term: 'desc' } });
  if (current) return current.status === 'churned' ? 0 : Number(current.arr);
  const customer = await tx.customer.findUniqueOrThrow({ where: { id: customerId }, select: { arr: true } });
  return Number(customer.arr);
}

/**
 * Signals each customer's events (in batches of SIGNAL_BATCH), then marks what was signalled as
 * delivered in one write, also when some customer failed: its failure does not leave the others'
 * delivered events unmarked.
 */
export async function deliverEvents(deps: { prisma: PrismaClient; client: Client }, events: IncomingEvent[]): Promise<void> {
  const byCustomer = new Map<string, TCustomerEvent[]>();
  for (const { customerId, event } of events) byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), event]);
  const signalled: string[] = [];
  const outcomes = await Promise.allSettled(
    [...byCustomer].map(async ([customerId, customerEvents]) => {
      const handle = deps.client.workflow.getHandle(customerWorkflowId(customerId));
      for (let i = 0; i < customerEvents.length; i += SIGNAL_BATCH) {
        const batch = customerEvents.slice(i, i + SIGNAL_BATCH);
        try {
          await handle.signal(customerEventsSignal, batch);
        } catch (error) {
          if ((error as Error).name === 'WorkflowNotFoundError') {
            // The record stays undelivered: a retry (or the redelivery sweep) delivers it once the customer runs.
            throw new ApiError(503, 'customer_not_running', `customer ${customerId} has no running workflow; retry later`);
          }
          throw error;
        }
        signalled.push(...batch.map((e) => e.id));
      }
    }),
  );
  if (signalled.length > 0) {
    await deps.prisma.ingestedEvent.updateMany({ where: { idempotencyKey: { in: signalled }, deliveredAt: null }, data: { deliveredAt: new Date() } });
  }
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Delivers events that were recorded but never marked delivered (the process died, or Temporal was
 * unreachable, between the two) once they are `olderThanMs` old, so none waits for its sender to
 * retry. Returns how many it delivered; customers still not running are left for the next sweep.
 */
export async function redeliverPendingEvents(
  deps: { prisma: PrismaClient; client: Client },
  { olderThanMs = 60_000, limit = 1_000, now = Date.now() } = {},
): Promise<number> {
  const pending = await deps.prisma.ingestedEvent.findMany({
    where: { deliveredAt: null, receivedAt: { lt: new Date(now - olderThanMs) } },
    orderBy: [{ receivedAt: 'asc' }, { occurredAt: 'asc' }],
    take: limit,
  });
  let done = 0;
  const byCustomer = new Map<string, IncomingEvent[]>();
  for (const row of pending) {
    byCustomer.set(row.customerId, [...(byCustomer.get(row.customerId) ?? []), { customerId: row.customerId, event: row.payload as unknown as TCustomerEvent }]);
  }
  for (const events of byCustomer.values()) {
    try {
      await deliverEvents(deps, events);
      done += events.length;
    } catch {
      // Not running yet (or Temporal away): the next sweep tries again.
    }
  }
  return done;
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
