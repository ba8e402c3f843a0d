import { computeHealth } from '../../src/domain/health';
import { describeInput, healthReasons, type ReasonFacts } from '../../src/domain/health-reasons';
import type { Metrics } from '../../src/domain/metrics';
import { healthModel } from './fixtures';

describe('describeInput: an input value in words', () => {
  const left: ReasonFacts = {
    stakeholdersLeft: [
      { role: 'champion', name: 'Old champ', leftAt: '2026-09-01T00:00:00Z' },
      { role: 'champion', name: 'Ana', leftAt: '2026-11-02T10:00:00Z' },
      { role: 'executive_sponsor', name: 'Bo', leftAt: '2026-10-05T00:00:00Z' },
    ],
    payment: 'late',
  };
  it.each<[string, number, ReasonFacts | undefined, string]>([
    ['daysSinceLastLogin', 23.4, undefined, 'no login for 23 days'],
    ['daysSinceLastLogin', 1, undefined, 'no login for 1 day'],
    ['daysSinceLastLogin', 0.2, undefined, 'logged in today'],
    ['hasLoggedIn', 0, undefined, 'no login yet'],
    ['openHighSeverityTickets', 3, undefined, '3 high-severity tickets open'],
    ['openHighSeverityTickets', 1, undefined, '1 high-severity ticket open'],
    ['highSeverityTickets60d', 4, undefined, '4 high-severity tickets in 60 days'],
    ['openTickets', 2, undefined, '2 tickets open'],
    ['seatUtilization', 0.125, undefined, '13 % of seats in use'],
    ['keyFeatureAdoption', 0.5, undefined, '50 % of key features in use'],
    ['loginTrend', -0.4, undefined, 'logins down 40 % on the month before'],
    ['loginTrend', 0.1, undefined, 'logins up 10 % on the month before'],
    ['activeUsers', 1, undefined, '1 active user'],
    ['stakeholdersEngaged', 0, undefined, '0 stakeholders engaged'],
    ['championPresent', 0, left, 'champion left on 2026-11-02'],
    ['championPresent', 0, undefined, 'no champion'],
    ['championPresent', 1, undefined, 'champion in place'],
    ['executiveSponsorEngaged', 0, left, 'executive sponsor left on 2026-10-05'],
    ['executiveSponsorEngaged', 0, undefined, 'executive sponsor not engaged'],
    ['paymentCurrent', 0, left, 'payment late'],
    ['paymentCurrent', 0, undefined, 'payment not current'],
    ['outcomesAchieved', 1, undefined, '1 outcome achieved'],
    ['nps', 3, undefined, 'NPS 3'],
    ['csat', 2, undefined, 'CSAT 2'],
    ['ces', 6, undefined, 'effort score 6'],
    ['csmSentiment', 2, undefined, 'CSM sentiment 2 of 5'],
    ['daysToRenewal', 45, undefined, 'renewal in 45 days'],
    ['daysToRenewal', -3, undefined, 'renewal 3 days overdue'],
    ['someCustomMetric', 0.333, undefined, 'someCustomMetric 0.33'],
  ])('%s %p (case %#)', (metric, value, facts, words) => {
    expect(describeInput(metric, value, facts)).toBe(words);
  });
});

describe('healthReasons: what pulls the score down most', () => {
  const model = healthModel();
  const atRisk: Metrics = {
    daysSinceLastLogin: 23,
    seatUtilization: 0.1,
    keyFeatureAdoption: 0.5,
    loginTrend: 0,
    stakeholdersEngaged: 3,
    championPresent: 0,
    executiveSponsorEngaged: 1,
    csmSentiment: 4,
    outcomesAchieved: 2,
    nps: 3,
    csat: 4,
    openHighSeverityTickets: 3,
    paymentCurrent: 1,
    ces: 2,
  };
  it.each<[string, Metrics, ReasonFacts | undefined, string[]]>([
    [
      'at risk: the three costliest inputs below 50, costliest first',
      atRisk,
      { stakeholdersLeft: [{ role: 'champion', name: 'Ana', leftAt: '2026-11-02T00:00:00Z' }] },
      ['no login for 23 days', 'seats', 'champion left on 2026-11-02'],
    ],
    ['healthy: no reasons', { daysSinceLastLogin: 1, seatUtilization: 0.8, nps: 9, openHighSeverityTickets: 0 }, undefined, []],
    [
      'every input middling: the ones below 80 are the reasons',
      { daysSinceLastLogin: 12, nps: 6, seatUtilization: 0.7 },
      undefined,
      ['NPS 6', 'no login for 12 days'],
    ],
    ['unknown inputs are no reasons', {}, undefined, []],
  ])('%s', (_, metrics, facts, expected) => {
    const reasons = healthReasons(computeHealth(model, metrics, 'test'), facts);
    expect(reasons.length).toBe(expected.length);
    expected.forEach((words, i) => expect(reasons[i]!.text).toContain(words));
    // Costliest first.
    for (let i = 1; i < reasons.length; i += 1) expect(reasons[i - 1]!.pointsLost).toBeGreaterThanOrEqual(reasons[i]!.pointsLost);
  });

  it('gives a green customer with nothing below 50 no reasons', () => {
    const health = computeHealth(model, { daysSinceLastLogin: 12, nps: 6, seatUtilization: 0.7 }, 'test');
    expect(healthReasons({ ...health, band: 'green' })).toEqual([]);
  });

  it('keeps to the limit and answers [] without a health result', () => {
    const health = computeHealth(model, atRisk, 'test');
    expect(healthReasons(health, undefined, 5).length).toBeGreaterThan(3);
    expect(healthReasons(health, undefined, 1)).toHaveLength(1);
    expect(healthReasons(null)).toEqual([]);
  });
});
