/**
 * What the API tests share: the dev server, a fresh database, a lifecycle worker on its own task
 * queue, and the HTTP API as its own process (`cli api`, as deployed) on a free port.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Database } from '../../src/db/database';
import { startNodeProcess } from './node-process';
import { connectDevServer, openTestDatabase, startTestWorker } from './servers';

export interface ApiStack {
  env: TestWorkflowEnvironment;
  database: Database;
  taskQueue: string;
  api: { url: string };
  stop(): Promise<void>;
}

export interface ApiProcessSettings {
  ingestSecret?: string;
  maxBodyBytes?: number;
  /** `CLOUDEVENTS_TYPE_MAP` of the API process, as JSON. */
  cloudEventTypeMap?: string;
  /** `USAGE_ROLLUP_SECONDS` of the API process; 0 (usage signalled at once) unless given. */
  usageRollupSeconds?: number;
}

export async function startApiStack(label: string, settings: ApiProcessSettings = {}): Promise<ApiStack> {
  const [env, database] = await Promise.all([connectDevServer(), openTestDatabase(label)]);
  if (database.target.kind !== 'postgres') throw new Error('the API tests need the PostgreSQL test database');
  const { worker, taskQueue } = await startTestWorker(env, database);
  const running = worker.run();
  try {
    const apiProcess = await startNodeProcess(
      'src/cli/main.ts',
      ['api'],
      {
        TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
        DATABASE_URL: database.target.url,
        TEMPORAL_TASK_QUEUE: taskQueue,
        API_PORT: '0',
        INGEST_WEBHOOK_SECRET: settings.ingestSecret ?? '',
        API_MAX_BODY_BYTES: settings.maxBodyBytes === undefined ? '' : String(settings.maxBodyBytes),
        LIFECYCLE_DEFINITION: '',
        CLOUDEVENTS_TYPE_MAP: settings.cloudEventTypeMap ?? '',
        // No maintenance schedule runs under these tests: usage goes at once unless a test asks.
        USAGE_ROLLUP_SECONDS: String(settings.usageRollupSeconds ?? 0),
      },
      /HTTP API on (http:\/\/\S+) /,
    );
    return {
      env,
      database,
      taskQueue,
      api: { url: apiProcess.ready[1]! },
      async stop() {
        await apiProcess.stop();
        worker.shutdown();
        await running;
        await Promise.all([env.teardown(), database.close()]);
      },
    };
  } catch (error) {
    worker.shutdown();
    await running;
    await Promise.all([env.teardown(), database.close()]);
    throw error;
  }
}
