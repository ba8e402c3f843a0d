/**
 * Opens the engine's database: PostgreSQL when a URL is given, otherwise embedded PGlite in a data
 * folder (Postgres 17 compiled to WebAssembly, so `npm start` needs no server). Both run the same
 * schema, the same migration SQL and the same generated Prisma client; only the driver adapter
 * differs. Migrations are applied on open. A PGlite folder is opened by one process at a time
 * (`pglite-lock.ts`); others reach it through that process.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { Client } from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import { SetupError } from '../dev-infra/setup-error';
import { applyMigrations, type SqlSession } from './migrate';
import { acquirePgliteLock } from './pglite-lock';

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

export interface Database {
  prisma: PrismaClient;
  target: DatabaseTarget;
  /** The embedded database itself (PGlite only), e.g. to serve it to other processes. */
  pglite?: PGlite;
  /** Names of migrations applied while opening. */
  appliedMigrations: string[];
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.kind === 'postgres' ? openPostgres(target) : openPglite(target);
}

/**
 * Every session the engine opens runs in UTC, whatever the server's or the database's TimeZone.
 * The columns are `timestamp` without a zone: Prisma writes and reads them as UTC, but what SQL
 * computes (`now()`, a column's `DEFAULT CURRENT_TIMESTAMP`, `now() - contract_start`) goes through
 * the session's zone. On a server set to Asia/Tokyo a default-stamped row would read as nine hours
 * in the future. Parameters in the URL (`?options=…`) take precedence, as `pg` parses them.
 */
const SESSION_OPTIONS = '-c TimeZone=UTC';

async function openPostgres(target: { kind: 'postgres'; url: string }): Promise<Database> {
  const client = new Client({ connectionString: target.url, connectionTimeoutMillis: 5_000, options: SESSION_OPTIONS });
  try {
    await client.connect();
  } catch (error) {
    throw new SetupError(
      `Cannot reach PostgreSQL at ${redact(target.url)}: ${(error as Error).message}`,
      'Start PostgreSQL or fix DATABASE_URL; unset DATABASE_URL to use the embedded database instead.',
      { cause: error },
    );
  }
  let appliedMigrations: string[];
  try {
    appliedMigrations = await applyMigrations(pgSession(client));
  } finally {
    await client.end();
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: target.url, options: SESSION_OPTIONS }) });
  return { prisma, target, appliedMigrations, close: () => prisma.$disconnect() };
}

/**
 * PGlite's own settings. Its shared buffers live in the WebAssembly memory, which grows and never
 * shrinks: PostgreSQL's 128 MB default would become 128 MB of resident memory for good. Reads that
 * miss them are served by the OS page cache from the data folder, as for any PostgreSQL.
 */
const PGLITE_OPTIONS = { postgresqlconf: ['shared_buffers=32MB'] };

/**
 * Creates a new PGlite data folder in a short-lived process. initdb runs inside the WebAssembly
 * memory of whoever creates the folder and leaves it grown (about 500 MB on PGlite 0.5): done in
 * the engine's own process, a first `npm start` would carry that for as long as it runs.
 */
async function initPgliteFolder(dataDir: string): Promise<void> {
  const script = `const { PGlite } = await import(${JSON.stringify(pathToFileURL(require.resolve('@electric-sql/pglite')).href)});
const db = await PGlite.create(process.argv[1], ${JSON.stringify(PGLITE_OPTIONS)});
await db.close();`;
  try {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, dataDir], { timeout: 5 * 60_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new SetupError(
      `Could not create the embedded database in ${dataDir}: ${stderr.split('\n').at(-1) || (error as Error).message}`,
      'Check that the folder is writable and the disk has room, then start again.',
    );
  }
}

async function openPglite(target: { kind: 'pglite'; dataDir: string }): Promise<Database> {
  const inMemory = target.dataDir.startsWith('memory://');
  // PGlite does not create parent folders itself.
  if (!inMemory) mkdirSync(target.dataDir, { recursive: true });
  // One process per folder: a second PGlite on the same files would lose its writes (see pglite-lock).
  const lock = inMemory ? undefined : acquirePgliteLock(target.dataDir);
  let pglite: PGlite | undefined;
  let appliedMigrations: string[];
  try {
    if (!inMemory && !existsSync(join(target.dataDir, 'PG_VERSION'))) await initPgliteFolder(target.dataDir);
    pglite = await PGlite.create(target.dataDir, PGLITE_OPTIONS);
    const opened = pglite;
    appliedMigrations = await applyMigrations({
      query: async <Row>(sql: string, params?: unknown[]) => (await opened.query<Row>(sql, params)).rows,
      // The adapter's executeScript does not await; PGlite's own exec does, so failures surface.
      exec: async (script) => {
        await opened.exec(script);
      },
    });
  } catch (error) {
    await pglite?.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
  const opened = pglite;
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(opened) });
  return {
    prisma,
    pglite: opened,
    target,
    appliedMigrations,
    // $disconnect does not close PGlite, and an open PGlite keeps the process alive.
    close: async () => {
      await prisma.$disconnect();
      await opened.close();
      lock?.release();
    },
  };
}

export function pgSession(client: Client): SqlSession {
  return {
    query: async <Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as Row[],
    exec: async (script) => {
      await client.query(script);
    },
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
