/**
 * Activities: the only place side effects happen. Built by a factory over real dependencies so tests
 * pass a Prisma client bound to their own database. Every write carries an idempotency key derived
 * from the workflow id and the workflow's own sequence numbers, so a retried or replayed activity
 * never writes twice (a duplicate key is skipped, not an error).
 */
import type { Cause, Changes, HealthSnapshot } from '../src/domain/lifecycle-state';
import type { TLifecycleDefinition } from '../src/domain/lifecycle-definition';
import type { PrismaClient } from '../src/generated/prisma/client';
import type { Mailer } from '../src/mail/transport';
import type { TWebhookTargets } from '../src/webhooks/webhook-config';
import { createPlayActivities } from './plays';

export interface ActivityDeps {
  prisma: PrismaClient;
  /** Validated once when the worker starts. */
  definition: TLifecycleDefinition;
  /** SMTP for play emails. */
  mailer: Mailer;
  /** Named webhook targets for play steps (`WEBHOOK_TARGETS`); a step naming another is skipped. */
  webhookTargets: TWebhookTargets;
}

export interface CustomerSnapshot {
  customerId: string;
  name: string;
  segment: string;
  arr: number;
  csmOwner: string;
  contractStart: string;
  contractEnd: string;
  contractStatus: string;
}

export interface LifecycleChanges extends Omit<Changes, 'occurrences'> {
  workflowId: string;
  facts: CustomerSnapshot;
  stage: string;
  /** The current score for the customer row; the full snapshot travels only in `healthSnapshot`, when it changed. */
  health: Pick<HealthSnapshot, 'score' | 'band' | 'definitionVersion'> | null;
}

export function createActivities({ prisma, definition, mailer, webhookTargets }: ActivityDeps) {
  return {
    ...createPlayActivities({ prisma, mailer, webhookTargets }),

    /** The worker's lifecycle definition (a local activity, so it lands in the workflow's history). */
    async loadLifecycleDefinition(): Promise<TLifecycleDefinition> {
      return definition;
    },

    /** Writes one evaluation's changes and the customer's current row; returns rows newly written. */
    async recordLifecycleChanges(changes: LifecycleChanges): Promise<{ entries: number; stageMoves: number; health: number }> {
      const { workflowId, facts } = changes;
      const customerId = facts.customerId;
      return prisma.$transaction(async (tx) => {
        const current = {
          name: facts.name,
          segment: facts.segment,
          arr: facts.arr,
          csmOwner: facts.csmOwner,
          contractStart: new Date(facts.contractStart),
          contractEnd: new Date(facts.contractEnd),
          contractStatus: facts.contractStatus,
          stage: changes.stage,
          healthScore: changes.health?.score ?? null,
          healthBand: changes.health?.band ?? null,
        };
        await tx.customer.upsert({ where: { id: customerId }, create: { id: customerId, ...current }, update: current });
        const entries = await tx.timelineEntry.createMany({
          data: changes.entries.map((entry) => ({
            customerId,
            idempotencyKey: `${workflowId}:timeline:${entry.seq}`,
            kind: entry.kind,
            summary: entry.summary,
            causeType: entry.cause.type,
            causeId: causeId(entry.cause),
            definitionVersion: entry.definitionVersion,
            occurredAt: new Date(entry.at),
            detail: entry.detail ?? {},
          })),
          skipDuplicates: true,
        });
        const stageMoves = await tx.stageTransition.createMany({
          data: changes.stageMoves.map((move) => ({
            customerId,
            idempotencyKey: `${workflowId}:stage:${move.seq}`,
            fromStage: move.from,
            toStage: move.to,
            causeType: move.cause.type,
            causeId: causeId(move.cause),
            reason: move.reason,
            definitionVersion: changes.health?.definitionVersion ?? definition.version,
            occurredAt: new Date(move.at),
          })),
          skipDuplicates: true,
        });
        const snapshot = changes.healthSnapshot;
        const health = snapshot
          ? await tx.healthSnapshot.createMany({
              data: [
                {
                  customerId,
                  idempotencyKey: `${workflowId}:health:${snapshot.at}`,
                  score: snapshot.score,
                  band: snapshot.band,
                  trend: snapshot.trend,
                  model: snapshot.model,
                  contributions: JSON.parse(JSON.stringify(snapshot.dimensions)),
                  missing: snapshot.missing,
                  definitionVersion: snapshot.definitionVersion,
                  computedAt: new Date(snapshot.at),
                },
              ],
              skipDuplicates: true,
            })
          : { count: 0 };
        return { entries: entries.count, stageMoves: stageMoves.count, health: health.count };
      });
    },
  };
}

/** The event, timer or rule id, or who overrode: what a reader follows to find the cause. */
function causeId(cause: Cause): string | null {
  if ('id' in cause) return cause.id;
  if ('by' in cause) return cause.by;
  return null;
}

export type LifecycleActivities = ReturnType<typeof createActivities>;
