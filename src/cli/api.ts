/**
 * `cli api`: the HTTP API on its own, for deployments that run workers and API separately (with
 * DATABASE_URL and TEMPORAL_ADDRESS). `npm start` runs it as a child process beside the worker, so
 * a crashed worker does not take the API with it (`start.ts`).
 */
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { PrismaClient } from '../generated/prisma/client';
import { createApiApp } from '../api/app';
import { startApiServer, type ApiServer } from '../api/server';
import type { TEngineConfig } from '../config';
import { openDatabase } from '../db/database';
import { progress } from '../dev-infra/progress';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { redeliverPendingEvents } from '../ingest/accept-events';
import { loadLifecycleDefinition } from '../lifecycle/load-definition';
import { onSupervisorGone, tellSupervisor } from './supervised';

export async function runApi(config: TEngineConfig): Promise<void> {
  const definition = loadLifecycleDefinition(config.LIFECYCLE_DEFINITION);
  const database = await openDatabase(
    config.DATABASE_URL ? { kind: 'postgres', url: config.DATABASE_URL } : { kind: 'pglite', dataDir: join(resolve(config.CS_DATA_DIR), 'pglite') },
  );
  const address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const server = await serveApi(config, { prisma: database.prisma, client, definition });
  progress(`HTTP API on ${server.url} (OpenAPI: ${server.url}/v1/openapi.json), Temporal ${address}, task queue ${config.TEMPORAL_TASK_QUEUE}`);
  tellSupervisor({ ready: 'api', url: server.url });
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    onSupervisorGone(done);
  });
  await server.stop();
  await connection.close();
  await database.close();
}

/**
 * The API as configured (port, host, task queue, ingest secret, body limit) over HTTP, for `cli api`
 * and `npm start`; beside it, a sweep that delivers events recorded but left undelivered.
 */
export async function serveApi(config: TEngineConfig, deps: { prisma: PrismaClient; client: Client; definition: TLifecycleDefinition }): Promise<ApiServer> {
  const app = createApiApp({
    ...deps,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ingestSecret: config.INGEST_WEBHOOK_SECRET,
    maxBodyBytes: config.API_MAX_BODY_BYTES,
    temporalUiUrl: config.TEMPORAL_UI_URL,
    namespace: config.TEMPORAL_NAMESPACE,
  });
  const server = await startApiServer(app, { port: config.API_PORT, host: config.API_HOST });
  let sweeping: Promise<unknown> | undefined;
  const sweep = setInterval(() => {
    // One sweep at a time: a slow one (a long backlog) is not joined by the next.
    sweeping ??= redeliverPendingEvents(deps)
      .then((count) => count > 0 && progress(`delivered ${count} event(s) that were recorded but not delivered`))
      .catch(() => undefined) // the database or Temporal is away: the next sweep tries again
      .finally(() => (sweeping = undefined));
  }, REDELIVERY_SWEEP_MS);
  sweep.unref();
  return {
    url: server.url,
    async stop() {
      clearInterval(sweep);
      await sweeping;
      await server.stop();
    },
  };
}

/** How often undelivered events are looked for; an event is redelivered once a minute old. */
const REDELIVERY_SWEEP_MS = 30_000;
