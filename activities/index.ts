/**
 * Activities: the only place side effects happen. Built by a factory over real dependencies so tests
 * pass a Prisma client bound to their own database. Every write carries an idempotency key derived
 * from the workflow id and the workflow's own sequence numbers, so a retried or replayed activity
 * never writes twice (a duplicate key is skipped, not an error).
 */
import type { Cause, Changes, HealthSnapshot } from '../src/domain/lifecycle-state';
import type { TLifecycleDefinition } from '../src/domain/lifecycle-definition';
import type { CustomerRow, LifecycleWrite } from '../src/domain/lifecycle-step';
import { unpackWrite, type PackedWrite } from '../src/domain/packed-write';
import type { PrismaClient } from '../src/generated/prisma/client';
import type { Mailer } from '../src/mail/transport';
import type { TWebhookTargets } from '../src/webhooks/webhook-config';
import { ApplicationFailure } from '@temporalio/common';
import { currentVersion, findDefinition } from '../src/lifecycle/definition-store';
import { createPlayActivities } from './plays';
import { writeReadModelRows } from './read-model';

export interface ActivityDeps {
  prisma: PrismaClient;
  /** Validated once when the worker starts. */
  definition: TLifecycleDefinition;
  /** SMTP for play emails. */
  mailer: Mailer;
  /** Named webhook targets for play steps (`WEBHOOK_TARGETS`); a step naming another is skipped. */
  webhookTargets: TWebhookTargets;
  /** What this deployment adds to every definition it loads (the pages' address: not part of a version's content). */
  decorate?: (definition: TLifecycleDefinition) => TLifecycleDefinition;
}

/** Which definition a run asks for: none (a new customer: the current version) or the one it is pinned to. */
export interface DefinitionRequest {
  version?: string;
  /** Refuse an unpublished version (a roll-out) instead of falling back to the worker's own. */
  strict?: boolean;
}

const CURRENT_VERSION_TTL_MS = 10_000;

/** A roll-out named a version nobody published. */
export const UNKNOWN_DEFINITION_VERSION = 'UnknownDefinitionVersion';

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

export function createActivities({ prisma, definition, mailer, webhookTargets, decorate = (d) => d }: ActivityDeps) {
  // A version's content never changes once published: each is read from the database once.
  const published = new Map<string, TLifecycleDefinition>();
  const publishedVersion = async (version: string): Promise<TLifecycleDefinition | undefined> => {
    const cached = published.get(version);
    if (cached) return cached;
    const found = await findDefinition(prisma, version);
    if (found) published.set(version, decorate(found));
    return published.get(version);
  };
  // Which version is current changes rarely; every new customer asking the database would queue
  // behind the portfolio's writes (on PGlite, one session). A newly published current version
  // reaches new customers within this long.
  let current: { version: string | undefined; until: number } | undefined;
  const currentPublished = async (): Promise<string | undefined> => {
    if (current && Date.now() < current.until) return current.version;
    current = { version: (await currentVersion(prisma))?.version, until: Date.now() + CURRENT_VERSION_TTL_MS };
    return current.version;
  };
  return {
    ...createPlayActivities({ prisma, mailer, webhookTargets }),

    /**
     * The definition a run judges its customer by (a local activity, so its content lands in the
     * workflow's history and replays see the same rules). Asked for none, the current published
     * version (what new customers start on); asked for a version, that one (a customer keeps its
     * version across continue-as-new). A version never published (a customer from before versions
     * were stored) runs on the worker's own definition, as it always did, unless `strict`.
     */
    async loadLifecycleDefinition(request: DefinitionRequest = {}): Promise<TLifecycleDefinition> {
      const wanted = request.version ?? (await currentPublished());
      if (wanted === undefined || wanted === definition.version) return definition;
      const found = await publishedVersion(wanted);
      if (found) return found;
      if (request.strict) {
        throw ApplicationFailure.nonRetryable(`no lifecycle definition version ${wanted} is published`, UNKNOWN_DEFINITION_VERSION);
      }
      return definition;
    },

    /**
     * Writes one evaluation's changes and the customer's row; returns rows newly written. Takes the
     * lean step's write (`writeVersion: 2`: only the row fields that changed, and the read-model
     * rows of the events it applied) and, for activities scheduled by runs before it, the older
     * shape that carried the whole row every time; packed into bytes (`packed-write.ts`) since
     * 2026-12-04, as JSON before.
     */
    async recordLifecycleChanges(
      input: LifecycleChanges | LifecycleWrite | PackedWrite,
    ): Promise<{ entries: number; stageMoves: number; health: number; readModelEvents?: number }> {
      const changes = normaliseWrite(unpackWrite(input));
      const { workflowId, customerId } = changes;
      return prisma.$transaction(async (tx) => {
        if (changes.row) {
          const row = rowData(changes.row);
          if (changes.rowComplete) {
            await tx.customer.upsert({ where: { id: customerId }, create: { id: customerId, ...(row as Required<typeof row>) }, update: row });
          } else {
            await tx.customer.updateMany({ where: { id: customerId }, data: row });
          }
        }
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
            definitionVersion: changes.definitionVersion ?? definition.version,
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
        // After the row: a customer's first write may create it, and these rows reference it.
        const readModelEvents = await writeReadModelRows(tx, customerId, changes.readModel ?? []);
        return { entries: entries.count, stageMoves: stageMoves.count, health: health.count, ...(changes.readModel ? { readModelEvents } : {}) };
      }, WRITE_TRANSACTION);
    },
  };
}

/**
 * A portfolio's customers write at once when they start (a demo seed, an import): with Prisma's
 * defaults (2 s to get a pooled connection, 5 s to finish) a busy moment failed the activity with
 * P2028 and every customer waited out its retry back-off. Waiting longer here is cheaper, and the
 * activity still fails (and is retried) when PostgreSQL is really away.
 */
const WRITE_TRANSACTION = { maxWait: 10_000, timeout: 20_000 };

/** Either shape of write, as the lean step's: the older one always carried the whole row. */
function normaliseWrite(input: LifecycleChanges | LifecycleWrite): Omit<LifecycleWrite, 'definitionVersion'> & { definitionVersion?: string } {
  if ('writeVersion' in input) return input;
  const { facts, stage, health, workflowId, entries, stageMoves, healthSnapshot } = input;
  const { customerId, ...rest } = facts;
  return {
    writeVersion: 2,
    workflowId,
    customerId,
    definitionVersion: health?.definitionVersion,
    entries,
    stageMoves,
    ...(healthSnapshot ? { healthSnapshot } : {}),
    row: { ...rest, stage, healthScore: health?.score ?? null, healthBand: health?.band ?? null },
    rowComplete: true,
  };
}

/** The row's fields as Prisma takes them (dates as dates); only those present. */
function rowData(row: Partial<CustomerRow>) {
  return {
    ...(row.name !== undefined ? { name: row.name } : {}),
    ...(row.segment !== undefined ? { segment: row.segment } : {}),
    ...(row.arr !== undefined ? { arr: row.arr } : {}),
    ...(row.csmOwner !== undefined ? { csmOwner: row.csmOwner } : {}),
    ...(row.contractStart !== undefined ? { contractStart: new Date(row.contractStart) } : {}),
    ...(row.contractEnd !== undefined ? { contractEnd: new Date(row.contractEnd) } : {}),
    ...(row.contractStatus !== undefined ? { contractStatus: row.contractStatus } : {}),
    ...(row.stage !== undefined ? { stage: row.stage } : {}),
    ...(row.healthScore !== undefined ? { healthScore: row.healthScore } : {}),
    ...(row.healthBand !== undefined ? { healthBand: row.healthBand } : {}),
  };
}

/** The event, timer or rule id, or who overrode: what a reader follows to find the cause. */
function causeId(cause: Cause): string | null {
  if ('id' in cause) return cause.id;
  if ('by' in cause) return cause.by;
  return null;
}

export type LifecycleActivities = ReturnType<typeof createActivities>;
