/**
 * `npm start`: the engine on one machine, as a supervisor of its parts. It owns what must exist
 * once — the Temporal dev server (under a watchdog), the database (embedded PGlite, served to the
 * other processes over the PostgreSQL wire protocol on a loopback port), the embedded SMTP sink —
 * and runs the worker and the HTTP API as child processes (`cli worker`, `cli api`). So a crash of
 * one (the worker aborting on a workflow isolate timeout) does not take the other: the API goes on
 * acknowledging events and the restarted worker applies them. A child that crashes is restarted
 * with a backoff and one line of log. The children and the dev server stop when the supervisor
 * dies, however it dies; Ctrl-C stops everything, newest first, and leaves no process behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { API_SCOPES, createApiKey, findApiKey, grantApiKeyScopes } from '../api/api-keys';
import { loadConfig, type TEngineConfig } from '../config';
import { openDatabase } from '../db/database';
import { servePglite } from '../db/pglite-server';
import { recordServedDatabase } from './cli-database';
import { seedDemoPortfolio } from '../demo/demo-portfolio';
import { assertPortFree, freePort, startDevServer, type DevServerHandle } from '../dev-infra/dev-server';
import { progress } from '../dev-infra/progress';
import { SetupError } from '../dev-infra/setup-error';
import { ensureTemporalCli } from '../dev-infra/temporal-cli';
import type { PrismaClient } from '../generated/prisma/client';
import { loadLifecycleDefinition } from '../lifecycle/load-definition';
import { startSmtpSink } from '../mail/smtp-sink';
import { connectTemporalClient } from '../temporal/connection-options';
import { registerSearchAttributes } from '../temporal/namespace';
import { workerMemoryPlan } from '../temporal/worker-memory';
import { WORKFLOW_BUNDLE_OPTIONS } from '../temporal/worker';
import type { SupervisorMessage } from './supervised';
import { handleShutdown } from '../util/shutdown';

const ROOT = resolve(__dirname, '../..');
/**
 * How a child runs the CLI: from the compiled bundle when this process runs from it (`npm start`,
 * see bundle-cli.cjs: plain Node, 50–70 MiB less per process), else from the sources through tsx.
 */
const CLI_ENTRY = __filename.endsWith('.ts') ? ['--import', 'tsx', join(__dirname, 'main.ts')] : [__filename];

export async function runStart(config: TEngineConfig = loadConfig()): Promise<void> {
  // Ctrl-C reaches every process of the group at once; the supervisor stops its children (they may
  // have stopped already), then what they used: the cleanups run once, newest first.
  const shutdown = handleShutdown();

  try {
    const dataDir = resolve(config.CS_DATA_DIR);
    // Validated before anything starts (the worker loads it again): a wrong definition should not
    // cost a server start-up.
    loadLifecycleDefinition(config.LIFECYCLE_DEFINITION);

    // The database first: a wrong DATABASE_URL should fail in a second, before any server starts.
    let databaseUrl = config.DATABASE_URL;
    let databaseLine = 'PostgreSQL (DATABASE_URL)';
    let applied: string[] = [];
    if (!databaseUrl) {
      const embedded = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
      shutdown.push(embedded.close);
      const served = await servePglite(embedded.pglite!);
      shutdown.push(served.stop);
      databaseUrl = served.url;
      // So `cli lifecycle` and `cli backtest` reach the database this engine holds.
      shutdown.push(recordServedDatabase(dataDir, served.url));
      applied = embedded.appliedMigrations;
      databaseLine = `embedded PGlite in ${join(dataDir, 'pglite')}, served to the worker and the API on ${new URL(served.url).host}`;
    }
    // The supervisor's own writes (the local key, the demo) go through the same URL as everyone's:
    // PGlite has one session, which the server hands out in turns.
    const database = await openDatabase({ kind: 'postgres', url: databaseUrl });
    shutdown.push(database.close);
    applied = [...applied, ...database.appliedMigrations];
    progress(`database: ${databaseLine}${applied.length ? `, applied ${applied.join(', ')}` : ''}`);

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
        // The UI shows the step's deflated writes as JSON through the API (`src/api/codec-endpoint.ts`);
        // known only when the API's port is (API_PORT=0 picks one later).
        uiCodecEndpoint: config.API_PORT ? `http://${browserHost(config.API_HOST)}:${config.API_PORT}/codec` : undefined,
        namespace: config.TEMPORAL_NAMESPACE,
        retentionDays: config.TEMPORAL_RETENTION_DAYS,
      });
      shutdown.push(devServer.stop);
      address = devServer.address;
    }
    const clientConnection = await connectTemporalClient(config, address);
    shutdown.push(() => clientConnection.close());
    // Our own dev server was prepared when it started; a server someone else runs may lack our
    // search attributes, and without them every customer workflow task would fail.
    if (!devServer) await registerSearchAttributes(clientConnection, config.TEMPORAL_NAMESPACE);
    const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });

    // The sink lives here, so mail sent by a restarted worker lands where the earlier mail did.
    let smtpUrl = config.SMTP_URL;
    if (smtpUrl) {
      progress(`email: SMTP ${new URL(smtpUrl).host}`);
    } else {
      const sink = await startSmtpSink({ saveDir: join(dataDir, 'mail') });
      shutdown.push(sink.stop);
      smtpUrl = sink.url;
      progress(`email: embedded SMTP sink (set SMTP_URL for a real relay); messages saved in ${join(dataDir, 'mail')}`);
    }

    // One port for the API's whole life: a restarted API answers where the banner said.
    const apiPort = config.API_PORT === 0 ? await freePort(config.API_HOST) : config.API_PORT;
    await assertPortFree(config.API_HOST, apiPort, 'API_PORT', 'the HTTP API');
    const childEnv = {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: address,
      SMTP_URL: smtpUrl,
      API_PORT: String(apiPort),
      // For the pages' links to each customer's workflow.
      TEMPORAL_UI_URL: config.TEMPORAL_UI_URL ?? devServer?.uiUrl ?? '',
      PAGES_URL: config.PAGES_URL ?? `http://${browserHost(config.API_HOST)}:${apiPort}`,
      // The children run in the project folder: paths the user gave relative to theirs, made absolute.
      CS_DATA_DIR: dataDir,
      LIFECYCLE_DEFINITION: config.LIFECYCLE_DEFINITION ? resolve(config.LIFECYCLE_DEFINITION) : '',
      // On one machine a JSON line per request would bury the banner; LOG_LEVEL=info shows them.
      LOG_LEVEL: config.LOG_LEVEL ?? 'warn',
      // Bundled once here: a worker the supervisor restarts loads it instead of running webpack
      // again (tens of seconds on a busy machine, with the customers waiting).
      WORKFLOW_BUNDLE: config.WORKFLOW_BUNDLE ? resolve(config.WORKFLOW_BUNDLE) : await bundleForThisRun(dataDir, shutdown),
    };
    progress('starting the worker and the HTTP API, each in its own process …');
    // The worker's heap limit follows its memory budget: a backstop above what its cache needs.
    const workerNodeFlags = [`--max-old-space-size=${workerMemoryPlan(config.WORKER_MEMORY_MB).maxOldSpaceSizeMb}`];
    const worker = superviseChild('worker', childEnv, () => shutdown.interrupted, workerNodeFlags);
    const api = superviseChild('api', childEnv, () => shutdown.interrupted);
    shutdown.push(async () => {
      await Promise.all([api.stop(), worker.stop()]);
    });

    // Meanwhile the local key and the demo customers (their workflows wait for the worker's first poll).
    const key = await localApiKey(database.prisma, dataDir);
    progress('seeding the demo portfolio (50 customers) …');
    const seeded = await seedDemoPortfolio({ prisma: database.prisma, client, taskQueue: config.TEMPORAL_TASK_QUEUE });
    const demo = `${seeded.customers} customers (${seeded.created} new), workflows customer:demo-01 … customer:demo-${String(seeded.customers).padStart(2, '0')}`;
    const [, apiReady] = await Promise.all([worker.ready, api.ready]);
    const apiUrl = (apiReady as Extract<SupervisorMessage, { ready: 'api' }>).url;

    if (shutdown.interrupted) return;
    const ui = devServer?.uiUrl;
    process.stdout.write(
      `\nThe engine is running.\n` +
        `  Temporal:        ${address} (namespace ${config.TEMPORAL_NAMESPACE})\n` +
        (ui ? `  Temporal Web UI: ${ui}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows\n` : '') +
        `  Demo portfolio:  ${demo}\n` +
        `  HTTP API:        ${apiUrl} (OpenAPI: ${apiUrl}/v1/openapi.json)\n` +
        `  API key:         ${key}\n` +
        `Press Ctrl-C to stop.\n`,
    );
    // Runs until Ctrl-C (the shutdown exits); a crashed child is restarted meanwhile.
    await new Promise<never>(() => undefined);
  } catch (error) {
    await shutdown.stopAll();
    throw error;
  }
}

interface SupervisedChild {
  /** The child's first "ready"; rejects if it exits before (its own message is on stderr). */
  ready: Promise<SupervisorMessage>;
  /** Lets the child go (it stops by itself when its channel closes); SIGKILL if it lingers. */
  stop(): Promise<void>;
}

const FIRST_RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A child that ran this long before it crashed starts the backoff afresh. */
const STABLE_AFTER_MS = 60_000;
const STOP_GRACE_MS = 20_000;

/** Runs `cli <command>` as a child and restarts it whenever it crashes, until stop(). */
function superviseChild(command: 'worker' | 'api', env: Record<string, string>, shuttingDown: () => boolean, nodeFlags: string[] = []): SupervisedChild {
  const label = command === 'api' ? 'HTTP API' : 'worker';
  let child: ChildProcess;
  let everReady = false;
  let stopRequested = false;
  let delay = FIRST_RESTART_DELAY_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let markReady: (message: SupervisorMessage) => void;
  let failBeforeReady: (error: Error) => void;
  const ready = new Promise<SupervisorMessage>((resolvePromise, reject) => {
    markReady = resolvePromise;
    failBeforeReady = reject;
  });
  ready.catch(() => undefined); // awaited later; not an unhandled rejection meanwhile

  const launch = () => {
    const startedAt = Date.now();
    child = spawn(process.execPath, [...nodeFlags, ...CLI_ENTRY, command], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      // The IPC channel is how the child says it is ready and how it learns we are gone.
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    // Its warnings and errors, without the start-up progress every restart would repeat.
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (!line.startsWith('[setup] ')) process.stderr.write(`${line}\n`);
    });
    child.on('message', (message: SupervisorMessage) => {
      if (!message?.ready) return;
      everReady = true;
      markReady(message);
    });
    child.once('exit', (code, signal) => {
      // Ctrl-C reached the child too: it stopped because everything stops.
      if (stopRequested || shuttingDown()) return;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      if (!everReady) {
        failBeforeReady(
          new SetupError(`The ${label} process stopped (${how}) before it was ready.`, 'Its own message is above; fix what it names and start again.'),
        );
        return;
      }
      if (Date.now() - startedAt > STABLE_AFTER_MS) delay = FIRST_RESTART_DELAY_MS;
      process.stderr.write(`[engine] the ${label} stopped (${how}); restarting it in ${delay / 1000} s\n`);
      restartTimer = setTimeout(launch, delay);
      delay = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    });
  };
  launch();

  return {
    ready,
    async stop() {
      stopRequested = true;
      clearTimeout(restartTimer);
      const current = child;
      if (current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise<void>((done) => current.once('exit', () => done()));
      if (current.connected) current.disconnect();
      const timer = setTimeout(() => current.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The workflow code bundled for this run of `npm start`, removed when it stops. webpack runs in a
 * short-lived process of its own: in the supervisor it left about 150 MiB behind for as long as
 * the engine runs (its modules, and a heap that had grown to hold the build).
 */
async function bundleForThisRun(dataDir: string, shutdown: { push(cleanup: () => Promise<void>): void }): Promise<string> {
  progress('bundling workflows …');
  const file = join(dataDir, `workflow-bundle-${process.pid}.js`);
  mkdirSync(dataDir, { recursive: true });
  shutdown.push(async () => rmSync(file, { force: true }));
  // webpack's chatter stays out of the banner; warnings and errors still show (DefaultLogger WARN).
  const script = `const { bundleWorkflowCode, DefaultLogger } = require('@temporalio/worker');
const { writeFileSync } = require('node:fs');
bundleWorkflowCode({ ...JSON.parse(process.argv[1]), logger: new DefaultLogger('WARN') }).then(({ code }) => writeFileSync(process.argv[2], code));`;
  try {
    const { stderr } = await promisify(execFile)(process.execPath, ['-e', script, JSON.stringify(WORKFLOW_BUNDLE_OPTIONS), file], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    if (stderr.trim()) process.stderr.write(stderr);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new SetupError(
      `Could not bundle the workflow code: ${stderr.split('\n').slice(-5).join('\n') || (error as Error).message}`,
      'Fix what it names in workflows/ (`npm run typecheck` helps), then start again.',
    );
  }
  return file;
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

/** Where a browser on this machine reaches a server bound to `host` (all interfaces: loopback). */
function browserHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
