/**
 * `cli api`: the HTTP API on its own, for deployments that run workers and API separately (with
 * DATABASE_URL and TEMPORAL_ADDRESS). `npm start` runs it as a child process beside the worker, so
 * a crashed worker does not take the API with it (`start.ts`).
 */
import { join, resolve } from 'node:path';
import { Client } from '@temporalio/client';
import type { PrismaClient } from '../generated/prisma/client';
import { createApiApp, type ApiDeps } from '../api/app';
import { startApiServer, type ApiServer } from '../api/server';
import type { TEngineConfig } from '../config';
import { openDatabase } from '../db/database';
import { progress } from '../dev-infra/progress';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { loadLifecycleDefinition } from '../lifecycle/load-definition';
import { createLogger, type Logger } from '../ops/logger';
import { ApiMetrics } from '../ops/metrics';
import { databaseCheck, startOpsServer, type ReadinessCheck } from '../ops/ops-server';
import { connectTemporalClient, describeTemporalConnection, temporalConnectionOptions } from '../temporal/connection-options';
import { onSupervisorGone, tellSupervisor } from './supervised';

export async function runApi(config: TEngineConfig): Promise<void> {
  const logger = createLogger(config, 'api');
  const definition = loadLifecycleDefinition(config.LIFECYCLE_DEFINITION);
  const database = await openDatabase(
    config.DATABASE_URL ? { kind: 'postgres', url: config.DATABASE_URL } : { kind: 'pglite', dataDir: join(resolve(config.CS_DATA_DIR), 'pglite') },
  );
  const address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
  const connection = await connectTemporalClient(config, address);
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const metrics = new ApiMetrics({ defaultMetrics: true });
  metrics.watchPlayRuns(database.prisma);
  let accepting = true;
  const checks: Record<string, ReadinessCheck> = {
    database: databaseCheck(database.prisma),
    temporal: () => connection.workflowService.getSystemInfo({}),
  };
  const server = await serveApi(config, { prisma: database.prisma, client, definition, metrics, logger, readinessChecks: checks });
  const ops = await startOpsServer({
    host: config.METRICS_HOST,
    port: config.API_METRICS_PORT,
    checks,
    accepting: () => accepting,
    metrics: async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }),
  });
  progress(
    `HTTP API on ${server.url} (OpenAPI: ${server.url}/v1/openapi.json), metrics and health on ${ops.url}, ` +
      `Temporal ${describeTemporalConnection(temporalConnectionOptions(config, address))}, task queue ${config.TEMPORAL_TASK_QUEUE}`,
  );
  logger.info({ url: server.url, ops: ops.url }, 'api ready');
  tellSupervisor({ ready: 'api', url: server.url });
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    onSupervisorGone(done);
  });
  accepting = false;
  await drain(logger, config.SHUTDOWN_GRACE_SECONDS, async () => {
    await server.stop(config.SHUTDOWN_GRACE_SECONDS * 1000);
    await ops.stop();
    await connection.close();
    await database.close();
  });
}

/** Runs the shutdown steps, logging how long they took; past the grace time the process exits anyway. */
async function drain(logger: Logger, graceSeconds: number, steps: () => Promise<void>): Promise<void> {
  const started = Date.now();
  logger.info({ graceSeconds }, 'stopping: finishing the requests in flight');
  // The server cuts what is still open at the grace time; this is for anything else that hangs.
  const hard = setTimeout(
    () => {
      logger.warn({ graceSeconds }, 'shutdown took longer than SHUTDOWN_GRACE_SECONDS; exiting');
      process.exit(1);
    },
    graceSeconds * 1000 + 5_000,
  );
  hard.unref();
  await steps();
  clearTimeout(hard);
  logger.info({ ms: Date.now() - started }, 'stopped');
}

/**
 * The API as configured (port, host, task queue, ingest secret, body limit) over HTTP, for `cli api`
 * and `npm start`. Nothing periodic runs here: events recorded but left undelivered are delivered
 * by the maintenance schedule `cli worker` keeps (`src/temporal/maintenance-schedule.ts`).
 */
export async function serveApi(
  config: TEngineConfig,
  deps: { prisma: PrismaClient; client: Client; definition: TLifecycleDefinition } & Pick<ApiDeps, 'metrics' | 'logger' | 'readinessChecks'>,
): Promise<ApiServer> {
  const app = createApiApp({
    ...deps,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ingestSecret: config.INGEST_WEBHOOK_SECRET,
    cloudEventTypes: config.CLOUDEVENTS_TYPE_MAP,
    usageRollupSeconds: config.USAGE_ROLLUP_SECONDS,
    maxBodyBytes: config.API_MAX_BODY_BYTES,
    temporalUiUrl: config.TEMPORAL_UI_URL,
    namespace: config.TEMPORAL_NAMESPACE,
  });
  return startApiServer(app, { port: config.API_PORT, host: config.API_HOST });
}
