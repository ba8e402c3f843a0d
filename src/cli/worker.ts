/**
 * `cli worker`: the lifecycle worker. Starts the Temporal dev server unless TEMPORAL_ADDRESS names
 * one, opens the database (embedded PGlite unless DATABASE_URL is set) and runs the worker until
 * Ctrl-C, which stops everything it started, in reverse order, and leaves no process behind.
 * Under `npm start` (`start.ts`) it is a child process given TEMPORAL_ADDRESS, DATABASE_URL and
 * SMTP_URL; it then reports when it polls and stops when the supervisor goes away.
 * It also keeps the Temporal Schedule of the engine's periodic maintenance (redelivery of events
 * recorded but not delivered, expiry of parked Segment messages), whose runs its activities do.
 */
import { join, resolve } from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig, type TEngineConfig } from '../config';
import { openDatabase, type Database } from '../db/database';
import { freePort, startDevServer, type DevServerHandle } from '../dev-infra/dev-server';
import { progress } from '../dev-infra/progress';
import { ensureTemporalCli } from '../dev-infra/temporal-cli';
import { startSmtpSink } from '../mail/smtp-sink';
import { createMailer, type Mailer } from '../mail/transport';
import { connectTemporal, connectTemporalClient, temporalConnectionOptions } from '../temporal/connection-options';
import { ensureMaintenanceSchedule, maintenanceScheduleId } from '../temporal/maintenance-schedule';
import { registerSearchAttributes } from '../temporal/namespace';
import { createLifecycleWorker } from '../temporal/worker';
import { workerMemoryPlan } from '../temporal/worker-memory';
import { loadLifecycleDefinition } from '../lifecycle/load-definition';
import { publishWorkerDefinition } from '../lifecycle/definition-store';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { createLogger, sdkLogger } from '../ops/logger';
import { databaseCheck, startOpsServer } from '../ops/ops-server';
import { handleShutdown, type Cleanup } from '../util/shutdown';
import { onSupervisorGone, supervised, tellSupervisor } from './supervised';

export async function runWorker(config: TEngineConfig = loadConfig()): Promise<void> {
  const logger = createLogger(config, 'worker');
  // The SDK's own Prometheus exporter, on a loopback port of its own: /metrics on the worker's
  // metrics port serves its figures together with the process's (memory, event loop).
  const sdkMetricsPort = await freePort('127.0.0.1');
  Runtime.install({
    logger: sdkLogger(logger),
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}`, countersTotalSuffix: true, useSecondsForDurations: true } } },
  });
  // Ctrl-C and the worker's own shutdown can both ask to stop: the cleanups run once, newest first.
  const shutdown = handleShutdown();
  onSupervisorGone(shutdown.interrupt);

  try {
    const dataDir = resolve(config.CS_DATA_DIR);
    // Validated before anything starts: a wrong definition should not cost a server start-up.
    const loaded = loadLifecycleDefinition(config.LIFECYCLE_DEFINITION);
    // The pages' address, for the Temporal UI's link back to each customer's page: a deployment's
    // setting, added to every definition loaded, not part of a published version's content.
    const decorate = (d: TLifecycleDefinition): TLifecycleDefinition =>
      config.PAGES_URL && !d.links?.pagesUrl ? { ...d, links: { ...d.links, pagesUrl: config.PAGES_URL } } : d;
    const definition = decorate(loaded);
    // The database first: a wrong DATABASE_URL should fail in a second, before any server starts.
    const database: Database = await openDatabase(
      config.DATABASE_URL ? { kind: 'postgres', url: config.DATABASE_URL } : { kind: 'pglite', dataDir: join(dataDir, 'pglite') },
    );
    shutdown.push(database.close);
    progress(
      `database: ${database.target.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${join(dataDir, 'pglite')}`}` +
        (database.appliedMigrations.length ? `, applied ${database.appliedMigrations.join(', ')}` : ''),
    );
    progress(await publishWorkerDefinition(database.prisma, loaded, { explicit: Boolean(config.LIFECYCLE_DEFINITION) }));

    let address = config.TEMPORAL_ADDRESS;
    let devServer: DevServerHandle | undefined;
    if (!address) {
      const cliPath = await ensureTemporalCli();
      progress(`starting the Temporal dev server (state in ${join(dataDir, 'temporal')})`);
      devServer = await startDevServer({
        cliPath,
        dbFilename: join(dataDir, 'temporal', 'dev.db'),
        port: config.TEMPORAL_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE,
        retentionDays: config.TEMPORAL_RETENTION_DAYS,
      });
      shutdown.push(devServer.stop);
      address = devServer.address;
    }

    // A client beside the worker: the maintenance activities signal customers through it, and it
    // keeps the maintenance schedule.
    const clientConnection = await connectTemporalClient(config, address);
    shutdown.push(() => clientConnection.close());
    const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
    // Our own dev server was prepared when it started, and so was the supervisor's; a server
    // someone else runs may lack our search attributes, and without them every customer workflow
    // task would fail.
    if (!devServer && !supervised()) await registerSearchAttributes(clientConnection, config.TEMPORAL_NAMESPACE);
    const workerConnection = await connectTemporal(temporalConnectionOptions(config, address), (options) => NativeConnection.connect(options));
    shutdown.push(() => workerConnection.close());
    progress(config.WORKFLOW_BUNDLE ? `starting the worker (workflow bundle ${config.WORKFLOW_BUNDLE}) …` : 'bundling workflows and starting the worker …');
    const mail = await openMail(config, join(dataDir, 'mail'));
    shutdown.push(mail.close);
    progress(mail.description);
    let accepting = true;
    // The cache is what grows with the portfolio; sized from the budget, it bounds the worker.
    const memory = workerMemoryPlan(config.WORKER_MEMORY_MB);
    progress(`worker memory: ${config.WORKER_MEMORY_MB} MiB (WORKER_MEMORY_MB), a cache of ${memory.maxCachedWorkflows} workflows`);
    const worker = await createLifecycleWorker({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      prisma: database.prisma,
      definition,
      decorate,
      mailer: mail.mailer,
      webhookTargets: config.WEBHOOK_TARGETS,
      maintenance: { client, segmentParkedTtlDays: config.SEGMENT_PARKED_TTL_DAYS, usageRollupSeconds: config.USAGE_ROLLUP_SECONDS },
      ...(config.WORKFLOW_BUNDLE ? { workflowBundle: { codePath: resolve(config.WORKFLOW_BUNDLE) } } : {}),
      // On SIGTERM the worker stops polling and gives running activities this long to finish.
      workerOptions: {
        shutdownGraceTime: `${config.SHUTDOWN_GRACE_SECONDS}s`,
        maxCachedWorkflows: memory.maxCachedWorkflows,
        maxConcurrentWorkflowTaskExecutions: memory.maxConcurrentWorkflowTaskExecutions,
      },
    });
    const processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
    const ops = await startOpsServer({
      host: config.METRICS_HOST,
      port: config.WORKER_METRICS_PORT,
      accepting: () => accepting,
      checks: {
        database: databaseCheck(database.prisma),
        temporal: () => workerConnection.workflowService.getSystemInfo({}),
        worker: async () => {
          if (worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
        },
      },
      metrics: async () => {
        const sdk = await fetch(`http://127.0.0.1:${sdkMetricsPort}/metrics`, { signal: AbortSignal.timeout(3_000) }).then((r) => r.text());
        return { contentType: processMetrics.contentType, text: `${sdk.trimEnd()}\n${await processMetrics.metrics()}` };
      },
    });
    shutdown.push(ops.stop);
    const workerRun = worker.run();
    shutdown.push(async () => {
      accepting = false; // /readyz says so while the worker drains
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
    });

    // Periodic work runs as one Temporal Schedule per task queue, not in any process of ours: this
    // worker makes sure it is there, at REDELIVERY_SWEEP_SECONDS, whoever made it; at least once per
    // usage rollup window, so each window's usage goes out soon after it closes.
    const intervalSeconds =
      config.USAGE_ROLLUP_SECONDS > 0 ? Math.min(config.REDELIVERY_SWEEP_SECONDS, config.USAGE_ROLLUP_SECONDS) : config.REDELIVERY_SWEEP_SECONDS;
    const schedule = { taskQueue: config.TEMPORAL_TASK_QUEUE, intervalSeconds };
    const scheduleId = maintenanceScheduleId(schedule.taskQueue);
    // A schedule this worker cannot make (a key without the permission, Temporal away a moment) does
    // not stop the worker, which applies every signalled event without it; it is tried again each
    // minute and said loudly, since rolled-up usage and undelivered events wait for it meanwhile.
    let scheduleRetry: NodeJS.Timeout | undefined;
    const keepSchedule = async (): Promise<void> => {
      try {
        const kept = await ensureMaintenanceSchedule(client, schedule);
        progress(`maintenance schedule ${scheduleId}: every ${schedule.intervalSeconds} s (${kept})`);
        logger.info({ scheduleId, intervalSeconds: schedule.intervalSeconds, outcome: kept }, 'maintenance schedule');
      } catch (error) {
        if (shutdown.interrupted) return;
        const reason = error instanceof Error ? error.message : String(error);
        progress(
          `maintenance schedule ${scheduleId} could not be made (${reason}); trying again in 60 s. Until then rolled-up usage and undelivered events wait`,
        );
        logger.error({ scheduleId, err: error }, 'maintenance schedule could not be made; retrying in 60 s');
        scheduleRetry = setTimeout(() => void keepSchedule(), 60_000);
        scheduleRetry.unref();
      }
    };
    shutdown.push(async () => clearTimeout(scheduleRetry));
    await keepSchedule();

    if (shutdown.interrupted) return;
    progress(`worker metrics and health on ${ops.url}`);
    logger.info({ ops: ops.url, taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker ready');
    if (supervised()) {
      tellSupervisor({ ready: 'worker' });
    } else {
      const ui = devServer?.uiUrl;
      process.stdout.write(
        `\nThe engine is running.\n` +
          `  Temporal:        ${address} (namespace ${config.TEMPORAL_NAMESPACE})\n` +
          (ui ? `  Temporal Web UI: ${ui}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows\n` : '') +
          `Press Ctrl-C to stop.\n`,
      );
    }
    // The SDK's runtime shuts the worker down on SIGINT/SIGTERM; then the rest goes too.
    await workerRun;
    await shutdown.stopAll();
  } catch (error) {
    await shutdown.stopAll();
    throw error;
  }
}

/**
 * The SMTP server play email goes to: SMTP_URL when set, else an embedded sink on a free port that
 * saves every message as an .eml file, so plays can be watched on a machine without a mail relay.
 */
export async function openMail(config: TEngineConfig, saveDir: string): Promise<{ mailer: Mailer; url: string; close: Cleanup; description: string }> {
  if (config.SMTP_URL) {
    const mailer = createMailer({ ...config, SMTP_URL: config.SMTP_URL });
    return { mailer, url: config.SMTP_URL, close: async () => mailer.close(), description: `email: SMTP ${new URL(config.SMTP_URL).host}` };
  }
  const sink = await startSmtpSink({ saveDir });
  const mailer = createMailer({ ...config, SMTP_URL: sink.url });
  return {
    mailer,
    url: sink.url,
    close: async () => {
      mailer.close();
      await sink.stop();
    },
    description: `email: embedded SMTP sink (set SMTP_URL for a real relay); messages saved in ${saveDir}`,
  };
}
