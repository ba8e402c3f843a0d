/**
 * The default lifecycle held to the seeds, as pure stories: a customer's state driven through the
 * same steps the workflow takes on each wake-up (track causes, apply events, fire due timers,
 * evaluate), day by day, with the default definition. No server: the rules themselves.
 */
import { ZCustomerHandoff, type TCustomerEvent } from '../../src/domain/customer-events';
import { factsFromHandoff } from '../../src/domain/customer-facts';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { stageOf } from '../../src/domain/lifecycle-definition';
import {
  acceptEventId,
  applyCustomerEvent,
  emptyChanges,
  evaluate,
  fireTimer,
  initialState,
  noteCause,
  pendingTimers,
  recordHandoff,
  trackCauses,
  type Cause,
  type LifecycleState,
} from '../../src/domain/lifecycle-state';
import { conditionMet, exitProgress } from '../../src/domain/stage-rules';
import { computeMetrics } from '../../src/domain/metrics';
import { customerDetailsMarkdown } from '../../src/domain/customer-summary';
import { customerView } from '../../src/domain/customer-view';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.parse('2026-01-05T09:00:00.000Z');
const iso = (day: number) => new Date(START + day * DAY).toISOString();
const RULES = { ...DEFAULT_LIFECYCLE, plays: [] };

let counter = 0;
const id = (prefix: string) => `${prefix}-${++counter}`;
const milestone = (name: string, day: number): TCustomerEvent => ({ id: id(name), type: 'milestone', milestone: name, occurredAt: iso(day) });
const usage = (day: number): TCustomerEvent => ({
  id: id('usage'),
  type: 'usage',
  logins: 30,
  activeUsers: 40,
  seatsUsed: 45,
  seatsPurchased: 50,
  keyFeaturesUsed: ['dashboards', 'reports', 'alerts', 'integrations', 'api', 'sso'],
  lastLoginAt: iso(day),
  occurredAt: iso(day),
});
const survey = (kind: 'nps' | 'csat', score: number, day: number): TCustomerEvent => ({
  id: id(kind),
  type: 'survey',
  survey: kind,
  score,
  occurredAt: iso(day),
});
const contract = (action: 'renewal_date_moved' | 'renewed', day: number, endDay: number): TCustomerEvent => ({
  id: id(action),
  type: 'contract',
  action,
  contractEnd: iso(endDay),
  occurredAt: iso(day),
});

/** A customer as the workflow keeps it, with the seed-held rules (`seed-rules-v1`). */
class Customer {
  state: LifecycleState;
  day = 0;
  constructor(overrides: { endDay?: number; arr?: number } = {}) {
    const handoff = ZCustomerHandoff.parse({
      customerId: 'acme',
      name: 'Acme',
      arr: overrides.arr ?? 60_000,
      contractStart: iso(0),
      contractEnd: iso(overrides.endDay ?? 365),
      csmOwner: 'dana@example.com',
      seatsPurchased: 50,
      stakeholders: [
        { id: 'champ', name: 'Priya', role: 'champion' },
        { id: 'sponsor', name: 'Tom', role: 'executive_sponsor' },
      ],
    });
    this.state = initialState(handoff, RULES, iso(0));
    this.state.seedRules = true;
    const changes = emptyChanges();
    recordHandoff(this.state, iso(0), changes);
    evaluate(this.state, RULES, iso(0), { type: 'handoff' }, changes);
  }

  /** One wake-up at `day` (plus a few minutes, as a signal arrives) with these events: the workflow loop's steps. */
  wake(day: number, ...events: TCustomerEvent[]): void {
    const now = new Date(START + day * DAY + 7 * 60 * 1000).toISOString();
    const changes = emptyChanges();
    let cause: Cause = { type: 'timer', id: 'none' };
    const causes = trackCauses(this.state, RULES, now, cause);
    for (const event of events) {
      if (!acceptEventId(this.state, event.id, now)) continue;
      applyCustomerEvent(this.state, event, changes, { now, engagementNeedsEvidence: true });
      cause = { type: 'event', id: event.id, eventType: event.type };
      noteCause(causes, this.state, RULES, now, cause);
    }
    for (const timer of pendingTimers(this.state, RULES, now).filter((t) => t.at <= now)) {
      fireTimer(this.state, timer, now, changes);
      if (cause.type !== 'event') cause = { type: 'timer', id: timer.id };
    }
    evaluate(this.state, RULES, now, cause, changes, causes);
    this.day = day;
  }

  /** Every day up to `day`, no events: timers fire as they come due. */
  until(day: number): void {
    for (let d = this.day + 1; d <= day; d += 1) this.wake(d);
  }

  timerEntries(prefix: string) {
    return this.state.timeline.filter((e) => e.kind === 'timer' && e.cause.type === 'timer' && e.cause.id.startsWith(prefix));
  }
}

/** A healthy enterprise customer through onboarding and adoption: in retention from day 45. */
function healthyInRetention(endDay = 365): Customer {
  const c = new Customer({ endDay });
  c.wake(3, usage(3), milestone('kickoff_held', 3), milestone('setup_done', 3), milestone('training_done', 3));
  c.until(19);
  c.wake(20, usage(20), milestone('first_value', 20));
  c.until(44);
  c.wake(45, usage(45), milestone('core_training_done', 45), survey('nps', 10, 45), survey('csat', 5, 45));
  expect(c.state.stage).toBe('retention');
  return c;
}

describe('the renewal ladder fires each rung once per contract term (issue 10, item 2)', () => {
  it('does not fire the T-120 rung again when the renewal date moves after it fired', () => {
    const c = new Customer({ endDay: 200 });
    c.until(94);
    expect(c.timerEntries('renewal:value_review:').map((e) => e.at.slice(0, 10))).toEqual([iso(80).slice(0, 10)]);
    c.wake(95, contract('renewal_date_moved', 95, 260));
    c.until(200);
    // Fired once, at day 80; the moved date re-planned only the rungs not yet fired (T-90 at day 170).
    expect(c.timerEntries('renewal:value_review:')).toHaveLength(1);
    expect(c.timerEntries('renewal:renewal_conversation:').map((e) => e.at.slice(0, 10))).toEqual([iso(170).slice(0, 10)]);
  });

  it('starts a new ladder on a renewal: the next term fires every rung again, once', () => {
    const c = new Customer({ endDay: 200 });
    c.until(175);
    c.wake(176, contract('renewed', 176, 565));
    c.until(570);
    expect(c.timerEntries('renewal:value_review:').map((e) => e.cause)).toEqual([
      { type: 'timer', id: 'renewal:value_review:term-1' },
      { type: 'timer', id: 'renewal:value_review:term-2' },
    ]);
    expect(c.timerEntries('renewal:signature:').map((e) => e.cause)).toEqual([
      { type: 'timer', id: 'renewal:signature:term-1' },
      { type: 'timer', id: 'renewal:signature:term-2' },
    ]);
    // Term 1's lapse never comes: the term was renewed before it.
    expect(c.timerEntries('renewal:lapsed:').map((e) => e.cause)).toEqual([{ type: 'timer', id: 'renewal:lapsed:term-2' }]);
  });

  it('reads fired rungs carried from older runs, whose ids carry the contract end', () => {
    const c = new Customer({ endDay: 200 });
    c.until(94);
    // As a run before seed-rules-v1 left it: the T-120 rung fired under its per-contract-end id.
    const legacy = `renewal:value_review:${iso(200).slice(0, 10)}`;
    const firedAt = c.state.firedTimers['renewal:value_review:term-1']!;
    delete c.state.firedTimers['renewal:value_review:term-1'];
    c.state.firedTimers[legacy] = firedAt;
    delete c.state.facts.contractTerm;
    delete c.state.facts.termStartedAt;
    c.wake(95, contract('renewal_date_moved', 95, 260));
    c.until(150);
    expect(c.timerEntries('renewal:value_review:')).toHaveLength(1);
  });
});

describe('"a renewal conversation at least 90 days before contract end" is time-relative (item 3)', () => {
  const renewalCriterion = stageOf(DEFAULT_LIFECYCLE, 'retention').exit.required.find((a) => a.id === 'renewal_conversation_started')!;
  const ctxWith = (conversationDay: number, moves: [number, number][] = []) => {
    const facts = factsFromHandoff(
      ZCustomerHandoff.parse({ customerId: 'acme', name: 'Acme', arr: 60_000, contractStart: iso(0), contractEnd: iso(365), csmOwner: 'dana@example.com' }),
      iso(0),
    );
    facts.milestones.renewal_conversation_started = iso(conversationDay);
    for (const [day, endDay] of moves) {
      facts.contractEnd = iso(endDay);
      facts.contractEnds!.push({ from: iso(day), end: iso(endDay) });
    }
    return { facts, metrics: {}, band: null };
  };

  it.each([
    ['at T-120', 245, [], true],
    ['on the T-90 day', 275, [], true],
    ['at T-89', 276, [], false],
    ['at T-30', 335, [], false],
    // Against the end in force when it happened: a later move does not make a late one timely, nor the reverse.
    ['at T-30, the date moved later afterwards', 335, [[340, 500]], false],
    ['at T-100 of the moved date', 400, [[100, 500]], true],
  ] as [string, number, [number, number][], boolean][])('a conversation %s (day %i, moves %j) counts: %p', (_when, day, moves, met) => {
    expect(conditionMet(renewalCriterion.when, ctxWith(day, moves))).toBe(met);
  });

  it('shows a late conversation as late in the exit checklist', () => {
    const ctx = ctxWith(335);
    const progress = exitProgress(stageOf(DEFAULT_LIFECYCLE, 'retention'), {
      ...ctx,
      metrics: computeMetrics(ctx.facts, { now: iso(336), stageEnteredAt: iso(45), keyFeatures: [], outcomeMilestones: [] }),
    });
    expect(progress.required.find((a) => a.id === 'renewal_conversation_started')).toMatchObject({ met: false, late: true });
    expect(progress.required.find((a) => a.id === 'value_review')).toEqual(expect.not.objectContaining({ late: true }));
  });
});

describe("a late renewal conversation in a customer's checklist (item 3)", () => {
  it('keeps the customer in retention and shows the conversation as late in its details', () => {
    const c = healthyInRetention();
    c.wake(100, usage(100), milestone('value_review', 100));
    c.until(334);
    c.wake(335, usage(335), milestone('renewal_conversation_started', 335));
    expect(c.state.stage).toBe('retention');
    expect(c.state.exit.required.find((a) => a.id === 'renewal_conversation_started')).toMatchObject({ met: false, late: true });
    expect(customerDetailsMarkdown(customerView(c.state, RULES, iso(335), []))).toContain(
      '- ⏰ Renewal conversation started (>= 90 days before contract end) (late)',
    );
  });
});

describe('a stage move names what satisfied the last missing criterion (item 4)', () => {
  it('attributes onboarding -> adoption to first_value, not to the NPS survey after it in the batch', () => {
    const c = new Customer();
    c.wake(3, usage(3), milestone('setup_done', 3), milestone('training_done', 3));
    const firstValue = milestone('first_value', 20);
    const nps = survey('nps', 9, 20);
    c.wake(20, firstValue, nps, survey('csat', 5, 20));
    const move = c.state.timeline.find((e) => e.kind === 'stage')!;
    expect(move.summary).toMatch(/^onboarding -> adoption/);
    expect(move.cause).toEqual({ type: 'event', id: firstValue.id, eventType: 'milestone' });
  });

  it('names for each of two chained moves the event that readied that stage', () => {
    const c = new Customer();
    c.wake(3, usage(3), milestone('setup_done', 3), milestone('training_done', 3));
    const core = milestone('core_training_done', 20);
    const firstValue = milestone('first_value', 20);
    c.wake(20, core, firstValue, survey('nps', 9, 20));
    const moves = c.state.timeline.filter((e) => e.kind === 'stage').map((e) => [e.summary.slice(0, e.summary.indexOf(':')), e.cause]);
    expect(moves).toEqual([
      ['onboarding -> adoption', { type: 'event', id: firstValue.id, eventType: 'milestone' }],
      ['adoption -> retention', { type: 'event', id: core.id, eventType: 'milestone' }],
    ]);
  });
});

describe('SLAs a healthy customer can meet (item 5)', () => {
  it('keeps a healthy annual customer on track in retention until its renewal window', () => {
    const c = healthyInRetention();
    for (let d = 55; d <= 245; d += 10) {
      c.until(d - 1);
      c.wake(d, usage(d), ...(d === 105 ? [milestone('value_review', d), milestone('qbr_held', d)] : []));
    }
    expect(c.state.stage).toBe('retention');
    expect(c.state.timeline.filter((e) => e.kind === 'sla')).toEqual([]);
    expect(c.state.sla).toBe('on_track');
  });

  it('marks retention behind once the T-90 deadline for the conversation passes, stuck at T-60', () => {
    const c = healthyInRetention();
    c.until(274);
    expect(c.state.sla).toBe('on_track');
    c.until(276);
    expect(c.state.sla).toBe('behind');
    c.until(306);
    expect(c.state.sla).toBe('stuck');
  });

  it('never marks the last stage behind once its goal is met', () => {
    const c = healthyInRetention();
    c.wake(250, usage(250), milestone('value_review', 250), milestone('renewal_conversation_started', 250));
    // Expansion's exit wants two stakeholders CS engaged: named at the handoff is not engaged.
    const engaged = (who: { id: string; name: string; role: 'champion' | 'executive_sponsor' }): TCustomerEvent => ({
      id: id(`engaged-${who.id}`),
      type: 'stakeholder',
      action: 'engaged',
      stakeholder: who,
      occurredAt: iso(255),
    });
    c.wake(255, usage(255), engaged({ id: 'champ', name: 'Priya', role: 'champion' }), engaged({ id: 'sponsor', name: 'Tom', role: 'executive_sponsor' }));
    c.wake(260, usage(260), milestone('roi_documented', 260), milestone('business_case', 260));
    expect(c.state.stage).toBe('advocacy');
    c.wake(275, usage(275), milestone('review_submitted', 275));
    for (let d = 285; d <= 365; d += 10) {
      c.until(d - 1);
      c.wake(d, usage(d));
    }
    expect(c.state.exit.ready).toBe(true);
    expect(c.state.sla).toBe('on_track');
    expect(c.state.timeline.filter((e) => e.kind === 'sla' || (e.kind === 'timer' && e.cause.type === 'timer' && e.cause.id.startsWith('stage_sla:')))).toEqual(
      [],
    );
  });
});
