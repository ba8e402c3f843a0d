/**
 * The database for CLI commands that read or write it directly (`lifecycle`, `backtest`):
 * DATABASE_URL when set; else the embedded PGlite a running `npm start` serves (it leaves the
 * address in the data folder while it runs), else the embedded folder itself when nobody holds it.
 * A folder held by another process with no served address is refused: a second process's writes
 * to a PGlite folder are lost (see `pglite-lock.ts`).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TEngineConfig } from '../config';
import { openDatabase, type Database } from '../db/database';
import { livePgliteLockHolder } from '../db/pglite-lock';
import { UsageError } from './commands';

const SERVED_URL_FILE = 'served-database-url';

/** Written by `npm start` once its embedded database is served; removed when it stops. */
export function recordServedDatabase(dataDir: string, url: string): () => Promise<void> {
  const file = join(dataDir, SERVED_URL_FILE);
  writeFileSync(file, `${url}\n`, { mode: 0o600 });
  return async () => rmSync(file, { force: true });
}

export async function openCliDatabase(config: TEngineConfig, command: string): Promise<Database> {
  if (config.DATABASE_URL) return openDatabase({ kind: 'postgres', url: config.DATABASE_URL });
  const dataDir = resolve(config.CS_DATA_DIR);
  const pgliteDir = join(dataDir, 'pglite');
  const holder = livePgliteLockHolder(pgliteDir);
  const servedFile = join(dataDir, SERVED_URL_FILE);
  if (holder && existsSync(servedFile)) {
    return openDatabase({ kind: 'postgres', url: readFileSync(servedFile, 'utf8').trim() });
  }
  if (holder) {
    throw new UsageError(
      `${command}: the embedded database in ${pgliteDir} is held by process ${holder.pid} (${holder.command}), which does not serve it to others; run the engine with \`npm start\`, or set DATABASE_URL`,
    );
  }
  return openDatabase({ kind: 'pglite', dataDir: pgliteDir });
}
