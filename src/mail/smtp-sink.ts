/**
 * A real SMTP server in-process: the tests send play email to it and assert on what arrived, and
 * `npm start` uses it as the embedded default when no SMTP_URL is set (each message is saved as an
 * .eml file). `pause()` answers with transient 4xx codes, as a relay outage would, so retries can be
 * tested against a real conversation. `beforeReply` holds the answer to the end of DATA (the message is
 * already received, as a relay that queued it but has not yet said so), and `dropConnections()` cuts
 * the clients off: the window in which a sender cannot know whether its message went out.
 */
import type { Socket } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  headers: Record<string, string>;
  receivedAt: Date;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: ReceivedMail[];
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** New mail is refused with 451 (try again later) until `resume()`. */
  pause(): void;
  resume(): void;
  /** Destroys every client connection at once, as a relay or network failing mid-conversation. */
  dropConnections(): void;
  stop(): Promise<void>;
}

export interface SmtpSinkOptions {
  port?: number;
  host?: string;
  /** Also write each message here as `<time>-<message id>.eml`. */
  saveDir?: string;
  /** Recipients refused with 550 (a permanent failure). */
  rejectRecipients?: string[];
  onMessage?: (mail: ReceivedMail) => void;
  /**
   * Runs once a message is received (in `messages`, waiters told) and before the server answers its
   * end of DATA; the answer (250) waits for it. A rejection is the answer instead.
   */
  beforeReply?: (mail: ReceivedMail) => Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const messages: ReceivedMail[] = [];
  const waiters: { predicate: (mail: ReceivedMail) => boolean; resolve: (mail: ReceivedMail) => void }[] = [];
  let paused = false;
  if (options.saveDir) mkdirSync(options.saveDir, { recursive: true });

  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    banner: 'cs-lifecycle SMTP sink',
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.includes(address.address.toLowerCase())) {
        const error = Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (paused) {
          callback(Object.assign(new Error('relay paused, try again later'), { responseCode: 451 }));
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            const headers: Record<string, string> = {};
            parsed.headerLines.forEach((line) => (headers[line.key] = line.line.slice(line.line.indexOf(':') + 1).trim()));
            const mail: ReceivedMail = {
              messageId: parsed.messageId ?? '',
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              headers,
              receivedAt: new Date(),
            };
            messages.push(mail);
            if (options.saveDir) {
              const name = `${mail.receivedAt.toISOString().replace(/[:.]/g, '-')}-${mail.messageId.replace(/[^A-Za-z0-9._-]+/g, '_')}.eml`;
              writeFileSync(join(options.saveDir, name), raw);
            }
            options.onMessage?.(mail);
            for (const waiter of waiters.splice(0)) {
              if (waiter.predicate(mail)) waiter.resolve(mail);
              else waiters.push(waiter);
            }
            return options.beforeReply?.(mail);
          })
          .then(() => callback())
          .catch((error: Error) => callback(error));
      });
    },
  });
  server.on('error', () => undefined); // a client dropping mid-conversation is not the sink's problem
  const sockets = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve((server.server.address() as { port: number }).port));
  });

  return {
    port,
    url: `smtp://${host}:${port}`,
    messages,
    waitFor(predicate, timeoutMs = 30_000) {
      const already = messages.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching email within ${timeoutMs} ms (${messages.length} received)`)), timeoutMs);
        waiters.push({ predicate, resolve: (mail) => (clearTimeout(timer), resolve(mail)) });
      });
    },
    pause: () => void (paused = true),
    resume: () => void (paused = false),
    dropConnections: () => sockets.forEach((socket) => socket.destroy()),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
