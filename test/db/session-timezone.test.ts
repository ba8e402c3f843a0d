/**
 * The engine's PostgreSQL sessions run in UTC whatever the server's TimeZone. The columns are
 * `timestamp` without a zone, written and read by Prisma as UTC; what SQL computes from `now()`
 * (a default stamp, "days since contract start", "delivered now") goes through the session's zone.
 * A database set to Asia/Tokyo (UTC+9, no daylight saving) shows any slip as nine hours.
 */
import { withClient } from '../support/pg-client';
import { openDatabase, type Database } from '../../src/db/database';
import { createScratchDatabase } from '../../src/dev-infra/postgres';
import { uniqueSuffix } from '../support/servers';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('a PostgreSQL database whose TimeZone is not UTC', () => {
  let database: Database;
  beforeAll(async () => {
    const url = await createScratchDatabase(process.env.TEST_POSTGRES_URL!, `t_tokyo_${uniqueSuffix()}`);
    await withClient(url, (client) => client.query(`ALTER DATABASE ${client.escapeIdentifier(new URL(url).pathname.slice(1))} SET timezone TO 'Asia/Tokyo'`));
    // The setting took: a plain session there is on Tokyo time.
    const { rows } = await withClient(url, (client) => client.query<{ tz: string }>(`SELECT current_setting('TimeZone') AS tz`));
    expect(rows[0]!.tz).toBe('Asia/Tokyo');
    database = await openDatabase({ kind: 'postgres', url });
  });
  afterAll(() => database?.close());

  it('is read and written by the engine in UTC', async () => {
    const [{ tz }] = await database.prisma.$queryRaw<[{ tz: string }]>`SELECT current_setting('TimeZone') AS tz`;
    expect(tz).toBe('UTC');
    // What SQL stamps reads back as the time it is, not nine hours ahead.
    const [{ at }] = await database.prisma.$queryRaw<[{ at: Date }]>`SELECT now()::timestamp(3) AS at`;
    expect(Math.abs(at.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('counts days since a contract started as the portfolio views do, without the offset', async () => {
    const started = new Date(Date.now() - 10 * DAY_MS);
    await database.prisma.customer.create({ data: { id: 'tokyo', name: 'Tokyo', contractStart: started } });
    const [{ days }] = await database.prisma.$queryRaw<[{ days: number }]>`
      SELECT (EXTRACT(EPOCH FROM (now() - contract_start)) / 86400)::float8 AS days FROM customers WHERE id = 'tokyo'`;
    expect(days).toBeCloseTo(10, 2);
  });
});
