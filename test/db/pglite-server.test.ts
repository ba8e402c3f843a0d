/**
 * The embedded database served over the wire protocol to several clients at once (as `npm start`
 * serves it to the worker and the API): node-postgres pools in parallel get their own answers and
 * transactions, a client that dies inside a transaction is rolled back, and one that holds the
 * session idle is cut off instead of stopping everyone.
 */
import { PGlite } from '@electric-sql/pglite';
import { createConnection } from 'node:net';
import { Client, Pool } from 'pg';
import { servePglite, type PgliteServer } from '../../src/db/pglite-server';

describe('PGlite served over the PostgreSQL wire protocol', () => {
  let pglite: PGlite;
  let server: PgliteServer;
  const logged: string[] = [];

  beforeAll(async () => {
    pglite = await PGlite.create('memory://');
    await pglite.exec('create table probes (id serial primary key, who text not null, n int not null)');
    server = await servePglite(pglite, { idleInTransactionMs: 2_000, log: (line) => logged.push(line) });
  });
  afterAll(async () => {
    await server?.stop();
    await pglite?.close();
  });

  it('keeps parallel clients apart: each gets its own answers and its own transactions', async () => {
    const pools = [new Pool({ connectionString: server.url, max: 6 }), new Pool({ connectionString: server.url, max: 6 })];
    let wrong = 0;
    const work = async (pool: Pool, worker: number) => {
      for (let i = 0; i < 30; i += 1) {
        const value = worker * 1000 + i;
        // Parse/Bind/Execute/Sync of two processes must never interleave on the one session.
        const { rows } = await pool.query<{ v: number; s: string }>('select $1::int + 0 as v, $2::text as s', [value, `s${value}`]);
        if (rows[0]!.v !== value || rows[0]!.s !== `s${value}`) wrong += 1;
        if (i % 5 === 0) {
          const client = await pool.connect();
          try {
            await client.query('begin');
            await client.query('insert into probes (who, n) values ($1, $2)', [`w${worker}`, value]);
            const seen = await client.query<{ c: number }>('select count(*)::int as c from probes where who = $1 and n = $2', [`w${worker}`, value]);
            if (seen.rows[0]!.c !== 1) wrong += 1;
            await client.query(i % 10 === 0 ? 'rollback' : 'commit');
          } finally {
            client.release();
          }
        }
      }
    };
    try {
      await Promise.all(pools.flatMap((pool, p) => Array.from({ length: 6 }, (_, k) => work(pool, p * 6 + k))));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    expect(wrong).toBe(0);
    // 12 workers, 6 transactions each, every other one rolled back.
    expect((await pglite.query<{ c: number }>("select count(*)::int as c from probes where who like 'w%'")).rows[0]!.c).toBe(36);
  }, 120_000);

  it('rolls back a client that disconnects inside a transaction, and serves the next one', async () => {
    const dying = new Client({ connectionString: server.url });
    dying.on('error', () => undefined);
    await dying.connect();
    await dying.query('begin');
    await dying.query("insert into probes (who, n) values ('dying', 1)");
    (dying as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const next = new Client({ connectionString: server.url });
    await next.connect();
    try {
      expect((await next.query<{ c: number }>("select count(*)::int as c from probes where who = 'dying'")).rows[0]!.c).toBe(0);
    } finally {
      await next.end();
    }
  }, 60_000);

  it('cuts off a client that holds the session idle in a transaction', async () => {
    const idle = new Client({ connectionString: server.url });
    const idleError = new Promise<Error>((resolve) => idle.on('error', resolve));
    await idle.connect();
    await idle.query('begin');
    const other = new Client({ connectionString: server.url });
    const started = Date.now();
    await other.connect(); // waits its turn: the idle client holds the one session
    try {
      expect((await other.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      await idleError;
      expect(logged).toContainEqual(expect.stringMatching(/disconnected a client idle for 2 s while holding the database/));
    } finally {
      await other.end();
    }
  }, 60_000);

  it.each([
    ['a zero length before start-up', Buffer.alloc(4)],
    ['a start-up length of 5', Buffer.from([0, 0, 0, 5, 0])],
    ['a negative length after start-up', Buffer.concat([startupMessage(), Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff])])],
  ])('cuts off a peer sending %s and goes on serving the others', async (_, bytes) => {
    const url = new URL(server.url);
    const socket = createConnection({ host: url.hostname, port: Number(url.port) });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => undefined);
    socket.resume(); // read what the server answers (to the start-up), or 'close' waits for it
    socket.write(bytes);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      expect((await client.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
    } finally {
      await client.end();
    }
    expect(logged.some((line) => /not valid PostgreSQL protocol/.test(line))).toBe(true);
  });
});

/** A protocol-3 start-up message (user "postgres"), as a client sends first. */
function startupMessage(): Buffer {
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from('user\0postgres\0\0', 'utf8')]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([length, body]);
}
