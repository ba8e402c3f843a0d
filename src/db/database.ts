/**
 * Opens the engine's database: PostgreSQL when a URL is given, otherwise embedded PGlite in a data
 * folder (Postgres 17 compiled to WebAssembly, so `npm start` needs no server). Both run the same
 * schema, the same migration SQL and the same generated Prisma client; only the driver adapter
 * differs. Migrations are applied on open. A PGlite folder is opened by one process at a time
 * (`pglite-lock.ts`); others reach it through that process.
 */
import { mkdirSync } from 'node:fs';
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

async function openPostgres(target: { kind: 'postgres'; url: string }): Promise<Database> {
  const client = new Client({ connectionString: target.url, connectionTimeoutMillis: 5_000 });
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
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: target.url }) });
  return { prisma, target, appliedMigrations, close: () => prisma.$disconnect() };
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
    pglite = await PGlite.create(target.dataDir);
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
