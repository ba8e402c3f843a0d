/**
 * `cli lifecycle publish` and `list` against a real PostgreSQL database (no Temporal: `list` then
 * says the counts are unavailable), and the roll-out slice's stability. Roll-outs on running
 * customers are in `test/lifecycle/rollout.dev-server.test.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, type TEngineConfig } from '../../src/config';
import type { Database } from '../../src/db/database';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { lifecycleCommand } from '../../src/cli/lifecycle';
import { describeUnfinishedRollout, inSlice, ROLLOUT_STALLED_AFTER_MS, slicePosition } from '../../src/lifecycle/rollout';
import { openTestDatabase } from '../support/servers';

describe('cli lifecycle publish and list (real PostgreSQL)', () => {
  let database: Database;
  let config: TEngineConfig;
  let dir: string;
  const out: string[] = [];
  beforeAll(async () => {
    database = await openTestDatabase('lifecycle_cli');
    dir = mkdtempSync(join(tmpdir(), 'lifecycle-cli-'));
    // A Temporal port nothing listens on: list must still print the versions.
    config = loadConfig({ DATABASE_URL: database.target.kind === 'postgres' ? database.target.url : '', TEMPORAL_ADDRESS: '127.0.0.1:9', CS_DATA_DIR: dir });
  });
  beforeEach(() => {
    out.length = 0;
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => void out.push(String(chunk)) as never);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes a module, is a no-op for the same content, refuses other content under the version', async () => {
    const stricter = resolve(__dirname, '../../src/lifecycle/examples/stricter-red.ts');
    await expect(lifecycleCommand(config, ['publish', stricter, '--current', '--note', 'red below 65', '--by', 'ops@example.com'])).resolves.toBe(0);
    expect(out.join('')).toMatch(/2026\.12\.2 published; sha-256 [0-9a-f]{16}…; now current/);
    out.length = 0;
    await expect(lifecycleCommand(config, ['publish', stricter])).resolves.toBe(0);
    expect(out.join('')).toContain('already published (same content)');

    const changed = join(dir, 'changed.json');
    writeFileSync(changed, JSON.stringify({ ...DEFAULT_LIFECYCLE, version: '2026.12.2', keyFeatures: ['only-this'] }));
    await expect(lifecycleCommand(config, ['publish', changed])).rejects.toThrow(/version 2026\.12\.2 is already published with different content/);
  });

  it('reports every invalid field of a definition at once, and bad arguments by name', async () => {
    const invalid = resolve(__dirname, '../fixtures/invalid-lifecycle.ts');
    const error = await lifecycleCommand(config, ['publish', invalid]).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'UsageError' });
    expect((error as Error).message).toMatch(/defaultHealthModel/);
    expect((error as Error).message).toMatch(/plays\.\d+\.steps\.0/);
    const yaml = join(dir, 'broken.yaml');
    writeFileSync(yaml, 'name: x\nversion: [unclosed\n');
    await expect(lifecycleCommand(config, ['publish', yaml])).rejects.toThrow(/is not valid YAML/);
    await expect(lifecycleCommand(config, ['publish'])).rejects.toThrow(/name the definition/);
    await expect(lifecycleCommand(config, ['rollout', 'has spaces'])).rejects.toThrow(/a version is letters/);
    await expect(lifecycleCommand(config, ['rollout', '2026.12.2', '--percent', '0'])).rejects.toThrow(/--percent/);
    await expect(lifecycleCommand(config, ['rollout', 'never-published'])).rejects.toThrow(/no version never-published is published/);
    await expect(lifecycleCommand(config, ['frobnicate'])).rejects.toThrow(/use `lifecycle publish/);
  });

  it('lists versions with the current one marked, without Temporal', async () => {
    await expect(lifecycleCommand(config, ['list'])).resolves.toBe(0);
    const text = out.join('');
    expect(text).toMatch(/^\*\s+2026\.12\.2\s+default\s+\?\s+.*ops@example\.com.*red below 65$/m);
    expect(text).toContain('customer counts unavailable');
  });
});

describe('the roll-out slice', () => {
  // Fixed values: the slice must be the same on every machine and release, or 10 % then 50 % would not grow one slice.
  it.each([
    ['acme', 57],
    ['globex', 5],
    ['demo-08', 7],
  ])('puts %s at %d', (id, position) => {
    expect(slicePosition(id)).toBe(position);
  });

  it('grows: a customer in the 10 % slice is in the 50 % slice', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `customer-${i}`);
    const ten = ids.filter((id) => inSlice(id, 10));
    expect(ten.every((id) => inSlice(id, 50))).toBe(true);
    // Roughly a tenth: a hash, not the first ids.
    expect(ten.length).toBeGreaterThan(140);
    expect(ten.length).toBeLessThan(260);
    expect(ids.filter((id) => inSlice(id, 100))).toHaveLength(ids.length);
  });
});

describe('a roll-out not finished, as status tells it', () => {
  const startedAt = new Date('2026-12-02T10:00:00.000Z');
  const rollout = {
    id: 'ro-1',
    version: '2026.12.2',
    selected: 40,
    done: 12,
    startedAt,
    startedBy: 'ops@example.com',
    progressAt: null,
    query: 'Segment = "enterprise"',
    percent: 10,
  };
  it('is in progress while customers are being told', () => {
    const text = describeUnfinishedRollout({ ...rollout, progressAt: new Date(startedAt.getTime() + 60_000) }, new Date(startedAt.getTime() + 90_000));
    expect(text).toBe('ro-1: 2026.12.2 (12 of 40 told, started 2026-12-02T10:00:00.000Z by ops@example.com), in progress');
  });
  it('is stalled once nothing moved for a while, and says how to finish it', () => {
    const text = describeUnfinishedRollout(rollout, new Date(startedAt.getTime() + ROLLOUT_STALLED_AFTER_MS + 2 * 60 * 60_000));
    expect(text).toContain('stalled: nothing for 125 min, so its command probably stopped');
    expect(text).toContain('`lifecycle rollout 2026.12.2 --customers \'Segment = "enterprise"\' --percent 10` finishes it');
  });
});
