/**
 * The customer workflow's message surface. Signal, query and update names are written into
 * histories of customers that live for years: never rename one that has shipped.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TCsmSentiment, TCustomerEvent, TCustomerHandoff, TStageOverride } from '../src/domain/customer-events';
import type { CarriedState, CarriedStateV2 } from '../src/domain/carried-state';
import type { CustomerView } from '../src/domain/customer-view';
import type { LifecycleState, TimelineEntry } from '../src/domain/lifecycle-state';
import type { HealthSnapshot } from '../src/domain/lifecycle-state';
import type { PlannedTimer } from '../src/domain/timer-plan';
import type { AdoptDefinitionResult, TAdoptDefinition } from '../src/domain/definition-version';
import type { TPlay, TPlaySettings } from '../src/plays/definition';
import type { PlayCustomerContext } from '../src/plays/customer-context';
import type { PlayOutcome } from '../src/plays/interpreter';
import type { PlayObservation } from '../src/plays/observations';
import type { Cause } from '../src/domain/lifecycle-state';

/** What a query answers in the moment a new customer's workflow loads its definition (retry soon). */
export const CUSTOMER_STARTING = 'the customer is still starting; ask again in a moment';

export interface CustomerLifecycleInput {
  handoff: TCustomerHandoff;
  /** State carried over by continue-as-new, in any version that shipped (see `fromCarried`); absent on the first run. */
  carried?: CarriedState;
}

/** One event; its `id` is the sender's idempotency key: a repeat changes nothing. */
export const customerEventSignal = defineSignal<[TCustomerEvent]>('customerEvent');
/** Several events in one signal, so senders can aggregate instead of flooding the workflow. */
export const customerEventsSignal = defineSignal<[TCustomerEvent[]]>('customerEvents');

export const overrideStageUpdate = defineUpdate<LifecycleState['stage'], [TStageOverride]>('overrideStage');
export const recordCsmSentimentUpdate = defineUpdate<HealthSnapshot | null, [TCsmSentiment]>('recordCsmSentiment');
/** A roll-out: judge this customer by another published definition version from now on (see `lifecycle rollout`). */
export const adoptDefinitionUpdate = defineUpdate<AdoptDefinitionResult, [TAdoptDefinition]>('adoptDefinition');

/**
 * What readers are shown (the API, the CLI, the pages): the customer view, not the working state,
 * so the state's shape can change without changing theirs. The name is older than the view.
 */
export const getStateQuery = defineQuery<CustomerView>('getState');
/** The state as this run would carry it on: for tests and debugging, not for readers. */
export const getCarriedStateQuery = defineQuery<CarriedStateV2>('getCarriedState');
export const getHealthQuery = defineQuery<HealthSnapshot | null>('getHealth');
export const getTimelineQuery = defineQuery<TimelineEntry[]>('getTimeline');
export const getUpcomingTimersQuery = defineQuery<PlannedTimer[]>('getUpcomingTimers');

/** A play run's end, reported by the play to its customer's workflow (whichever run is current). */
export interface PlayFinished {
  runId: string;
  playId: string;
  outcome: PlayOutcome;
  at: string;
}
export { PLAY_OUTCOMES, ZPlayFinished, type PlayOutcome } from '../src/plays/interpreter';
export const playFinishedSignal = defineSignal<[PlayFinished]>('playFinished');

export interface PlayRunInput {
  runId: string;
  play: TPlay;
  why: string;
  cause: Cause;
  customer: PlayCustomerContext;
  settings: TPlaySettings;
  /** The play's goal already held when it started: its steps are skipped. Absent in older runs. */
  goalMet?: boolean;
}
/** What the customer's workflow tells a running play: a milestone it waits for, its goal reached. */
export const playObservationSignal = defineSignal<[PlayObservation]>('playObservation');
/** Where a play run is: the step it is on and what each finished step did. */
export const getPlayProgressQuery = defineQuery<PlayProgress>('getPlayProgress');
export interface PlayProgress {
  current?: string;
  steps: PlayStepResult[];
  outcome?: PlayOutcome;
}
export interface PlayStepResult {
  stepId: string;
  kind: string;
  result: string;
  at: string;
}
