/**
 * The pure decisions of the step interpreter: how a timed-out wait ends, the goal's window and
 * outcome, what an escalation runs, and the idempotency keys (which must never change for a step
 * that already ran: they key the outbox, the task list and webhook deliveries).
 */
import {
  awaitsGoal,
  dueAt,
  escalationPlan,
  goalRemainingMs,
  goalResult,
  stepKey,
  waitStart,
  waitTimedOut,
  waitTimeoutMs,
  type WaitStep,
} from '../../src/plays';

const wait = (onTimeout: WaitStep['onTimeout']): WaitStep => ({ id: 'kickoff', kind: 'wait', for: { milestone: 'kickoff_held' }, withinDays: 7, onTimeout });

describe('the step interpreter', () => {
  it.each([
    ['continue', { result: 'timed out after 7 days', then: 'continue' }],
    ['end', { result: 'timed out after 7 days', then: 'end', outcome: 'timed_out' }],
    ['escalate', { result: 'timed out after 7 days', then: 'escalate', reason: 'kickoff did not happen within 7 days', outcome: 'escalated' }],
  ] as const)('a wait that times out with onTimeout %s', (onTimeout, expected) => {
    expect(waitTimedOut(wait(onTimeout))).toEqual(expected);
  });

  it('waits withinDays from when the wait begins, from what held when the play fired', () => {
    expect(waitTimeoutMs(wait('end'))).toBe(7 * 86_400_000);
    expect(waitStart({ milestones: ['a'], health: { score: 80, band: 'green', reasons: [] } })).toEqual({ milestones: ['a'], band: 'green' });
    expect(waitStart({ milestones: [], health: null })).toEqual({ milestones: [], band: null });
  });

  it.each([
    ['completed', true, true],
    ['completed', false, false],
    ['escalated', true, false],
    ['timed_out', true, false],
  ] as const)('after an outcome %s, with a goal %s: awaits the goal %s', (outcome, hasGoal, expected) => {
    expect(awaitsGoal(outcome, { success: hasGoal ? { when: { kind: 'milestone', milestone: 'x' }, withinDays: 30 } : undefined })).toBe(expected);
  });

  it.each([
    ['from the start of the run', '2026-03-01T00:00:00.000Z', Date.parse('2026-03-11T00:00:00.000Z'), 20 * 86_400_000],
    ['none left after the window', '2026-03-01T00:00:00.000Z', Date.parse('2026-04-01T00:00:00.000Z'), -86_400_000],
  ])('the goal window: %s', (_, startedAt, nowMs, remaining) => {
    expect(goalRemainingMs(startedAt, 30, nowMs)).toBe(remaining);
  });

  it.each([
    [true, { result: 'goal reached', outcome: 'succeeded' }],
    [false, { result: 'goal not reached within 30 days', outcome: 'escalated', reason: 'goal not reached within 30 days' }],
  ])('the goal reached %s', (reached, expected) => {
    expect(goalResult(reached, 30)).toEqual(expected);
  });

  it('escalates through the play’s own steps, or to the CSM’s manager by default', () => {
    const own = [{ id: 'tell_vp', kind: 'escalate' as const, reason: 'stuck' }];
    expect(escalationPlan({ escalation: own }, 'run-1', 'why')).toEqual({ kind: 'steps', steps: own, keyPrefix: 'escalation:' });
    expect(escalationPlan({ escalation: [] }, 'run-1', 'why')).toEqual({
      kind: 'default',
      step: { id: 'escalate', kind: 'escalate', reason: 'why' },
      key: 'run-1:escalation:default',
    });
  });

  it('keys side effects by run, place and step, as recorded runs did', () => {
    expect(stepKey('customer:acme/play/red_account/3', '', 'review')).toBe('customer:acme/play/red_account/3:review');
    expect(stepKey('customer:acme/play/red_account/3', 'escalation:', 'tell_vp')).toBe('customer:acme/play/red_account/3:escalation:tell_vp');
    expect(dueAt(Date.parse('2026-03-01T00:00:00.000Z'), 2)).toBe('2026-03-03T00:00:00.000Z');
  });
});
