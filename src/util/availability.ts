/**
 * Whether the servers a process depends on (PostgreSQL, Temporal) answer, told apart by error type,
 * and one log line each time one goes away or comes back — not a stack trace per request while it
 * is away. The API answers 503 with Retry-After meanwhile.
 */
import { isGrpcServiceError, ServiceError } from '@temporalio/client';

export type Dependency = 'database' | 'temporal';

/** Prisma's "cannot reach / lost the server / timed out" codes (P1xxx), and the pool's timeout. */
const DATABASE_UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const DRIVER_UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TlsConnectionError']);
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P03']);

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } }; cause?: unknown };
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'PrismaClientInitializationError') return true;
  if (e.name === 'PrismaClientKnownRequestError') {
    return DATABASE_UNAVAILABLE_CODES.has(e.code ?? '') || DRIVER_UNAVAILABLE_KINDS.has(e.meta?.driverAdapterError?.cause?.kind ?? '');
  }
  if (e.name === 'DriverAdapterError') return DRIVER_UNAVAILABLE_KINDS.has((e.cause as { kind?: string } | undefined)?.kind ?? '');
  // pg's own errors (the migrator, raw clients): a socket error code, or "the server is shutting down".
  return NETWORK_ERROR_CODES.has(e.code ?? '');
}

/** gRPC status codes (see grpc's status.h): the server is not there, or did not answer in time. */
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

export function isTemporalUnavailable(error: unknown): boolean {
  const grpc = error instanceof ServiceError ? error.cause : error;
  return isGrpcServiceError(grpc) && (grpc.code === GRPC_UNAVAILABLE || grpc.code === GRPC_DEADLINE_EXCEEDED);
}

/** Logs each change of a dependency's state once: "down" on the first failure, "back" on the next success. */
export class AvailabilityLog {
  private readonly down = new Set<Dependency>();

  constructor(private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  failed(dependency: Dependency, error: unknown): void {
    if (this.down.has(dependency)) return;
    this.down.add(dependency);
    const reason = error instanceof Error ? error.message.split('\n').filter(Boolean).pop()?.slice(0, 200) : String(error);
    this.log(`[api] ${dependency === 'database' ? 'PostgreSQL' : 'Temporal'} is unreachable (${reason}); answering 503 until it is back`);
  }

  /** Whether the last word on the dependency was a failure. */
  isDown(dependency: Dependency): boolean {
    return this.down.has(dependency);
  }

  succeeded(dependency: Dependency): void {
    if (!this.down.delete(dependency)) return;
    this.log(`[api] ${dependency === 'database' ? 'PostgreSQL' : 'Temporal'} is reachable again`);
  }
}
