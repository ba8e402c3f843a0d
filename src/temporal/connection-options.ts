/**
 * How every process reaches Temporal — the worker, the API, the CLI, `npm start` — from one set of
 * settings: the address, TLS (with a client certificate for mTLS, a private CA, a server name) and
 * a Temporal Cloud API key. And one translation of a refused connection into a sentence naming the
 * setting to fix, so a wrong key or certificate stops start-up without a stack trace.
 */
import { connect as tlsConnect } from 'node:tls';
import { Connection, type TLSConfig } from '@temporalio/client';
import type { TEngineConfig } from '../config';
import { SetupError } from '../dev-infra/setup-error';

export type TemporalConnectionSettings = Pick<
  TEngineConfig,
  'TEMPORAL_API_KEY' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_SERVER_NAME'
>;

/** The options both `Connection.connect` (client) and `NativeConnection.connect` (worker) take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | false;
  apiKey?: string;
}

export function temporalConnectionOptions(config: TemporalConnectionSettings, address: string): TemporalConnectionOptions {
  // Temporal Cloud takes API keys over TLS only; a client certificate means mTLS.
  const tlsOn =
    config.TEMPORAL_TLS ?? (config.TEMPORAL_API_KEY !== undefined || config.TEMPORAL_TLS_CERT !== undefined || config.TEMPORAL_TLS_CA !== undefined);
  const tls: TLSConfig | false = tlsOn
    ? {
        ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
        ...(config.TEMPORAL_TLS_CA ? { serverRootCACertificate: config.TEMPORAL_TLS_CA.pem } : {}),
        ...(config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY
          ? { clientCertPair: { crt: config.TEMPORAL_TLS_CERT.pem, key: config.TEMPORAL_TLS_KEY.pem } }
          : {}),
      }
    : false;
  return { address, tls, ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}) };
}

/** One line for logs: where and how, never the key. */
export function describeTemporalConnection(options: TemporalConnectionOptions): string {
  const how = [options.tls ? (options.tls.clientCertPair ? 'mTLS' : 'TLS') : 'plaintext', ...(options.apiKey ? ['API key'] : [])];
  return `${options.address} (${how.join(', ')})`;
}

// gRPC status codes (grpc's status.h).
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAUTHENTICATED = 16;

/**
 * Connects with `connect` and turns a refusal into a `SetupError`: credentials refused, a TLS
 * handshake that failed, or a server that does not answer. Both the client's and the worker's
 * connections check the server on connect, so a wrong key or certificate fails here, at start-up.
 */
export async function connectTemporal<T>(options: TemporalConnectionOptions, connect: (options: TemporalConnectionOptions) => Promise<T>): Promise<T> {
  try {
    return await connect(options);
  } catch (error) {
    // The client's own error hides why ("Failed to connect before the deadline"): a handshake of
    // our own with the same settings names a certificate problem.
    const handshake = options.tls ? await tlsHandshakeError(options) : undefined;
    throw explainConnectionFailure(options, handshake ?? error);
  }
}

/** The reason a TLS handshake with these settings fails, or undefined when it succeeds or TCP itself fails. */
async function tlsHandshakeError(options: TemporalConnectionOptions): Promise<Error | undefined> {
  if (!options.tls) return undefined;
  const tls = options.tls;
  const [host, port] = [options.address.slice(0, options.address.lastIndexOf(':')), Number(options.address.slice(options.address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port,
      servername: tls.serverNameOverride ?? (/^[\d.]+$/.test(host) ? undefined : host),
      ...(tls.serverRootCACertificate ? { ca: Buffer.from(tls.serverRootCACertificate) } : {}),
      ...(tls.clientCertPair ? { cert: Buffer.from(tls.clientCertPair.crt), key: Buffer.from(tls.clientCertPair.key) } : {}),
      ALPNProtocols: ['h2'],
      timeout: 5_000,
    });
    const done = (error: Error | undefined) => {
      socket.destroy();
      resolve(error);
    };
    socket.once('secureConnect', () => done(undefined));
    socket.once('timeout', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // A refused or unreachable port is not a TLS problem: the client's own error says enough.
      if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET'].includes(error.code ?? '')) done(undefined);
      else done(Object.assign(new Error(error.message), { tlsHandshake: true }));
    });
  });
}

export function explainConnectionFailure(options: TemporalConnectionOptions, error: unknown): Error {
  const where = describeTemporalConnection(options);
  const chain: unknown[] = [];
  for (let e: unknown = error; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  const text = chain.map((e) => (e instanceof Error ? e.message : String(e))).join(' / ');
  const code = chain.map((e) => (e as { code?: unknown }).code).find((c) => typeof c === 'number');
  const reason = text.split('\n')[0]!.slice(0, 300);
  if (code === GRPC_UNAUTHENTICATED || code === GRPC_PERMISSION_DENIED || /unauthenticated|permission ?denied/i.test(text)) {
    return new SetupError(
      `Temporal at ${where} refused the credentials: ${reason}.`,
      'Check TEMPORAL_API_KEY (or the client certificate in TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY) and that TEMPORAL_NAMESPACE is the namespace they are for.',
      { cause: error },
    );
  }
  if (
    (error as { tlsHandshake?: boolean }).tlsHandshake ||
    /certificate|handshake|\btls\b|\bssl\b|wrong version number|invalid peer|UnknownIssuer|NotValidForName/i.test(text)
  ) {
    return new SetupError(
      `The TLS handshake with Temporal at ${where} failed: ${reason}.`,
      'Check TEMPORAL_TLS_CA (the CA of the server), TEMPORAL_TLS_SERVER_NAME and the client certificate, or set TEMPORAL_TLS=off for a plaintext server.',
      { cause: error },
    );
  }
  return new SetupError(
    `Cannot reach Temporal at ${where}: ${reason}.`,
    'Check TEMPORAL_ADDRESS and that the server is running; leave TEMPORAL_ADDRESS unset to run the embedded dev server.',
    { cause: error },
  );
}

/** A client connection (API, CLI, supervisor) as configured; `connectTimeout` for a quick "is it there". */
export function connectTemporalClient(config: TemporalConnectionSettings, address: string, extra: { connectTimeout?: number } = {}): Promise<Connection> {
  return connectTemporal(temporalConnectionOptions(config, address), (options) => Connection.connect({ ...options, ...extra }));
}
