/**
 * The SMTP transport against a real SMTP server in-process: delivery, transient and permanent
 * failures, and the end of DATA (the caller hears of it before it goes out; no answer after it is
 * an unknown outcome; an abort before it sends nothing).
 */
import { ZMailConfig } from '../../src/mail/mail-config';
import { startSmtpSink, type SmtpSink } from '../../src/mail/smtp-sink';
import { createMailer, EMAIL_OUTCOME_UNKNOWN, mailTransportOptions, PERMANENT_EMAIL_FAILURE, type Mailer } from '../../src/mail/transport';

describe('mail settings', () => {
  it.each([
    [{ SMTP_URL: 'smtp://mail.example.com:587' }, { host: 'mail.example.com', port: 587, secure: false, requireTLS: false, ignoreTLS: false }],
    [{ SMTP_URL: 'smtps://mail.example.com' }, { host: 'mail.example.com', port: 465, secure: true }],
    [{ SMTP_URL: 'smtp://ops:s3cret@mail.example.com:2525' }, { port: 2525, auth: { user: 'ops', pass: 's3cret' } }],
    [
      { SMTP_URL: 'smtp://mail.example.com:587', SMTP_USER: 'a', SMTP_PASSWORD: 'b', SMTP_TLS: 'starttls' },
      { auth: { user: 'a', pass: 'b' }, requireTLS: true },
    ],
    [
      { SMTP_URL: 'smtp://127.0.0.1:2525', SMTP_TLS: 'none' },
      { ignoreTLS: true, secure: false },
    ],
  ])('%j becomes nodemailer options', (env, expected) => {
    const config = ZMailConfig.parse(env);
    expect(mailTransportOptions({ ...config, SMTP_URL: config.SMTP_URL! })).toMatchObject(expected);
  });

  it.each([
    [{ SMTP_URL: 'mail.example.com' }, 'SMTP_URL'],
    [{ SMTP_TLS: 'true' }, 'SMTP_TLS'],
    [{ SMTP_PASSWORD: 'x' }, 'SMTP_PASSWORD'],
  ])('rejects %j at %s', (env, path) => {
    const result = ZMailConfig.safeParse(env);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});

describe('mailer (real SMTP sink)', () => {
  let sink: SmtpSink;
  let mailer: Mailer;
  beforeAll(async () => {
    sink = await startSmtpSink({ rejectRecipients: ['nobody@example.invalid'] });
    mailer = createMailer({ ...ZMailConfig.parse({ SMTP_URL: sink.url }), SMTP_URL: sink.url });
  });
  afterAll(async () => {
    mailer.close();
    await sink.stop();
  });

  it('delivers with the stable Message-ID and idempotency header', async () => {
    await mailer.send({ messageId: '<run-1.step@cs-lifecycle.invalid>', to: 'dana@example.com', subject: 'Kickoff', text: 'Hold it' });
    const mail = await sink.waitFor((m) => m.messageId === '<run-1.step@cs-lifecycle.invalid>');
    expect(mail).toMatchObject({ to: ['dana@example.com'], subject: 'Kickoff', text: 'Hold it\n' });
    expect(mail.headers['x-idempotency-key']).toBe('<run-1.step@cs-lifecycle.invalid>');
  });

  it('fails transiently while the relay is paused, then delivers', async () => {
    sink.pause();
    const send = () => mailer.send({ messageId: '<paused@cs-lifecycle.invalid>', to: 'dana@example.com', subject: 'Later', text: 'x' });
    await expect(send()).rejects.toMatchObject({ name: expect.not.stringMatching(PERMANENT_EMAIL_FAILURE) });
    sink.resume();
    await send();
    expect(sink.messages.filter((m) => m.messageId === '<paused@cs-lifecycle.invalid>')).toHaveLength(1);
  });

  it('fails permanently on a 5xx rejection', async () => {
    await expect(mailer.send({ messageId: '<rejected@cs-lifecycle.invalid>', to: 'nobody@example.invalid', subject: 's', text: 't' })).rejects.toMatchObject({
      name: PERMANENT_EMAIL_FAILURE,
    });
  });

  it('asks the caller before the end of DATA, with the whole message at the relay but not yet complete', async () => {
    const seen: string[] = [];
    await mailer.send(
      { messageId: '<end-of-data@cs-lifecycle.invalid>', to: 'dana@example.com', subject: 'Dot', text: 'a line\n.\nand a dot' },
      {
        beforeEndOfData: async () => {
          seen.push(`hook: ${sink.messages.filter((m) => m.messageId === '<end-of-data@cs-lifecycle.invalid>').length} received`);
        },
      },
    );
    const mail = await sink.waitFor((m) => m.messageId === '<end-of-data@cs-lifecycle.invalid>');
    expect(seen).toEqual(['hook: 0 received']);
    expect(mail.text).toBe('a line\n.\nand a dot\n');
  });

  it('sends nothing when aborted before the end of DATA', async () => {
    const abort = new AbortController();
    const send = mailer.send(
      { messageId: '<aborted@cs-lifecycle.invalid>', to: 'dana@example.com', subject: 'Never', text: 'x' },
      { beforeEndOfData: async () => abort.abort('attempt cancelled'), signal: abort.signal },
    );
    await expect(send).rejects.toMatchObject({ name: 'AbortError' });
    // The relay saw DATA and the body but never the end of it: nothing to deliver.
    await mailer.send({ messageId: '<after-abort@cs-lifecycle.invalid>', to: 'dana@example.com', subject: 'Next', text: 'y' });
    await sink.waitFor((m) => m.messageId === '<after-abort@cs-lifecycle.invalid>');
    expect(sink.messages.filter((m) => m.messageId === '<aborted@cs-lifecycle.invalid>')).toHaveLength(0);
  });
});

describe('mailer when the relay does not answer the end of DATA', () => {
  it('reports an unknown outcome (transient) when the connection drops after the end of DATA', async () => {
    const sink = await startSmtpSink({ beforeReply: async () => sink.dropConnections() });
    const mailer = createMailer({ ...ZMailConfig.parse({ SMTP_URL: sink.url }), SMTP_URL: sink.url });
    try {
      const send = mailer.send({ messageId: '<dropped@cs-lifecycle.invalid>', to: 'dana@example.com', subject: 'Maybe', text: 'x' });
      await expect(send).rejects.toMatchObject({ name: EMAIL_OUTCOME_UNKNOWN });
      expect(sink.messages.map((m) => m.messageId)).toEqual(['<dropped@cs-lifecycle.invalid>']);
    } finally {
      mailer.close();
      await sink.stop();
    }
  });

  it('leaves the message unfinished, and the failure its own, when the caller cannot record the end of DATA', async () => {
    const sink = await startSmtpSink();
    const mailer = createMailer({ ...ZMailConfig.parse({ SMTP_URL: sink.url }), SMTP_URL: sink.url });
    try {
      const outboxDown = Object.assign(new Error('outbox unavailable'), { name: 'OutboxDown' });
      const send = mailer.send(
        { messageId: '<unrecorded@cs-lifecycle.invalid>', to: 'dana@example.com', subject: 'Unrecorded', text: 'x' },
        { beforeEndOfData: () => Promise.reject(outboxDown) },
      );
      await expect(send).rejects.toMatchObject({ name: 'OutboxDown' });
      await mailer.send({ messageId: '<recorded@cs-lifecycle.invalid>', to: 'dana@example.com', subject: 'Recorded', text: 'y' });
      await sink.waitFor((m) => m.messageId === '<recorded@cs-lifecycle.invalid>');
      expect(sink.messages.map((m) => m.messageId)).toEqual(['<recorded@cs-lifecycle.invalid>']);
    } finally {
      mailer.close();
      await sink.stop();
    }
  });
});
