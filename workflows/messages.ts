/**
 * The customer workflow's message surface. Signal, query and update names are written into
 * histories of customers that live for years: never rename one that has shipped.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TCsmSentiment, TCustomerEvent, TCustomerHandoff, TStageOverride } from '../src/domain/customer-events';
import type { LifecycleState, TimelineEntry } from '../src/domain/lifecycle-state';
import type { HealthSnapshot } from '../src/domain/lifecycle-state';
import type { PlannedTimer } from '../src/domain/timer-plan';

export interface CustomerLifecycleInput {
  handoff: TCustomerHandoff;
  /** State carried over by continue-as-new; absent on the first run. */
  carried?: LifecycleState;
}

/** One event; its `id` is the sender's idempotency key: a repeat changes nothing. */
export const customerEventSignal = defineSignal<[TCustomerEvent]>('customerEvent');
/** Several events in one signal, so senders can aggregate instead of flooding the workflow. */
export const customerEventsSignal = defineSignal<[TCustomerEvent[]]>('customerEvents');

export const overrideStageUpdate = defineUpdate<LifecycleState['stage'], [TStageOverride]>('overrideStage');
export const recordCsmSentimentUpdate = defineUpdate<HealthSnapshot | null, [TCsmSentiment]>('recordCsmSentiment');

export const getStateQuery = defineQuery<LifecycleState>('getState');
export const getHealthQuery = defineQuery<HealthSnapshot | null>('getHealth');
export const getTimelineQuery = defineQuery<TimelineEntry[]>('getTimeline');
export const getUpcomingTimersQuery = defineQuery<PlannedTimer[]>('getUpcomingTimers');
