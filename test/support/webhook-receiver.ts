/**
 * A real HTTP server standing in for a CRM or support desk: records every webhook with whether its
 * signature verifies, and can answer the next requests with an error status to exercise retries.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from '../../src/webhooks/signature';

export interface ReceivedWebhook {
  headers: Record<string, string | string[] | undefined>;
  body: { id: string; event: string; occurredAt: string; data: Record<string, unknown> };
  rawBody: string;
  signatureValid: boolean;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  failNext(count: number, status: number): void;
  waitFor(predicate: (hook: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  stop(): Promise<void>;
}

export async function startWebhookReceiver({ secret }: { secret: string }): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failures: { left: number; status: number } = { left: 0, status: 500 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (failures.left > 0) {
        failures.left -= 1;
        response.writeHead(failures.status).end();
        return;
      }
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const header = request.headers[WEBHOOK_SIGNATURE_HEADER];
      const check = verifyWebhookSignature({
        secret,
        header: typeof header === 'string' ? header : undefined,
        body: rawBody,
        now: Math.floor(Date.now() / 1000),
      });
      received.push({ headers: request.headers, body: JSON.parse(rawBody), rawBody, signatureValid: check.ok });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    failNext: (count, status) => void (failures = { left: count, status }),
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(predicate);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching webhook within ${timeoutMs} ms (${received.length} received)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
