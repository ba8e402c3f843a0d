/**
 * A customer's life driven through the pure lifecycle steps (no workflow, no server): the same order
 * the workflow uses — apply events, fire due timers, evaluate, plan plays — so stories about the
 * default definition run in milliseconds and read like the issue that asked for them.
 */
import type { TCustomerEvent, TCustomerHandoff } from '../../src/domain/customer-events';
import { ZCustomerHandoff } from '../../src/domain/customer-events';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import type { TLifecycleDefinition } from '../../src/domain/lifecycle-definition';
import {
  applyCustomerEvent,
  emptyChanges,
  evaluate,
  fireTimer,
  initialState,
  pendingTimers,
  planPlays,
  recordHandoff,
  type Cause,
  type LifecycleState,
  type TimelineEntry,
} from '../../src/domain/lifecycle-state';
import type { PlayStart } from '../../src/plays/runs';

const DAY_MS = 24 * 60 * 60 * 1000;
export const START = Date.parse('2026-01-05T09:00:00.000Z');
export const dayAt = (n: number) => new Date(START + n * DAY_MS).toISOString();

export function storyHandoff(overrides: Partial<TCustomerHandoff> = {}): TCustomerHandoff {
  return ZCustomerHandoff.parse({
    customerId: 'story',
    name: 'Acme',
    arr: 60_000,
    contractStart: dayAt(0),
    contractEnd: dayAt(365),
    csmOwner: 'dana@example.com',
    seatsPurchased: 50,
    stakeholders: [
      { id: 'champ', name: 'Priya', role: 'champion' },
      { id: 'sponsor', name: 'Tom', role: 'executive_sponsor' },
    ],
    ...overrides,
  });
}

let counter = 0;
const id = (prefix: string) => `${prefix}-${++counter}`;

export const ev = {
  usage: (day: number, fields: Partial<Extract<TCustomerEvent, { type: 'usage' }>> = {}): TCustomerEvent => ({
    id: id('usage'),
    type: 'usage',
    logins: 30,
    activeUsers: 40,
    seatsUsed: 45,
    seatsPurchased: 50,
    keyFeaturesUsed: ['dashboards', 'reports', 'alerts', 'integrations', 'api', 'sso'],
    lastLoginAt: dayAt(day),
    occurredAt: dayAt(day),
    ...fields,
  }),
  milestone: (day: number, milestone: string): TCustomerEvent => ({ id: id(milestone), type: 'milestone', milestone, occurredAt: dayAt(day) }),
  survey: (day: number, survey: 'nps' | 'csat' | 'ces', score: number): TCustomerEvent => ({
    id: id(survey),
    type: 'survey',
    survey,
    score,
    occurredAt: dayAt(day),
  }),
  ticket: (day: number, ticketId: string, severity: 'low' | 'medium' | 'high' | 'urgent'): TCustomerEvent => ({
    id: id('ticket'),
    type: 'ticket',
    ticketId,
    action: 'opened',
    severity,
    occurredAt: dayAt(day),
  }),
  stakeholder: (
    day: number,
    action: 'added' | 'left' | 'role_changed' | 'engaged' | 'disengaged',
    stakeholder: { id: string; name: string; role: 'champion' | 'executive_sponsor' | 'decision_maker' | 'user' | 'admin' | 'other' },
  ): TCustomerEvent => ({ id: id('stakeholder'), type: 'stakeholder', action, stakeholder, occurredAt: dayAt(day) }),
};

export interface PureStory {
  state: LifecycleState;
  /** Every play started so far, in order. */
  starts: PlayStart[];
  timeline: TimelineEntry[];
  /** Moves to day `n` (firing due timers, health ticks included, on the way), then applies the events. */
  at: (n: number, ...events: TCustomerEvent[]) => void;
}

export function pureStory(
  handoff: TCustomerHandoff = storyHandoff(),
  definition: TLifecycleDefinition = DEFAULT_LIFECYCLE,
  options: { handoffStakeholdersEngaged?: boolean; modelSwitchIsBandChange?: boolean } = {},
): PureStory {
  const now0 = dayAt(0);
  const state = initialState(handoff, definition, now0, options);
  const starts: PlayStart[] = [];
  const timeline: TimelineEntry[] = [];
  const step = (now: string, cause: Cause, events: TCustomerEvent[], withTimers: boolean, first = false) => {
    const changes = emptyChanges();
    if (first) recordHandoff(state, now, changes);
    for (const event of events) {
      applyCustomerEvent(state, event, changes, { now });
      cause = { type: 'event', id: event.id, eventType: event.type };
    }
    if (withTimers) {
      for (const timer of pendingTimers(state, definition, now).filter((t) => t.at <= now)) {
        fireTimer(state, timer, now, changes);
        if (cause.type !== 'event') cause = { type: 'timer', id: timer.id };
      }
    }
    evaluate(state, definition, now, cause, changes, undefined, options);
    starts.push(...planPlays(state, definition, 'customer:story', now, cause, changes).starts);
    timeline.push(...changes.entries);
  };
  step(now0, { type: 'handoff' }, [], false, true);
  let clock = Date.parse(now0);
  const at = (n: number, ...events: TCustomerEvent[]) => {
    const target = START + n * DAY_MS;
    // Due timers fire at their own time, as the workflow's sleep would wake it.
    for (;;) {
      const next = pendingTimers(state, definition, new Date(clock).toISOString())[0];
      if (!next || Date.parse(next.at) > target) break;
      clock = Math.max(clock, Date.parse(next.at));
      step(new Date(clock).toISOString(), { type: 'timer', id: next.id }, [], true);
    }
    clock = target;
    if (events.length > 0) step(new Date(clock).toISOString(), { type: 'timer', id: 'none' }, events, true);
  };
  return { state, starts, timeline, at };
}
