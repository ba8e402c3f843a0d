/**
 * Plays against the real dev server in real time: a worker process killed in the middle of a play
 * (SIGKILL) and replaced still yields exactly one of each email and one task; a worker killed while
 * the relay has the email but has not answered yet is followed by a copy marked as a resend; an SMTP
 * outage is retried with backoff and the email goes out once when the relay is back.
 */
import { resolve } from 'node:path';
import { decodeTimeoutType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Database } from '../../src/db/database';
import { customerWorkflowId } from '../../src/domain/ids';
import { loadLifecycleDefinition } from '../../src/lifecycle/load-definition';
import { ZMailConfig } from '../../src/mail/mail-config';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../src/mail/smtp-sink';
import { createMailer } from '../../src/mail/transport';
import { messageIdFor, RESEND_OF_HEADER } from '../../activities/plays';
import { registerSearchAttributes } from '../../src/temporal/namespace';
import { customerLifecycleWorkflow } from '../../workflows';
import { customerEventsSignal, getPlayProgressQuery } from '../../workflows/messages';
import { startNodeProcess, type ReadyProcess } from '../support/node-process';
import { until } from '../support/until';
import { handoff, milestone } from '../support/customers';
import { connectDevServer, openTestDatabase, startTestWorker, uniqueSuffix, workflowBundle } from '../support/servers';

const DEFINITION = resolve(__dirname, '../fixtures/two-step-play-lifecycle.ts');

describe('plays (dev server, real time)', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;
  let smtp: SmtpSink;

  beforeAll(async () => {
    [env, database, smtp] = await Promise.all([connectDevServer(), openTestDatabase('plays_dev'), startSmtpSink()]);
    await registerSearchAttributes(env.connection, 'default');
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), database?.close(), smtp?.stop()]);
  });

  function startWorkerProcess(taskQueue: string, smtpUrl = smtp.url): Promise<ReadyProcess> {
    return startNodeProcess(
      'test/support/worker-process.ts',
      [],
      {
        TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
        DATABASE_URL: database.target.kind === 'postgres' ? database.target.url : '',
        TASK_QUEUE: taskQueue,
        SMTP_URL: smtpUrl,
        WORKFLOW_BUNDLE: workflowBundle().codePath,
        LIFECYCLE_DEFINITION: DEFINITION,
      },
      /^ready$/m,
    );
  }

  // SIGKILL: no goodbye, so its cached workflows and sticky queue die with it.
  const killed = (worker: ReadyProcess) => worker.stop('SIGKILL');

  it('gives exactly one of each email and one task when the worker is killed in the middle of a play', async () => {
    const taskQueue = `plays-kill-${uniqueSuffix()}`;
    const customer = handoff({ startAt: Date.now(), name: `Killed-${uniqueSuffix()}` });
    let worker = await startWorkerProcess(taskQueue);
    try {
      await env.client.workflow.start(customerLifecycleWorkflow, {
        workflowId: customerWorkflowId(customer.customerId),
        taskQueue,
        args: [{ handoff: customer }],
      });
      await smtp.waitFor((m) => m.subject === `Step one for ${customer.name}`);
      // Once the play is waiting for `go_on` (the first email's step done), kill the worker without
      // a chance to finish anything; its cached workflows and sticky queue die with it.
      const play = env.client.workflow.getHandle(`${customerWorkflowId(customer.customerId)}/play/two_step/1`);
      await until('the play to wait for go_on', async () => (await play.query(getPlayProgressQuery)).current === 'go_on');
      await killed(worker);
      worker = await startWorkerProcess(taskQueue);
      await env.client.workflow.getHandle(customerWorkflowId(customer.customerId)).signal(customerEventsSignal, [milestone('go_on', Date.now())]);
      const run = await until('the play to complete', async () => {
        const row = await database.prisma.playRun.findFirst({ where: { customerId: customer.customerId, playId: 'two_step' } });
        return row?.status === 'completed' && row;
      });
      expect(run.id).toBe(`${customerWorkflowId(customer.customerId)}/play/two_step/1`);
      const mails = smtp.messages.filter((m) => m.subject.endsWith(customer.name));
      expect(mails.map((m) => m.subject).sort()).toEqual([`Step one for ${customer.name}`, `Step two for ${customer.name}`]);
      expect(await database.prisma.csmTask.count({ where: { customerId: customer.customerId } })).toBe(1);
      expect(await database.prisma.emailOutbox.count({ where: { customerId: customer.customerId, status: 'sent' } })).toBe(2);
    } finally {
      await killed(worker);
    }
  });

  it('marks the second copy as a resend when the worker dies while the relay holds its answer to the end of DATA', async () => {
    const taskQueue = `plays-uncertain-${uniqueSuffix()}`;
    const customer = handoff({ startAt: Date.now(), name: `Uncertain-${uniqueSuffix()}` });
    const subject = `Step one for ${customer.name}`;
    // A relay slow to answer: it has the whole message and holds its 250 until the worker is dead.
    let held: (mail: ReceivedMail) => void = () => undefined;
    const holding = new Promise<ReceivedMail>((resolve) => (held = resolve));
    let releaseAnswer: () => void = () => undefined;
    const answerReleased = new Promise<void>((resolve) => (releaseAnswer = resolve));
    let heldOnce = false;
    const slowRelay = await startSmtpSink({
      beforeReply: async (mail) => {
        if (mail.subject !== subject || heldOnce) return;
        heldOnce = true;
        held(mail);
        await answerReleased;
      },
    });
    let worker = await startWorkerProcess(taskQueue, slowRelay.url);
    try {
      await env.client.workflow.start(customerLifecycleWorkflow, {
        workflowId: customerWorkflowId(customer.customerId),
        taskQueue,
        args: [{ handoff: customer }],
      });
      const first = await holding;
      const whileHeld = await database.prisma.emailOutbox.findFirstOrThrow({ where: { customerId: customer.customerId, stepId: 'first_email' } });
      await killed(worker);
      releaseAnswer(); // to a dead connection: the relay delivers, the sender never hears of it
      worker = await startWorkerProcess(taskQueue, slowRelay.url);
      const resend = await slowRelay.waitFor((m) => m.subject === subject && m !== first, 120_000);

      expect(resend.headers[RESEND_OF_HEADER.toLowerCase()]).toBe(first.messageId);
      expect(resend.messageId).toBe(first.messageId);
      expect(first.messageId).toBe(messageIdFor(whileHeld.idempotencyKey));
      expect(first.headers[RESEND_OF_HEADER.toLowerCase()]).toBeUndefined();
      // The outbox knew, before the end of DATA went out, that an answer was pending.
      expect(whileHeld).toMatchObject({ status: 'pending', attempts: 1 });
      expect(whileHeld.replyPendingAt).toBeInstanceOf(Date);
      const row = await until('the outbox row marked sent', async () => {
        const found = await database.prisma.emailOutbox.findUniqueOrThrow({ where: { id: whileHeld.id } });
        return found.status === 'sent' && found;
      });
      expect(row).toMatchObject({ attempts: 2, resends: 1, uncertainAt: whileHeld.replyPendingAt, replyPendingAt: null });
      // The dead attempt was noticed by its missing heartbeats, not after the 1-minute start-to-close.
      const play = env.client.workflow.getHandle(`${customerWorkflowId(customer.customerId)}/play/two_step/1`);
      const retried = await until('the email activity completed on its retry', async () => {
        const events = (await play.fetchHistory()).events ?? [];
        const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendPlayEmail');
        return events.find((e) => scheduled && String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId))
          ?.activityTaskStartedEventAttributes;
      });
      expect(retried.attempt).toBe(2);
      expect(decodeTimeoutType(retried.lastFailure?.timeoutFailureInfo?.timeoutType)).toBe('HEARTBEAT');
      expect(slowRelay.messages.filter((m) => m.subject === subject)).toHaveLength(2);
    } finally {
      releaseAnswer();
      await killed(worker);
      await slowRelay.stop();
    }
  }, 180_000);

  it('retries an email through an SMTP outage with backoff and sends it once when the relay recovers', async () => {
    const mailer = createMailer({ ...ZMailConfig.parse({ SMTP_URL: smtp.url }), SMTP_URL: smtp.url });
    const { worker, taskQueue } = await startTestWorker(env, database, { definition: loadLifecycleDefinition(DEFINITION), mailer });
    const customer = handoff({ startAt: Date.now(), name: `Outage-${uniqueSuffix()}` });
    smtp.pause();
    try {
      await worker.runUntil(async () => {
        await env.client.workflow.start(customerLifecycleWorkflow, {
          workflowId: customerWorkflowId(customer.customerId),
          taskQueue,
          args: [{ handoff: customer }],
        });
        // Two failed attempts (the second after the 5 s initial backoff), then the relay is back.
        await until(
          'two failed attempts',
          async () => {
            const row = await database.prisma.emailOutbox.findFirst({ where: { customerId: customer.customerId } });
            return row !== null && row.attempts >= 2 && row.status === 'pending' && row;
          },
          30_000,
        );
        smtp.resume();
        await smtp.waitFor((m) => m.subject === `Step one for ${customer.name}`, 60_000);
        const row = await until('the outbox row marked sent', async () => {
          const found = await database.prisma.emailOutbox.findFirst({ where: { customerId: customer.customerId } });
          return found?.status === 'sent' && found;
        });
        expect(row.attempts).toBeGreaterThanOrEqual(2);
        expect(row.lastError).toBeNull();
      });
      expect(smtp.messages.filter((m) => m.subject === `Step one for ${customer.name}`)).toHaveLength(1);
    } finally {
      smtp.resume();
      mailer.close();
    }
  });
});
