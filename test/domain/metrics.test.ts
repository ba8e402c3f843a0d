import type { CustomerFacts, StakeholderFact } from '../../src/domain/customer-facts';
import type { TMetricName } from '../../src/domain/lifecycle-definition';
import { computeMetrics, type MetricContext } from '../../src/domain/metrics';
import { addDays, facts, stakeholder, stakeholders } from './fixtures';

const NOW = '2026-03-31T12:00:00.000Z';
const CTX: MetricContext = {
  now: NOW,
  stageEnteredAt: addDays(NOW, -30),
  keyFeatures: ['dashboards', 'reports', 'alerts', 'api'],
  outcomeMilestones: ['first_value', 'roi_documented'],
};
const metricsOf = (overrides: Partial<CustomerFacts> = {}, ctx: Partial<MetricContext> = {}) => computeMetrics(facts(overrides), { ...CTX, ...ctx });

describe('computeMetrics: unknown stays unknown', () => {
  it.each<TMetricName>([
    'daysSinceLastLogin',
    'activeUsers',
    'seatUtilization',
    'keyFeatureAdoption',
    'loginTrend',
    'nps',
    'csat',
    'ces',
    'csmSentiment',
    'healthScore',
    // Named at the handoff is known, not engaged: engagement is unknown until CS records some.
    'stakeholdersEngaged',
    'executiveSponsorEngaged',
    'daysSinceChampionLeft',
    'daysSinceNps',
    'hardConditionsActive',
  ])('a customer straight after the handoff has no %s', (name) => {
    expect(metricsOf()[name]).toBeUndefined();
  });

  it('knows the counts and dates from the start (zero is a value)', () => {
    expect(metricsOf()).toMatchObject({
      openTickets: 0,
      openHighSeverityTickets: 0,
      highSeverityTickets60d: 0,
      championPresent: 0,
      paymentCurrent: 1,
      outcomesAchieved: 0,
      daysInStage: 30,
    });
  });

  it('has no daysSinceLastLogin without a lastLoginAt, even when usage rollups arrived', () => {
    expect(metricsOf({ dailyLogins: { '2026-03-30': 0 }, activeUsers: 0 })).not.toHaveProperty('daysSinceLastLogin');
  });
});

describe('computeMetrics: seat utilization', () => {
  it.each([
    [undefined, 50, undefined],
    [30, undefined, undefined], // no seatsPurchased: unknown, not infinite
    [30, 0, undefined],
    [0, 50, 0],
    [30, 50, 0.6],
    [60, 50, 1.2],
  ])('%p seats used of %p purchased -> %p', (seatsUsed, seatsPurchased, expected) => {
    expect(metricsOf({ seatsUsed, seatsPurchased }).seatUtilization).toBe(expected);
  });
});

describe('computeMetrics: key-feature adoption', () => {
  const login = addDays(NOW, -1);

  it.each([
    ['never logged in, nothing used', [], undefined, CTX.keyFeatures, undefined],
    ['logged in, nothing used', [], login, CTX.keyFeatures, 0],
    ['two of four key features', ['dashboards', 'api'], undefined, CTX.keyFeatures, 0.5],
    ['only a feature that is not key', ['chat'], undefined, CTX.keyFeatures, 0],
    ['every key feature and more', ['dashboards', 'reports', 'alerts', 'api', 'chat'], login, CTX.keyFeatures, 1],
    ['no key features defined', ['dashboards'], login, [], undefined],
  ])('%s -> %p', (_case, keyFeaturesUsed, lastLoginAt, keyFeatures, expected) => {
    expect(metricsOf({ keyFeaturesUsed, lastLoginAt }, { keyFeatures }).keyFeatureAdoption).toBe(expected);
  });
});

describe('computeMetrics: login trend, last 30 days against the 30 before', () => {
  // Ages are measured from the day's midnight UTC to NOW (2026-03-31 12:00Z).
  it.each([
    ['growing', { '2026-03-31': 15, '2026-03-01': 10 }, 0.5],
    ['shrinking (29.5 days old is recent, 30.5 is previous)', { '2026-03-02': 5, '2026-03-01': 10 }, -0.5],
    ['flat', { '2026-03-20': 10, '2026-02-20': 10 }, 0],
    ['stopped (59.5 days old is still previous)', { '2026-01-31': 10 }, -1],
    ['no logins before the last 30 days', { '2026-03-30': 5 }, undefined],
    ['only logins older than 60 days before', { '2026-01-30': 10, '2026-03-30': 5 }, undefined],
    ['zero logins before', { '2026-02-15': 0, '2026-03-30': 5 }, undefined],
    ['no usage at all', {}, undefined],
  ])('%s -> %p', (_case, dailyLogins, expected) => {
    expect(metricsOf({ dailyLogins }).loginTrend).toBe(expected);
  });
});

describe('computeMetrics: days', () => {
  it.each([
    ['30 days before the end', '2026-12-02T00:00:00.000Z', 30],
    ['on the end', '2027-01-01T00:00:00.000Z', 0],
    ['10 days after the end', '2027-01-11T00:00:00.000Z', -10],
  ])('daysToRenewal %s is %p (contract ends 2027-01-01)', (_case, now, expected) => {
    expect(metricsOf({}, { now, stageEnteredAt: now }).daysToRenewal).toBe(expected);
  });

  it.each([
    ['before the contract start', '2025-12-01T00:00:00.000Z', 0],
    ['45.5 days after the start', '2026-02-15T12:00:00.000Z', 45.5],
  ])('daysSinceStart %s is %p', (_case, now, expected) => {
    expect(metricsOf({}, { now, stageEnteredAt: now }).daysSinceStart).toBe(expected);
  });

  it.each([
    [addDays(NOW, -12.25), 12.25],
    [NOW, 0],
    [addDays(NOW, 1), 0], // entered "in the future" (clock skew) clamps to 0
  ])('daysInStage from %s is %p', (stageEnteredAt, expected) => {
    expect(metricsOf({}, { stageEnteredAt }).daysInStage).toBe(expected);
  });

  it.each([
    [addDays(NOW, -3.5), 3.5],
    [NOW, 0],
    [addDays(NOW, 0.5), 0],
  ])('daysSinceLastLogin with the last login at %s is %p', (lastLoginAt, expected) => {
    expect(metricsOf({ lastLoginAt }).daysSinceLastLogin).toBe(expected);
  });
});

describe('computeMetrics: stakeholders', () => {
  it.each<[string, StakeholderFact[], [number, number, number]]>([
    ['none', [], [0, 0, 0]],
    ['an engaged champion', [stakeholder('ana', 'champion', true)], [1, 1, 0]],
    ['a disengaged champion (still present)', [stakeholder('ana', 'champion', false)], [0, 1, 0]],
    ['a disengaged sponsor', [stakeholder('cho', 'executive_sponsor', false)], [0, 0, 0]],
    [
      'an engaged sponsor and user, a disengaged other',
      [stakeholder('cho', 'executive_sponsor', true), stakeholder('dev', 'user', true), stakeholder('eve', 'other', false)],
      [2, 0, 1],
    ],
    ['two sponsors, one engaged', [stakeholder('cho', 'executive_sponsor', false), stakeholder('fay', 'executive_sponsor', true)], [1, 0, 1]],
  ])('%s -> engaged, championPresent, executiveSponsorEngaged = %j', (_case, list, [engaged, champion, sponsor]) => {
    expect(metricsOf({ stakeholders: stakeholders(...list), engagementRecorded: true })).toMatchObject({
      stakeholdersEngaged: engaged,
      championPresent: champion,
      executiveSponsorEngaged: sponsor,
    });
  });
});

describe('computeMetrics: engagement needs evidence', () => {
  it('counts engagement once CS recorded some, and named-only stakeholders as not engaged then', () => {
    const list = stakeholders(stakeholder('ana', 'champion', true), stakeholder('bo', 'user', false));
    expect(metricsOf({ stakeholders: list, engagementRecorded: false })).not.toHaveProperty('stakeholdersEngaged');
    expect(metricsOf({ stakeholders: list, engagementRecorded: true })).toMatchObject({ stakeholdersEngaged: 1, championPresent: 1 });
  });

  it('knows engagement in state carried from older runs (no engagementRecorded field)', () => {
    const f = facts({ stakeholders: stakeholders(stakeholder('ana', 'champion', true)) });
    delete f.engagementRecorded;
    expect(computeMetrics(f, CTX).stakeholdersEngaged).toBe(1);
  });
});

describe('computeMetrics: risk recency', () => {
  it.each([
    [undefined, undefined],
    [addDays(NOW, -11), 11],
    [addDays(NOW, -0.5), 0.5],
  ])('a champion who left at %p is %p days gone', (championLeftAt, expected) => {
    expect(metricsOf({ championLeftAt }).daysSinceChampionLeft).toBe(expected);
  });

  it('dates the latest NPS answer', () => {
    expect(metricsOf({ surveys: { nps: { score: 3, at: addDays(NOW, -8) } } })).toMatchObject({ nps: 3, daysSinceNps: 8 });
  });

  it('passes the count of active hard conditions through, for conditions', () => {
    expect(metricsOf({}, { hardConditionsActive: 2 }).hardConditionsActive).toBe(2);
  });
});

describe('computeMetrics: tickets, payment, outcomes, surveys', () => {
  it('counts open tickets, open high-severity tickets and high-severity openings in the last 60 days', () => {
    const metrics = metricsOf({
      openTickets: {
        'T-1': { severity: 'low', openedAt: NOW },
        'T-2': { severity: 'high', openedAt: NOW },
        'T-3': { severity: 'urgent', openedAt: NOW },
      },
      highSeverityOpenedAt: [addDays(NOW, -61), addDays(NOW, -60), addDays(NOW, -59)],
    });
    expect(metrics).toMatchObject({ openTickets: 3, openHighSeverityTickets: 2, highSeverityTickets60d: 2 });
  });

  it.each([
    ['current', 1],
    ['late', 0],
    ['failed', 0],
  ] as const)('payment %s -> paymentCurrent %p', (payment, expected) => {
    expect(metricsOf({ payment }).paymentCurrent).toBe(expected);
  });

  it('counts only milestones flagged as outcomes', () => {
    const milestones = { first_value: NOW, setup_done: NOW, headcount_growth: NOW };
    expect(metricsOf({ milestones }).outcomesAchieved).toBe(1);
  });

  it('takes the latest survey answers, the CSM sentiment and the given health score', () => {
    const metrics = metricsOf(
      {
        surveys: { nps: { score: 0, at: NOW }, csat: { score: 4.5, at: NOW }, ces: { score: 2, at: NOW } },
        csmSentiment: { score: 4, at: NOW, by: 'dana' },
      },
      { healthScore: 72.4 },
    );
    expect(metrics).toMatchObject({ nps: 0, csat: 4.5, ces: 2, csmSentiment: 4, healthScore: 72.4 });
  });
});
