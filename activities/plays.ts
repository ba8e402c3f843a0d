/**
 * The side effects of plays: email through the outbox, CSM tasks, signed webhooks, and the play
 * run's own record. Each takes an idempotency key (customer workflow + play run + step) and looks
 * it up first, so a retry, a worker killed mid-step or a replayed history does the work once
 * (email: but for the relay's answer time, where a second copy goes out marked; see sendPlayEmail).
 *
 * Errors: a transient fault (SMTP or the webhook target down) is a plain Error, which Temporal
 * retries with backoff; a permanent one is a non-retryable ApplicationFailure whose `type` the
 * play workflow tells apart.
 */
import { ApplicationFailure, asyncLocalStorage, type Context } from '@temporalio/activity';
import { EMAIL_OUTCOME_UNKNOWN, PERMANENT_EMAIL_FAILURE, type Mailer } from '../src/mail/transport';
import type { TWebhookTargets } from '../src/webhooks/webhook-config';
import { deliverWebhook, PERMANENT_WEBHOOK_FAILURE } from '../src/webhooks/deliver';
import type { Cause } from '../src/domain/lifecycle-state';
import type { PrismaClient } from '../src/generated/prisma/client';

export interface PlayActivityDeps {
  prisma: PrismaClient;
  mailer: Mailer;
  webhookTargets: TWebhookTargets;
}

export interface PlayEmailRequest {
  idempotencyKey: string;
  runId: string;
  customerId: string;
  stepId: string;
  to: string;
  recipientRole: string;
  subject: string;
  text: string;
  /** Workflow time when the step ran (after any quiet-hours wait). */
  plannedAt: string;
}

export interface CsmTaskRequest {
  idempotencyKey: string;
  runId: string;
  customerId: string;
  stepId: string;
  assignee: string;
  assigneeRole: string;
  title: string;
  detail: string;
  priority: string;
  dueAt: string;
  createdAt: string;
}

export interface PlayWebhookRequest {
  idempotencyKey: string;
  runId: string;
  customerId: string;
  stepId: string;
  target: string;
  event: string;
  payload: object;
}

export interface PlayRunRecord {
  runId: string;
  customerId: string;
  playId: string;
  playLabel: string;
  why: string;
  cause: Cause;
  definitionVersion: string;
  status: string;
  startedAt: string;
  endedAt?: string;
  steps: object[];
}

/** A Message-ID that is the same on every attempt, so a resend would be recognisable as one. */
export const messageIdFor = (idempotencyKey: string) => `<${idempotencyKey.replace(/[^A-Za-z0-9._-]+/g, '.')}@cs-lifecycle.invalid>`;

/** Marks a copy sent after an attempt whose outcome is unknown; its value is the (same) Message-ID. */
export const RESEND_OF_HEADER = 'X-CS-Resend-Of';

/** How often a running email attempt tells Temporal it is alive (see the heartbeat timeout in play-run.ts). */
const EMAIL_HEARTBEAT_INTERVAL_MS = 1_000;

/** The running activity's context, or none when an activity function is called outside a worker. */
const currentActivity = (): Context | undefined => asyncLocalStorage.getStore();

/**
 * Heartbeats until stopped, so a worker that dies mid-send is noticed within the heartbeat timeout
 * instead of the whole start-to-close timeout, and the retry comes that much sooner.
 */
function keepHeartbeating(): () => void {
  const context = currentActivity();
  if (!context) return () => undefined;
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), EMAIL_HEARTBEAT_INTERVAL_MS);
  return () => clearInterval(timer);
}

const causeIdOf = (cause: Cause): string | null => ('id' in cause ? cause.id : 'by' in cause ? cause.by : null);

export function createPlayActivities({ prisma, mailer, webhookTargets }: PlayActivityDeps) {
  async function sendThroughOutbox(email: PlayEmailRequest): Promise<{ status: 'sent' | 'already sent'; messageId: string }> {
    const messageId = messageIdFor(email.idempotencyKey);
    const existing = await prisma.emailOutbox.upsert({
      where: { idempotencyKey: email.idempotencyKey },
      create: {
        idempotencyKey: email.idempotencyKey,
        messageId,
        customerId: email.customerId,
        playRunId: email.runId,
        stepId: email.stepId,
        toAddress: email.to,
        recipientRole: email.recipientRole,
        subject: email.subject,
        body: email.text,
        plannedAt: new Date(email.plannedAt),
      },
      update: {},
    });
    if (existing.status === 'sent') return { status: 'already sent', messageId };
    // A reply still pending is an earlier attempt that sent its end of DATA and never heard back.
    const uncertainAt = existing.uncertainAt ?? existing.replyPendingAt;
    await prisma.emailOutbox.update({
      where: { id: existing.id },
      data: {
        attempts: { increment: 1 },
        lastAttemptAt: new Date(),
        ...(uncertainAt ? { uncertainAt, replyPendingAt: null, resends: { increment: 1 } } : {}),
      },
    });
    try {
      await mailer.send(
        {
          messageId: existing.messageId,
          to: existing.toAddress,
          subject: existing.subject,
          text: existing.body,
          ...(uncertainAt ? { headers: { [RESEND_OF_HEADER]: existing.messageId } } : {}),
        },
        {
          beforeEndOfData: async () => {
            await prisma.emailOutbox.update({ where: { id: existing.id }, data: { replyPendingAt: new Date() } });
          },
          signal: currentActivity()?.cancellationSignal,
        },
      );
    } catch (error) {
      const message = (error as Error).message;
      const permanent = (error as Error).name === PERMANENT_EMAIL_FAILURE;
      // An answer (a refusal) clears the pending reply; no answer after the end of DATA leaves it
      // set for the next attempt, exactly as a worker that died there would.
      const answered = (error as Error).name !== EMAIL_OUTCOME_UNKNOWN;
      await prisma.emailOutbox.update({
        where: { id: existing.id },
        data: { lastError: message.slice(0, 1000), ...(answered ? { replyPendingAt: null } : {}), ...(permanent ? { status: 'failed' } : {}) },
      });
      if (permanent) throw ApplicationFailure.create({ type: PERMANENT_EMAIL_FAILURE, message, nonRetryable: true });
      throw error;
    }
    await prisma.emailOutbox.update({
      where: { id: existing.id },
      data: { status: 'sent', sentAt: new Date(), lastError: null, replyPendingAt: null },
    });
    return { status: 'sent', messageId };
  }

  return {
    async recordPlayRun(run: PlayRunRecord): Promise<void> {
      const row = {
        customerId: run.customerId,
        playId: run.playId,
        playLabel: run.playLabel,
        why: run.why,
        causeType: run.cause.type,
        causeId: causeIdOf(run.cause),
        definitionVersion: run.definitionVersion,
        status: run.status,
        steps: JSON.parse(JSON.stringify(run.steps)),
        startedAt: new Date(run.startedAt),
        endedAt: run.endedAt ? new Date(run.endedAt) : null,
      };
      await prisma.playRun.upsert({ where: { id: run.runId }, create: { id: run.runId, ...row }, update: row });
    },

    /**
     * Sends one email, and never an unmarked second copy. The outbox row is written first; a row
     * already marked sent returns without sending. What remains is the relay's answer time: from the
     * end of DATA until the row is marked sent, a dead worker (or a dropped connection) leaves it
     * unknown whether the relay took the message. The row records that moment (`replyPendingAt`,
     * written before the end of DATA goes out), so the next attempt knows and sends the copy marked
     * `X-CS-Resend-Of` with the same Message-ID (`uncertainAt`, `resends`) instead of a blind resend.
     * An attempt that died before the end of DATA left nothing at the relay: its retry is a plain send.
     */
    async sendPlayEmail(email: PlayEmailRequest): Promise<{ status: 'sent' | 'already sent'; messageId: string }> {
      const stopHeartbeats = keepHeartbeating();
      try {
        return await sendThroughOutbox(email);
      } finally {
        stopHeartbeats();
      }
    },

    async createCsmTask(task: CsmTaskRequest): Promise<{ taskId: string; created: boolean }> {
      const created = await prisma.csmTask.createMany({
        data: [
          {
            idempotencyKey: task.idempotencyKey,
            customerId: task.customerId,
            playRunId: task.runId,
            stepId: task.stepId,
            assignee: task.assignee,
            assigneeRole: task.assigneeRole,
            title: task.title,
            detail: task.detail,
            priority: task.priority,
            dueAt: new Date(task.dueAt),
            createdAt: new Date(task.createdAt),
          },
        ],
        skipDuplicates: true,
      });
      const row = await prisma.csmTask.findUniqueOrThrow({ where: { idempotencyKey: task.idempotencyKey }, select: { id: true } });
      return { taskId: row.id, created: created.count === 1 };
    },

    /** Posts once per key; an unconfigured target is recorded as skipped, not retried forever. */
    async sendPlayWebhook(request: PlayWebhookRequest): Promise<{ status: 'delivered' | 'already delivered' | 'skipped' }> {
      const target = webhookTargets[request.target];
      const existing = await prisma.webhookDelivery.upsert({
        where: { idempotencyKey: request.idempotencyKey },
        create: {
          idempotencyKey: request.idempotencyKey,
          customerId: request.customerId,
          playRunId: request.runId,
          stepId: request.stepId,
          target: request.target,
          event: request.event,
          payload: JSON.parse(JSON.stringify(request.payload)),
          status: target ? 'pending' : 'skipped',
          ...(target ? {} : { lastError: `no webhook target "${request.target}" configured (WEBHOOK_TARGETS)` }),
        },
        update: {},
      });
      if (existing.status === 'delivered') return { status: 'already delivered' };
      if (!target || existing.status === 'skipped') return { status: 'skipped' };
      await prisma.webhookDelivery.update({ where: { id: existing.id }, data: { attempts: { increment: 1 } } });
      try {
        const result = await deliverWebhook({
          target,
          idempotencyKey: request.idempotencyKey,
          event: request.event,
          payload: request.payload,
        });
        await prisma.webhookDelivery.update({
          where: { id: existing.id },
          data: { status: 'delivered', deliveredAt: new Date(), responseStatus: result.status, lastError: null },
        });
        return { status: 'delivered' };
      } catch (error) {
        const message = (error as Error).message;
        const permanent = (error as Error).name === PERMANENT_WEBHOOK_FAILURE;
        await prisma.webhookDelivery.update({
          where: { id: existing.id },
          data: { lastError: message.slice(0, 1000), ...(permanent ? { status: 'failed' } : {}) },
        });
        if (permanent) throw ApplicationFailure.create({ type: PERMANENT_WEBHOOK_FAILURE, message, nonRetryable: true });
        throw error;
      }
    },
  };
}

export type PlayActivities = ReturnType<typeof createPlayActivities>;
