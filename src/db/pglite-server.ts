/**
 * Serves one embedded PGlite database to other processes over the PostgreSQL wire protocol on a
 * loopback port, so `npm start` can run the worker and the API as separate processes (one may
 * crash without the other) while PGlite, a single-process database, stays open in one process.
 * Clients connect with an ordinary `postgresql://` URL (node-postgres, Prisma's adapter-pg).
 *
 * PGlite has one session, so clients take turns: a client holds the session from its first message
 * until Postgres reports the session idle again (ReadyForQuery 'I') — the end of a simple query, of
 * an extended-protocol batch (Parse … Sync) or of a transaction. Nothing of another client can land
 * in between, so unnamed statements and portals, and transactions, stay each client's own.
 * (@electric-sql/pglite-socket's multiplexer schedules message by message and interleaves two
 * clients' Parse/Bind/Execute: "portal does not exist", answers swapped between clients.)
 *
 * A client that disconnects in the middle is rolled back; one that holds the session idle in a
 * transaction for too long (a hung process) is disconnected, so it cannot stop everyone else.
 * Not a general Postgres server: no TLS, no cancel requests, no authentication (loopback only),
 * and session settings (SET) are shared by all clients.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

export interface PgliteServer {
  /** A `postgresql://` URL for other processes (DATABASE_URL). */
  url: string;
  stop(): Promise<void>;
}

export interface PgliteServerOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** A client idle inside a transaction this long is disconnected (and rolled back). */
  idleInTransactionMs?: number;
  /** One line per disconnected client; stderr by default. */
  log?: (line: string) => void;
}

/** PostgreSQL refuses messages over 1 GB; so does this server, before buffering them. */
const MAX_MESSAGE_BYTES = 1024 * 1024 * 1024;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'

export async function servePglite(pglite: PGlite, options: PgliteServerOptions = {}): Promise<PgliteServer> {
  const host = options.host ?? '127.0.0.1';
  const idleInTransactionMs = options.idleInTransactionMs ?? 60_000;
  const log = options.log ?? ((line: string) => process.stderr.write(`[database] ${line}\n`));
  const session = new SessionTurns();
  const sockets = new Set<Socket>();
  // Every call into PGlite goes through its own lock too, so in-process users cannot cut in.
  const exec = (message: Uint8Array) => pglite.runExclusive(() => pglite.execProtocolRaw(message));

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const client = new ClientConnection(socket, session, exec, idleInTransactionMs, log);
    socket.on('data', (chunk) => client.receive(chunk));
    socket.on('error', () => undefined); // a reset peer: 'close' follows and cleans up
    socket.on('close', () => {
      sockets.delete(socket);
      client.closed();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve((server.address() as { port: number }).port));
  });
  return {
    url: `postgresql://postgres@${host}:${port}/postgres?sslmode=disable`,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      // Clients' rollbacks run on close: let them finish before PGlite is closed.
      await session.idle();
    },
  };
}

/** Whose turn it is on the one PGlite session; the others wait in arrival order. */
class SessionTurns {
  private holder: ClientConnection | undefined;
  private readonly waiting: { client: ClientConnection; wake: () => void }[] = [];
  private readonly idleWaiters: (() => void)[] = [];

  async take(client: ClientConnection): Promise<void> {
    if (this.holder === client) return;
    if (!this.holder) {
      this.holder = client;
      return;
    }
    // give() hands the session over directly, so nobody arriving later can cut in.
    await new Promise<void>((wake) => this.waiting.push({ client, wake }));
  }

  give(client: ClientConnection): void {
    if (this.holder !== client) return;
    const next = this.waiting.shift();
    this.holder = next?.client;
    if (next) next.wake();
    else this.idleWaiters.splice(0).forEach((wake) => wake());
  }

  holds(client: ClientConnection): boolean {
    return this.holder === client;
  }

  /** Resolves once nobody holds the session and nobody waits for it. */
  async idle(): Promise<void> {
    if (this.holder) await new Promise<void>((wake) => this.idleWaiters.push(wake));
  }
}

class ClientConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private startedUp = false;
  private pumping = false;
  private isClosed = false;
  /** False between a client's first message and the ReadyForQuery 'I' that ends its turn. */
  private sessionIdle = true;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly session: SessionTurns,
    private readonly exec: (message: Uint8Array) => Promise<Uint8Array>,
    private readonly idleInTransactionMs: number,
    private readonly log: (line: string) => void,
  ) {}

  receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    void this.pump();
  }

  closed(): void {
    this.isClosed = true;
    clearTimeout(this.idleTimer);
    void this.pump();
  }

  /** Handles the complete messages buffered so far, one at a time, in order. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.isClosed) {
          await this.abandon();
          return;
        }
        const message = this.nextMessage();
        if (!message) return;
        clearTimeout(this.idleTimer);
        await this.handle(message);
      }
    } catch (error) {
      this.log(`a client connection failed: ${(error as Error).message}`);
      this.socket.destroy();
      await this.abandon().catch(() => undefined);
    } finally {
      this.pumping = false;
    }
  }

  private nextMessage(): Buffer | undefined {
    // Before start-up a message is length-prefixed without a type byte; after it, type + length.
    const header = this.startedUp ? 5 : 4;
    if (this.buffer.length < header) return undefined;
    const declared = this.startedUp ? this.buffer.readInt32BE(1) : this.buffer.readInt32BE(0);
    // A length that cannot be (below its own 4 bytes, or a start-up message without its code) would
    // never move the buffer on and spin this loop forever; one past PostgreSQL's own 1 GB limit
    // would wait forever holding the session. Either is not a PostgreSQL client: cut it off.
    if (declared < (this.startedUp ? 4 : 8) || declared > MAX_MESSAGE_BYTES) {
      throw new Error(`a message length of ${declared} bytes is not valid PostgreSQL protocol`);
    }
    const length = this.startedUp ? 1 + declared : declared;
    if (this.buffer.length < length) return undefined;
    const message = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return Buffer.from(message);
  }

  private async handle(message: Buffer): Promise<void> {
    if (!this.startedUp) {
      const code = message.length >= 8 ? message.readInt32BE(4) : 0;
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write('N'); // no TLS on loopback: the client goes on in plain text
        return;
      }
      if (code !== PROTOCOL_3) {
        // A cancel request (not supported) or something that is not PostgreSQL.
        if (code !== CANCEL_REQUEST) this.log(`refused a connection that does not speak PostgreSQL protocol 3 (code ${code})`);
        this.socket.destroy();
        return;
      }
      this.startedUp = true;
    } else if (message[0] === TERMINATE) {
      this.socket.end(); // never forwarded: it would end the one session every client shares
      return;
    }
    await this.session.take(this);
    if (this.isClosed) return; // rolled back by abandon(), in pump
    this.sessionIdle = false;
    const response = await this.exec(message);
    if (!this.socket.destroyed) this.socket.write(response);
    const status = lastReadyStatus(response);
    if (status === IDLE) {
      this.sessionIdle = true;
      this.session.give(this);
    } else {
      // Mid-batch or inside a transaction: the session stays this client's; nobody else moves
      // while it thinks, so a client that hangs here is cut off after a while.
      this.idleTimer = setTimeout(() => {
        this.log(`disconnected a client idle for ${this.idleInTransactionMs / 1000} s while holding the database (rolled back)`);
        this.socket.destroy();
      }, this.idleInTransactionMs);
      this.idleTimer.unref();
    }
  }

  /** The client went away: end its batch and transaction, if it held the session, and pass it on. */
  private async abandon(): Promise<void> {
    if (!this.session.holds(this)) return;
    try {
      if (!this.sessionIdle) {
        // Sync closes an unfinished extended-protocol batch (and reports the transaction state).
        const status = lastReadyStatus(await this.exec(SYNC));
        if (status !== IDLE) await this.exec(simpleQuery('ROLLBACK'));
        this.sessionIdle = true;
      }
    } finally {
      this.session.give(this);
    }
  }
}

/** The status byte of the last ReadyForQuery in a backend response: 'I' idle, 'T' in a transaction, 'E' failed one. */
function lastReadyStatus(response: Uint8Array): number | undefined {
  const view = Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  let status: number | undefined;
  for (let at = 0; at + 5 <= view.length;) {
    const length = view.readInt32BE(at + 1);
    if (view[at] === READY_FOR_QUERY && length === 5 && at + 5 < view.length) status = view[at + 5];
    at += 1 + length;
  }
  return status;
}

function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message[0] = 0x51; // 'Q'
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}
