/**
 * A real PostgreSQL for tests: DATABASE_URL when the user has one, otherwise a throwaway cluster
 * built from Debian's server binaries (installed through apt when missing) on a free loopback port.
 *
 * It must never touch a system cluster (no port 5432, no /var/lib/postgresql, no `main` cluster on
 * install) and must never leave a postgres process or data folder behind, even when the caller crashes.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, chownSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { withHeartbeat } from './progress';
import { SetupError } from './setup-error';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';
const INSTALL_REMEDY = 'Install PostgreSQL (`sudo apt-get install -y postgresql`) or set DATABASE_URL to a running server.';

export interface PostgresHandle {
  url: string;
  /** stops the cluster and deletes its folder */
  stop(): Promise<void>;
}

/** Newest /usr/lib/postgresql/<ver>/bin that has both initdb and pg_ctl. */
export async function findPostgresBinDir(): Promise<string | undefined> {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT).filter((v) => /^\d+(\.\d+)?$/.test(v));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(PG_ROOT, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')));
}

/** DATABASE_URL when set (checked reachable), otherwise a throwaway cluster. */
export async function startTestPostgres(opts: { databaseUrl?: string } = {}): Promise<PostgresHandle> {
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL;
  if (databaseUrl) {
    await checkReachable(databaseUrl);
    // Not ours to stop: the user runs that server.
    return { url: databaseUrl, stop: async () => {} };
  }
  return startThrowawayCluster();
}

/** Creates a fresh empty database on the same server and returns its URL. */
export async function createScratchDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const ident = client.escapeIdentifier(name);
    // "Fresh" means a rerun after a crash must not inherit the old tables; template0 is never customised.
    await client.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${ident} TEMPLATE template0`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

async function checkReachable(databaseUrl: string): Promise<void> {
  let where = 'the DATABASE_URL server';
  try {
    const u = new URL(databaseUrl);
    where = `${u.hostname || u.searchParams.get('host') || 'localhost'}:${u.port || '5432'}`;
  } catch {
    // Unparseable URLs still get the connect error below; never echo the URL (it may hold a password).
  }
  // Short timeout: an unreachable host should fail the run in seconds, not hang a test suite.
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (cause) {
    throw new SetupError(
      `DATABASE_URL is set but PostgreSQL at ${where} is not reachable (${(cause as Error).message || String(cause)}).`,
      `Start PostgreSQL at ${where}, or unset DATABASE_URL to use a throwaway test cluster.`,
      { cause },
    );
  } finally {
    await client.end().catch(() => {});
  }
}

async function installPostgres(): Promise<string> {
  if (process.getuid?.() !== 0) {
    throw new SetupError('PostgreSQL server binaries (initdb, pg_ctl) are not installed.', INSTALL_REMEDY);
  }
  // Without this, the package creates and starts a system cluster on 5432 that nobody asked for.
  const conf = '/etc/postgresql-common/createcluster.conf';
  mkdirSync('/etc/postgresql-common', { recursive: true });
  const existing = existsSync(conf) ? readFileSync(conf, 'utf8') : '';
  if (!/^\s*create_main_cluster\s*=\s*false/m.test(existing)) {
    writeFileSync(conf, `${existing}${existing && !existing.endsWith('\n') ? '\n' : ''}create_main_cluster = false\n`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await withHeartbeat('apt-get update', run('apt-get', ['update'], { env, maxBuffer: 64 << 20 }));
    await withHeartbeat('apt-get install postgresql', run('apt-get', ['install', '-y', 'postgresql'], { env, maxBuffer: 64 << 20 }));
  } catch (cause) {
    const stderr = String((cause as { stderr?: unknown }).stderr ?? '')
      .trim()
      .split('\n')
      .slice(-5)
      .join('\n');
    throw new SetupError(`Installing PostgreSQL with apt failed: ${stderr || (cause as Error).message}`, INSTALL_REMEDY, { cause });
  }
  const bin = await findPostgresBinDir();
  if (!bin) throw new SetupError(`apt installed postgresql but no initdb/pg_ctl appeared under ${PG_ROOT}.`, INSTALL_REMEDY);
  return bin;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startThrowawayCluster(): Promise<PostgresHandle> {
  const bin = (await findPostgresBinDir()) ?? (await installPostgres());
  const asRoot = process.getuid?.() === 0;
  // initdb and pg_ctl refuse to run as root, so as root the cluster belongs to the postgres user.
  const argv = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  const dir = await mkdtemp(join(tmpdir(), 'test-pg-'));
  const log = join(dir, 'log');
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const fail = (message: string, cause: unknown, detail = ''): never => {
    removeDir();
    throw new SetupError(`${message}${detail ? `\n${detail}` : ''}`, INSTALL_REMEDY, { cause });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  try {
    // C.UTF-8 always exists on Debian; inheriting e.g. en_US.UTF-8 that is not generated makes initdb fail.
    await run(...argv('initdb', ['-D', dir, '-A', 'trust', '--no-sync', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8']));
  } catch (cause) {
    fail('initdb failed for the throwaway test cluster.', cause, String((cause as { stderr?: unknown }).stderr ?? '').trim());
  }
  const port = await freeLoopbackPort();
  const options = `-p ${port} -k '${dir}' -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off`;
  try {
    // -l matters beyond logging: without it postgres inherits our stdout pipe and execFile never returns.
    await run(...argv('pg_ctl', ['-w', '-D', dir, '-l', log, '-o', options, 'start']));
  } catch (cause) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-15).join('\n') : '';
    fail(`PostgreSQL did not start on 127.0.0.1:${port}.`, cause, tail);
  }
  const [stopCmd, stopArgs] = argv('pg_ctl', ['-D', dir, '-m', 'immediate', 'stop']);
  let stopped = false;
  // A crashed or forgotten caller must not leave a postgres running; 'exit' only allows sync work.
  const onExit = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync(stopCmd, stopArgs, { stdio: 'ignore' });
    } catch {
      // Already gone; still remove the folder.
    }
    removeDir();
  };
  process.on('exit', onExit);
  let stopping: Promise<void> | undefined;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop: () =>
      (stopping ??= (async () => {
        process.off('exit', onExit);
        if (stopped) return;
        stopped = true;
        await run(stopCmd, stopArgs).catch(() => {});
        removeDir();
      })()),
  };
}
