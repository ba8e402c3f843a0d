/**
 * Moving running customers onto a published definition version (`cli lifecycle rollout`). Each
 * selected customer is sent the `adoptDefinition` update; its workflow loads the version, records
 * `{ from → to, roll-out id }` in its timeline and re-evaluates. The slice is a stable hash of the
 * customer id, so 10 % then 50 % grows the same slice; customers already on the version are
 * skipped, so a re-run finishes what an interrupted one left. A version published before the
 * customer's own is a downgrade, refused unless allowed (a roll-back says so).
 */
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { PrismaClient } from '../generated/prisma/client';
import type { AdoptDefinitionResult } from '../domain/definition-version';
import { mapWithConcurrency } from '../util/concurrency';
import { adoptDefinitionUpdate } from '../../workflows/messages';
import { loadDefinitionVersion, publishedAtOf } from './definition-store';

/** The running customers a roll-out or a status count looks at. */
export const RUNNING_CUSTOMERS = 'WorkflowType = "customerLifecycleWorkflow" AND ExecutionStatus = "Running"';

/** Where a customer id falls in 0..99, the same on every run and machine. */
export function slicePosition(customerId: string): number {
  return createHash('sha256').update(customerId).digest().readUInt32BE(0) % 100;
}

export const inSlice = (customerId: string, percent: number): boolean => slicePosition(customerId) < percent;

export function newRolloutId(now = new Date()): string {
  return `rollout-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

export interface RunningCustomer {
  workflowId: string;
  customerId: string;
  version: string | undefined;
}

export type RolloutOutcome =
  | { kind: 'adopted'; from: string; to: string }
  | { kind: 'already_on' }
  | { kind: 'downgrade_refused'; from: string }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'would_adopt'; from: string | undefined };

export interface RolloutPlan {
  rolloutId: string;
  version: string;
  query?: string;
  percent: number;
  by: string;
  dryRun: boolean;
  allowDowngrade: boolean;
}

export interface RolloutReport {
  rolloutId: string;
  selected: number;
  outcomes: { customer: RunningCustomer; outcome: RolloutOutcome }[];
  counts: Record<RolloutOutcome['kind'], number>;
}

/** Running customer workflows matching `query` (a visibility query, ANDed with running customers). */
export async function runningCustomers(client: Client, query: string | undefined, limit: number): Promise<RunningCustomer[]> {
  const found: RunningCustomer[] = [];
  for await (const execution of client.workflow.list({ query: query ? `${RUNNING_CUSTOMERS} AND (${query})` : RUNNING_CUSTOMERS })) {
    const attributes = execution.typedSearchAttributes.getAll();
    const value = (name: string) => attributes.find((pair) => pair.key.name === name)?.value;
    const customerId = value('CustomerId');
    const version = value('LifecycleVersion');
    found.push({
      workflowId: execution.workflowId,
      customerId: typeof customerId === 'string' ? customerId : execution.workflowId,
      version: typeof version === 'string' ? version : undefined,
    });
    if (found.length >= limit) break;
  }
  return found;
}

/** Customers per definition version among the running ones (`LifecycleVersion`). */
export async function customersPerVersion(client: Client, versions: string[]): Promise<{ perVersion: Map<string, number>; total: number }> {
  const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;
  const total = (await client.workflow.count(RUNNING_CUSTOMERS)).count;
  const perVersion = new Map<string, number>();
  await mapWithConcurrency(versions, 4, async (version) => {
    perVersion.set(version, (await client.workflow.count(`${RUNNING_CUSTOMERS} AND LifecycleVersion = ${quote(version)}`)).count);
  });
  return { perVersion, total };
}

/**
 * Carries out a roll-out over the customers given (already selected and sliced). `onProgress`
 * is told after each customer. A customer that cannot be reached is listed, never fatal.
 */
const PROGRESS_EVERY_MS = 1_000;
/** A roll-out that has told no customer for this long is taken for stopped (its command killed). */
export const ROLLOUT_STALLED_AFTER_MS = 5 * 60_000;

/** One roll-out not finished, in words: how far it got, and whether it still seems to run. */
export function describeUnfinishedRollout(
  rollout: {
    id: string;
    version: string;
    selected: number;
    done: number;
    startedAt: Date;
    startedBy: string;
    progressAt: Date | null;
    query: string | null;
    percent: number;
  },
  now = new Date(),
): string {
  const last = rollout.progressAt ?? rollout.startedAt;
  const idle = now.getTime() - last.getTime();
  const base = `${rollout.id}: ${rollout.version} (${rollout.done} of ${rollout.selected} told, started ${rollout.startedAt.toISOString()} by ${rollout.startedBy})`;
  if (idle < ROLLOUT_STALLED_AFTER_MS) return `${base}, in progress`;
  const again = [
    'lifecycle rollout',
    rollout.version,
    ...(rollout.query ? [`--customers '${rollout.query}'`] : []),
    ...(rollout.percent < 100 ? [`--percent ${rollout.percent}`] : []),
  ].join(' ');
  return `${base}, stalled: nothing for ${Math.round(idle / 60_000)} min, so its command probably stopped; \`${again}\` finishes it (customers already on the version are skipped)`;
}

export async function rollOut(
  deps: { client: Client; prisma: PrismaClient },
  plan: RolloutPlan,
  customers: RunningCustomer[],
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<RolloutReport> {
  const { client, prisma } = deps;
  // Unknown versions stop here, before any customer is told.
  await loadDefinitionVersion(prisma, plan.version);
  const published = await publishedAtOf(prisma, [plan.version, ...new Set(customers.flatMap((c) => (c.version ? [c.version] : [])))]);
  const target = published.get(plan.version)!;
  const isDowngrade = (from: string | undefined) => {
    const fromAt = from ? published.get(from) : undefined;
    // A version never published is older than versions were stored: moving off it is an upgrade.
    return fromAt !== undefined && target < fromAt;
  };
  if (!plan.dryRun) {
    await prisma.lifecycleRollout.create({
      data: { id: plan.rolloutId, version: plan.version, query: plan.query ?? null, percent: plan.percent, startedBy: plan.by, selected: customers.length },
    });
  }
  let done = 0;
  let recorded = Date.now();
  let recording: Promise<unknown> | undefined;
  const outcomes = await mapWithConcurrency(customers, 8, async (customer) => {
    const outcome = await adoptOne(client, plan, customer, isDowngrade(customer.version));
    onProgress(++done, customers.length);
    // Progress in the row, at most once a second: `status` tells a running roll-out from one whose
    // command was killed. A failed write only delays that; the roll-out goes on.
    if (!plan.dryRun && !recording && Date.now() - recorded >= PROGRESS_EVERY_MS) {
      recorded = Date.now();
      recording = prisma.lifecycleRollout
        .update({ where: { id: plan.rolloutId }, data: { done, progressAt: new Date(recorded) } })
        .catch(() => undefined)
        .finally(() => (recording = undefined));
    }
    return { customer, outcome };
  });
  await recording;
  const counts: RolloutReport['counts'] = { adopted: 0, already_on: 0, downgrade_refused: 0, unreachable: 0, refused: 0, would_adopt: 0 };
  for (const { outcome } of outcomes) counts[outcome.kind] += 1;
  if (!plan.dryRun) {
    await prisma.lifecycleRollout.update({
      where: { id: plan.rolloutId },
      data: {
        finishedAt: new Date(),
        done,
        progressAt: new Date(),
        adopted: counts.adopted,
        alreadyOn: counts.already_on,
        unreachable: counts.unreachable,
        refused: counts.refused + counts.downgrade_refused,
      },
    });
  }
  return { rolloutId: plan.rolloutId, selected: customers.length, outcomes, counts };
}

async function adoptOne(client: Client, plan: RolloutPlan, customer: RunningCustomer, downgrade: boolean): Promise<RolloutOutcome> {
  if (customer.version === plan.version) return { kind: 'already_on' };
  if (downgrade && !plan.allowDowngrade) return { kind: 'downgrade_refused', from: customer.version! };
  if (plan.dryRun) return { kind: 'would_adopt', from: customer.version };
  try {
    const result: AdoptDefinitionResult = await client.workflow
      .getHandle(customer.workflowId)
      .executeUpdate(adoptDefinitionUpdate, { args: [{ version: plan.version, rolloutId: plan.rolloutId, by: plan.by }] });
    return result.changed ? { kind: 'adopted', from: result.from, to: result.to } : { kind: 'already_on' };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { kind: 'unreachable', reason: 'closed or not found' };
    if (error instanceof WorkflowUpdateFailedError) return { kind: 'refused', reason: (error.cause as Error | undefined)?.message ?? error.message };
    const message = (error as Error).message ?? String(error);
    // A workflow that closed between the listing and the update.
    if (/workflow execution already completed|not found/i.test(message)) return { kind: 'unreachable', reason: message.split('\n')[0]! };
    return { kind: 'unreachable', reason: message.split('\n')[0]!.slice(0, 300) };
  }
}
