/**
 * Starts the Temporal dev server (`temporal server start-dev`) as a child process and prepares its
 * namespace for customers that live for years: our search attributes registered, retention long
 * enough that closed (continued-as-new) runs survive the default 24 h.
 *
 * Used by `npm start` (persistent SQLite file, UI on 127.0.0.1:8233) and by the test suite's global
 * setup (a temp file, random ports, headless). It must never leave a server running after its
 * owner exits, even when the owner is killed (the server runs under `watchdog.cjs`), and must turn
 * the common failures (port taken, binary crashed) into a SetupError.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { registerSearchAttributes, setRetention } from '../temporal/namespace';
import { SetupError } from './setup-error';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file that persists the server's state; created (with its folder) when missing. */
  dbFilename: string;
  ip?: string;
  port: number;
  /** Web UI port; `undefined` runs headless. */
  uiPort?: number;
  /** The remote codec the Web UI decodes payloads with (the API's `/codec`); none by default. */
  uiCodecEndpoint?: string;
  namespace?: string;
  retentionDays?: number;
  /** Extra `--dynamic-config-value K=JSON` pairs, e.g. a lower continue-as-new threshold in tests. */
  dynamicConfig?: Record<string, unknown>;
  readyTimeoutMs?: number;
}

export interface DevServerHandle {
  address: string;
  namespace: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

const DEFAULT_RETENTION_DAYS = 365;
const WATCHDOG = join(__dirname, 'watchdog.cjs');
const DEV_SERVER_GOGC = 50;

export async function startDevServer(options: DevServerOptions): Promise<DevServerHandle> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  await assertPortFree(ip, options.port, 'TEMPORAL_PORT', 'the Temporal frontend');
  if (options.uiPort !== undefined) await assertPortFree(ip, options.uiPort, 'TEMPORAL_UI_PORT', 'the Temporal Web UI');
  mkdirSync(dirname(options.dbFilename), { recursive: true });

  const dynamicConfig: Record<string, unknown> = {
    // The dev server would otherwise phone home for a version check at start.
    'frontend.enableServerVersionCheck': false,
    ...options.dynamicConfig,
  };
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(options.port),
    '--namespace',
    namespace,
    '--db-filename',
    options.dbFilename,
    '--sqlite-pragma',
    'journal_mode=wal',
    '--log-level',
    'warn',
    ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort), '--ui-ip', ip]),
    ...(options.uiPort !== undefined && options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
    ...Object.entries(dynamicConfig).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];
  // Under a watchdog that ends the server when this process dies, however it dies (SIGKILL too).
  // In its own process group: Ctrl-C stops the server through stop(), after the workers that use
  // it, instead of reaching it at the same moment as them (they would drain against a dead server).
  const child = spawn(process.execPath, [WATCHDOG, options.cliPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
    // Go collects when its heap doubles (GOGC=100); at 1.5× the server holds about a quarter less
    // memory for some more collection work, which a dev server on one machine can spare. A GOGC
    // of the user's own wins.
    env: { ...process.env, GOGC: process.env.GOGC ?? String(DEV_SERVER_GOGC) },
  });
  let serverPid: number | undefined;
  child.on('message', (message: { pid?: number }) => (serverPid = message.pid ?? serverPid));
  const output = captureTail(child);
  // A normal exit closes the watchdog's channel anyway; this only makes the server's stop start sooner.
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);

  const address = `${ip}:${options.port}`;
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    await stopChild(child, () => serverPid);
  };
  try {
    const connection = await waitUntilServing(address, child, output, options.readyTimeoutMs ?? 60_000);
    try {
      await registerSearchAttributes(connection, namespace);
      await setRetention(connection, namespace, options.retentionDays ?? DEFAULT_RETENTION_DAYS);
    } finally {
      await connection.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    namespace,
    uiUrl: options.uiPort === undefined ? undefined : `http://${ip}:${options.uiPort}`,
    stop,
  };
}

export async function assertPortFree(ip: string, port: number, envVar: string, what: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, ip, () => probe.close(() => resolve(true)));
  });
  if (!free) {
    throw new SetupError(
      `Port ${ip}:${port} for ${what} is already in use (another Temporal server, or an earlier \`npm start\` still running?).`,
      `Stop whatever holds it (e.g. \`lsof -i :${port}\`), or choose another port with ${envVar}=<port>.`,
    );
  }
}

/** Picks a free loopback port by letting the OS choose one. */
export async function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, ip, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function captureTail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 30) lines.splice(0, lines.length - 30);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

async function waitUntilServing(address: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) {
      throw new SetupError(
        `The Temporal dev server exited (code ${exited}) before it was ready:\n${output()}`,
        'Read the server output above; a locked or corrupt --db-filename can be moved aside to start afresh.',
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch {
      if (Date.now() > deadline) {
        throw new SetupError(
          `The Temporal dev server did not answer on ${address} within ${timeoutMs / 1000} s:\n${output()}`,
          'Check the output above; on a slow machine raise the timeout or retry.',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** SIGTERM through the watchdog; after 10 s SIGKILL for the server itself and then its watchdog. */
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
  }, 10_000);
  await exited;
  clearTimeout(timer);
}
