import { customerDetailsMarkdown, formatMoney } from '../../src/domain/customer-summary';
import { customerView } from '../../src/domain/customer-view';
import { computeHealth } from '../../src/domain/health';
import { initialState, type LifecycleState } from '../../src/domain/lifecycle-state';
import type { PlannedTimer } from '../../src/domain/timer-plan';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { handoff, healthModel } from './fixtures';

const NOW = '2026-12-01T12:00:00.000Z';

function atRiskState(): LifecycleState {
  const state = initialState(handoff({ name: 'Acme', arr: 60_000 }), DEFAULT_LIFECYCLE, '2026-11-01T00:00:00.000Z');
  const health = computeHealth(
    healthModel(),
    { daysSinceLastLogin: 23, seatUtilization: 0.1, openHighSeverityTickets: 3, nps: 3, championPresent: 1, stakeholdersEngaged: 3 },
    'v1',
  );
  const exit = {
    required: [
      { id: 'kickoff', label: 'Kickoff held', met: true },
      { id: 'setup', label: 'Setup done', met: false },
    ],
    optional: [],
    minOptional: 0,
    ready: false,
  };
  return { ...state, exit, health: { ...health, at: NOW, trend: 'down' } };
}

/** The details as the workflow renders them: from the customer's view at NOW. */
const details = (state: LifecycleState, timers: PlannedTimer[] = [], pageUrl?: string) =>
  customerDetailsMarkdown(customerView(state, DEFAULT_LIFECYCLE, NOW, timers), pageUrl);

describe("the Temporal UI's current details", () => {
  it.each([
    ['ARR as money', (md: string) => expect(md).toContain('**ARR** $60,000')],
    ['reasons in words, not input ids and scores', (md: string) => expect(md).toMatch(/\*\*Health\*\* [\d.]+ red, falling: .*no login for 23 days/)],
    ['no input ids', (md: string) => expect(md).not.toMatch(/daysSinceLastLogin|seatUtilization/)],
    [
      'lists set apart by blank lines, so markdown renders them as lists',
      (md: string) => expect(md).toMatch(/\*\*To leave onboarding:\*\* 1 of 2 done, still open:\n\n- ⬜ Setup done\n\n/),
    ],
    ['timers as a list', (md: string) => expect(md).toMatch(/\*\*Next timers:\*\*\n\n- 2026-12-05 first\n- 2026-12-09 second$/)],
    ['at most about 12 lines of text', (md: string) => expect(md.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(12)],
    ['the days in stage', (md: string) => expect(md).toContain('**onboarding** for 30 days (since 2026-11-01, on track)')],
  ])('%s', (_, check) => {
    const timers = ['first', 'second', 'third'].map((label, i): PlannedTimer => ({ id: label, kind: 'qbr', at: `2026-12-0${5 + i * 4}T00:00:00.000Z`, label }));
    check(details(atRiskState(), timers));
  });

  it('sets each line apart by a blank line, so the UI does not run them together', () => {
    const md = details(atRiskState());
    expect(md).toMatch(/^### Acme\n\n\*\*onboarding\*\*.*\n\n\*\*ARR\*\*.*\n\n\*\*Health\*\*/);
  });

  it('links the heading to the customer page when given one, and says when there is no health yet', () => {
    const state = { ...atRiskState(), health: null };
    const md = details(state, [], 'http://127.0.0.1:3000/customers/acme');
    expect(md.split('\n')[0]).toBe('### [Acme](http://127.0.0.1:3000/customers/acme)');
    expect(md).toContain('**Health** no data yet');
  });

  it.each([
    [60_000, '$60,000'],
    [1_234_567.8, '$1,234,568'],
    [0, '$0'],
  ])('formatMoney(%p) is %s', (amount, text) => expect(formatMoney(amount)).toBe(text));
});
