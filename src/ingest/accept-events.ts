/**
 * Accepting customer events from outside (API, CLI): record each durably under its idempotency key
 * (the event id), deliver it to the customer's workflow, mark it delivered, and only then answer.
 * A repeated key is acknowledged as a duplicate and not applied again; a key recorded but not yet
 * delivered (a crash between the two) is delivered again — the workflow ignores an id it has seen.
 *
 * Derived read-model rows (survey responses, ARR movements) are written in the same transaction,
 * keyed by the event id, so they are as exactly-once as the event.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TCustomerEvent } from '../domain/customer-events';
import { customerWorkflowId } from '../domain/ids';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { ApiError } from '../api/errors';
import { LIMITS } from '../domain/bounds';
import { isDatabaseUnavailable, isTemporalUnavailable, type AvailabilityLog } from '../util/availability';
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
/** How long one signal may take before Temporal counts as away (its client would wait ~20 s). */
const SIGNAL_DEADLINE_MS = 5_000;

export interface AcceptOptions {
  /** Where the events came from, recorded with each (`api`, `segment`, `demo`). */
  source?: string;
  /** Each event's field path prefix in the request, for errors (`events.3.`); default `events.N.`. */
  pathOf?: (index: number) => string;
  /** What the request calls `occurredAt`, for errors (CloudEvents: `time`). */
  occurredAtField?: string;
  /**
   * Refuse (422) events dated over a year before their contract start. Segment turns this off: one
   * old message must not fail a whole SDK flush; the workflow records such an event as rejected.
   */
  checkContractDates?: boolean;
  /**
   * What a key already recorded with another payload is: a 409 (the API's senders), or a repeat
   * answered `duplicate` and not applied (Segment: its retries keep the messageId but may carry
   * another `occurredAt`, and a 409 would fail the whole flush, forever).
   */
  reusedKey?: 'conflict' | 'duplicate';
}

export async function acceptEvents(
  deps: { prisma: PrismaClient; client: Client; availability?: AvailabilityLog },
  incoming: IncomingEvent[],
  options: AcceptOptions | string = {},
): Promise<EventResult[]> {
  const {
    source = 'api',
    pathOf = (index: number) => `events.${index}.`,
    checkContractDates = true,
    occurredAtField = 'occurredAt',
    reusedKey = 'conflict',
  } = typeof options === 'string' ? { source: options } : options;
  const { prisma } = deps;
  const ids = incoming.map((e) => e.event.id);
  const firstIndex = new Map<string, number>();
  ids.forEach((id, index) => {
    if (firstIndex.has(id)) throw invalid([{ path: `${pathOf(index)}id`, message: `event id "${id}" appears twice in this request` }]);
    firstIndex.set(id, index);
  });
  const customerIds = [...new Set(incoming.map((e) => e.customerId))];
  const known = await prisma.customer.findMany({ where: { id: { in: customerIds } }, select: { id: true, contractStart: true } });
  const knownById = new Map(known.map((k) => [k.id, k]));
  const unknown = customerIds.filter((id) => !knownById.has(id));
  if (unknown.length > 0) {
    throw new ApiError(404, 'unknown_customer', `unknown customer${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      details: { customerIds: unknown },
    });
  }
  // An event long before its customer's contract is a wrong date, not history (documented bound).
  const tooEarly = incoming.flatMap(({ customerId, event }, index) => {
    const start = knownById.get(customerId)?.contractStart;
    return checkContractDates && start && Date.parse(event.occurredAt) < start.getTime() - LIMITS.beforeContractStartMs
      ? [
          {
            path: `${pathOf(index)}${occurredAtField}`,
            message: `must not be more than a year before the contract start (${start.toISOString().slice(0, 10)})`,
          },
        ]
      : [];
  });
  if (tooEarly.length > 0) throw invalid(tooEarly);

  // 1. Record (or find) every event. A key already recorded must carry the same event: the same
  //    customer, type and payload. Anything else is a different event reusing the key (409).
  const existing = new Map((await prisma.ingestedEvent.findMany({ where: { idempotencyKey: { in: ids } } })).map((row) => [row.idempotencyKey, row]));
  if (reusedKey === 'conflict') assertSameEvents(incoming, existing, pathOf);
  const fresh = incoming.filter((e) => !existing.has(e.event.id));
  const recordedHere =
    fresh.length > 0
      ? await prisma.$transaction((tx) => recordEvents(tx, fresh, source), RECORD_TRANSACTION).catch(databaseAway(deps, false))
      : new Set<string>();
  // Keys a concurrent request recorded between our look-up and our insert: re-checked against what
  // that request stored, and never delivered with this request's payload.
  const lostKeys = fresh.filter((e) => !recordedHere.has(e.event.id)).map((e) => e.event.id);
  const winners = new Map(
    lostKeys.length > 0
      ? (await prisma.ingestedEvent.findMany({ where: { idempotencyKey: { in: lostKeys } } }).catch(databaseAway(deps, recordedHere.size > 0))).map((row) => [
          row.idempotencyKey,
          row,
        ])
      : [],
  );
  let conflict: ApiError | undefined;
  try {
    if (reusedKey === 'conflict') assertSameEvents(incoming, winners, pathOf);
  } catch (error) {
    conflict = error as ApiError;
  }

  // 2. Deliver what is not known to be delivered: new, recorded by a request that died (or answered
  //    503) before delivering, or being delivered by a concurrent request — the workflow ignores an
  //    id it has seen. Only events whose stored payload is this one are delivered.
  const deliverable = incoming.filter(({ customerId, event }) => {
    if (recordedHere.has(event.id)) return true;
    const row = existing.get(event.id) ?? winners.get(event.id);
    return row !== undefined && row.deliveredAt === null && row.customerId === customerId && sameEvent(row, event);
  });
  await deliverEvents(deps, deliverable);
  if (conflict) throw conflict;
  return incoming.map(({ customerId, event }) => ({
    id: event.id,
    customerId,
    // Accepted: this request recorded it. Duplicate: an earlier or concurrent request did (an earlier
    // one that answered 503 said so: `details.recorded`), and this one applied nothing new.
    status: recordedHere.has(event.id) ? 'accepted' : 'duplicate',
  }));
}

/**
 * PostgreSQL went away mid-request: 503 saying truthfully whether this request recorded anything
 * (what it recorded is delivered by the sweep; sending again is safe either way).
 */
function databaseAway(deps: { availability?: AvailabilityLog }, recorded: boolean) {
  return (error: unknown): never => {
    if (!isDatabaseUnavailable(error)) throw error;
    deps.availability?.failed('database', error);
    throw new ApiError(
      503,
      'database_unavailable',
      recorded
        ? 'PostgreSQL became unreachable: events recorded before that will be delivered; sending them again is safe'
        : 'PostgreSQL is unreachable: nothing was recorded; send the events again',
      { details: { recorded }, retryAfterSeconds: 10 },
    );
  };
}

type EventRow = { idempotencyKey: string; customerId: string; type: string; payload: unknown; deliveredAt: Date | null };

function sameEvent(row: EventRow, event: TCustomerEvent): boolean {
  return row.type === event.type && canonicalJson(row.payload) === canonicalJson(JSON.parse(JSON.stringify(event)));
}

function assertSameEvents(incoming: IncomingEvent[], rows: Map<string, EventRow>, pathOf: (index: number) => string): void {
  incoming.forEach(({ customerId, event }, index) => {
    const row = rows.get(event.id);
    if (!row) return;
    if (row.customerId !== customerId) {
      throw new ApiError(409, 'idempotency_key_reused', `${pathOf(index)}id: event id "${event.id}" was already used for an event of another customer`, {
        issues: [{ path: `${pathOf(index)}id`, message: 'already used for an event of another customer' }],
      });
    }
    if (!sameEvent(row, event)) {
      throw new ApiError(
        409,
        'idempotency_key_reused',
        `${pathOf(index)}id: event id "${event.id}" was already used for a different ${row.type} event of this customer`,
        {
          issues: [{ path: `${pathOf(index)}id`, message: `already used for a different ${row.type} event of this customer` }],
        },
      );
    }
  });
}

/** JSON with object keys sorted, so a stored payload (jsonb reorders keys) compares with a sent one. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const invalid = (issues: { path: string; message: string }[]) =>
  new ApiError(422, 'invalid_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });

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
 * delivered events unmarked. Every event given is already recorded: a failure here is answered
 * 503 saying so, and the redelivery sweep (or the sender's retry) delivers it later.
 */
export async function deliverEvents(deps: { prisma: PrismaClient; client: Client; availability?: AvailabilityLog }, events: IncomingEvent[]): Promise<void> {
  const byCustomer = new Map<string, TCustomerEvent[]>();
  for (const { customerId, event } of events) byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), event]);
  const signalled: string[] = [];
  const outcomes = await Promise.allSettled(
    [...byCustomer].map(async ([customerId, customerEvents]) => {
      const handle = deps.client.workflow.getHandle(customerWorkflowId(customerId));
      for (let i = 0; i < customerEvents.length; i += SIGNAL_BATCH) {
        const batch = customerEvents.slice(i, i + SIGNAL_BATCH);
        try {
          // A deadline: with Temporal away the client would otherwise retry for ~20 s per request.
          await deps.client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => handle.signal(customerEventsSignal, batch));
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) {
            throw new ApiError(
              503,
              'customer_not_running',
              `customer ${customerId} has no running workflow; the events are recorded and will be delivered once it runs`,
              {
                details: { recorded: true },
                retryAfterSeconds: 5,
              },
            );
          }
          if (isTemporalUnavailable(error)) {
            deps.availability?.failed('temporal', error);
            throw new ApiError(
              503,
              'temporal_unavailable',
              'Temporal is unreachable: the events are recorded and will be delivered within minutes of its return; sending them again is safe',
              {
                details: { recorded: true },
                retryAfterSeconds: 10,
              },
            );
          }
          throw error;
        }
        deps.availability?.succeeded('temporal');
        signalled.push(...batch.map((e) => e.id));
      }
    }),
  );
  if (signalled.length > 0) {
    try {
      await deps.prisma.ingestedEvent.updateMany({ where: { idempotencyKey: { in: signalled }, deliveredAt: null }, data: { deliveredAt: new Date() } });
    } catch (error) {
      // Recorded and signalled: the answer is true as it stands. Unmarked rows are signalled again
      // by the sweep, and the workflow ignores an id it has seen.
      if (!isDatabaseUnavailable(error)) throw error;
      deps.availability?.failed('database', error);
    }
  }
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Delivers events that were recorded but never marked delivered (the process died, or Temporal was
 * unreachable, between the two) once they are `olderThanMs` old, so none waits for its sender to
 * retry. Returns how many it delivered; customers still not running are left for the next sweep.
 * The maintenance schedule runs it (`activities/maintenance.ts`); `onCustomer` is told after each
 * customer's events, for the activity's heartbeat.
 */
export async function redeliverPendingEvents(
  deps: { prisma: PrismaClient; client: Client },
  {
    olderThanMs = 60_000,
    limit = 1_000,
    now = Date.now(),
    onCustomer = () => {},
  }: { olderThanMs?: number; limit?: number; now?: number; onCustomer?: () => void } = {},
): Promise<number> {
  const pending = await deps.prisma.ingestedEvent.findMany({
    where: { deliveredAt: null, receivedAt: { lt: new Date(now - olderThanMs) } },
    orderBy: [{ receivedAt: 'asc' }, { occurredAt: 'asc' }],
    take: limit,
  });
  let done = 0;
  const byCustomer = new Map<string, IncomingEvent[]>();
  for (const row of pending) {
    byCustomer.set(row.customerId, [
      ...(byCustomer.get(row.customerId) ?? []),
      { customerId: row.customerId, event: row.payload as unknown as TCustomerEvent },
    ]);
  }
  for (const events of byCustomer.values()) {
    try {
      await deliverEvents(deps, events);
      done += events.length;
    } catch {
      // Not running yet (or Temporal away): the next sweep tries again.
    }
    onCustomer();
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

/**
 * A burst of requests queues for the pool's connections: Prisma's defaults (2 s to get one, 5 s to
 * finish) turned a busy moment into 503s and 500s for batches that would have been recorded a moment
 * later. The request still fails, with 503, when PostgreSQL is really away.
 */
const RECORD_TRANSACTION = { maxWait: 10_000, timeout: 20_000 };

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
