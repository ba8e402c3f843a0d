/**
 * An embedded PGlite folder is opened by one process at a time: a second open is refused with a
 * message naming the holder, a lock left by a killed process is taken over, and closing releases it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database';
import { pgliteLockFile, readPgliteLock } from '../../src/db/pglite-lock';

describe('the embedded database folder lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cs-pglite-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second open of a folder that is open, naming the process that holds it', async () => {
    const dataDir = join(dir, 'pglite');
    const first = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const second = openDatabase({ kind: 'pglite', dataDir });
      await expect(second).rejects.toMatchObject({
        name: 'SetupError',
        message: expect.stringContaining(`The embedded database in ${dataDir} is in use by process ${process.pid} (`),
        remedy: expect.stringContaining(pgliteLockFile(dataDir)),
      });
      // The first is unharmed: it still reads and writes.
      await first.prisma.apiKey.create({ data: { name: 'still-mine', keyHash: 'h', prefix: 'csk_', scopes: [] } });
    } finally {
      await first.close();
    }
    expect(existsSync(pgliteLockFile(dataDir))).toBe(false);
    const again = await openDatabase({ kind: 'pglite', dataDir });
    try {
      expect(await again.prisma.apiKey.count({ where: { name: 'still-mine' } })).toBe(1);
      expect(readPgliteLock(dataDir)?.pid).toBe(process.pid);
    } finally {
      await again.close();
    }
  });

  it('takes over a lock whose process is gone (killed without releasing it)', async () => {
    const dataDir = join(dir, 'pglite');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(gone.stdout.toString());
    writeFileSync(pgliteLockFile(dataDir), `${JSON.stringify({ pid: deadPid, command: 'cli start', since: '2026-12-01T00:00:00.000Z' })}\n`);
    const database = await openDatabase({ kind: 'pglite', dataDir });
    try {
      expect(readPgliteLock(dataDir)?.pid).toBe(process.pid);
    } finally {
      await database.close();
    }
  });

  it('takes over a lock left under its own pid by an earlier process (a container restarts as pid 1)', async () => {
    const dataDir = join(dir, 'pglite-own-pid');
    writeFileSync(pgliteLockFile(dataDir), `${JSON.stringify({ pid: process.pid, command: 'cli start', since: '2026-12-01T00:00:00.000Z' })}\n`);
    const database = await openDatabase({ kind: 'pglite', dataDir });
    try {
      expect(readPgliteLock(dataDir)?.since).not.toBe('2026-12-01T00:00:00.000Z');
    } finally {
      await database.close();
    }
  });
});
