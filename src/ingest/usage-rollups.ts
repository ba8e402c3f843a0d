/**
 * Rolled-up usage (`USAGE_ROLLUP_SECONDS`). The API records each product-usage event (`usage`, and
 * Segment's `track`, `page` and `screen`) in the event log as it comes, answers 202, and signals
 * nothing; each run of the maintenance schedule then rolls up what was received in windows that
 * have closed and signals one rolled-up event per customer and day of occurrence (as dated), all of a
 * customer's in one signal (`src/domain/usage-rollup.ts` says how events combine). A busy product
 * adds about one signal per window to a customer's history, however many tracks it sends.
 *
 * Exactly once, in two steps. First the run assigns rows a rollup id in one transaction (rows
 * locked, so an overlapping attempt takes other rows or none); the id is derived from the group's
 * first row, so a row that commits late, into a window already rolled up, forms a group of its own
 * rather than reusing an id the workflow has seen. Then it signals each rollup built from exactly
 * the rows that carry its id, and marks them delivered. A run that dies between the two leaves
 * rows with an id and no delivery: the next run builds the same event under the same id again, and
 * the workflow ignores an id it has seen. Each raw event stays in the log for backtests.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PrismaClient } from '../generated/prisma/client';
import { customerWorkflowId } from '../domain/ids';
import { rollUpCustomerUsage, usageDay, type UsageEvent } from '../domain/usage-rollup';
import { isDatabaseUnavailable, isTemporalUnavailable } from '../util/availability';
import { customerEventsSignal } from '../../workflows/messages';
import { NOT_RUNNING_RETRY_MS } from './accept-events';

export interface RollupDeps {
  prisma: PrismaClient;
  client: Client;
}

export interface RollupOptions {
  /** `USAGE_ROLLUP_SECONDS` in ms: only events received in windows that closed are rolled up (0: all). */
  windowMs: number;
  now?: number;
  /** At most this many raw events rolled up per run; the rest wait for the next run. */
  limit?: number;
  /** Told after each customer's signal, for the activity's heartbeat. */
  onCustomer?: () => void;
}

export interface RollupResult {
  /** Raw usage events given a rollup id by this run. */
  rolledUp: number;
  /** Rolled-up events signalled (this run's, and any an earlier run assigned but did not deliver). */
  delivered: number;
}

/** Events per signal, as `acceptEvents` sends them. */
const SIGNAL_BATCH = 100;
const SIGNAL_DEADLINE_MS = 5_000;

export async function flushUsageRollups(deps: RollupDeps, options: RollupOptions): Promise<RollupResult> {
  const rolledUp = await assignUsageRollups(deps.prisma, options);
  const delivered = await deliverUsageRollups(deps, options);
  return { rolledUp, delivered };
}

/** The start of the received-time window `now` is in: events received before it are rolled up. */
export function rollupCutoff(now: number, windowMs: number): Date {
  return new Date(windowMs > 0 ? Math.floor(now / windowMs) * windowMs : now);
}

/** Step 1: gives unassigned rows of closed windows their rollup id. Returns how many rows. */
export async function assignUsageRollups(prisma: PrismaClient, { windowMs, now = Date.now(), limit = 10_000 }: RollupOptions): Promise<number> {
  return prisma.$transaction(
    async (tx) => {
      // SKIP LOCKED: an attempt overlapping this one (a retry after a lost heartbeat) takes other rows.
      // The day as the workflow counts it: the date of `occurredAt` as sent (offsets are allowed, and
      // "23:30-05:00" counts toward its own date), not the UTC date of the stored instant.
      const rows = await tx.$queryRaw<{ id: string; customer_id: string; occurred_at: string }[]>`
        SELECT id, customer_id, payload->>'occurredAt' AS occurred_at FROM ingested_events
        WHERE via_rollup AND rollup_id IS NULL AND delivered_at IS NULL AND received_at < ${rollupCutoff(now, windowMs)}
        ORDER BY received_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED`;
      const groups = new Map<string, string[]>();
      for (const row of rows) {
        const key = `${row.customer_id}\u0000${usageDay(row.occurred_at)}`;
        const ids = groups.get(key);
        if (ids) ids.push(row.id);
        else groups.set(key, [row.id]);
      }
      for (const [key, ids] of groups) {
        const day = key.slice(key.indexOf('\u0000') + 1);
        await tx.ingestedEvent.updateMany({ where: { id: { in: ids } }, data: { rollupId: `usage-rollup:${day}:${ids[0]}` } });
      }
      return rows.length;
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
}

/**
 * Step 2: signals every assigned, undelivered rollup (at most `limit` rollups a run, those never
 * tried first, oldest first), one signal per customer, and marks its rows delivered. A Temporal
 * that is away leaves the rollups for the next run. A customer whose workflow is not running has
 * its rollups put off for `NOT_RUNNING_RETRY_MS` (as the redelivery sweep does): a terminated
 * customer whose product keeps sending makes a rollup every window, and without that they would
 * soon fill every run's `limit` and hold up everyone's usage. Returns rolled-up events signalled.
 */
export async function deliverUsageRollups(
  { prisma, client }: RollupDeps,
  { limit = 10_000, now = Date.now(), onCustomer = () => {} }: RollupOptions,
): Promise<number> {
  const pending = await prisma.$queryRaw<{ rollup_id: string }[]>`
    SELECT rollup_id FROM ingested_events
    WHERE via_rollup AND rollup_id IS NOT NULL AND delivered_at IS NULL
      AND (delivery_retry_at IS NULL OR delivery_retry_at <= ${new Date(now).toISOString()}::timestamp(3))
    GROUP BY rollup_id
    ORDER BY max(delivery_retry_at) NULLS FIRST, min(received_at)
    LIMIT ${limit}`;
  if (pending.length === 0) return 0;
  // Every row of each rollup, in the order received: the rollup is built from exactly these.
  const rows = await prisma.ingestedEvent.findMany({
    where: { rollupId: { in: pending.map((p) => p.rollup_id) } },
    orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
    select: { customerId: true, rollupId: true, payload: true },
  });
  const byCustomer = new Map<string, { rollupId: string; event: UsageEvent }[]>();
  for (const row of rows) {
    const received = byCustomer.get(row.customerId) ?? [];
    received.push({ rollupId: row.rollupId!, event: row.payload as unknown as UsageEvent });
    byCustomer.set(row.customerId, received);
  }

  let delivered = 0;
  let failure: unknown;
  for (const [customerId, received] of byCustomer) {
    const rollupIds = [...new Set(received.map((r) => r.rollupId))];
    try {
      const events = rollUpCustomerUsage(received);
      const handle = client.workflow.getHandle(customerWorkflowId(customerId));
      for (let i = 0; i < events.length; i += SIGNAL_BATCH) {
        await client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => handle.signal(customerEventsSignal, events.slice(i, i + SIGNAL_BATCH)));
      }
      await prisma.ingestedEvent.updateMany({ where: { rollupId: { in: rollupIds }, deliveredAt: null }, data: { deliveredAt: new Date() } });
      delivered += events.length;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        // All of the customer's rollups, not only this run's: none of them can be delivered.
        await prisma.ingestedEvent.updateMany({
          where: { customerId, viaRollup: true, rollupId: { not: null }, deliveredAt: null },
          data: { deliveryRetryAt: new Date(now + NOT_RUNNING_RETRY_MS) },
        });
      } else if (!(isTemporalUnavailable(error) || isDatabaseUnavailable(error))) {
        // Temporal or PostgreSQL away: the next run signals the same rollups again.
        failure ??= error;
      }
    }
    onCustomer();
  }
  if (failure) throw failure;
  return delivered;
}
