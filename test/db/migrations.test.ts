import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Client } from 'pg';
import { withClient } from '../support/pg-client';
import { createActivities } from '../../activities';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { sampleChanges } from '../support/lifecycle-changes';
import { openDatabase, pgSession } from '../../src/db/database';
import { applyMigrations, readMigrations } from '../../src/db/migrate';
import { diffSchemas } from '../../src/db/schema-diff';
import { createScratchDatabase } from '../../src/dev-infra/postgres';
import { testMailer, uniqueSuffix } from '../support/servers';

const serverUrl = () => process.env.TEST_POSTGRES_URL!;

/** Everything that makes up the public schema, as comparable text (our bookkeeping table excluded). */
async function describeSchema(client: Client): Promise<string[]> {
  const columns = await client.query(`
    SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
    FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
    ORDER BY table_name, column_name`);
  const indexes = await client.query(`
    SELECT indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexdef`);
  const constraints = await client.query(`
    SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      AND conrelid::regclass::text <> '"_prisma_migrations"' AND conrelid::regclass::text <> '_prisma_migrations'
    ORDER BY 1, 2`);
  const enums = await client.query(`
    SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
    JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' ORDER BY 1, e.enumsortorder`);
  return [
    ...columns.rows.map((r) => `column ${JSON.stringify(r)}`),
    ...indexes.rows.map((r) => `index ${r.indexdef}`),
    ...constraints.rows.map((r) => `constraint ${r.tbl}.${r.conname} ${r.def}`),
    ...enums.rows.map((r) => `enum ${r.typname}.${r.enumlabel}`),
  ];
}

describe('database migrations', () => {
  it('agree with prisma/schema.prisma (a schema change without a migration fails here)', async () => {
    const migratedUrl = await createScratchDatabase(serverUrl(), `t_migrated_${uniqueSuffix()}`);
    const fromSchemaUrl = await createScratchDatabase(serverUrl(), `t_fromschema_${uniqueSuffix()}`);
    await withClient(migratedUrl, (client) => applyMigrations(pgSession(client)));
    const schemaText = readFileSync(resolve(__dirname, '../../prisma/schema.prisma'), 'utf8');
    const sql = await diffSchemas(null, schemaText);
    await withClient(fromSchemaUrl, (client) => client.query(sql));

    const [migrated, fromSchema] = await Promise.all([withClient(migratedUrl, describeSchema), withClient(fromSchemaUrl, describeSchema)]);
    expect(migrated.length).toBeGreaterThan(0);
    expect(migrated).toEqual(fromSchema);
  });

  it('records each migration in _prisma_migrations as Prisma does, and a second run applies nothing', async () => {
    const url = await createScratchDatabase(serverUrl(), `t_twice_${uniqueSuffix()}`);
    const migrations = readMigrations();
    await withClient(url, async (client) => {
      expect(await applyMigrations(pgSession(client))).toEqual(migrations.map((m) => m.name));
      expect(await applyMigrations(pgSession(client))).toEqual([]);
      const rows = await client.query('SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name');
      expect(rows.rows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count])).toEqual(migrations.map((m) => [m.name, m.checksum, 1]));
      expect(rows.rows.every((r) => r.finished_at instanceof Date)).toBe(true);
    });
  });

  it('rolls a failing migration back completely and reports which one failed', async () => {
    const url = await createScratchDatabase(serverUrl(), `t_failing_${uniqueSuffix()}`);
    const broken = [{ name: '20990101000000_broken', sql: 'CREATE TABLE half_done (id int); SELECT nonsense_fn();', checksum: 'x' }];
    await withClient(url, async (client) => {
      await expect(applyMigrations(pgSession(client), broken)).rejects.toMatchObject({
        name: 'SetupError',
        message: expect.stringContaining('20990101000000_broken'),
      });
      const tables = await client.query(`SELECT to_regclass('public.half_done') AS t`);
      expect(tables.rows[0].t).toBeNull();
      const recorded = await client.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
      expect(recorded.rows[0].n).toBe(0);
    });
  });

  it('run the same way on the embedded PGlite database', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    try {
      expect(database.appliedMigrations).toEqual(readMigrations().map((m) => m.name));
      const { recordLifecycleChanges } = createActivities({ prisma: database.prisma, definition: DEFAULT_LIFECYCLE, mailer: testMailer(), webhookTargets: {} });
      await expect(recordLifecycleChanges(sampleChanges('embedded-1'))).resolves.toEqual({ entries: 1, stageMoves: 1, health: 1 });
      await expect(recordLifecycleChanges(sampleChanges('embedded-1'))).resolves.toEqual({ entries: 0, stageMoves: 0, health: 0 });
    } finally {
      await database.close();
    }
  });
});
