/**
 * The recorded history a backtest replays, read from the database: which customers, the version
 * each runs, and for each its handoff and the events it was sent. Read a page of customers at a
 * time, so a portfolio streams to the worker threads instead of sitting in memory.
 *
 * The handoff. Its only complete copy is the input of the customer's first workflow run (Temporal
 * history); reading a history per customer needs Temporal and one round trip each. In the database,
 * `createCustomer` (src/ingest/create-customer.ts) wrote it out once, and some of those rows are
 * rewritten later: Customer.arr and the contract's ARR follow expansions, the contract's end follows
 * a moved renewal, stakeholder rows follow stakeholder events. So each field comes from the record
 * nothing rewrites:
 *   - contractStart: the first contract term's start (never rewritten);
 *   - arr: the `<customer>:new` ARR movement, written once from the handoff's ARR;
 *   - contractEnd: the first term's end — the handoff's, unless a renewal was moved during the first
 *     term (the original end is stored nowhere; the move is replayed on its day all the same);
 *   - name, csmOwner: the customer row (written from the handoff, not changed by events);
 *   - stakeholders: the stakeholder rows, less those an `added` event in the replayed window brings
 *     in on its own day and those who left before the window;
 *   - day 0: when the workflow recorded the handoff (its timeline entry), else the row's creation.
 * Complexity, a segment override, seats purchased, time zone, success criteria, goals and
 * objections live only in the workflow's input: their defaults stand in (the segment follows from
 * the ARR as for any customer; seats arrive again with the usage events). Baseline and candidate
 * see the same reconstruction, so what differs between them is the definition.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { ZCustomerHandoff, type TCustomerHandoff } from '../domain/customer-events';
import { dayOf, SCENARIO_LIMITS } from '../simulate/scenario';
import type { ReplayOrSkip } from './replay';

/** Customers read from the database at once. */
const PAGE = 100;

export interface ReplayWindow {
  /** Events from this instant on; a customer handed off earlier starts its replay here. */
  fromMs?: number;
  /** Events before this instant; the replay ends here. */
  toMs: number;
}

export interface HandoffRecords {
  customer: { id: string; name: string; csmOwner: string | null; arr: number; contractStart: Date | null; contractEnd: Date | null; createdAt: Date };
  firstTerm?: { startsAt: Date; endsAt: Date; arr: number };
  newArr?: number;
  stakeholders: { stakeholderId: string; name: string; role: string; email: string | null; leftAt: Date | null }[];
  /** Stakeholders an `added` event in the replayed window brings in. */
  addedLater: Set<string>;
}

/** The handoff as reconstructed (see the module comment), or why it cannot be. */
export function handoffFromRecords(records: HandoffRecords, startMs: number): { ok: true; handoff: TCustomerHandoff } | { ok: false; reason: string } {
  const { customer, firstTerm } = records;
  const contractStart = firstTerm?.startsAt ?? customer.contractStart;
  const contractEnd = firstTerm?.endsAt ?? customer.contractEnd;
  if (!contractStart || !contractEnd) return { ok: false, reason: 'no contract dates are recorded' };
  const parsed = ZCustomerHandoff.safeParse({
    customerId: customer.id,
    name: customer.name,
    arr: records.newArr ?? firstTerm?.arr ?? customer.arr,
    contractStart: contractStart.toISOString(),
    contractEnd: contractEnd.toISOString(),
    csmOwner: customer.csmOwner ?? 'unassigned',
    stakeholders: records.stakeholders
      .filter((s) => !records.addedLater.has(s.stakeholderId) && !(s.leftAt !== null && s.leftAt.getTime() <= startMs))
      .map((s) => ({ id: s.stakeholderId, name: s.name, role: s.role, ...(s.email ? { email: s.email } : {}) })),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `its recorded handoff does not validate (${issue.path.join('.') || 'handoff'}: ${issue.message})` };
  }
  return { ok: true, handoff: parsed.data };
}

/** Every customer in the database, by id. */
export async function allCustomerIds(prisma: PrismaClient, limit: number): Promise<string[]> {
  const rows = await prisma.customer.findMany({ select: { id: true }, orderBy: { id: 'asc' }, take: limit });
  return rows.map((row) => row.id);
}

/** Each customer's latest recorded definition version: its newest timeline entry's. */
export async function recordedVersions(prisma: PrismaClient, customerIds: string[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (let i = 0; i < customerIds.length; i += 1_000) {
    const ids = customerIds.slice(i, i + 1_000);
    const rows = await prisma.$queryRaw<{ customerId: string; version: string }[]>`
      SELECT DISTINCT ON (customer_id) customer_id AS "customerId", definition_version AS version
      FROM timeline_entries
      WHERE customer_id IN (${Prisma.join(ids)}) AND definition_version IS NOT NULL
      ORDER BY customer_id, occurred_at DESC, recorded_at DESC`;
    for (const row of rows) versions.set(row.customerId, row.version);
  }
  return versions;
}

/**
 * The replays of `customers` (in order), each with the baseline key `baselineOf` gives it. A
 * customer that cannot be replayed (no row, handed off after the window) comes back as skipped.
 */
export async function* replaysFromDatabase(
  prisma: PrismaClient,
  customers: string[],
  window: ReplayWindow,
  baselineOf: (customerId: string) => string,
): AsyncGenerator<ReplayOrSkip> {
  for (let i = 0; i < customers.length; i += PAGE) {
    const ids = customers.slice(i, i + PAGE);
    const occurredAt = { ...(window.fromMs !== undefined ? { gte: new Date(window.fromMs) } : {}), lt: new Date(window.toMs) };
    const [rows, terms, movements, stakeholders, handoffs, events] = await Promise.all([
      prisma.customer.findMany({
        where: { id: { in: ids } },
        select: { id: true, name: true, csmOwner: true, arr: true, contractStart: true, contractEnd: true, createdAt: true },
      }),
      prisma.contract.findMany({ where: { customerId: { in: ids }, term: 1 }, select: { customerId: true, startsAt: true, endsAt: true, arr: true } }),
      prisma.arrMovement.findMany({ where: { idempotencyKey: { in: ids.map((id) => `${id}:new`) } }, select: { customerId: true, amount: true } }),
      prisma.stakeholder.findMany({
        where: { customerId: { in: ids } },
        select: { customerId: true, stakeholderId: true, name: true, role: true, email: true, leftAt: true },
        orderBy: [{ customerId: 'asc' }, { stakeholderId: 'asc' }],
      }),
      prisma.$queryRaw<{ customerId: string; at: Date }[]>`
        SELECT DISTINCT ON (customer_id) customer_id AS "customerId", occurred_at AS at
        FROM timeline_entries WHERE customer_id IN (${Prisma.join(ids)}) AND kind = 'handoff'
        ORDER BY customer_id, occurred_at`,
      // Only what a replay reads; same-instant events in the order they were received (delivered).
      prisma.ingestedEvent.findMany({
        where: { customerId: { in: ids }, occurredAt },
        select: { customerId: true, occurredAt: true, payload: true },
        orderBy: [{ customerId: 'asc' }, { occurredAt: 'asc' }, { receivedAt: 'asc' }],
      }),
    ]);
    const byId = <T extends { customerId: string }>(list: T[]) => {
      const map = new Map<string, T[]>();
      for (const item of list) {
        const items = map.get(item.customerId);
        if (items) items.push(item);
        else map.set(item.customerId, [item]);
      }
      return map;
    };
    const rowOf = new Map(rows.map((row) => [row.id, row]));
    const termOf = new Map(terms.map((t) => [t.customerId, t]));
    const newArrOf = new Map(movements.map((m) => [m.customerId, Number(m.amount)]));
    const stakeholdersOf = byId(stakeholders);
    const handoffAt = new Map(handoffs.map((h) => [h.customerId, new Date(h.at).getTime()]));
    const eventsOf = byId(events);

    for (const customerId of ids) {
      const row = rowOf.get(customerId);
      if (!row) {
        yield { skipped: { customerId, reason: 'no customer row in the database' } };
        continue;
      }
      const recorded = eventsOf.get(customerId) ?? [];
      // Events sent with earlier occurred times (an import of a customer's past, as the demo does)
      // are replayed on their own days: day 0 is the earliest of them or the handoff.
      const firstEventMs = recorded.reduce((first, e) => Math.min(first, e.occurredAt.getTime()), Infinity);
      const handedOffMs = Math.min(handoffAt.get(customerId) ?? row.createdAt.getTime(), firstEventMs);
      const startMs = Math.max(handedOffMs, window.fromMs ?? -Infinity);
      if (startMs >= window.toMs) {
        yield { skipped: { customerId, reason: 'handed off after the end of the window' } };
        continue;
      }
      const addedLater = new Set<string>();
      for (const { payload } of recorded) {
        const event = payload as { type?: unknown; action?: unknown; stakeholder?: { id?: unknown } };
        if (event?.type === 'stakeholder' && event.action === 'added' && typeof event.stakeholder?.id === 'string') addedLater.add(event.stakeholder.id);
      }
      const term = termOf.get(customerId);
      const handoff = handoffFromRecords(
        {
          customer: { ...row, arr: Number(row.arr) },
          ...(term ? { firstTerm: { startsAt: term.startsAt, endsAt: term.endsAt, arr: Number(term.arr) } } : {}),
          ...(newArrOf.has(customerId) ? { newArr: newArrOf.get(customerId)! } : {}),
          stakeholders: stakeholdersOf.get(customerId) ?? [],
          addedLater,
        },
        startMs,
      );
      if (!handoff.ok) {
        yield { skipped: { customerId, reason: handoff.reason } };
        continue;
      }
      const untilDay = Math.min(SCENARIO_LIMITS.days, Math.max(0, dayOf(startMs, window.toMs - 1)));
      yield {
        replay: {
          customerId,
          startMs,
          untilDay,
          handoff: handoff.handoff,
          // An event recorded before day 0 (sent late, or before a `--from`) arrives at day 0, as a late event would.
          events: recorded.map((e) => ({ atMs: Math.max(startMs, e.occurredAt.getTime()), event: e.payload })),
          baseline: baselineOf(customerId),
        },
      };
    }
  }
}
