/**
 * The side effects of plays: email through the outbox, CSM tasks, signed webhooks, and the play
 * run's own record. Each takes an idempotency key (customer workflow + play run + step) and looks
 * it up first, so a retry, a worker killed mid-step or a replayed history does the work once.
 *
 * Errors: a transient fault (SMTP or the webhook target down) is a plain Error, which Temporal
 * retries with backoff; a permanent one is a non-retryable ApplicationFailure whose `type` the
 * play workflow tells apart.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Mailer } from '../src/mail/transport';
import type { TWebhookTargets } from '../src/webhooks/webhook-config';
import { deliverWebhook } from '../src/webhooks/deliver';
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
export const messageIdFor = (idempotencyKey: string) =>
  `<${idempotencyKey.replace(/[^A-Za-z0-9._-]+/g, '.')}@cs-lifecycle.invalid>`;

const causeIdOf = (cause: Cause): string | null => ('id' in cause ? cause.id : 'by' in cause ? cause.by : null);

export function createPlayActivities({ prisma, mailer, webhookTargets }: PlayActivityDeps) {
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
     * Sends one email at most once: the outbox row is written first; a row already marked sent
     * returns without sending. The only window left is between the SMTP server's acceptance and the
     * row's update (milliseconds); the stable Message-ID makes a resend there recognisable.
     */
    async sendPlayEmail(email: PlayEmailRequest): Promise<{ status: 'sent' | 'already sent'; messageId: string }> {
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
      await prisma.emailOutbox.update({ where: { id: existing.id }, data: { attempts: { increment: 1 } } });
      try {
        await mailer.send({ messageId, to: existing.toAddress, subject: existing.subject, text: existing.body });
      } catch (error) {
        const message = (error as Error).message;
        const permanent = (error as Error).name === 'PermanentEmailFailure';
        await prisma.emailOutbox.update({
          where: { id: existing.id },
          data: { lastError: message.slice(0, 1000), ...(permanent ? { status: 'failed' } : {}) },
        });
        if (permanent) throw ApplicationFailure.create({ type: 'PermanentEmailFailure', message, nonRetryable: true });
        throw error;
      }
      await prisma.emailOutbox.update({ where: { id: existing.id }, data: { status: 'sent', sentAt: new Date(), lastError: null } });
      return { status: 'sent', messageId };
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
        const permanent = (error as Error).name === 'PermanentWebhookFailure';
        await prisma.webhookDelivery.update({
          where: { id: existing.id },
          data: { lastError: message.slice(0, 1000), ...(permanent ? { status: 'failed' } : {}) },
        });
        if (permanent) throw ApplicationFailure.create({ type: 'PermanentWebhookFailure', message, nonRetryable: true });
        throw error;
      }
    },
  };
}

export type PlayActivities = ReturnType<typeof createPlayActivities>;
