/**
 * sendPlayEmail against a real PostgreSQL outbox and a real SMTP server in-process, called directly
 * (as a retry would call it again): what the outbox row records around the end of DATA, and what a
 * retry sends after an attempt whose outcome is unknown or known.
 */
import { createPlayActivities, messageIdFor, RESEND_OF_HEADER } from '../../activities/plays';
import type { Database } from '../../src/db/database';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../src/mail/smtp-sink';
import { EMAIL_OUTCOME_UNKNOWN } from '../../src/mail/transport';
import { openTestDatabase, testMailer, uniqueSuffix } from '../support/servers';

describe('sendPlayEmail (real PostgreSQL and SMTP)', () => {
  let database: Database;
  let sink: SmtpSink;
  // What the relay does with the next message: answer it, or drop the connection before answering.
  let dropNextBeforeReply = false;

  beforeAll(async () => {
    [database, sink] = await Promise.all([
      openTestDatabase('send_email'),
      startSmtpSink({
        beforeReply: async () => {
          if (!dropNextBeforeReply) return;
          dropNextBeforeReply = false;
          sink.dropConnections();
        },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([database?.close(), sink?.stop()]);
  });

  async function emailStep() {
    const customerId = `cust-${uniqueSuffix()}`;
    await database.prisma.customer.create({ data: { id: customerId, name: `Email ${customerId}` } });
    const mailer = testMailer(sink.url);
    const { sendPlayEmail } = createPlayActivities({ prisma: database.prisma, mailer, webhookTargets: {} });
    const request = {
      idempotencyKey: `customer:${customerId}/play/p/1:welcome`,
      runId: `customer:${customerId}/play/p/1`,
      customerId,
      stepId: 'welcome',
      to: 'priya@acme.example',
      recipientRole: 'champion',
      subject: `Welcome ${customerId}`,
      text: 'Hello',
      plannedAt: new Date().toISOString(),
    };
    const row = () => database.prisma.emailOutbox.findUniqueOrThrow({ where: { idempotencyKey: request.idempotencyKey } });
    const received = (): ReceivedMail[] => sink.messages.filter((m) => m.subject === request.subject);
    return { send: () => sendPlayEmail(request), row, received, messageId: messageIdFor(request.idempotencyKey), close: () => mailer.close() };
  }

  it('sends the retry after an unanswered end of DATA as a marked resend with the same Message-ID, and records it', async () => {
    const step = await emailStep();
    try {
      dropNextBeforeReply = true;
      await expect(step.send()).rejects.toMatchObject({ name: EMAIL_OUTCOME_UNKNOWN });
      const uncertain = await step.row();
      expect(uncertain).toMatchObject({ status: 'pending', attempts: 1, resends: 0, uncertainAt: null });
      expect(uncertain.replyPendingAt).toBeInstanceOf(Date);
      expect(step.received()).toHaveLength(1); // the relay has it; the sender could not know

      await expect(step.send()).resolves.toEqual({ status: 'sent', messageId: step.messageId });
      expect(step.received()).toHaveLength(2);
      const [first, resend] = step.received() as [ReceivedMail, ReceivedMail];
      expect(first.headers[RESEND_OF_HEADER.toLowerCase()]).toBeUndefined();
      expect(resend.messageId).toBe(step.messageId);
      expect(resend.headers[RESEND_OF_HEADER.toLowerCase()]).toBe(step.messageId);
      expect(await step.row()).toMatchObject({
        status: 'sent',
        attempts: 2,
        resends: 1,
        uncertainAt: uncertain.replyPendingAt,
        replyPendingAt: null,
        lastError: null,
      });

      await expect(step.send()).resolves.toEqual({ status: 'already sent', messageId: step.messageId });
      expect(step.received()).toHaveLength(2);
    } finally {
      step.close();
    }
  });

  it('sends the retry after a refused end of DATA as a plain send: the relay said it did not take it', async () => {
    const step = await emailStep();
    try {
      sink.pause();
      await expect(step.send()).rejects.toMatchObject({ responseCode: 451 });
      expect(await step.row()).toMatchObject({ status: 'pending', attempts: 1, replyPendingAt: null, uncertainAt: null });
      sink.resume();
      await expect(step.send()).resolves.toMatchObject({ status: 'sent' });
      const received = step.received();
      expect(received).toHaveLength(1);
      expect(received[0]!.headers[RESEND_OF_HEADER.toLowerCase()]).toBeUndefined();
      expect(await step.row()).toMatchObject({ status: 'sent', attempts: 2, resends: 0, uncertainAt: null });
      expect((await step.row()).lastAttemptAt).toBeInstanceOf(Date);
    } finally {
      sink.resume();
      step.close();
    }
  });
});
