/**
 * The state one run of a customer's workflow hands to the next at continue-as-new, and the one
 * place that reads it back. A customer lives for years, so a run may be handed a state written by
 * any version that ever shipped: `fromCarried` reads every one of them, `toCarried` writes today's.
 *
 * Versions:
 * - 1: no `carriedVersion`, the working `LifecycleState` as it was. Fields were only ever added,
 *   optional, each meaning "the rule of before" when absent, and so are kept absent here: `plays`
 *   (before plays), `seedRules` (before `seed-rules-v1`; renewal rungs then had per-contract-end ids,
 *   `renewal:<rung>:<date>`, which the rules still recognise), the facts' `contractTerm`,
 *   `termStartedAt`, `contractEnds`, `championLeftAt` and `engagementRecorded`, the health's
 *   `knownWeight` and `conditions`, an exit item's `late`. Handoffs from before plays have no
 *   `objections` or `competitors`: read as none, which is what the play rules made of them.
 * - 2: version 1's fields, tagged `carriedVersion: 2`. The tag is the whole difference, on purpose:
 *   a worker still on the old code during a deploy takes a version-2 state as it is.
 *
 * A state that is none of these fails the run's first workflow task with `CarriedStateError`;
 * Temporal retries the task, so the customer waits for a fix instead of starting over. Sandbox-safe.
 */
import { z } from 'zod';
import type { TCustomerHandoff } from './customer-events';
import { STAGE_IDS } from './conditions';
import type { LifecycleState } from './lifecycle-state';

export const CARRIED_VERSION = 2;

/** A handoff as carried: from before plays, without what sales learned (objections, competitors). */
export type CarriedHandoff = Omit<TCustomerHandoff, 'objections' | 'competitors'> & Partial<Pick<TCustomerHandoff, 'objections' | 'competitors'>>;
/** Every unversioned state that has shipped (see the module comment). */
export type CarriedStateV1 = Omit<LifecycleState, 'handoff'> & { handoff: CarriedHandoff; carriedVersion?: undefined };
export type CarriedStateV2 = LifecycleState & { carriedVersion: typeof CARRIED_VERSION };
export type CarriedState = CarriedStateV1 | CarriedStateV2;

/** The carried input is not a state any version of the workflow wrote. */
export class CarriedStateError extends Error {
  override readonly name = 'CarriedStateError';
}

// The spine every version shares, checked before anything reads it. Only the spine: the deep shape
// is the reducers' own, and the state is handed on exactly as the last run carried it, key for key,
// so a continued run behaves as the run before would have. Bounds are sanity limits far above what
// the reducers keep (the timeline keeps 100 entries), so that no customer that ran is refused.
const ZTime = z.string().min(1).max(100);
const ZText = z.string().max(100_000);
const ZSpine = z.looseObject({
  handoff: z.looseObject({ customerId: z.string().min(1).max(1_000), name: ZText, contractStart: ZTime, contractEnd: ZTime }),
  facts: z.looseObject({
    customerId: z.string().min(1).max(1_000),
    name: ZText,
    arr: z.number(),
    contractStart: ZTime,
    contractEnd: ZTime,
    contractStatus: z.enum(['active', 'churned']),
    csmOwner: ZText,
    milestones: z.record(z.string(), ZTime),
    stakeholders: z.record(z.string(), z.looseObject({ name: ZText, role: ZText, engaged: z.boolean() })),
    openTickets: z.record(z.string(), z.looseObject({ severity: ZText })),
    surveys: z.looseObject({}),
    dailyLogins: z.record(z.string(), z.number()),
    keyFeaturesUsed: z.array(ZText).max(100_000),
    highSeverityOpenedAt: z.array(ZTime).max(100_000),
    successCriteria: z.array(ZText).max(10_000),
    goals: z.array(ZText).max(10_000),
    payment: z.enum(['current', 'late', 'failed']),
  }),
  segment: ZText,
  stage: z.enum(STAGE_IDS),
  stageEnteredAt: ZTime,
  sla: z.enum(['on_track', 'behind', 'stuck']),
  exit: z.looseObject({ required: z.array(z.looseObject({})).max(10_000), optional: z.array(z.looseObject({})).max(10_000), ready: z.boolean() }),
  health: z.looseObject({ model: ZText, dimensions: z.array(z.looseObject({})).max(10_000), at: ZTime }).nullable(),
  healthHistory: z.array(z.looseObject({ at: ZTime, score: z.number() })).max(1_000_000),
  timeline: z.array(z.looseObject({ seq: z.number(), at: ZTime, kind: ZText, summary: ZText })).max(100_000),
  nextSeq: z.number().int().min(1),
  firedTimers: z.record(z.string(), ZTime),
  seenEventIds: z.record(z.string(), ZTime),
  definitionVersion: ZText,
  plays: z.looseObject({ nextRun: z.number().int(), active: z.array(z.looseObject({})).max(100_000), history: z.looseObject({}) }).optional(),
  seedRules: z.boolean().optional(),
});

const describeIssues = (error: z.ZodError) =>
  error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(state)'}: ${issue.message}`)
    .join('; ');

/** The working state from whatever a previous run carried (any version that shipped). */
export function fromCarried(carried: unknown): LifecycleState {
  if (typeof carried !== 'object' || carried === null || Array.isArray(carried)) throw new CarriedStateError('the carried state is not an object');
  const version = (carried as { carriedVersion?: unknown }).carriedVersion ?? 1;
  if (version !== 1 && version !== CARRIED_VERSION) {
    // A newer worker wrote it and this one was rolled back: better to wait than to misread it.
    throw new CarriedStateError(`carried state version ${String(version).slice(0, 20)} is not one this worker reads (1 to ${CARRIED_VERSION})`);
  }
  const checked = ZSpine.safeParse(carried);
  if (!checked.success) throw new CarriedStateError(`the carried state (version ${version}) is malformed: ${describeIssues(checked.error)}`);
  if (version === CARRIED_VERSION) {
    const { carriedVersion: _version, ...state } = carried as CarriedStateV2;
    return state;
  }
  const v1 = carried as CarriedStateV1;
  return { ...v1, handoff: { ...v1.handoff, objections: v1.handoff.objections ?? [], competitors: v1.handoff.competitors ?? [] } };
}

/** What this run carries to the next: today's version. */
export function toCarried(state: LifecycleState): CarriedStateV2 {
  return { carriedVersion: CARRIED_VERSION, ...state };
}
