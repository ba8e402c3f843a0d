/**
 * One long-running workflow per customer. This first slice proves the wiring end to end (signal,
 * query, durable timer, search attributes, an activity that writes through Prisma); the stage
 * machine, health and plays grow from here. Deterministic only: every side effect is an activity.
 */
import { condition, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { CustomerIdKey, StageKey } from '../src/domain/search-attributes';
import {
  customerEventSignal,
  getStateQuery,
  type CustomerEvent,
  type CustomerLifecycleInput,
  type CustomerState,
} from './messages';

const { recordTimelineEntry } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** The seeds' "first value within 90 days" review point, until lifecycle definitions own timers. */
const ONBOARDING_REVIEW_AFTER = '90 days';

export async function customerLifecycleWorkflow(input: CustomerLifecycleInput): Promise<void> {
  const state: CustomerState = {
    customerId: input.customerId,
    name: input.name,
    stage: 'onboarding',
    startedAt: new Date().toISOString(),
    eventsApplied: 0,
    seenEventIds: [],
    onboardingReviewDone: false,
  };
  const pending: CustomerEvent[] = [];

  setHandler(getStateQuery, () => state);
  setHandler(customerEventSignal, (event) => {
    // Marked seen on acceptance, not after it is applied: a repeat that arrives while the first
    // copy is still being recorded must not queue a second copy.
    if (state.seenEventIds.includes(event.id)) return;
    state.seenEventIds.push(event.id);
    pending.push(event);
  });

  upsertSearchAttributes({ [CustomerIdKey.name]: [input.customerId], [StageKey.name]: [state.stage] });
  const workflowId = workflowInfo().workflowId;

  const reviewTimer = sleep(ONBOARDING_REVIEW_AFTER).then(() => 'review' as const);
  let reviewPending = true;
  for (;;) {
    const woke = await Promise.race([
      condition(() => pending.length > 0).then(() => 'event' as const),
      ...(reviewPending ? [reviewTimer] : []),
    ]);
    if (woke === 'review') {
      reviewPending = false;
      await recordTimelineEntry({
        customerId: state.customerId,
        customerName: state.name,
        idempotencyKey: `${workflowId}:timer:onboarding-review`,
        kind: 'timer.onboarding-review',
        occurredAt: new Date().toISOString(),
        detail: { after: ONBOARDING_REVIEW_AFTER },
      });
      state.onboardingReviewDone = true;
      continue;
    }
    const event = pending.shift()!;
    await recordTimelineEntry({
      customerId: state.customerId,
      customerName: state.name,
      idempotencyKey: `${workflowId}:event:${event.id}`,
      kind: `event.${event.type}`,
      occurredAt: event.occurredAt,
      detail: { eventId: event.id },
    });
    state.eventsApplied += 1;
  }
}
