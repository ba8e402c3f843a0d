/**
 * A real Temporal server (frontend, history, matching and worker services in one process) on
 * PostgreSQL, for tests and benchmarks that need what the dev server is not: several history
 * shards, SQL persistence and visibility, a config file like a production deployment's.
 *
 * These machines reach package registries only, so the server is built like the CLI
 * (`temporal-cli.ts`): `go install` from the Go module proxy into the tool cache, once per version.
 * The version is the one the pinned CLI embeds (read from the CLI's go.mod), so the dev server and
 * this server are the same Temporal. The schema files ship in the server module and are copied into
 * the cache beside the binaries, so a cleaned Go module cache does not break a cached build.
 *
 *   ensureTemporalServer()   binaries + schema dir (cached, or built: minutes on 2 cores)
 *   setupTemporalSchema()    databases `temporal` and `temporal_visibility` via temporal-sql-tool
 *   startTemporalServer()    config YAML written from code, started under the watchdog, namespace
 *                            registered with the project's search attributes
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { registerSearchAttributes } from '../temporal/namespace';
import { cacheDir } from './cache';
import { freePort } from './dev-server';
import { progress, withHeartbeat } from './progress';
import { SetupError } from './setup-error';
import { goToolchainProblem, runGo, TEMPORAL_CLI_VERSION } from './temporal-cli';

const execFileAsync = promisify(execFile);
const SERVER_MODULE = 'go.temporal.io/server';
const WATCHDOG = join(__dirname, 'watchdog.cjs');
const BUILD_REMEDY = 'Install Go >= 1.25 with access to the Go module proxy; the project then builds the Temporal server itself.';

export interface TemporalServerBinaries {
  version: string;
  serverPath: string;
  sqlToolPath: string;
  /** `schema/postgresql/v12` of the server module: `temporal/versioned` and `visibility/versioned`. */
  postgresSchemaDir: string;
}

/** The server version the pinned CLI embeds, from the CLI module's go.mod (module cache or proxy). */
export async function serverVersionOfCli(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', `github.com/temporalio/cli@v${TEMPORAL_CLI_VERSION}`], {
    env,
    maxBuffer: 1 << 20,
  });
  const { GoMod } = JSON.parse(stdout) as { GoMod?: string };
  const match = GoMod ? /^\s*go\.temporal\.io\/server v(\S+)/m.exec(readFileSync(GoMod, 'utf8')) : null;
  if (!match) throw new Error(`no ${SERVER_MODULE} requirement in the go.mod of the Temporal CLI v${TEMPORAL_CLI_VERSION}`);
  return match[1]!;
}

export async function ensureTemporalServer(env: NodeJS.ProcessEnv = process.env): Promise<TemporalServerBinaries> {
  const goProblem = await goToolchainProblem(env);
  if (goProblem) throw new SetupError(`Cannot build the Temporal server: ${goProblem}.`, BUILD_REMEDY);
  let version: string;
  try {
    version = await serverVersionOfCli(env);
  } catch (error) {
    throw new SetupError(`Cannot find which Temporal server the CLI v${TEMPORAL_CLI_VERSION} embeds: ${(error as Error).message}`, BUILD_REMEDY, {
      cause: error,
    });
  }
  const buildDir = cacheDir(env, 'temporal-server', `v${version}`);
  const binaries: TemporalServerBinaries = {
    version,
    serverPath: join(buildDir, 'temporal-server'),
    sqlToolPath: join(buildDir, 'temporal-sql-tool'),
    postgresSchemaDir: join(buildDir, 'schema', 'postgresql', 'v12'),
  };
  // The ready marker is written last: a build interrupted half-way is redone, never trusted.
  if (existsSync(join(buildDir, 'ready'))) return binaries;
  progress(
    `building the Temporal server v${version} and its SQL tool from the Go module proxy into ${buildDir} ` +
      '(first run only: a large module download and several minutes of compile on 2 cores)',
  );
  const scratch = mkdtempSync(join(buildDir, '.build-'));
  try {
    const args = ['install', '-trimpath', '-ldflags', '-s -w', `${SERVER_MODULE}/cmd/server@v${version}`, `${SERVER_MODULE}/cmd/tools/sql@v${version}`];
    await withHeartbeat('go install temporal-server, temporal-sql-tool', runGo(args, scratch, env));
    const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', `${SERVER_MODULE}@v${version}`], { env, maxBuffer: 1 << 20 });
    const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
    rmSync(join(buildDir, 'schema'), { recursive: true, force: true });
    cpSync(join(moduleDir, 'schema', 'postgresql', 'v12'), binaries.postgresSchemaDir, { recursive: true });
    renameSync(join(scratch, 'server'), binaries.serverPath);
    renameSync(join(scratch, 'sql'), binaries.sqlToolPath);
    writeFileSync(join(buildDir, 'ready'), `${new Date().toISOString()}\n`);
  } catch (error) {
    throw new SetupError(`Building the Temporal server v${version} failed: ${(error as Error).message}`, BUILD_REMEDY, { cause: error });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binaries;
}

interface PgTarget {
  host: string;
  port: string;
  user: string;
  password: string;
}

function pgTarget(postgresUrl: string): PgTarget {
  const url = new URL(postgresUrl);
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port || '5432',
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
  };
}

/**
 * Creates the two databases the server needs on the PostgreSQL at `postgresUrl` and brings their
 * schemas to the newest version the server module ships (`temporal-sql-tool`, as in Temporal's docs).
 */
export async function setupTemporalSchema(
  binaries: TemporalServerBinaries,
  postgresUrl: string,
  databases: { main: string; visibility: string } = { main: 'temporal', visibility: 'temporal_visibility' },
): Promise<void> {
  const pg = pgTarget(postgresUrl);
  const base = ['--plugin', 'postgres12', '--endpoint', pg.host, '--port', pg.port, '--user', pg.user, ...(pg.password ? ['--password', pg.password] : [])];
  const steps: Array<[string, string[]]> = [
    [databases.main, ['create-database']],
    [databases.main, ['setup-schema', '-v', '0.0']],
    [databases.main, ['update-schema', '-d', join(binaries.postgresSchemaDir, 'temporal', 'versioned')]],
    [databases.visibility, ['create-database']],
    [databases.visibility, ['setup-schema', '-v', '0.0']],
    [databases.visibility, ['update-schema', '-d', join(binaries.postgresSchemaDir, 'visibility', 'versioned')]],
  ];
  for (const [database, command] of steps) {
    try {
      await execFileAsync(binaries.sqlToolPath, [...base, '--database', database, ...command], { maxBuffer: 16 << 20 });
    } catch (error) {
      const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
      throw new SetupError(
        `temporal-sql-tool ${command[0]} on database ${database} failed:\n${output}`,
        'Check that the PostgreSQL user may create databases and that the databases do not hold an older, foreign schema.',
        { cause: error },
      );
    }
  }
}

export interface TemporalServerOptions {
  binaries: TemporalServerBinaries;
  postgresUrl: string;
  /** Where the config files and the server's log go. */
  dir: string;
  namespace?: string;
  numHistoryShards?: number;
  retentionDays?: number;
  /** Dynamic config values, key → value (the same for every scope). */
  dynamicConfig?: Record<string, unknown>;
  databases?: { main: string; visibility: string };
  readyTimeoutMs?: number;
}

export interface TemporalServerHandle {
  address: string;
  namespace: string;
  /** The server's log file (JSON lines). */
  logFile: string;
  stop(): Promise<void>;
}

/** Services the one process runs; each gets a free gRPC and membership port. */
const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;

export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServerHandle> {
  const namespace = options.namespace ?? 'default';
  const databases = options.databases ?? { main: 'temporal', visibility: 'temporal_visibility' };
  const pg = pgTarget(options.postgresUrl);
  mkdirSync(options.dir, { recursive: true });
  const ports: Record<string, { grpcPort: number; membershipPort: number; httpPort?: number }> = {};
  for (const service of SERVICES) {
    ports[service] = {
      grpcPort: await freePort(),
      membershipPort: await freeLowPort(),
      ...(service === 'frontend' ? { httpPort: await freePort() } : {}),
    };
  }
  const address = `127.0.0.1:${ports.frontend!.grpcPort}`;
  const logFile = join(options.dir, 'temporal-server.log');
  const dynamicConfigFile = join(options.dir, 'dynamic-config.yaml');
  const sqlStore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  // JSON is YAML: no YAML library needed for a file nobody edits by hand.
  const config = {
    log: { stdout: false, outputFile: logFile, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: options.numHistoryShards ?? 4,
      datastores: { default: sqlStore(databases.main, 20), visibility: sqlStore(databases.visibility, 4) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: Object.fromEntries(SERVICES.map((service) => [service, { rpc: { ...ports[service], bindOnIP: '127.0.0.1' } }])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: address } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  const dynamicConfig: Record<string, unknown> = {
    // No phoning home for a version check.
    'frontend.enableServerVersionCheck': false,
    // Search attributes and namespaces registered a moment ago are usable at once (tests start right after).
    'system.forceSearchAttributesCacheRefreshOnRead': true,
    'system.namespaceCacheRefreshInterval': '1s',
    'limit.maxIDLength': 255,
    ...options.dynamicConfig,
  };
  writeFileSync(join(options.dir, 'cluster.yaml'), JSON.stringify(config, null, 2));
  writeFileSync(dynamicConfigFile, JSON.stringify(Object.fromEntries(Object.entries(dynamicConfig).map(([key, value]) => [key, [{ value }]])), null, 2));

  const args = ['--root', '/', '--config', options.dir, '--env', 'cluster', '--allow-no-auth', 'start'];
  // Under the watchdog, in its own process group, like the dev server: never outlives its owner.
  const child = spawn(process.execPath, [WATCHDOG, options.binaries.serverPath, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  let serverPid: number | undefined;
  child.on('message', (message: { pid?: number }) => (serverPid = message.pid ?? serverPid));
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  const tail = () => `${output}\n${existsSync(logFile) ? readableLog(readFileSync(logFile, 'utf8')) : ''}`.trim();
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    await stopChild(child, () => serverPid);
  };
  try {
    const connection = await waitUntilServing(address, child, tail, options.readyTimeoutMs ?? 120_000);
    try {
      await ensureNamespace(connection, namespace, options.retentionDays ?? 365);
      // SQL visibility keeps custom search attributes per namespace: added with the namespace named.
      await registerSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, namespace, logFile, stop };
}

/**
 * A free port below 32768: the SQL schema stores membership ports as `smallint`, and Linux hands out
 * ephemeral ports from 32768 up, so a port the OS picks would fail the server's first heartbeat.
 */
async function freeLowPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portIsFree(port)) return port;
  }
  throw new SetupError('No free port between 20000 and 32000 on 127.0.0.1 for the Temporal server.', 'Free some ports in that range and retry.');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** The server's JSON log lines as `level: msg (error)`, without the stack traces, last ones first to go. */
function readableLog(text: string): string {
  return text
    .split('\n')
    .filter(Boolean)
    .slice(-12)
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
        return `${entry.level}: ${entry.msg}${entry.error ? ` (${entry.error})` : ''}`;
      } catch {
        return line;
      }
    })
    .join('\n');
}

async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(retentionDays * 24 * 60 * 60 * 1000),
    });
  } catch (error) {
    const ALREADY_EXISTS = 6;
    if ((error as { code?: number }).code !== ALREADY_EXISTS) throw error;
  }
  // Registered is not yet served: the frontend's namespace cache catches up within its refresh interval.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function waitUntilServing(address: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) {
      throw new SetupError(`The Temporal server exited (code ${exited}) before it was ready:\n${output()}`, 'Read the server output above.');
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch {
      if (Date.now() > deadline) {
        throw new SetupError(`The Temporal server did not answer on ${address} within ${timeoutMs / 1000} s:\n${output()}`, 'Read the server output above.');
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** SIGTERM through the watchdog; after 15 s SIGKILL for the server itself and then its watchdog. */
async function stopChild(child: ChildProcess, serverPid: () => number | undefined): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    const pid = serverPid();
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
    child.kill('SIGKILL');
  }, 15_000);
  await exited;
  clearTimeout(timer);
}
