/**
 * Applies `prisma/migrations/<name>/migration.sql` at start-up, on PostgreSQL and embedded PGlite alike.
 *
 * Prisma's own `migrate deploy` needs a native schema engine that registry-only machines cannot
 * download, so the project applies the standard folder itself and keeps Prisma's bookkeeping
 * (`_prisma_migrations`, same columns, sha256 checksums, same advisory lock id). A machine with the
 * native engine can therefore still run `prisma migrate deploy/status` against the same database.
 *
 * Each migration runs in one transaction together with its bookkeeping row: PostgreSQL DDL is
 * transactional, so a failed migration leaves nothing half-applied and is simply retried next start.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SetupError } from '../dev-infra/setup-error';

/** The one thing the migrator needs from a connection: run SQL, optionally with parameters. */
export interface SqlSession {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a multi-statement script (no parameters). */
  exec(script: string): Promise<void>;
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export const MIGRATIONS_DIR = resolve(__dirname, '../../prisma/migrations');
/** Prisma's advisory lock key for migrations, so our migrator and `prisma migrate` exclude each other. */
const PRISMA_MIGRATION_LOCK_ID = 72707369;

const BOOKKEEPING_DDL = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);`;

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies every pending migration; returns the names applied (empty when up to date). */
export async function applyMigrations(session: SqlSession, migrations = readMigrations()): Promise<string[]> {
  await session.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATION_LOCK_ID]);
  try {
    await session.exec(BOOKKEEPING_DDL);
    const rows = await session.query<AppliedRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"');
    const live = rows.filter((row) => row.rolled_back_at === null);
    const known = new Set(migrations.map((m) => m.name));
    const unknown = live.filter((row) => !known.has(row.migration_name));
    if (unknown.length > 0) {
      throw new SetupError(
        `The database has migrations this code does not know (${unknown.map((r) => r.migration_name).join(', ')}).`,
        'It was migrated by a newer version of the engine: run that version, or point DATABASE_URL at another database.',
      );
    }
    const failed = live.find((row) => row.finished_at === null);
    if (failed) {
      throw new SetupError(
        `Migration ${failed.migration_name} is recorded as started but never finished.`,
        'Fix the database by hand, then mark it with `prisma migrate resolve` (or delete its _prisma_migrations row).',
      );
    }
    const done = new Map(live.map((row) => [row.migration_name, row]));
    const applied: string[] = [];
    for (const migration of migrations) {
      const previous = done.get(migration.name);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          // Prisma only warns here too: editing an applied migration is a mistake, not a reason to stop.
          process.stderr.write(`warning: migration ${migration.name} was edited after it was applied\n`);
        }
        continue;
      }
      await applyOne(session, migration);
      applied.push(migration.name);
    }
    return applied;
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK_ID]);
  }
}

/**
 * Prisma writes its own BEGIN/COMMIT into some migrations (e.g. recreating an enum without a value);
 * wrapping those would let their COMMIT end our transaction early, so they run as written.
 */
const MANAGES_OWN_TRANSACTION = /^\s*BEGIN\s*;/im;

async function applyOne(session: SqlSession, migration: Migration): Promise<void> {
  const wrap = !MANAGES_OWN_TRANSACTION.test(migration.sql);
  if (wrap) await session.exec('BEGIN');
  try {
    await session.exec(migration.sql);
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    if (wrap) await session.exec('COMMIT');
  } catch (error) {
    if (wrap) await session.exec('ROLLBACK');
    throw new SetupError(
      `Migration ${migration.name} failed: ${(error as Error).message}`,
      wrap
        ? 'Nothing of it was applied. Fix the migration or the database and start again.'
        : 'It manages its own transactions, so check what it left behind before starting again.',
      { cause: error },
    );
  }
}
