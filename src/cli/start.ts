/**
 * `npm start` (and `cli worker`): the engine on one machine. Starts the Temporal dev server unless
 * TEMPORAL_ADDRESS names one, opens the database (embedded PGlite unless DATABASE_URL is set), runs
 * the worker and, for `start`, a demo customer, then prints where to look. Ctrl-C stops everything
 * it started, in reverse order, and leaves no process behind.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { API_SCOPES, createApiKey, findApiKey, grantApiKeyScopes } from '../api/api-keys';
import type { PrismaClient } from '../generated/prisma/client';
import { seedDemoPortfolio } from '../demo/demo-portfolio';
import { serveApi } from './api';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig, type TEngineConfig } from '../config';
import { openDatabase, type Database } from '../db/database';
import { startDevServer, type DevServerHandle } from '../dev-infra/dev-server';
import { progress } from '../dev-infra/progress';
import { ensureTemporalCli } from '../dev-infra/temporal-cli';
import { startSmtpSink } from '../mail/smtp-sink';
import { createMailer, type Mailer } from '../mail/transport';
import { registerSearchAttributes } from '../temporal/namespace';
import { createLifecycleWorker } from '../temporal/worker';
import { loadLifecycleDefinition } from '../lifecycle/load-definition';

type Cleanup = () => Promise<void>;

export interface EngineOptions {
  /** Start the demo customer (`npm start`); a plain worker (`cli worker`) does not. */
  demo: boolean;
}

export async function runEngine(options: EngineOptions, config: TEngineConfig = loadConfig()): Promise<void> {
  // The worker's INFO lines (bundler output, every state change) would bury the few that matter.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cleanups: Cleanup[] = [];
  // Ctrl-C and the worker's own shutdown can both ask to stop: run the cleanups once, newest first.
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    })());
  // Until the worker runs, a Ctrl-C simply unwinds what was started so far.
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    progress('stopping …');
    void stopAll().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const dataDir = resolve(config.CS_DATA_DIR);
    // Validated before anything starts: a wrong definition should not cost a server start-up.
    const definition = loadLifecycleDefinition(config.LIFECYCLE_DEFINITION);
    // The database first: a wrong DATABASE_URL should fail in a second, before any server starts.
    const database: Database = await openDatabase(
      config.DATABASE_URL
        ? { kind: 'postgres', url: config.DATABASE_URL }
        : { kind: 'pglite', dataDir: join(dataDir, 'pglite') },
    );
    cleanups.push(database.close);
    progress(
      `database: ${database.target.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${join(dataDir, 'pglite')}`}` +
        (database.appliedMigrations.length ? `, applied ${database.appliedMigrations.join(', ')}` : ''),
    );

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
      cleanups.push(devServer.stop);
      address = devServer.address;
    }

    const clientConnection = await Connection.connect({ address });
    cleanups.push(() => clientConnection.close());
    // Our own dev server was prepared when it started; a server someone else runs may lack our
    // search attributes, and without them every customer workflow task would fail.
    if (!devServer) await registerSearchAttributes(clientConnection, config.TEMPORAL_NAMESPACE);
    const workerConnection = await NativeConnection.connect({ address });
    cleanups.push(() => workerConnection.close());
    progress('bundling workflows and starting the worker …');
    const mail = await openMail(config, join(dataDir, 'mail'));
    cleanups.push(mail.close);
    progress(mail.description);
    const worker = await createLifecycleWorker({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      prisma: database.prisma,
      definition,
      mailer: mail.mailer,
      webhookTargets: config.WEBHOOK_TARGETS,
    });
    const workerRun = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
    });

    const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
    let api: { url: string; key?: string } | undefined;
    let demo = '';
    if (options.demo) {
      const server = await serveApi(config, { prisma: database.prisma, client, definition });
      cleanups.push(server.stop);
      api = { url: server.url, key: await localApiKey(database.prisma, dataDir) };
      progress('seeding the demo portfolio (50 customers) …');
      const seeded = await seedDemoPortfolio({ prisma: database.prisma, client, taskQueue: config.TEMPORAL_TASK_QUEUE });
      demo = `${seeded.customers} customers (${seeded.created} new), workflows customer:demo-01 … customer:demo-${String(seeded.customers).padStart(2, '0')}`;
    }

    if (interrupted) return;
    const ui = devServer?.uiUrl;
    process.stdout.write(
      `\nThe engine is running.\n` +
        `  Temporal:        ${address} (namespace ${config.TEMPORAL_NAMESPACE})\n` +
        (ui ? `  Temporal Web UI: ${ui}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows\n` : '') +
        (options.demo ? `  Demo portfolio:  ${demo}\n` : '') +
        (api
          ? `  HTTP API:        ${api.url} (OpenAPI: ${api.url}/v1/openapi.json)\n` +
            `  API key:         ${api.key ?? '(created earlier; see ' + join(dataDir, 'local-api-key') + ')'}\n`
          : '') +
        `Press Ctrl-C to stop.\n`,
    );
    // The SDK's runtime shuts the worker down on SIGINT/SIGTERM; then the rest goes too.
    await workerRun;
    await stopAll();
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The SMTP server play email goes to: SMTP_URL when set, else an embedded sink on a free port that
 * saves every message as an .eml file, so plays can be watched on a machine without a mail relay.
 */
async function openMail(config: TEngineConfig, saveDir: string): Promise<{ mailer: Mailer; close: Cleanup; description: string }> {
  if (config.SMTP_URL) {
    const mailer = createMailer({ ...config, SMTP_URL: config.SMTP_URL });
    return { mailer, close: async () => mailer.close(), description: `email: SMTP ${new URL(config.SMTP_URL).host}` };
  }
  const sink = await startSmtpSink({ saveDir });
  const mailer = createMailer({ ...config, SMTP_URL: sink.url });
  return {
    mailer,
    close: async () => {
      mailer.close();
      await sink.stop();
    },
    description: `email: embedded SMTP sink (set SMTP_URL for a real relay); messages saved in ${saveDir}`,
  };
}

/**
 * A key for trying the API on this machine, created on the first start and kept in the data folder
 * (the database holds only its hash). It carries every scope, keys:write too, so `cli api-key` can
 * make keys through the running engine; a local key from an older version is granted the scopes it
 * lacks. Not for production: there, create keys with `cli api-key create`.
 */
export async function localApiKey(prisma: PrismaClient, dataDir: string): Promise<string> {
  const file = join(dataDir, 'local-api-key');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    const found = await findApiKey(prisma, saved);
    if (found && !found.revoked) {
      await grantApiKeyScopes(prisma, saved, API_SCOPES);
      return saved;
    }
  }
  const key = await createApiKey(prisma, `local-${Date.now().toString(36)}`, API_SCOPES);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
