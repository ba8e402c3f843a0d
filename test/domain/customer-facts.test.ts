import type { TCustomerEvent } from '../../src/domain/customer-events';
import { applyEvent, type CustomerFacts, factsFromHandoff, MAX_REMEMBERED_FEATURES } from '../../src/domain/customer-facts';
import { event, facts, HANDOFF_AT, handoff, stakeholder, stakeholders } from './fixtures';

const T1 = '2026-02-01T09:00:00.000Z';
const T2 = '2026-02-03T10:00:00.000Z';
const T3 = '2026-02-05T11:00:00.000Z';

/** Applies events in order and returns the changes of each. */
const applyAll = (f: CustomerFacts, ...events: TCustomerEvent[]) => events.map((e) => applyEvent(f, e));

describe('factsFromHandoff', () => {
  it('copies the handoff and starts with an active contract, current payment and no activity', () => {
    const f = factsFromHandoff(handoff({ segment: 'enterprise', seatsPurchased: 50, successCriteria: ['go live'], goals: ['cut churn'] }), HANDOFF_AT);
    expect(f).toMatchObject({
      customerId: 'acme',
      arr: 20_000,
      complexity: 'medium',
      segmentOverride: 'enterprise',
      contractStatus: 'active',
      payment: 'current',
      seatsPurchased: 50,
      successCriteria: ['go live'],
      goals: ['cut churn'],
      keyFeaturesUsed: [],
      dailyLogins: {},
      openTickets: {},
      highSeverityOpenedAt: [],
      surveys: {},
      milestones: {},
    });
    expect(f.lastLoginAt).toBeUndefined();
    expect(f.seatsUsed).toBeUndefined();
  });

  it.each(['champion', 'executive_sponsor', 'user', 'other'] as const)('a handed-off %s is known, not engaged: CS has not met them yet', (role) => {
    const f = factsFromHandoff(handoff({ stakeholders: [{ id: 's1', name: 'Sam', role }] }), HANDOFF_AT);
    expect(f.stakeholders.s1).toEqual({ id: 's1', name: 'Sam', role, engaged: false, addedAt: HANDOFF_AT });
    expect(f.engagementRecorded).toBe(false);
  });

  it.each([
    ['champion', true],
    ['executive_sponsor', true],
    ['user', true],
    ['other', false],
  ] as const)('under the rules recorded histories ran with, a handed-off %s starts engaged: %p', (role, engaged) => {
    const f = factsFromHandoff(handoff({ stakeholders: [{ id: 's1', name: 'Sam', role }] }), HANDOFF_AT, { stakeholdersEngaged: true });
    expect(f.stakeholders.s1).toEqual({ id: 's1', name: 'Sam', role, engaged, addedAt: HANDOFF_AT });
    expect(f).not.toHaveProperty('engagementRecorded');
  });
});

describe('applyEvent: usage', () => {
  it('adds logins to the day, records the last login, active users and first use of key features', () => {
    const f = facts();
    const changes = applyEvent(f, event({ type: 'usage', occurredAt: T1, logins: 5, activeUsers: 3, keyFeaturesUsed: ['dashboards'] }));
    expect(changes).toEqual(['usage: 5 logins, 3 active users, first use of dashboards']);
    expect(f.dailyLogins).toEqual({ '2026-02-01': 5 });
    expect(f.lastLoginAt).toBe(T1);
    expect(f.activeUsers).toBe(3);
    expect(f.keyFeaturesUsed).toEqual(['dashboards']);
  });

  it('sums logins of the same day and names only features not used before', () => {
    const f = facts();
    const [, changes] = applyAll(
      f,
      event({ type: 'usage', occurredAt: T1, logins: 5, keyFeaturesUsed: ['dashboards'] }),
      event({ type: 'usage', occurredAt: '2026-02-01T18:00:00.000Z', logins: 2, keyFeaturesUsed: ['dashboards', 'reports'] }),
    );
    expect(changes).toEqual(['usage: 2 logins, first use of reports']);
    expect(f.dailyLogins).toEqual({ '2026-02-01': 7 });
    expect(f.keyFeaturesUsed).toEqual(['dashboards', 'reports']);
  });

  it.each([
    ['no logins and no lastLoginAt leaves the last login unknown', { logins: 0 }, undefined],
    ['logins without lastLoginAt use the event time', { logins: 1 }, T2],
    ['an explicit lastLoginAt wins over the event time', { logins: 1, lastLoginAt: T1 }, T1],
    ['an explicit lastLoginAt counts even with zero logins', { logins: 0, lastLoginAt: T1 }, T1],
  ])('%s', (_case, usage, lastLoginAt) => {
    const f = facts();
    applyEvent(f, event({ type: 'usage', occurredAt: T2, ...usage }));
    expect(f.lastLoginAt).toBe(lastLoginAt);
  });

  it('never moves the last login backwards (late, out-of-order rollups)', () => {
    const f = facts();
    applyAll(f, event({ type: 'usage', occurredAt: T3, logins: 1 }), event({ type: 'usage', occurredAt: T1, logins: 4, lastLoginAt: T1 }));
    expect(f.lastLoginAt).toBe(T3);
    expect(f.dailyLogins).toEqual({ '2026-02-05': 1, '2026-02-01': 4 });
  });

  it('updates seats only when the rollup carries them', () => {
    const f = facts({}, { seatsPurchased: 50 });
    applyEvent(f, event({ type: 'usage', occurredAt: T1, logins: 1, seatsUsed: 30 }));
    expect([f.seatsUsed, f.seatsPurchased]).toEqual([30, 50]);
    applyEvent(f, event({ type: 'usage', occurredAt: T2, logins: 1, seatsPurchased: 80 }));
    expect([f.seatsUsed, f.seatsPurchased]).toEqual([30, 80]);
  });

  it('reports a rollup without news as usage (it still counts as activity)', () => {
    expect(applyEvent(facts(), event({ type: 'usage', occurredAt: T1, logins: 0 }))).toEqual(['usage: 0 logins']);
  });
});

describe('applyEvent: 60-day pruning', () => {
  it.each([
    // a usage day is kept while its midnight is within 60 days of the newest event
    ['2026-01-02T08:00:00.000Z', '2026-03-02T12:00:00.000Z', true], // cutoff Jan 1 12:00
    ['2026-01-02T08:00:00.000Z', '2026-03-03T00:00:00.000Z', true], // cutoff exactly Jan 2 00:00
    ['2026-01-02T08:00:00.000Z', '2026-03-03T12:00:00.000Z', false], // cutoff Jan 2 12:00
    ['2026-01-02T08:00:00.000Z', '2026-06-01T00:00:00.000Z', false],
  ])('logins of the day of %s are kept after an event at %s: %p', (first, later, kept) => {
    const f = facts();
    applyEvent(f, event({ type: 'usage', occurredAt: first, logins: 3 }));
    applyEvent(f, event({ type: 'usage', occurredAt: later, logins: 1 }));
    expect(Object.keys(f.dailyLogins)).toEqual(kept ? [first.slice(0, 10), later.slice(0, 10)] : [later.slice(0, 10)]);
  });

  it.each([
    ['usage', '2026-03-02T10:00:00.000Z', 1], // exactly 60 days later: kept
    ['usage', '2026-03-02T10:00:01.000Z', 0],
    ['ticket', '2026-03-02T10:00:01.000Z', 1], // the new high ticket stays, the old one is pruned
  ])('high-severity openings older than 60 days are pruned on a later %s event at %s (%p left)', (type, later, left) => {
    const f = facts();
    applyEvent(f, event({ type: 'ticket', occurredAt: '2026-01-01T10:00:00.000Z', ticketId: 'T-1', action: 'opened', severity: 'high' }));
    applyEvent(
      f,
      type === 'usage'
        ? event({ type: 'usage', occurredAt: later, logins: 1 })
        : event({ type: 'ticket', occurredAt: later, ticketId: 'T-2', action: 'opened', severity: 'urgent' }),
    );
    expect(f.highSeverityOpenedAt).toHaveLength(left);
    if (type === 'ticket') expect(f.highSeverityOpenedAt).toEqual([later]);
  });

  it('keeps open tickets however old (only the high-severity history is pruned)', () => {
    const f = facts();
    applyEvent(f, event({ type: 'ticket', occurredAt: '2026-01-01T10:00:00.000Z', ticketId: 'T-1', action: 'opened', severity: 'high' }));
    applyEvent(f, event({ type: 'usage', occurredAt: '2026-06-01T00:00:00.000Z', logins: 1 }));
    expect(Object.keys(f.openTickets)).toEqual(['T-1']);
  });
});

describe('applyEvent: tickets', () => {
  it.each([
    ['low', false],
    ['medium', false],
    ['high', true],
    ['urgent', true],
  ] as const)('opening a %s ticket tracks it as open; high severity history: %p', (severity, high) => {
    const f = facts();
    const changes = applyEvent(f, event({ type: 'ticket', occurredAt: T1, ticketId: 'T-1', action: 'opened', severity }));
    expect(changes).toEqual([`ticket T-1 opened (${severity})`]);
    expect(f.openTickets).toEqual({ 'T-1': { severity, openedAt: T1 } });
    expect(f.highSeverityOpenedAt).toEqual(high ? [T1] : []);
  });

  it('an update keeps the opening time, changes the severity and does not count the ticket again', () => {
    const f = facts();
    const [, changes] = applyAll(
      f,
      event({ type: 'ticket', occurredAt: T1, ticketId: 'T-1', action: 'opened', severity: 'high' }),
      event({ type: 'ticket', occurredAt: T2, ticketId: 'T-1', action: 'updated', severity: 'urgent' }),
    );
    expect(changes).toEqual(['ticket T-1 updated (urgent)']);
    expect(f.openTickets).toEqual({ 'T-1': { severity: 'urgent', openedAt: T1 } });
    expect(f.highSeverityOpenedAt).toEqual([T1]);
  });

  it('a repeated "opened" for a known ticket is an update, not a second high-severity ticket', () => {
    const f = facts();
    const [, changes] = applyAll(
      f,
      event({ type: 'ticket', occurredAt: T1, ticketId: 'T-1', action: 'opened', severity: 'high' }),
      event({ type: 'ticket', occurredAt: T2, ticketId: 'T-1', action: 'opened', severity: 'high' }),
    );
    expect(changes).toEqual(['ticket T-1 updated (high)']);
    expect(f.highSeverityOpenedAt).toEqual([T1]);
  });

  it('an update for a ticket never seen opened records it as open from then', () => {
    const f = facts();
    expect(applyEvent(f, event({ type: 'ticket', occurredAt: T2, ticketId: 'T-9', action: 'updated', severity: 'low' }))).toEqual(['ticket T-9 opened (low)']);
    expect(f.openTickets).toEqual({ 'T-9': { severity: 'low', openedAt: T2 } });
  });

  it('resolving removes the ticket but keeps the high-severity history', () => {
    const f = facts();
    const [, changes] = applyAll(
      f,
      event({ type: 'ticket', occurredAt: T1, ticketId: 'T-1', action: 'opened', severity: 'high' }),
      event({ type: 'ticket', occurredAt: T2, ticketId: 'T-1', action: 'resolved', severity: 'high' }),
    );
    expect(changes).toEqual(['ticket T-1 resolved']);
    expect(f.openTickets).toEqual({});
    expect(f.highSeverityOpenedAt).toEqual([T1]);
  });

  it('resolving an unknown ticket changes nothing', () => {
    const f = facts();
    expect(applyEvent(f, event({ type: 'ticket', occurredAt: T1, ticketId: 'T-404', action: 'resolved', severity: 'low' }))).toEqual([]);
    expect(f.openTickets).toEqual({});
  });
});

describe('applyEvent: surveys', () => {
  it.each([
    ['nps', 9, 'NPS 9'],
    ['csat', 4.5, 'CSAT 4.5'],
    ['ces', 2, 'CES 2'],
  ] as const)('a %s answer of %p is recorded as the latest (%s)', (survey, score, text) => {
    const f = facts();
    expect(applyEvent(f, event({ type: 'survey', occurredAt: T1, survey, score }))).toEqual([text]);
    expect(f.surveys[survey]).toEqual({ score, at: T1 });
  });

  it('a later answer replaces the earlier one', () => {
    const f = facts();
    applyAll(f, event({ type: 'survey', occurredAt: T1, survey: 'nps', score: 9 }), event({ type: 'survey', occurredAt: T2, survey: 'nps', score: 3 }));
    expect(f.surveys).toEqual({ nps: { score: 3, at: T2 } });
  });
});

describe('applyEvent: milestones', () => {
  it('records the first time a milestone is reached', () => {
    const f = facts();
    expect(applyEvent(f, event({ type: 'milestone', occurredAt: T1, milestone: 'setup_done' }))).toEqual(['milestone setup_done']);
    expect(f.milestones).toEqual({ setup_done: T1 });
  });

  it('a repeated milestone changes nothing and keeps the first date', () => {
    const f = facts();
    const [, again] = applyAll(
      f,
      event({ type: 'milestone', occurredAt: T2, milestone: 'setup_done' }),
      event({ type: 'milestone', occurredAt: T3, milestone: 'setup_done' }),
    );
    expect(again).toEqual([]);
    expect(f.milestones).toEqual({ setup_done: T2 });
  });
});

describe('applyEvent: stakeholders', () => {
  const ana = { id: 'ana', name: 'Ana', role: 'champion' } as const;

  it('adds a new stakeholder as known, not engaged: engaged needs an engagement event', () => {
    const f = facts();
    const added = event({ type: 'stakeholder', occurredAt: T1, action: 'added', stakeholder: ana });
    expect(applyEvent(f, added, { now: T1, engagementNeedsEvidence: true })).toEqual(['champion Ana added']);
    expect(f.stakeholders.ana).toEqual({ ...ana, engaged: false, addedAt: T1 });
    expect(f.engagementRecorded).toBe(false);
  });

  it('adds a new stakeholder as engaged under the rules recorded histories ran with', () => {
    const f = facts();
    expect(applyEvent(f, event({ type: 'stakeholder', occurredAt: T1, action: 'added', stakeholder: ana }))).toEqual(['champion Ana added']);
    expect(f.stakeholders.ana).toEqual({ ...ana, engaged: true, addedAt: T1 });
  });

  it('an engagement event is the evidence: engagement becomes known', () => {
    const f = facts({}, { stakeholders: [ana] });
    applyEvent(f, event({ type: 'stakeholder', occurredAt: T2, action: 'engaged', stakeholder: ana }), { now: T2, engagementNeedsEvidence: true });
    expect(f.stakeholders.ana?.engaged).toBe(true);
    expect(f.engagementRecorded).toBe(true);
  });

  it.each([
    ['left', { ...ana }, T2],
    ['role_changed', { ...ana, role: 'decision_maker' as const }, T2],
  ] as const)('a champion who %s is a champion lost, dated', (action, who, at) => {
    const f = facts({ stakeholders: stakeholders(stakeholder('ana', 'champion', true, 'Ana')) });
    applyEvent(f, event({ type: 'stakeholder', occurredAt: T2, action, stakeholder: who }));
    expect(f.championLeftAt).toBe(at);
  });

  it('anyone else leaving loses no champion', () => {
    const f = facts({ stakeholders: stakeholders(stakeholder('bo', 'user', true, 'Bo')) });
    applyEvent(f, event({ type: 'stakeholder', occurredAt: T2, action: 'left', stakeholder: { id: 'bo', name: 'Bo', role: 'user' } }));
    expect(f.championLeftAt).toBeUndefined();
  });

  it('a role change names the old and the new role and keeps engagement and the date added', () => {
    const f = facts({ stakeholders: stakeholders(stakeholder('ana', 'champion', false, 'Ana')) });
    const changes = applyEvent(f, event({ type: 'stakeholder', occurredAt: T2, action: 'role_changed', stakeholder: { ...ana, role: 'decision_maker' } }));
    expect(changes).toEqual(['champion Ana now decision_maker']);
    expect(f.stakeholders.ana).toEqual({ ...ana, role: 'decision_maker', engaged: false, addedAt: HANDOFF_AT });
  });

  it('a stakeholder who left is removed, named with the known role', () => {
    const f = facts({ stakeholders: stakeholders(stakeholder('ana', 'champion', true, 'Ana')) });
    const changes = applyEvent(f, event({ type: 'stakeholder', occurredAt: T2, action: 'left', stakeholder: { ...ana, role: 'other' } }));
    expect(changes).toEqual(['champion Ana left']);
    expect(f.stakeholders).toEqual({});
  });

  it('an unknown stakeholder leaving changes nothing', () => {
    expect(applyEvent(facts(), event({ type: 'stakeholder', occurredAt: T2, action: 'left', stakeholder: ana }))).toEqual([]);
  });

  it.each([
    ['engaged', false, true],
    ['disengaged', true, false],
    ['engaged', true, true],
  ] as const)('"%s" on a known stakeholder (engaged %p) sets engaged to %p', (action, before, after) => {
    const f = facts({ stakeholders: stakeholders(stakeholder('ana', 'champion', before, 'Ana')) });
    expect(applyEvent(f, event({ type: 'stakeholder', occurredAt: T2, action, stakeholder: ana }))).toEqual([`Ana ${action}`]);
    expect(f.stakeholders.ana).toEqual({ ...ana, engaged: after, addedAt: HANDOFF_AT });
  });

  it.each([
    ['engaged', true],
    ['disengaged', false],
  ] as const)('"%s" on an unknown stakeholder adds them (engaged %p)', (action, engaged) => {
    const f = facts();
    applyEvent(f, event({ type: 'stakeholder', occurredAt: T2, action, stakeholder: ana }));
    expect(f.stakeholders.ana).toEqual({ ...ana, engaged, addedAt: T2 });
  });
});

describe('applyEvent: contract', () => {
  type ContractEvent = Extract<TCustomerEvent, { type: 'contract' }>;
  type ContractChange = Pick<ContractEvent, 'action'> & Partial<Pick<ContractEvent, 'contractEnd' | 'arr'>>;

  it.each<[string, ContractChange, string[], Partial<CustomerFacts>]>([
    [
      'renewal date moved',
      { action: 'renewal_date_moved', contractEnd: '2027-03-31T00:00:00.000Z' },
      ['contract end 2027-01-01 -> 2027-03-31'],
      { contractEnd: '2027-03-31T00:00:00.000Z' },
    ],
    ['renewal date "moved" to the same date', { action: 'renewal_date_moved', contractEnd: '2027-01-01T00:00:00.000Z' }, [], {}],
    ['expanded', { action: 'expanded', arr: 30_000 }, ['ARR 20000 -> 30000'], { arr: 30_000 }],
    ['contracted', { action: 'contracted', arr: 12_000 }, ['ARR 20000 -> 12000'], { arr: 12_000 }],
    ['expanded with an unchanged ARR', { action: 'expanded', arr: 20_000 }, [], {}],
    ['churned', { action: 'churned' }, ['churned'], { contractStatus: 'churned' }],
    [
      'renewed with a new end and ARR',
      { action: 'renewed', contractEnd: '2028-01-01T00:00:00.000Z', arr: 25_000 },
      ['contract end 2027-01-01 -> 2028-01-01', 'ARR 20000 -> 25000', 'renewed'],
      // A new term, begun when the renewal is applied (here its own date: no workflow clock given).
      { contractEnd: '2028-01-01T00:00:00.000Z', arr: 25_000, contractStatus: 'active', contractTerm: 2, termStartedAt: T1 },
    ],
  ])('%s', (_case, contract, changes, after) => {
    const f = facts();
    const before = { ...f };
    expect(applyEvent(f, event({ type: 'contract', occurredAt: T1, ...contract }))).toEqual(changes);
    expect(f).toEqual({ ...before, ...after });
  });

  it('renewing a churned customer makes the contract active again', () => {
    const f = facts({ contractStatus: 'churned' });
    expect(applyEvent(f, event({ type: 'contract', occurredAt: T1, action: 'renewed' }))).toEqual(['renewed']);
    expect(f.contractStatus).toBe('active');
  });
});

describe('applyEvent: payment', () => {
  it.each([
    ['current', 'current', []],
    ['current', 'late', ['payment late']],
    ['late', 'late', []],
    ['late', 'failed', ['payment failed']],
    ['failed', 'current', ['payment current']],
  ] as const)('from %s, a %s payment reports %j', (before, status, changes) => {
    const f = facts({ payment: before });
    expect(applyEvent(f, event({ type: 'payment', occurredAt: T1, status }))).toEqual(changes);
    expect(f.payment).toBe(status);
  });
});

describe('applyEvent against hostile senders', () => {
  it('prunes relative to the workflow clock, so a far-future event cannot erase the login history', () => {
    const f = facts();
    applyEvent(f, event({ type: 'usage', occurredAt: T1, logins: 3 }), { now: T1 });
    applyEvent(f, event({ type: 'usage', occurredAt: '2026-02-03T10:00:00.000Z', logins: 2 }), { now: T2 });
    // Dated 60+ days ahead of the clock (the API and the workflow refuse such events; the rule holds anyway).
    applyEvent(f, event({ type: 'usage', occurredAt: '2026-06-01T00:00:00.000Z', logins: 1 }), { now: T3 });
    expect(Object.keys(f.dailyLogins).sort()).toEqual(['2026-02-01', '2026-02-03', '2026-06-01']);
  });

  it('remembers at most MAX_REMEMBERED_FEATURES, and names only ten', () => {
    const f = facts();
    const names = Array.from({ length: 60_000 }, (_, i) => `feature-${i}`);
    // Past the schemas' 200 per event, as a history recorded before the bounds may hold.
    const unbounded = (at: string) => ({ ...event({ type: 'usage', occurredAt: at, logins: 1 }), keyFeaturesUsed: names }) as TCustomerEvent;
    const [summary] = applyEvent(f, unbounded(T1), { now: T1 });
    applyEvent(f, unbounded(T2), { now: T2 });
    expect(f.keyFeaturesUsed).toHaveLength(MAX_REMEMBERED_FEATURES);
    expect(summary).toMatch(/first use of feature-0, .*feature-9 and 990 more$/);
  });
});
