/**
 * The operations endpoints of `cli api` and `cli worker`, on their own port (API_METRICS_PORT,
 * WORKER_METRICS_PORT) so they are never exposed with the API: `/healthz` (the process is alive),
 * `/readyz` (every dependency answers: PostgreSQL, Temporal; 503 naming the one that does not) and
 * `/metrics` in the Prometheus text format.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrismaClient } from '../generated/prisma/client';

/** Resolves when the dependency answers; rejects (or times out) when it does not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface OpsServerOptions {
  host: string;
  port: number;
  checks: Record<string, ReadinessCheck>;
  /** The Prometheus text, and its content type. */
  metrics: () => Promise<{ contentType: string; text: string }>;
  /** False once shutdown began: /readyz answers 503 so load balancers stop sending work. */
  accepting?: () => boolean;
}

export interface OpsServer {
  url: string;
  stop(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 5_000;

/** Each check's outcome: "ok" or why not, within a few seconds (a check that hangs counts as down). */
export async function readiness(checks: Record<string, ReadinessCheck>): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS))),
        ]);
        return [name, 'ok'] as const;
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n').filter(Boolean).pop() : String(error);
        return [name, (reason ?? 'unavailable').slice(0, 200)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: results.every(([, outcome]) => outcome === 'ok'), checks: Object.fromEntries(results) };
}

/** PostgreSQL answers a query. */
export const databaseCheck =
  (prisma: PrismaClient): ReadinessCheck =>
  () =>
    prisma.$queryRaw`SELECT 1`;

export function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((request, response) => {
    const send = (status: number, contentType: string, body: string) => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(body);
    };
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'application/json', '{"error":"method_not_allowed"}');
    if (path === '/healthz') return send(200, 'application/json', '{"ok":true}');
    if (path === '/readyz') {
      if (options.accepting && !options.accepting()) return send(503, 'application/json', JSON.stringify({ ready: false, checks: { shutdown: 'stopping' } }));
      void readiness(options.checks).then((result) => send(result.ready ? 200 : 503, 'application/json', JSON.stringify(result)));
      return;
    }
    if (path === '/metrics') {
      void options.metrics().then(
        ({ contentType, text }) => send(200, contentType, text),
        (error: unknown) => send(500, 'text/plain', `metrics unavailable: ${(error as Error).message}\n`),
      );
      return;
    }
    send(404, 'application/json', '{"error":"not_found"}');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
        stop: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
