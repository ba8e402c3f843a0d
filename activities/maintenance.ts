/**
 * The maintenance schedule's activities (`workflows/maintenance.ts`): what must run periodically
 * runs here, on a worker, once per schedule run however many workers and API processes there are.
 * Each does a bounded batch per run and is idempotent, so a retried or overlapping attempt is
 * harmless: a customer's workflow ignores an event id it has seen, and an expired parked message
 * is deleted once.
 */
import { heartbeat, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../src/generated/prisma/client';
import { redeliverPendingEvents } from '../src/ingest/accept-events';
import { expireParkedMessages } from '../src/ingest/segment';
import { flushUsageRollups, type RollupResult } from '../src/ingest/usage-rollups';

export interface MaintenanceDeps {
  prisma: PrismaClient;
  /** Signals the customers whose events are redelivered. */
  client: Client;
  /** `SEGMENT_PARKED_TTL_DAYS`: a parked Segment message unclaimed this long is dropped. */
  segmentParkedTtlDays: number;
  /** `USAGE_ROLLUP_SECONDS`: the received-time window usage is rolled up in (0: whatever arrived). */
  usageRollupSeconds?: number;
  /** At most this many events redelivered, and parked messages dropped, per run. */
  batchLimit?: number;
  /** At most this many raw usage events rolled up per run. */
  rollupLimit?: number;
}

const DAY_MS = 86_400_000;

export function createMaintenanceActivities({
  prisma,
  client,
  segmentParkedTtlDays,
  usageRollupSeconds = 60,
  batchLimit = 1_000,
  rollupLimit = 10_000,
}: MaintenanceDeps) {
  return {
    /** Delivers events recorded but never delivered (an API died between the two) once a minute old. */
    async redeliverUndeliveredEvents(): Promise<number> {
      const delivered = await redeliverPendingEvents({ prisma, client }, { limit: batchLimit, onCustomer: () => heartbeat() });
      if (delivered > 0) log.info('delivered events that were recorded but not delivered', { delivered });
      return delivered;
    },

    /** Signals usage received in closed windows, rolled up per customer and day (`usage-rollups.ts`). */
    async flushUsageRollups(): Promise<RollupResult> {
      const result = await flushUsageRollups({ prisma, client }, { windowMs: usageRollupSeconds * 1000, limit: rollupLimit, onCustomer: () => heartbeat() });
      if (result.rolledUp > 0 || result.delivered > 0) log.info('rolled up product usage', { ...result });
      return result;
    },

    /** Drops parked Segment messages no call claimed within `SEGMENT_PARKED_TTL_DAYS`. */
    async expireParkedSegmentMessages(): Promise<number> {
      const olderThan = new Date(Date.now() - segmentParkedTtlDays * DAY_MS);
      const dropped = await expireParkedMessages(prisma, { olderThan, limit: batchLimit });
      if (dropped > 0) log.info('dropped expired parked Segment messages', { dropped, ttlDays: segmentParkedTtlDays, receivedBefore: olderThan.toISOString() });
      return dropped;
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
