import type { Database } from '../../src/db/database';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import {
  canonicalJson,
  currentVersion,
  DefinitionVersionConflictError,
  definitionSha256,
  findDefinition,
  listDefinitions,
  loadDefinitionVersion,
  makeCurrent,
  publishDefinition,
  UnknownDefinitionVersionError,
} from '../../src/lifecycle/definition-store';
import { openTestDatabase } from '../support/servers';

describe('published lifecycle definitions (real PostgreSQL)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('definitions');
  });
  afterAll(async () => {
    await database?.close();
  });

  it('hashes content, not key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    const reordered = Object.fromEntries(Object.entries(DEFAULT_LIFECYCLE).reverse()) as typeof DEFAULT_LIFECYCLE;
    expect(definitionSha256(reordered)).toBe(definitionSha256(DEFAULT_LIFECYCLE));
  });

  it('stores a version once, gives it back, and refuses other content under it', async () => {
    const first = await publishDefinition(database.prisma, DEFAULT_LIFECYCLE, { by: 'ops@example.com', note: 'seed rules' });
    expect(first).toMatchObject({
      created: true,
      madeCurrent: false,
      published: { version: DEFAULT_LIFECYCLE.version, publishedBy: 'ops@example.com', note: 'seed rules' },
    });
    expect(await publishDefinition(database.prisma, DEFAULT_LIFECYCLE, { by: 'someone-else' })).toMatchObject({
      created: false,
      published: { publishedBy: 'ops@example.com' },
    });
    expect(await findDefinition(database.prisma, DEFAULT_LIFECYCLE.version)).toEqual(DEFAULT_LIFECYCLE);

    const changed = { ...DEFAULT_LIFECYCLE, keyFeatures: [...DEFAULT_LIFECYCLE.keyFeatures, 'exports'] };
    await expect(publishDefinition(database.prisma, changed, { by: 'ops' })).rejects.toBeInstanceOf(DefinitionVersionConflictError);
    await expect(loadDefinitionVersion(database.prisma, 'no-such-version')).rejects.toBeInstanceOf(UnknownDefinitionVersionError);
  });

  it('the latest made current is current; list shows newest first', async () => {
    expect(await currentVersion(database.prisma)).toBeUndefined();
    await publishDefinition(database.prisma, DEFAULT_LIFECYCLE, { by: 'ops', current: true, now: new Date('2026-12-01T10:00:00Z') });
    const next = { ...DEFAULT_LIFECYCLE, version: 'store-test.2' };
    const published = await publishDefinition(database.prisma, next, { by: 'ops', current: true, now: new Date('2026-12-01T11:00:00Z') });
    expect(published.madeCurrent).toBe(true);
    expect((await currentVersion(database.prisma))?.version).toBe('store-test.2');
    await makeCurrent(database.prisma, DEFAULT_LIFECYCLE.version, new Date('2026-12-01T12:00:00Z'));
    expect((await currentVersion(database.prisma))?.version).toBe(DEFAULT_LIFECYCLE.version);
    await expect(makeCurrent(database.prisma, 'missing')).rejects.toBeInstanceOf(UnknownDefinitionVersionError);
    // By publication: the default was published by the test above (now), store-test.2 dated 2026-12-01.
    expect((await listDefinitions(database.prisma)).map((row) => row.version)).toEqual([DEFAULT_LIFECYCLE.version, 'store-test.2']);
  });
});
