/**
 * The simulator is the workflow: every shipped scenario runs through `cli simulate`'s simulator and
 * through the real customer workflow (with its play runs, activities, PostgreSQL and SMTP) on the
 * time-skipping server, and both must move stages, change bands and start plays on the same days.
 * A difference is a bug in one of them.
 *
 * The server's clock starts now, so each story is moved to a start a whole number of days ahead
 * (the same times of day). Events are signalled when they happen, except near a timer: on the Java
 * test server a signal landing as a timer fires can wedge the customer (see the README), so the
 * driver moves such a delivery a few minutes on, and the simulator is given the same delivery times.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Database } from '../../src/db/database';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { customerWorkflowId } from '../../src/domain/ids';
import { dayOf, endOfDayMs, type Scenario, type ScenarioEvent } from '../../src/simulate/scenario';
import { parseScenarioText, scenarioFiles } from '../../src/simulate/scenario-file';
import { simulate } from '../../src/simulate/simulator';
import { customerLifecycleWorkflow } from '../../workflows';
import { customerEventsSignal, getUpcomingTimersQuery } from '../../workflows/messages';
import { createTimeSkippingEnv, openTestDatabase, startTestWorker } from '../support/servers';
import { until } from '../support/until';

const root = resolve(__dirname, '../..');
const DAY_MS = 24 * 60 * 60 * 1000;
/** How far a delivery keeps from a timer's moment, in virtual time. */
const CLEARANCE_MS = 5 * 60 * 1000;

interface Entry {
  kind: string;
  atMs: number;
  detail: Record<string, unknown>;
}

/** What both must agree on, by day: the stage path, the band changes, the plays started. */
function storyOf(entries: Entry[], startMs: number) {
  const day = (entry: Entry) => dayOf(startMs, entry.atMs);
  const sorted = [...entries].sort((a, b) => a.atMs - b.atMs);
  const stages = sorted.filter((e) => e.kind === 'stage').map((e) => `day ${day(e)}: ${String(e.detail.from)} -> ${String(e.detail.to)}`);
  const bands: string[] = [];
  let band: unknown = null;
  for (const e of sorted.filter((entry) => entry.kind === 'health' && 'band' in entry.detail)) {
    if (e.detail.band !== band) bands.push(`day ${day(e)}: ${String(band)} -> ${String(e.detail.band)}`);
    band = e.detail.band;
  }
  const plays = sorted.filter((e) => e.kind === 'play' && e.detail.started === true).map((e) => `day ${day(e)}: ${String(e.detail.playId)}`);
  return { stages, bands, plays };
}

/** Lives the scenario on the real workflow; returns its timeline rows and when each batch was delivered. */
async function liveOnWorkflow(database: Database, file: string): Promise<{ scenario: Scenario; entries: Entry[] }> {
  const text = readFileSync(file, 'utf8');
  const env = await createTimeSkippingEnv();
  try {
    const { worker, taskQueue } = await startTestWorker(env, database);
    const written = parseScenarioText(text, file);
    const now = await env.currentTimeMs();
    const startMs = written.startMs + Math.ceil((now + 60_000 - written.startMs) / DAY_MS) * DAY_MS;
    const scenario = parseScenarioText(text, file, { start: new Date(startMs).toISOString() });
    await env.sleep(startMs - now);
    const delivered: ScenarioEvent[] = [];
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(customerLifecycleWorkflow, {
        workflowId: customerWorkflowId(scenario.handoff.customerId),
        taskQueue,
        args: [{ handoff: scenario.handoff }],
      });
      try {
        const batches = new Map<number, ScenarioEvent[]>();
        for (const event of scenario.events) batches.set(event.atMs, [...(batches.get(event.atMs) ?? []), event]);
        for (const [atMs, batch] of batches) {
          let target = atMs;
          let clock = await env.currentTimeMs();
          if (target - CLEARANCE_MS > clock) {
            await env.sleep(target - CLEARANCE_MS - clock);
            clock = await env.currentTimeMs();
          }
          target = Math.max(target, clock);
          // Under load the customer may still be taking the last batch: its timers are read once it is idle.
          await idle(handle);
          const upcoming = await handle.query(getUpcomingTimersQuery);
          for (const timer of upcoming.map((t) => Date.parse(t.at)).sort((a, b) => a - b)) {
            if (Math.abs(timer - target) < CLEARANCE_MS) target = timer + CLEARANCE_MS;
          }
          if (target > clock) await env.sleep(target - clock);
          const deliveredAt = await env.currentTimeMs();
          await handle.signal(
            customerEventsSignal,
            batch.map((b) => b.event),
          );
          delivered.push(...batch.map((b) => ({ ...b, atMs: deliveredAt })));
          await idle(handle);
          await env.sleep('1 minute');
        }
        const end = endOfDayMs(startMs, scenario.untilDay) - CLEARANCE_MS;
        const clock = await env.currentTimeMs();
        if (end > clock) await env.sleep(end - clock);
      } finally {
        await handle.terminate('scenario done').catch(() => undefined);
      }
    });
    const rows = await database.prisma.timelineEntry.findMany({ where: { customerId: scenario.handoff.customerId } });
    return {
      scenario: { ...scenario, events: delivered },
      entries: rows.map((row) => ({ kind: row.kind, atMs: row.occurredAt.getTime(), detail: row.detail as Record<string, unknown> })),
    };
  } finally {
    await env.teardown();
  }
}

describe('the simulator is the workflow', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('simulator_equals');
  });
  afterAll(async () => {
    await database?.close();
  });

  it.each(scenarioFiles([join(root, 'scenarios')]).map((file) => [file.slice(root.length + 1), file]))(
    '%s: same stage path, band changes and plays started on the same days',
    async (_name, file) => {
      const { scenario, entries } = await liveOnWorkflow(database, file);
      const simulation = simulate(scenario, DEFAULT_LIFECYCLE);
      const simulated = storyOf(
        simulation.timeline.map(({ entry }) => ({ kind: entry.kind, atMs: Date.parse(entry.at), detail: entry.detail ?? {} })),
        scenario.startMs,
      );
      const lived = storyOf(entries, scenario.startMs);
      expect(lived.stages.length + lived.plays.length).toBeGreaterThan(0);
      expect(simulated).toEqual(lived);
    },
    600_000,
  );
});

/**
 * Waits, in real time (the test server does not skip time meanwhile), until the customer has no
 * workflow task or activity outstanding, so what the driver reads next is the state after the batch.
 */
async function idle(handle: WorkflowHandle): Promise<void> {
  await until('the customer to be idle', async () => {
    const { raw } = await handle.describe();
    return raw.pendingWorkflowTask == null && (raw.pendingActivities?.length ?? 0) === 0;
  });
}
