/**
 * The engine as a production deployment runs it, on one machine: a real Temporal server on
 * PostgreSQL, and several `cli worker` and `cli api` processes against it and one shared database.
 * Used by the multi-process test (kill -9 a worker, an API) and the cluster benchmark.
 *
 * When the Temporal server cannot be built (no Go toolchain, no module proxy), `startTemporal`
 * falls back to the dev server and says why, so the same multi-process checks still run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startDevServer } from './dev-server';
import { progress } from './progress';
import { formatSetupError, isSetupError } from './setup-error';
import { ensureTemporalCli } from './temporal-cli';
import { ensureTemporalServer, setupTemporalSchema, startTemporalServer } from './temporal-server';

const ROOT = resolve(__dirname, '../..');

export interface LocalTemporal {
  kind: 'temporal-server' | 'dev-server';
  address: string;
  namespace: string;
  version?: string;
  /** Why the dev server runs instead of the real server, when it does. */
  fallbackReason?: string;
  stop(): Promise<void>;
}

export interface LocalTemporalOptions {
  /** A PostgreSQL server URL; the Temporal databases are created on it under fresh names. */
  postgresUrl: string;
  numHistoryShards?: number;
  dynamicConfig?: Record<string, unknown>;
  /** Skip the real server (CLUSTER_TEMPORAL=dev-server). */
  devServerOnly?: boolean;
}

export async function startTemporal(options: LocalTemporalOptions): Promise<LocalTemporal> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-cluster-temporal-'));
  const removeDir = async () => rmSync(dir, { recursive: true, force: true });
  let fallbackReason = options.devServerOnly ? 'asked for the dev server' : undefined;
  if (!options.devServerOnly) {
    try {
      const binaries = await ensureTemporalServer();
      const suffix = randomBytes(4).toString('hex');
      const databases = { main: `temporal_${suffix}`, visibility: `temporal_visibility_${suffix}` };
      await setupTemporalSchema(binaries, options.postgresUrl, databases);
      const server = await startTemporalServer({
        binaries,
        postgresUrl: options.postgresUrl,
        dir,
        databases,
        numHistoryShards: options.numHistoryShards ?? 4,
        dynamicConfig: options.dynamicConfig,
      });
      return {
        kind: 'temporal-server',
        address: server.address,
        namespace: server.namespace,
        version: binaries.version,
        async stop() {
          await server.stop();
          await removeDir();
        },
      };
    } catch (error) {
      fallbackReason = isSetupError(error) ? formatSetupError(error).trim() : String((error as Error).stack ?? error);
      progress(`the real Temporal server is not available; falling back to the dev server. Reason:\n${fallbackReason}`);
    }
  }
  const devServer = await startDevServer({
    cliPath: await ensureTemporalCli(),
    dbFilename: join(dir, 'dev.db'),
    port: await freePort(),
    dynamicConfig: options.dynamicConfig,
  });
  return {
    kind: 'dev-server',
    address: devServer.address,
    namespace: devServer.namespace,
    fallbackReason,
    async stop() {
      await devServer.stop();
      await removeDir();
    },
  };
}

export interface EngineProcess {
  name: string;
  child: ChildProcess;
  /** The API's base URL (api processes). */
  url?: string;
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const READY = {
  worker: /The engine is running\./,
  api: /HTTP API on (http:\/\/\S+) /,
};

/**
 * Starts `cli worker` or `cli api` (through tsx, as `npm run cli` does) with `env` on top of ours,
 * and resolves once it says it is ready. A process that exits first rejects with its output.
 */
export function startEngineProcess(
  command: 'worker' | 'api',
  name: string,
  env: Record<string, string | undefined>,
  readyTimeoutMs = 300_000,
): Promise<EngineProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', command], {
    cwd: ROOT,
    // The parent's NODE_OPTIONS (jest's vm-modules flags) are not the child's business.
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exitedPromise = new Promise<void>((done) => child.once('exit', () => done()));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} (cli ${command}) was not ready within ${readyTimeoutMs / 1000} s:\n${output.slice(-4000)}`));
    }, readyTimeoutMs);
    let ready = false;
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-64_000);
      const match = !ready && output.match(READY[command]);
      if (match) {
        ready = true;
        clearTimeout(timer);
        resolvePromise({
          name,
          child,
          url: command === 'api' ? match[1] : undefined,
          output: () => output,
          exited,
          async stop(signal = 'SIGTERM') {
            if (!exited()) child.kill(signal);
            await exitedPromise;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`${name} (cli ${command}) exited (${code ?? signal}) before it was ready:\n${output.slice(-4000)}`));
    });
  });
}
