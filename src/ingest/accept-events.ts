/**
 * Accepting customer events from outside (API, CLI): record each durably in the event log under its
 * customer and idempotency key (the event id; two customers may use one id), deliver it to the
 * customer's workflow, mark it delivered, and only then answer. A repeated key is acknowledged as a
 * duplicate and not applied again; a key recorded but not yet delivered (a crash between the two)
 * is delivered again — the workflow ignores an id it has seen.
 *
 * A request's own cost is mostly round trips (database, Temporal), so the API shares them between
 * concurrent requests: the look-ups and inserts of requests arriving while one runs go in one
 * statement each (`SharedEventLog`), the "delivered" marks are written together (`DeliveredMarks`),
 * and what several requests send one customer is signalled together (`CustomerSignals`). Each
 * request still answers only once its events are signalled and marked.
 *
 * Product usage may instead wait for a rollup (`rollUpUsage`, from `USAGE_ROLLUP_SECONDS`): it is
 * recorded and answered the same way, and the maintenance schedule signals it rolled up per
 * customer and window (`usage-rollups.ts`), so a busy product does not flood its workflows.
 *
 * Nothing an event implies is written here: the customer's workflow, the one place its events are
 * applied in order, writes the read-model rows (survey responses, stakeholders, contract terms, the
 * ARR ledger) through its activity (`recordLifecycleChanges`). No lock is needed for concurrent
 * contract changes: one workflow applies them one at a time.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { TCustomerEvent } from '../domain/customer-events';
import { customerWorkflowId } from '../domain/ids';
import type { PrismaClient } from '../generated/prisma/client';
import { ApiError, isApiError } from '../api/errors';
import { LIMITS } from '../domain/bounds';
import { isDatabaseUnavailable, isTemporalUnavailable, type AvailabilityLog } from '../util/availability';
import { customerEventsSignal } from '../../workflows/messages';
import { Coalescer } from '../util/coalescer';

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

export interface IngestDeps {
  prisma: PrismaClient;
  client: Client;
  availability?: AvailabilityLog;
  /** Usage events are recorded for the maintenance schedule's rollup, not signalled one by one. */
  rollUpUsage?: boolean;
  /** Writes the requests' "delivered" marks together (the API's); without it each writes its own. */
  deliveredMarks?: DeliveredMarks;
  /** Signals each customer's events of concurrent requests together (the API's); without it each request signals its own. */
  signals?: CustomerSignals;
  /** Shares look-ups and inserts between concurrent requests (the API's); without it each runs its own. */
  eventLog?: SharedEventLog;
}

export async function acceptEvents(deps: IngestDeps, incoming: IncomingEvent[], options: AcceptOptions | string = {}): Promise<EventResult[]> {
  const {
    source = 'api',
    pathOf = (index: number) => `events.${index}.`,
    checkContractDates = true,
    occurredAtField = 'occurredAt',
    reusedKey = 'conflict',
  } = typeof options === 'string' ? { source: options } : options;
  const { prisma } = deps;
  const seen = new Set<string>();
  incoming.forEach(({ customerId, event }, index) => {
    const key = eventKey(customerId, event.id);
    if (seen.has(key))
      throw invalid([{ path: `${pathOf(index)}id`, message: `event id "${event.id}" appears twice for customer ${customerId} in this request` }]);
    seen.add(key);
  });
  const customerIds = [...new Set(incoming.map((e) => e.customerId))];
  const keys = incoming.map(({ customerId, event }) => ({ customerId, id: event.id }));
  const shared = incoming.length <= SHARED_MAX_EVENTS ? deps.eventLog : undefined;
  const { knownById, existing } = await (shared ? shared.lookUp(customerIds, keys) : lookUp(prisma, customerIds, keys));
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

  // 1. Record (or find) every event. A key already recorded for the customer must carry the same
  //    event: the same type and payload. Anything else is a different event reusing the key (409).
  if (reusedKey === 'conflict') assertSameEvents(incoming, existing, pathOf);
  const fresh = incoming.filter((e) => !existing.has(eventKey(e.customerId, e.event.id)));
  const recordedHere =
    fresh.length > 0
      ? await (shared ? shared.record(fresh, source, deps.rollUpUsage === true) : recordEvents(prisma, fresh, source, deps.rollUpUsage === true)).catch(
          databaseAway(deps, false),
        )
      : new Set<string>();
  // Keys a concurrent request recorded between our look-up and our insert: re-checked against what
  // that request stored, and never delivered with this request's payload.
  const lost = fresh.filter((e) => !recordedHere.has(eventKey(e.customerId, e.event.id)));
  const winners =
    lost.length > 0
      ? rowsByKey(
          await prisma.ingestedEvent
            .findMany({ where: { customerId: { in: [...new Set(lost.map((e) => e.customerId))] }, idempotencyKey: { in: lost.map((e) => e.event.id) } } })
            .catch(databaseAway(deps, recordedHere.size > 0)),
        )
      : new Map<string, EventRow>();
  let conflict: ApiError | undefined;
  try {
    if (reusedKey === 'conflict') assertSameEvents(incoming, winners, pathOf);
  } catch (error) {
    conflict = error as ApiError;
  }

  // 2. Deliver what is not known to be delivered: new, recorded by a request that died (or answered
  //    503) before delivering, or being delivered by a concurrent request — the workflow ignores an
  //    id it has seen. Only events whose stored payload is this one are delivered; usage recorded
  //    for a rollup is the maintenance schedule's to deliver.
  const deliverable = incoming.filter(({ customerId, event }) => {
    const key = eventKey(customerId, event.id);
    if (recordedHere.has(key)) return !(deps.rollUpUsage && event.type === 'usage');
    const row = existing.get(key) ?? winners.get(key);
    return row !== undefined && row.deliveredAt === null && !row.viaRollup && sameEvent(row, event);
  });
  await deliverEvents(deps, deliverable);
  if (conflict) throw conflict;
  return incoming.map(({ customerId, event }) => ({
    id: event.id,
    customerId,
    // Accepted: this request recorded it. Duplicate: an earlier or concurrent request did (an earlier
    // one that answered 503 said so: `details.recorded`), and this one applied nothing new.
    status: recordedHere.has(eventKey(customerId, event.id)) ? 'accepted' : 'duplicate',
  }));
}

/** An event's identity: its id within its customer. */
const eventKey = (customerId: string, eventId: string): string => `${customerId}\u0000${eventId}`;

/**
 * The customers named and the rows their keys (customer, event id) already have, in one statement:
 * a request's own cost in the API is mostly its database round trips (`src/bench/RESULTS.md`), so
 * the two look-ups share one. Keys are looked up as exact pairs, so look-ups of several requests
 * taken together cost what they cost apart (`SharedEventLog`).
 */
async function lookUp(
  prisma: PrismaClient,
  customerIds: string[],
  keys: readonly { customerId: string; id: string }[],
): Promise<{ knownById: Map<string, { contractStart: Date | null }>; existing: Map<string, EventRow> }> {
  const rows = await prisma.$queryRaw<(Partial<EventRow> & { customerId: string; contractStart: Date | null })[]>`
    SELECT c.id AS "customerId", c.contract_start AS "contractStart", NULL::text AS "idempotencyKey",
           NULL::text AS type, NULL::jsonb AS payload, NULL::timestamp(3) AS "deliveredAt", NULL::boolean AS "viaRollup"
    FROM customers c WHERE c.id = ANY(${customerIds}::text[])
    UNION ALL
    SELECT e.customer_id, NULL, e.idempotency_key, e.type, e.payload, e.delivered_at, e.via_rollup
    FROM unnest(${keys.map((k) => k.customerId)}::text[], ${keys.map((k) => k.id)}::text[]) AS wanted(customer_id, key)
    JOIN ingested_events e ON e.customer_id = wanted.customer_id AND e.idempotency_key = wanted.key`;
  const knownById = new Map(rows.filter((row) => row.idempotencyKey == null).map((row) => [row.customerId, { contractStart: row.contractStart }]));
  const existing = rowsByKey(rows.filter((row): row is typeof row & EventRow => row.idempotencyKey != null));
  return { knownById, existing };
}

function rowsByKey<Row extends EventRow>(rows: Row[]): Map<string, Row> {
  return new Map(rows.map((row) => [eventKey(row.customerId, row.idempotencyKey), row]));
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

type EventRow = { idempotencyKey: string; customerId: string; type: string; payload: unknown; deliveredAt: Date | null; viaRollup: boolean };

function sameEvent(row: EventRow, event: TCustomerEvent): boolean {
  return row.type === event.type && canonicalJson(row.payload) === canonicalJson(JSON.parse(JSON.stringify(event)));
}

function assertSameEvents(incoming: IncomingEvent[], rows: Map<string, EventRow>, pathOf: (index: number) => string): void {
  incoming.forEach(({ customerId, event }, index) => {
    const row = rows.get(eventKey(customerId, event.id));
    if (!row) return;
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

/** One event row to insert; `rowId` tells which insert of a shared statement got the key. */
interface EventRowInsert {
  rowId: string;
  customerId: string;
  event: TCustomerEvent;
  source: string;
  viaRollup: boolean;
}

const rowsToInsert = (fresh: IncomingEvent[], source: string, rollUpUsage: boolean): EventRowInsert[] =>
  fresh.map(({ customerId, event }) => ({ rowId: randomUUID(), customerId, event, source, viaRollup: rollUpUsage && event.type === 'usage' }));

/** The keys (`eventKey`) of `rows` whose insert won. */
const keysInserted = (rows: readonly EventRowInsert[], inserted: ReadonlySet<string>): Set<string> =>
  new Set(rows.filter((row) => inserted.has(row.rowId)).map((row) => eventKey(row.customerId, row.event.id)));

/**
 * Writes the event rows in one statement (all or none, no transaction needed). Returns the row ids
 * it inserted; only those events are answered `accepted`, so a key two requests race for (or two
 * rows of one shared statement) is accepted once. Raw SQL rather than `createManyAndReturn`: a
 * single-event request's own cost is CPU in the API, and Prisma's query compiler was about a tenth
 * of it (`src/bench/RESULTS.md`).
 */
async function insertEventRows(prisma: PrismaClient, rows: readonly EventRowInsert[]): Promise<Set<string>> {
  const receivedAt = new Date().toISOString();
  const column = <T>(pick: (row: EventRowInsert) => T) => rows.map(pick);
  const inserted = await prisma.$queryRaw<{ id: string }[]>`
    INSERT INTO ingested_events (id, idempotency_key, customer_id, type, source, payload, occurred_at, received_at, via_rollup)
    SELECT id, key, customer, type, source, payload::jsonb, occurred::timestamp(3), ${receivedAt}::timestamp(3), rollup
    FROM unnest(${column((r) => r.rowId)}::text[], ${column((r) => r.event.id)}::text[], ${column((r) => r.customerId)}::text[],
                ${column((r) => r.event.type)}::text[], ${column((r) => r.source)}::text[], ${column((r) => JSON.stringify(r.event))}::text[],
                ${column((r) => new Date(r.event.occurredAt).toISOString())}::text[], ${column((r) => r.viaRollup)}::boolean[])
      AS fresh(id, key, customer, type, source, payload, occurred, rollup)
    ON CONFLICT (customer_id, idempotency_key) DO NOTHING
    RETURNING id`;
  return new Set(inserted.map((row) => row.id));
}

async function recordEvents(prisma: PrismaClient, fresh: IncomingEvent[], source: string, rollUpUsage: boolean): Promise<Set<string>> {
  const rows = rowsToInsert(fresh, source, rollUpUsage);
  return keysInserted(rows, await insertEventRows(prisma, rows));
}

/** Requests whose look-ups (or inserts) one shared statement carries at most. */
const SHARED_REQUESTS = 32;
/** Larger requests run their own statements: a shared one stays at most 32 × 100 rows. */
const SHARED_MAX_EVENTS = 100;

/**
 * The API's event-log statements, shared between concurrent requests (`Coalescer`): the look-ups
 * of requests arriving while one runs go together in the next, and so do their inserts. Under load
 * a single-event request then costs a fraction of a round trip instead of two; the thread's
 * largest cost was the socket writes of query submissions (`src/bench/RESULTS.md`). Alone, a
 * request's statements run at once, as without it. A shared insert that fails (a customer deleted
 * meanwhile, say) is run again for each request alone, so one request's error is never another's.
 */
export class SharedEventLog {
  private readonly lookUps: Coalescer<{ customerIds: string[]; keys: { customerId: string; id: string }[]; answer?: Awaited<ReturnType<typeof lookUp>> }>;
  private readonly inserts: Coalescer<{ rows: EventRowInsert[]; inserted?: Set<string> }>;

  constructor(private readonly prisma: PrismaClient) {
    this.lookUps = new Coalescer(async (asks) => {
      const answer = await lookUp(
        prisma,
        [...new Set(asks.flatMap((ask) => ask.customerIds))],
        asks.flatMap((ask) => ask.keys),
      );
      for (const ask of asks) ask.answer = answer;
    }, SHARED_REQUESTS);
    this.inserts = new Coalescer(async (asks) => {
      if (asks.length === 1) {
        asks[0]!.inserted = await insertEventRows(prisma, asks[0]!.rows);
        return;
      }
      // Left unanswered when the shared statement fails: each request then inserts alone.
      const inserted = await insertEventRows(
        prisma,
        asks.flatMap((ask) => ask.rows),
      ).catch(() => undefined);
      for (const ask of asks) ask.inserted = inserted;
    }, SHARED_REQUESTS);
  }

  /** `lookUp`, taken together with concurrent requests' (the answer may name their rows too). */
  async lookUp(customerIds: string[], keys: { customerId: string; id: string }[]): Promise<Awaited<ReturnType<typeof lookUp>>> {
    const ask: { customerIds: string[]; keys: { customerId: string; id: string }[]; answer?: Awaited<ReturnType<typeof lookUp>> } = { customerIds, keys };
    await this.lookUps.add([ask]);
    return ask.answer!;
  }

  /** `recordEvents`, in one statement with concurrent requests' inserts. */
  async record(fresh: IncomingEvent[], source: string, rollUpUsage: boolean): Promise<Set<string>> {
    const ask: { rows: EventRowInsert[]; inserted?: Set<string> } = { rows: rowsToInsert(fresh, source, rollUpUsage) };
    await this.inserts.add([ask]);
    if (ask.inserted) return keysInserted(ask.rows, ask.inserted);
    // The shared statement failed. It may still have committed (a connection lost after COMMIT):
    // rows carrying this request's own ids are its, whatever the insert alone now finds.
    const inserted = await insertEventRows(this.prisma, ask.rows);
    const unsure = ask.rows.filter((row) => !inserted.has(row.rowId)).map((row) => row.rowId);
    if (unsure.length > 0) {
      const own = await this.prisma.ingestedEvent.findMany({ where: { id: { in: unsure } }, select: { id: true } });
      for (const { id } of own) inserted.add(id);
    }
    return keysInserted(ask.rows, inserted);
  }
}

/**
 * Signals each customer's events (in batches of SIGNAL_BATCH), then marks what was signalled as
 * delivered in one write, also when some customer failed: its failure does not leave the others'
 * delivered events unmarked. Every event given is already recorded: a failure here is answered
 * 503 saying so, and the redelivery sweep (or the sender's retry) delivers it later.
 */
export async function deliverEvents(
  deps: { prisma: PrismaClient; client: Client; availability?: AvailabilityLog; deliveredMarks?: DeliveredMarks; signals?: CustomerSignals },
  events: IncomingEvent[],
  /** The clock a put-off counts from (the sweep's own, in tests). */
  now = Date.now(),
): Promise<void> {
  const byCustomer = new Map<string, TCustomerEvent[]>();
  for (const { customerId, event } of events) byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), event]);
  const signalled = new Map<string, string[]>();
  const outcomes = await Promise.allSettled(
    [...byCustomer].map(async ([customerId, customerEvents]) => {
      const handle = deps.client.workflow.getHandle(customerWorkflowId(customerId));
      for (let i = 0; i < customerEvents.length; i += SIGNAL_BATCH) {
        const batch = customerEvents.slice(i, i + SIGNAL_BATCH);
        try {
          await (deps.signals ? deps.signals.send(customerId, batch) : signalWithDeadline(deps.client, handle, batch));
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) {
            // Put off for the sweep at once, so a customer whose product keeps sending never fills its runs.
            await putOffNotRunning(deps.prisma, customerId, now).catch(() => undefined);
            throw new ApiError(
              503,
              'customer_not_running',
              `customer ${customerId} has no running workflow; the events are recorded and will be delivered once it runs (tried every 15 minutes)`,
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
        signalled.set(customerId, [...(signalled.get(customerId) ?? []), ...batch.map((e) => e.id)]);
      }
    }),
  );
  if (signalled.size > 0) {
    try {
      await (deps.deliveredMarks ? deps.deliveredMarks.mark(signalled) : writeDeliveredMarks(deps.prisma, asMarks(signalled)));
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

/** Marks the signalled events (customer id, event id) delivered, in one statement. */
async function writeDeliveredMarks(prisma: PrismaClient, marks: readonly (readonly [string, string])[]): Promise<void> {
  await prisma.$executeRaw`
    UPDATE ingested_events SET delivered_at = now()
    WHERE delivered_at IS NULL
      AND (customer_id, idempotency_key) IN (SELECT * FROM unnest(${marks.map(([customerId]) => customerId)}::text[], ${marks.map(([, key]) => key)}::text[]))`;
}

const asMarks = (signalled: ReadonlyMap<string, readonly string[]>): [string, string][] =>
  [...signalled].flatMap(([customerId, keys]) => keys.map((key): [string, string] => [customerId, key]));

/**
 * The API's "delivered" marks, written together across concurrent requests (`Coalescer`): a
 * request's own cost in the API is mostly its database round trips. Each request still waits for
 * its marks to be written, as it did alone.
 */
export class DeliveredMarks {
  private readonly marks: Coalescer<[string, string]>;

  constructor(prisma: PrismaClient) {
    this.marks = new Coalescer((marks) => writeDeliveredMarks(prisma, marks), 2_000);
  }

  mark(signalled: ReadonlyMap<string, readonly string[]>): Promise<void> {
    return this.marks.add(asMarks(signalled));
  }
}

/**
 * The API's signals, per customer: one at a time, and the events that arrive for the customer
 * meanwhile (from any request) go together in the next, up to SIGNAL_BATCH. Concurrent batches
 * naming the same customers then cost a signal per customer and moment rather than one each, and
 * the workflow wakes once for them (Temporal advises a few signals per second per workflow).
 */
export class CustomerSignals {
  private readonly byCustomer = new Map<string, Coalescer<TCustomerEvent>>();

  constructor(private readonly client: Client) {}

  send(customerId: string, events: readonly TCustomerEvent[]): Promise<void> {
    let signals = this.byCustomer.get(customerId);
    if (!signals) {
      const handle = this.client.workflow.getHandle(customerWorkflowId(customerId));
      signals = new Coalescer((batch) => signalWithDeadline(this.client, handle, batch), SIGNAL_BATCH);
      this.byCustomer.set(customerId, signals);
    }
    const coalescer = signals;
    const sent = coalescer.add(events);
    // Forgotten once no request waits on it: the map holds only customers being signalled.
    const forget = () => void (coalescer.idle && this.byCustomer.get(customerId) === coalescer && this.byCustomer.delete(customerId));
    void sent.then(forget, forget);
    return sent;
  }
}

/** A deadline: with Temporal away the client would otherwise retry for ~20 s per request. */
const signalWithDeadline = (client: Client, handle: WorkflowHandle, batch: TCustomerEvent[]): Promise<void> =>
  client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => handle.signal(customerEventsSignal, batch));

/** How long the sweep leaves the events of a customer whose workflow was not running before trying again. */
export const NOT_RUNNING_RETRY_MS = 15 * 60_000;

/** Puts off every undelivered event of a customer whose workflow is not running (see `redeliverPendingEvents`). */
async function putOffNotRunning(prisma: PrismaClient, customerId: string, now: number): Promise<void> {
  await prisma.ingestedEvent.updateMany({
    where: { customerId, deliveredAt: null, viaRollup: false },
    data: { deliveryRetryAt: new Date(now + NOT_RUNNING_RETRY_MS) },
  });
}

/**
 * Delivers events that were recorded but never marked delivered (the process died, or Temporal was
 * unreachable, between the two) once they are `olderThanMs` old, so none waits for its sender to
 * retry. Returns how many it delivered. Events never tried come first, oldest first; a customer
 * whose workflow is not running has all its events put off for `NOT_RUNNING_RETRY_MS` (by the API
 * too, when it answers `customer_not_running`), so however many of them pile up (a terminated
 * customer whose product keeps sending usage) they do not fill the runs. With Temporal away the
 * run stops after three customers and puts nothing off. The maintenance schedule runs
 * it (`activities/maintenance.ts`); `onCustomer` is told after each customer's events, for the
 * activity's heartbeat.
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
    // Rolled-up usage is delivered by its own step of the maintenance run (`usage-rollups.ts`).
    where: {
      deliveredAt: null,
      viaRollup: false,
      receivedAt: { lt: new Date(now - olderThanMs) },
      OR: [{ deliveryRetryAt: null }, { deliveryRetryAt: { lte: new Date(now) } }],
    },
    orderBy: [{ deliveryRetryAt: { sort: 'asc', nulls: 'first' } }, { receivedAt: 'asc' }, { occurredAt: 'asc' }],
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
  let temporalAway = 0;
  for (const events of byCustomer.values()) {
    try {
      await deliverEvents(deps, events, now);
      done += events.length;
      temporalAway = 0;
    } catch (error) {
      // Not running: `deliverEvents` put the customer's events off. Temporal away (or one customer's
      // signal timing out): stopped after three customers in a row, for the next run.
      if (isApiError(error) && error.code === 'temporal_unavailable' && ++temporalAway >= 3) break;
      // Anything else: tried again at the next run.
    }
    onCustomer();
  }
  return done;
}
