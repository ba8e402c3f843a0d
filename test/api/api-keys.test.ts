/**
 * The API's key cache: one database look-up per key and moment, revocations seen within
 * `API_KEY_CACHE_MS` (at once through `forget`), unknown keys never remembered. On a real (embedded)
 * database, with the clock given.
 */
import { API_KEY_CACHE_MS, ApiKeyCache, createApiKey, revokeApiKey } from '../../src/api/api-keys';
import { openDatabase, type Database } from '../../src/db/database';

jest.setTimeout(120_000);

describe('ApiKeyCache', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  });
  afterAll(() => database?.close());

  const cacheWithClock = (options: { bypass?: () => boolean } = {}) => {
    const clock = { now: 1_000_000 };
    let lookUps = 0;
    const cache = new ApiKeyCache(database.prisma, { ...options, now: () => clock.now, onLookedUp: () => void lookUps++ });
    return { cache, clock, lookUps: () => lookUps };
  };

  it('looks a key up once per moment, and sees a revocation elsewhere once the moment has passed', async () => {
    const key = await createApiKey(database.prisma, 'cache-revoked-elsewhere');
    const { cache, clock, lookUps } = cacheWithClock();
    const [first, concurrent] = await Promise.all([cache.find(key), cache.find(key)]);
    expect(first).toMatchObject({ name: 'cache-revoked-elsewhere', revoked: false });
    expect(concurrent).toEqual(first);
    expect(lookUps()).toBe(1);

    await revokeApiKey(database.prisma, 'cache-revoked-elsewhere');
    clock.now += API_KEY_CACHE_MS - 1;
    expect(await cache.find(key)).toMatchObject({ revoked: false });
    expect(lookUps()).toBe(1);
    clock.now += 1;
    expect(await cache.find(key)).toMatchObject({ revoked: true });
    expect(lookUps()).toBe(2);
  });

  it('sees a revocation at once after forget (a revoke through this process)', async () => {
    const key = await createApiKey(database.prisma, 'cache-revoked-here');
    const { cache } = cacheWithClock();
    expect(await cache.find(key)).toMatchObject({ revoked: false });
    await revokeApiKey(database.prisma, 'cache-revoked-here');
    cache.forget();
    expect(await cache.find(key)).toMatchObject({ revoked: true });
  });

  it('never remembers an unknown key: a key made afterwards is found at once', async () => {
    const { cache, lookUps } = cacheWithClock();
    expect(await cache.find('csk_not-yet-made')).toBeUndefined();
    expect(await cache.find('csk_not-yet-made')).toBeUndefined();
    expect(lookUps()).toBe(2);
    const key = await createApiKey(database.prisma, 'cache-made-later');
    expect(await cache.find(key)).toMatchObject({ name: 'cache-made-later' });
  });

  it('looks every request up while told to bypass (the database was away)', async () => {
    const key = await createApiKey(database.prisma, 'cache-bypassed');
    let bypass = true;
    const { cache, lookUps } = cacheWithClock({ bypass: () => bypass });
    await cache.find(key);
    await cache.find(key);
    expect(lookUps()).toBe(2);
    bypass = false;
    await cache.find(key);
    expect(lookUps()).toBe(2);
  });

  it('forgets a failed look-up, so the next request tries the database again', async () => {
    let calls = 0;
    const away = { apiKey: { findUnique: () => (calls++, Promise.reject(new Error('database away'))) } };
    const failing = new ApiKeyCache(away as never);
    await expect(failing.find('csk_any')).rejects.toThrow('database away');
    await expect(failing.find('csk_any')).rejects.toThrow('database away');
    expect(calls).toBe(2);
  });
});
