/**
 * Sends play email over SMTP with nodemailer. The transport options are a pure function of the
 * validated settings; `createMailer` wraps the transport so callers see one small interface and
 * can tell a permanent rejection (retrying cannot help) from a transient fault by the error's name.
 */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { TMailConfig } from './mail-config';

export function mailTransportOptions(config: Pick<TMailConfig, 'SMTP_URL' | 'SMTP_USER' | 'SMTP_PASSWORD' | 'SMTP_TLS'> & { SMTP_URL: string }): SMTPTransport.Options {
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

export interface Mailer {
  send(message: OutgoingMail): Promise<{ accepted: string[]; response: string }>;
  verify(): Promise<void>;
  close(): void;
}

/** A name, not a class: errors cross the workflow sandbox and jest's module registry. */
export const PERMANENT_EMAIL_FAILURE = 'PermanentEmailFailure';

export function createMailer(config: TMailConfig & { SMTP_URL: string }): Mailer {
  const transport = nodemailer.createTransport(mailTransportOptions(config));
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          from: config.MAIL_FROM,
          to: message.to,
          subject: message.subject,
          text: message.text,
          messageId: message.messageId,
          headers: { 'X-Idempotency-Key': message.messageId, ...message.headers },
        });
        const rejected = (info.rejected ?? []).map(String);
        if (rejected.length > 0) throw permanent(`recipient rejected: ${rejected.join(', ')}`);
        return { accepted: (info.accepted ?? []).map(String), response: info.response };
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        if (code !== undefined && code >= 500) throw permanent((error as Error).message);
        throw error;
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

function permanent(message: string): Error {
  const error = new Error(message);
  error.name = PERMANENT_EMAIL_FAILURE;
  return error;
}
