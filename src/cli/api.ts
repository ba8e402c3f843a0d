/**
 * `cli api`: the HTTP API on its own, for deployments that run workers and API separately (with
 * DATABASE_URL and TEMPORAL_ADDRESS). `npm start` runs it inside the engine instead.
 */
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApiApp } from '../api/app';
import { startApiServer } from '../api/server';
import type { TEngineConfig } from '../config';
import { openDatabase } from '../db/database';
import { progress } from '../dev-infra/progress';
import { loadLifecycleDefinition } from '../lifecycle/load-definition';

export async function runApi(config: TEngineConfig): Promise<void> {
  const definition = loadLifecycleDefinition(config.LIFECYCLE_DEFINITION);
  const database = await openDatabase(
    config.DATABASE_URL ? { kind: 'postgres', url: config.DATABASE_URL } : { kind: 'pglite', dataDir: join(resolve(config.CS_DATA_DIR), 'pglite') },
  );
  const address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const server = await startApiServer(createApiApp({ prisma: database.prisma, client, ingestSecret: config.INGEST_WEBHOOK_SECRET, definition }), {
    port: config.API_PORT,
    host: config.API_HOST,
  });
  progress(`HTTP API on ${server.url} (OpenAPI: ${server.url}/v1/openapi.json), Temporal ${address}`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.stop();
  await connection.close();
  await database.close();
}
