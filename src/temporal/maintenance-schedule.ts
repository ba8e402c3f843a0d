/**
 * The Temporal Schedule that runs the engine's periodic maintenance (`workflows/maintenance.ts`):
 * one per task queue, so it runs once per interval however many workers and API processes there
 * are, and also while no API runs. `cli worker` creates it, or brings it to the configured
 * interval, each time it starts; workers starting together find it made and leave it be. It is
 * not made by the generic worker factory (`worker.ts`): the time-skipping test server has no
 * schedules, and a test's worker should not sweep a database behind the test's back.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';

/** The schedule's id, also its runs' workflow id prefix: `cs-maintenance:<task queue>`. */
export const maintenanceScheduleId = (taskQueue: string): string => `cs-maintenance:${taskQueue}`;

export const MAINTENANCE_WORKFLOW_TYPE = 'maintenanceWorkflow';

const CATCHUP_WINDOW_MS = 60_000;

export interface MaintenanceScheduleSettings {
  taskQueue: string;
  /** `REDELIVERY_SWEEP_SECONDS`. */
  intervalSeconds: number;
}

export type MaintenanceScheduleOutcome = 'created' | 'updated' | 'unchanged';

function scheduleOptions({ taskQueue, intervalSeconds }: MaintenanceScheduleSettings): ScheduleOptions {
  const id = maintenanceScheduleId(taskQueue);
  return {
    scheduleId: id,
    spec: { intervals: [{ every: `${intervalSeconds}s` }] },
    action: {
      type: 'startWorkflow',
      workflowType: MAINTENANCE_WORKFLOW_TYPE,
      workflowId: id,
      taskQueue,
      args: [],
      // A run that cannot finish (no worker polls) is given up before the next few are due.
      workflowExecutionTimeout: '10 minutes',
    },
    policies: {
      // One run at a time: a slow run (a long backlog) is not joined by the next.
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage one run catches up, not one per missed interval.
      catchupWindow: CATCHUP_WINDOW_MS,
    },
    state: { note: 'cli worker keeps this schedule: redelivers undelivered events, drops expired parked Segment messages' },
  };
}

/** True when the schedule does what `settings` ask (its paused state is the ops' business, kept). */
function matches(description: ScheduleDescription, settings: MaintenanceScheduleSettings): boolean {
  const intervals = description.spec.intervals ?? [];
  return (
    intervals.length === 1 &&
    intervals[0]!.every === settings.intervalSeconds * 1000 &&
    !intervals[0]!.offset &&
    (description.spec.calendars ?? []).length === 0 &&
    description.action.workflowType === MAINTENANCE_WORKFLOW_TYPE &&
    description.action.taskQueue === settings.taskQueue &&
    description.policies.overlap === ScheduleOverlapPolicy.SKIP &&
    description.policies.catchupWindow === CATCHUP_WINDOW_MS
  );
}

/**
 * Creates the maintenance schedule, or updates the one there to `settings`. Idempotent and safe to
 * race: a worker that finds it made by another compares, and updates only what differs (two
 * updates to the same content are harmless).
 */
export async function ensureMaintenanceSchedule(client: Client, settings: MaintenanceScheduleSettings): Promise<MaintenanceScheduleOutcome> {
  const options = scheduleOptions(settings);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(options.scheduleId);
  if (matches(await handle.describe(), settings)) return 'unchanged';
  await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: { ...previous.policies, ...options.policies } }));
  return 'updated';
}
