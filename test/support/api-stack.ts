/**
 * What the API tests share: the dev server, a fresh database, a lifecycle worker running on its own
 * task queue, and the API served over real HTTP on a free port.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApiApp, type ApiDeps } from '../../src/api/app';
import { startApiServer, type ApiServer } from '../../src/api/server';
import type { Database } from '../../src/db/database';
import { connectDevServer, openTestDatabase, startTestWorker } from './servers';

export interface ApiStack {
  env: TestWorkflowEnvironment;
  database: Database;
  taskQueue: string;
  api: ApiServer;
  stop(): Promise<void>;
}

export async function startApiStack(label: string, options: Pick<ApiDeps, 'ingestSecret' | 'maxBodyBytes'> = {}): Promise<ApiStack> {
  const [env, database] = await Promise.all([connectDevServer(), openTestDatabase(label)]);
  const { worker, taskQueue } = await startTestWorker(env, database);
  const running = worker.run();
  const api = await startApiServer(createApiApp({ prisma: database.prisma, client: env.client, taskQueue, ...options }), { port: 0 });
  return {
    env,
    database,
    taskQueue,
    api,
    async stop() {
      await api.stop();
      worker.shutdown();
      await running;
      await Promise.all([env.teardown(), database.close()]);
    },
  };
}
