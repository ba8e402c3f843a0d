import type { CustomerFacts } from '../../src/domain/customer-facts';
import { type PlannedTimer, planTimers, type TimerBasis, type TimerKind } from '../../src/domain/timer-plan';
import { definition, facts } from './fixtures';

/**
 * The fixture definition: renewal ladder value_review -120 (enterprise only), renewal_conversation
 * -90, signature -30, lapsed +1; inactivity after 14 days; advocacy 180 days after onboarding; health
 * tick every 24 hours. Segments: enterprise (QBR every 90 days, first value in 90), mid_market (180,
 * 60), tech_touch (90, 30). The customer's contract runs 2026-01-01 to 2027-01-01.
 */
const DEF = definition({ stages: { onboarding: { sla: { behindAfterDays: 45, stuckAfterDays: 90 } } } });
const START = '2026-01-01T00:00:00.000Z';
const NOW = '2026-02-01T00:00:00.000Z';

const segment = (id: string) => DEF.segments.find((s) => s.id === id)!;
const stage = (id: string) => DEF.stages.find((s) => s.id === id)!;

function basis(overrides: Partial<TimerBasis> = {}, factOverrides: Partial<CustomerFacts> = {}): TimerBasis {
  return {
    facts: facts(factOverrides),
    segment: segment('enterprise'),
    stage: stage('onboarding'),
    stageEnteredAt: START,
    ...overrides,
  };
}

const plan = (b: TimerBasis = basis(), now = NOW) => planTimers(DEF, b, now);
const ofKind = (timers: PlannedTimer[], kind: TimerKind) => timers.filter((t) => t.kind === kind);
const idsAt = (timers: PlannedTimer[]) => timers.map((t) => [t.id, t.at]);

describe('planTimers: renewal ladder', () => {
  it.each([
    [
      'enterprise',
      [
        ['renewal:value_review:2027-01-01', '2026-09-03T00:00:00.000Z'],
        ['renewal:renewal_conversation:2027-01-01', '2026-10-03T00:00:00.000Z'],
        ['renewal:signature:2027-01-01', '2026-12-02T00:00:00.000Z'],
        ['renewal:lapsed:2027-01-01', '2027-01-02T00:00:00.000Z'],
      ],
    ],
    [
      'mid_market',
      [
        ['renewal:renewal_conversation:2027-01-01', '2026-10-03T00:00:00.000Z'],
        ['renewal:signature:2027-01-01', '2026-12-02T00:00:00.000Z'],
        ['renewal:lapsed:2027-01-01', '2027-01-02T00:00:00.000Z'],
      ],
    ],
    [
      'tech_touch',
      [
        ['renewal:renewal_conversation:2027-01-01', '2026-10-03T00:00:00.000Z'],
        ['renewal:signature:2027-01-01', '2026-12-02T00:00:00.000Z'],
        ['renewal:lapsed:2027-01-01', '2027-01-02T00:00:00.000Z'],
      ],
    ],
  ])('%s: steps relative to the contract end, restricted by segment', (segmentId, expected) => {
    expect(idsAt(ofKind(plan(basis({ segment: segment(segmentId) })), 'renewal'))).toEqual(expected);
  });

  it('labels each step as the definition names it', () => {
    expect(ofKind(plan(), 'renewal').map((t) => t.label)).toEqual(['Value review', 'Renewal conversation', 'Signature', 'Contract lapsed']);
  });

  it('moving the contract end moves every step and gives it a new id (so it fires again)', () => {
    const before = ofKind(plan(), 'renewal');
    const after = ofKind(plan(basis({}, { contractEnd: '2027-04-01T00:00:00.000Z' })), 'renewal');
    expect(idsAt(after)).toEqual([
      ['renewal:value_review:2027-04-01', '2026-12-02T00:00:00.000Z'],
      ['renewal:renewal_conversation:2027-04-01', '2027-01-01T00:00:00.000Z'],
      ['renewal:signature:2027-04-01', '2027-03-02T00:00:00.000Z'],
      ['renewal:lapsed:2027-04-01', '2027-04-02T00:00:00.000Z'],
    ]);
    const oldIds = new Set(before.map((t) => t.id));
    expect(after.filter((t) => oldIds.has(t.id))).toEqual([]);
  });

  it('moving the contract end leaves the other timers alone', () => {
    const others = (timers: PlannedTimer[]) => timers.filter((t) => t.kind !== 'renewal');
    expect(others(plan(basis({}, { contractEnd: '2027-04-01T00:00:00.000Z' })))).toEqual(others(plan()));
  });

  it('keeps steps that are already due in the plan (the workflow skips ids it fired)', () => {
    const late = plan(basis(), '2026-12-15T00:00:00.000Z');
    expect(ofKind(late, 'renewal').map((t) => t.id)).toContain('renewal:signature:2027-01-01');
  });
});

describe('planTimers: QBR on the segment cadence, counted from the contract start', () => {
  it.each([
    ['enterprise', '2026-01-11T00:00:00.000Z', 'qbr:enterprise:1', '2026-04-01T00:00:00.000Z'],
    ['enterprise', '2026-04-11T00:00:00.000Z', 'qbr:enterprise:2', '2026-06-30T00:00:00.000Z'],
    ['enterprise', '2026-07-01T00:00:00.000Z', 'qbr:enterprise:3', '2026-09-28T00:00:00.000Z'],
    ['mid_market', '2026-01-11T00:00:00.000Z', 'qbr:mid_market:1', '2026-06-30T00:00:00.000Z'],
    ['tech_touch', '2026-04-11T00:00:00.000Z', 'qbr:tech_touch:2', '2026-06-30T00:00:00.000Z'],
    ['enterprise', '2025-12-01T00:00:00.000Z', 'qbr:enterprise:1', '2026-04-01T00:00:00.000Z'], // before the start
  ])('%s at %s: the next QBR is %s at %s', (segmentId, now, id, at) => {
    const qbrs = ofKind(plan(basis({ segment: segment(segmentId) }), now), 'qbr');
    const next = qbrs.filter((t) => t.at > now);
    expect(idsAt(next)).toEqual([[id, at]]);
  });

  it('labels the QBR with its number, segment and cadence', () => {
    expect(ofKind(plan(), 'qbr')[0]!.label).toBe('QBR #1 (Enterprise, every 90 days)');
  });

  it.each([
    ['exactly when it is due', '2026-04-01T00:00:00.000Z'],
    ['a minute after it was due (the workflow wakes after the timer)', '2026-04-01T00:01:00.000Z'],
  ])('a QBR stays in the plan %s, so the workflow can fire it', (_case, now) => {
    const qbrs = ofKind(plan(basis(), now), 'qbr');
    expect(qbrs.map((t) => t.id)).toContain('qbr:enterprise:1');
  });
});

describe('planTimers: inactivity', () => {
  it.each([
    ['no login yet: counted from the contract start', undefined, `inactivity:${START}`, '2026-01-15T00:00:00.000Z'],
    ['from the last login', '2026-01-20T08:30:00.000Z', 'inactivity:2026-01-20T08:30:00.000Z', '2026-02-03T08:30:00.000Z'],
  ])('%s', (_case, lastLoginAt, id, at) => {
    const timers = ofKind(plan(basis({}, { lastLoginAt })), 'inactivity');
    expect(idsAt(timers)).toEqual([[id, at]]);
    expect(timers[0]!.label).toBe('14 days without login');
  });

  it('a new login replaces the inactivity timer with a new id', () => {
    const first = ofKind(plan(basis({}, { lastLoginAt: '2026-01-20T08:30:00.000Z' })), 'inactivity')[0]!;
    const second = ofKind(plan(basis({}, { lastLoginAt: '2026-01-25T08:30:00.000Z' })), 'inactivity')[0]!;
    expect(second.id).not.toBe(first.id);
    expect(second.at).toBe('2026-02-08T08:30:00.000Z');
  });
});

describe('planTimers: time to value', () => {
  it.each([
    ['enterprise', 'time_to_value:enterprise:2026-01-01', '2026-04-01T00:00:00.000Z'],
    ['mid_market', 'time_to_value:mid_market:2026-01-01', '2026-03-02T00:00:00.000Z'],
    ['tech_touch', 'time_to_value:tech_touch:2026-01-01', '2026-01-31T00:00:00.000Z'],
  ])('%s: due on the segment time to first value after the start', (segmentId, id, at) => {
    expect(idsAt(ofKind(plan(basis({ segment: segment(segmentId) })), 'time_to_value'))).toEqual([[id, at]]);
  });

  it.each([
    [{}, 1],
    [{ setup_done: '2026-01-10T00:00:00.000Z' }, 1],
    [{ first_value: '2026-01-20T00:00:00.000Z' }, 0],
  ])('milestones %j: %p time-to-value timer(s), planned only until first_value', (milestones, count) => {
    expect(ofKind(plan(basis({}, { milestones })), 'time_to_value')).toHaveLength(count);
  });
});

describe('planTimers: stage SLA', () => {
  it('plans behind and stuck from the time the stage was entered', () => {
    const entered = '2026-01-10T00:00:00.000Z';
    const timers = ofKind(plan(basis({ stageEnteredAt: entered })), 'stage_sla');
    expect(timers.map((t) => [t.id, t.at, t.label])).toEqual([
      [`stage_sla:onboarding:behind:${entered}`, '2026-02-24T00:00:00.000Z', 'onboarding behind after 45 days'],
      [`stage_sla:onboarding:stuck:${entered}`, '2026-04-10T00:00:00.000Z', 'onboarding stuck after 90 days'],
    ]);
  });

  it('uses the current stage SLA and gives a re-entered stage new ids', () => {
    const entered = '2026-03-01T00:00:00.000Z';
    const timers = ofKind(plan(basis({ stage: stage('adoption'), stageEnteredAt: entered })), 'stage_sla');
    expect(idsAt(timers)).toEqual([
      [`stage_sla:adoption:behind:${entered}`, '2026-03-31T00:00:00.000Z'], // fixture stages: 30/60 days
      [`stage_sla:adoption:stuck:${entered}`, '2026-04-30T00:00:00.000Z'],
    ]);
  });
});

describe('planTimers: advocacy window', () => {
  it.each([
    [undefined, []],
    ['2026-03-15T00:00:00.000Z', [['advocacy:2026-03-15T00:00:00.000Z', '2026-09-11T00:00:00.000Z']]],
  ])('onboarding completed at %p -> %j (opens 180 days after onboarding)', (onboardingCompletedAt, expected) => {
    expect(idsAt(ofKind(plan(basis({ onboardingCompletedAt })), 'advocacy'))).toEqual(expected);
  });
});

describe('planTimers: health tick', () => {
  it.each([
    ['24 hours after the last score', '2026-01-31T06:00:00.000Z', '2026-02-01T06:00:00.000Z'],
    ['24 hours from now when never scored', undefined, '2026-02-02T00:00:00.000Z'],
  ])('%s', (_case, lastHealthAt, at) => {
    expect(idsAt(ofKind(plan(basis({ lastHealthAt })), 'health_tick'))).toEqual([[`health_tick:${at}`, at]]);
  });
});

describe('planTimers: overall', () => {
  it('a churned customer has no timers', () => {
    expect(plan(basis({ onboardingCompletedAt: NOW }, { contractStatus: 'churned' }))).toEqual([]);
  });

  it('returns every kind of timer that applies, sorted by time', () => {
    const timers = plan(
      basis(
        { segment: segment('mid_market'), onboardingCompletedAt: '2026-01-25T00:00:00.000Z', lastHealthAt: '2026-01-31T06:00:00.000Z' },
        { lastLoginAt: '2026-01-20T00:00:00.000Z' },
      ),
    );
    const ats = timers.map((t) => t.at);
    expect(ats).toEqual([...ats].sort());
    expect(timers.map((t) => [t.kind, t.at.slice(0, 13)])).toEqual([
      ['health_tick', '2026-02-01T06'],
      ['inactivity', '2026-02-03T00'],
      ['stage_sla', '2026-02-15T00'], // behind
      ['time_to_value', '2026-03-02T00'],
      ['stage_sla', '2026-04-01T00'], // stuck
      ['qbr', '2026-06-30T00'],
      ['advocacy', '2026-07-24T00'],
      ['renewal', '2026-10-03T00'],
      ['renewal', '2026-12-02T00'],
      ['renewal', '2027-01-02T00'],
    ]);
  });
});
