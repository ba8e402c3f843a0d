/**
 * The customer workflow's message surface. Signal, query and update names are written into
 * histories of customers that live for years: never rename one that has shipped.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export interface CustomerLifecycleInput {
  customerId: string;
  name: string;
}

/** An event from a customer system. `id` is the sender's idempotency key: a repeat changes nothing. */
export interface CustomerEvent {
  id: string;
  type: string;
  occurredAt: string;
}

export interface CustomerState {
  customerId: string;
  name: string;
  stage: string;
  startedAt: string;
  eventsApplied: number;
  /** Ids of events already applied, so a redelivered event is ignored. */
  seenEventIds: string[];
  onboardingReviewDone: boolean;
}

export const customerEventSignal = defineSignal<[CustomerEvent]>('customerEvent');
export const getStateQuery = defineQuery<CustomerState>('getState');
