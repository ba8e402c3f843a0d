/**
 * A TCP proxy on loopback between a process under test and a real server, so a test can take the
 * server away (every connection cut, new ones refused) and bring it back on the same port, without
 * stopping a server that other test files share.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Cuts every open connection and refuses new ones, as a server that went down. */
  cut(): Promise<void>;
  /** Listens again on the same port, as the server coming back. */
  restore(): Promise<void>;
  close(): Promise<void>;
  /** Holds every byte in both directions (a server that stops answering), until `resume()`. */
  pause(): void;
  resume(): void;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let paused = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = createConnection(target);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
        // After the pipes: pipe() resumes a paused source, so a connection opened while paused
        // would otherwise flow (a pool's fresh connection got past a "stopped" server).
        if (paused) for (const socket of [client, upstream]) socket.pause();
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  const pause = () => {
    paused = true;
    for (const socket of sockets) socket.pause();
  };
  const resume = () => {
    paused = false;
    for (const socket of sockets) socket.resume();
  };
  return { port, cut: stop, restore: listen, close: stop, pause, resume };
}
