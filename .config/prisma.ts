/**
 * Prisma 7 CLI configuration. Only `prisma generate` / `validate` / `format` are used here; they
 * merely check that a schema-engine binary *exists*, and the native one cannot be downloaded on
 * registry-only machines, so we name an existing file (this file) to satisfy the check. Migrations
 * are applied by the project's own migrator (src/db/migrate.ts), not by the engine.
 */
import { defineConfig } from 'prisma/config';

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= __filename;

export default defineConfig({
  schema: '../prisma/schema.prisma',
  migrations: { path: '../prisma/migrations' },
});
