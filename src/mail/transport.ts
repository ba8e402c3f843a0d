/**
 * Sends play email over SMTP with nodemailer. The transport options are a pure function of the
 * validated settings; `createMailer` wraps the transport so callers see one small interface and
 * can tell a permanent rejection (retrying cannot help) from a transient fault by the error's name.
 *
 * A message is sent over nodemailer's SMTP connection directly rather than its transport, because
 * the caller must hear about the one moment that matters for duplicates: the end of DATA. Until the
 * final "." the relay holds an unfinished message it must discard if the connection goes; from the
 * "." until its answer, it may have accepted the message and the sender cannot know. The transport
 * streams the message eagerly and hides that moment.
 */
import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { TMailConfig } from './mail-config';

export function mailTransportOptions(
  config: Pick<TMailConfig, 'SMTP_URL' | 'SMTP_USER' | 'SMTP_PASSWORD' | 'SMTP_TLS'> & { SMTP_URL: string },
): SMTPTransport.Options {
  const url = new URL(config.SMTP_URL);
  const implicitTls = config.SMTP_TLS === 'tls' || (config.SMTP_TLS === undefined && url.protocol === 'smtps:');
  const user = config.SMTP_USER ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const pass = config.SMTP_PASSWORD ?? (url.password ? decodeURIComponent(url.password) : undefined);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : implicitTls ? 465 : 587,
    secure: implicitTls,
    requireTLS: config.SMTP_TLS === 'starttls',
    ignoreTLS: config.SMTP_TLS === 'none',
    ...(user !== undefined && pass !== undefined ? { auth: { user, pass } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
}

export interface OutgoingMail {
  /** Stable across attempts (`<key@host>`), so a resend is recognisable as one. */
  messageId: string;
  to: string;
  subject: string;
  text: string;
  headers?: Record<string, string>;
}

export interface SendOptions {
  /**
   * Runs after the relay took DATA and the message body, right before the final "."; the "." goes
   * out only once it resolves, and not at all if it rejects. From then until the relay's answer the
   * outcome is unknown, so this is where a caller records that.
   */
  beforeEndOfData?: () => Promise<void>;
  /** Aborts the send while the message is still unfinished; after the "." the answer is awaited. */
  signal?: AbortSignal;
}

export interface Mailer {
  send(message: OutgoingMail, options?: SendOptions): Promise<{ accepted: string[]; response: string }>;
  verify(): Promise<void>;
  close(): void;
}

/** Names, not classes: errors cross the workflow sandbox and jest's module registry. */
import { PERMANENT_EMAIL_FAILURE } from '../domain/failure-types';
export { PERMANENT_EMAIL_FAILURE };
/**
 * The end of DATA went out and no answer came back (the connection dropped or timed out): the relay
 * may or may not have the message. Transient: a retry may send it again.
 */
export const EMAIL_OUTCOME_UNKNOWN = 'EmailOutcomeUnknown';

export function createMailer(config: TMailConfig & { SMTP_URL: string }): Mailer {
  const options = mailTransportOptions(config);
  const { auth, ...connectionOptions } = options;
  // The transport is kept for verify(), which checks the relay and the credentials.
  const transport = nodemailer.createTransport(options);
  return {
    async send(message, options = {}) {
      const mime = new MailComposer({
        from: config.MAIL_FROM,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: message.messageId,
        headers: { 'X-Idempotency-Key': message.messageId, ...message.headers },
      }).compile();
      const envelope = mime.getEnvelope();
      const raw = await mime.build();
      let endOfDataSent = false;
      const connection = new SMTPConnection(connectionOptions);
      try {
        const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) => {
          let settled = false;
          const settle = (error: Error | null, result?: SMTPConnection.SentMessageInfo) => {
            if (settled) return;
            settled = true;
            options.signal?.removeEventListener('abort', onAbort);
            if (error) reject(error);
            else resolve(result!);
          };
          const onAbort = () => {
            if (!endOfDataSent) settle(abortError(options.signal!));
          };
          if (options.signal?.aborted) return settle(abortError(options.signal));
          options.signal?.addEventListener('abort', onAbort, { once: true });
          connection.on('error', (error: Error) => settle(error));
          connection.once('end', () => settle(Object.assign(new Error('SMTP connection closed'), { code: 'ECONNECTION' })));
          const body = messageThenEndOfData(raw, async () => {
            await options.beforeEndOfData?.();
            if (options.signal?.aborted) throw abortError(options.signal);
            endOfDataSent = true;
          });
          const sendMessage = () => connection.send(envelope, body, (error, result) => settle(error, result));
          connection.connect((error) => {
            if (error) return settle(error);
            if (!auth || !connection.allowsAuth) return sendMessage();
            connection.login({ credentials: { user: auth.user, pass: auth.pass } }, (loginError) => (loginError ? settle(loginError) : sendMessage()));
          });
        });
        const rejected = (info.rejected ?? []).map(String);
        if (rejected.length > 0) throw permanent(`recipient rejected: ${rejected.join(', ')}`);
        return { accepted: (info.accepted ?? []).map(String), response: info.response ?? '' };
      } catch (error) {
        if ((error as Error).name === PERMANENT_EMAIL_FAILURE || (error as Error).name === 'AbortError') throw error;
        const code = (error as { responseCode?: number }).responseCode;
        if (code !== undefined && code >= 500) throw permanent((error as Error).message);
        if (code === undefined && endOfDataSent) throw outcomeUnknown((error as Error).message);
        throw error;
      } finally {
        connection.close();
      }
    },
    async verify() {
      await transport.verify();
    },
    close() {
      transport.close();
    },
  };
}

/**
 * The message as a stream that asks `beforeEnd` before ending. SMTPConnection pipes it only after
 * the relay's 354 to DATA and writes the final "." when it ends, so `beforeEnd` runs with the whole
 * body handed over and the "." not yet sent; a rejection leaves the message unfinished.
 */
function messageThenEndOfData(raw: Buffer, beforeEnd: () => Promise<void>): Readable {
  let stage: 'body' | 'end' | 'ending' = 'body';
  return new Readable({
    read() {
      if (stage === 'body') {
        stage = 'end';
        this.push(raw);
      } else if (stage === 'end') {
        stage = 'ending';
        beforeEnd().then(
          () => this.push(null),
          (error: Error) => this.destroy(error),
        );
      }
    },
  });
}

function permanent(message: string): Error {
  const error = new Error(message);
  error.name = PERMANENT_EMAIL_FAILURE;
  return error;
}

function outcomeUnknown(message: string): Error {
  const error = new Error(`no answer to the end of DATA: ${message}`);
  error.name = EMAIL_OUTCOME_UNKNOWN;
  return error;
}

function abortError(signal: AbortSignal): Error {
  const error = new Error(`send aborted before the end of DATA: ${String(signal.reason ?? 'aborted')}`);
  error.name = 'AbortError';
  return error;
}
