/**
 * What an applied event implies for the read model beside the customer row and its timeline: a
 * survey response, a stakeholder's record, a change of contract term, an ARR movement. The
 * customer's workflow notes these as it applies each event, in order, and its activity writes them
 * (`activities/read-model.ts`); nothing else writes them for an event. ARR movements are measured
 * against the workflow's own ARR before the event, so concurrent contract changes (applied one at a
 * time by the one workflow) net out to the final ARR. Pure and sandbox-safe.
 */
import type { TCustomerEvent } from './customer-events';
import type { CustomerFacts } from './customer-facts';

export type ReadModelSourceEvent = Extract<TCustomerEvent, { type: 'survey' | 'stakeholder' | 'contract' }>;

export interface ArrMovementRow {
  kind: 'expansion' | 'contraction' | 'churn';
  amount: number;
}

/** One applied event's read-model rows: the event carries what they need. */
export interface ReadModelEvent {
  event: ReadModelSourceEvent;
  /** A contract event that moved the ARR of record. */
  arrMovement?: ArrMovementRow;
}

export function impliesReadModelRows(event: TCustomerEvent): event is ReadModelSourceEvent {
  return event.type === 'survey' || event.type === 'stakeholder' || event.type === 'contract';
}

/** The customer's ARR of record: its contract's ARR, 0 once churned. */
export function arrOfRecord(facts: Pick<CustomerFacts, 'arr' | 'contractStatus'>): number {
  return facts.contractStatus === 'churned' ? 0 : facts.arr;
}

/** The ARR component a contract event represents, against the ARR of record before it. */
export function arrMovement(event: Extract<TCustomerEvent, { type: 'contract' }>, before: number): ArrMovementRow | undefined {
  if (event.action === 'churned') return before > 0 ? { kind: 'churn', amount: before } : undefined;
  if (event.arr === undefined) return undefined;
  if (event.arr > before) return { kind: 'expansion', amount: event.arr - before };
  if (event.arr < before) return { kind: 'contraction', amount: before - event.arr };
  return undefined;
}

/** The rows of one event just applied; `arrBefore` is the ARR of record before it was applied. */
export function readModelEvent(event: ReadModelSourceEvent, arrBefore: number): ReadModelEvent {
  if (event.type !== 'contract') return { event };
  const movement = arrMovement(event, arrBefore);
  return movement ? { event, arrMovement: movement } : { event };
}
