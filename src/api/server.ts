/** Serves the API app over HTTP (Node's server through @hono/node-server); `port: 0` picks a free one. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';

export interface ApiServer {
  url: string;
  /**
   * Stops taking connections and lets the requests in flight finish; after `graceMs` (default: no
   * limit) the connections still open are cut.
   */
  stop(graceMs?: number): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function startApiServer(app: OpenAPIHono<any>, { port, host = '127.0.0.1' }: { port: number; host?: string }): Promise<ApiServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
      resolve({
        url: `http://${host}:${info.port}`,
        stop: (graceMs) =>
          new Promise<void>((done) => {
            const http = server as Server;
            const timer = graceMs === undefined ? undefined : setTimeout(() => http.closeAllConnections(), graceMs);
            http.close(() => {
              clearTimeout(timer);
              done();
            });
            // Keep-alive connections with no request in flight would hold close() open.
            http.closeIdleConnections();
          }),
      });
    });
    server.once('error', reject);
  });
}
