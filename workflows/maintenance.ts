/**
 * One run of the engine's periodic maintenance, started by the Temporal Schedule `cli worker` keeps
 * (`src/temporal/maintenance-schedule.ts`): events recorded but never delivered are delivered,
 * product usage received in closed windows is signalled rolled up (`USAGE_ROLLUP_SECONDS`), and
 * parked Segment messages past `SEGMENT_PARKED_TTL_DAYS` are dropped. A short workflow of its own,
 * never a customer's, so each run is one row in the Temporal UI with what it did as its result.
 * The work is in activities (`activities/maintenance.ts`), bounded per run; the next run goes on.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';

/** Marks runs that roll up usage: a run started before it replays without the activity. */
const USAGE_ROLLUPS_PATCH = 'usage-rollups-v1';

const { redeliverUndeliveredEvents, flushUsageRollups, expireParkedSegmentMessages } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '5 minutes',
  // The sweep heartbeats after each customer; a worker that died mid-sweep is noticed in a minute.
  heartbeatTimeout: '1 minute',
  // The schedule runs again soon: a few quick retries, then the run fails and the next one tries.
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3 },
});

export interface MaintenanceResult {
  /** Events delivered that were recorded but not delivered. */
  redelivered: number;
  /** Raw usage events rolled up, and rolled-up events signalled (runs from `usage-rollups-v1` on). */
  usageRollups?: { rolledUp: number; delivered: number };
  /** Parked Segment messages dropped because they expired. */
  expiredParkedMessages: number;
}

export async function maintenanceWorkflow(): Promise<MaintenanceResult> {
  const redelivered = await redeliverUndeliveredEvents();
  const usageRollups = patched(USAGE_ROLLUPS_PATCH) ? await flushUsageRollups() : undefined;
  const expiredParkedMessages = await expireParkedSegmentMessages();
  return { redelivered, ...(usageRollups ? { usageRollups } : {}), expiredParkedMessages };
}
