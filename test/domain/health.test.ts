import { bandFor, computeHealth, type HealthResult, healthTrend, inputScore, renderConditionLabel } from '../../src/domain/health';
import { type TMetricName, ZHealthModel } from '../../src/domain/lifecycle-definition';
import type { Metrics } from '../../src/domain/metrics';
import { addDays, facts, healthModel, SEED_HEALTH_MODEL_INPUT, singleInputModel } from './fixtures';

const SEED = healthModel();

/**
 * A hand-computed customer under the seed model (usage 0.35, engagement 0.25, outcomes 0.25,
 * relationship 0.15; input weights sum to 1 within each dimension):
 *   usage        = .30*90 (3 days since login) + .25*50 (40% seats) + .30*50 (35% features) + .15*50 (logins -20%) = 62
 *   engagement   = .30*100 (3 engaged) + .25*100 (champion) + .20*0 (no sponsor) + .25*100 (sentiment 5)     = 80
 *   outcomes     = .70*33.33 (1 of 3 outcomes) + .30*80 (NPS 8)                                                = 47.33
 *   relationship = .30*75 (CSAT 4) + .30*66.67 (1 high ticket) + .25*100 (paid) + .15*83.33 (CES 2)           = 80
 *   score        = .35*62 + .25*80 + .25*47.33 + .15*80 = 21.7 + 20 + 11.83 + 12                              = 65.53
 */
const EXAMPLE: Metrics = {
  daysSinceLastLogin: 3,
  seatUtilization: 0.4,
  keyFeatureAdoption: 0.35,
  loginTrend: -0.2,
  stakeholdersEngaged: 3,
  championPresent: 1,
  executiveSponsorEngaged: 0,
  csmSentiment: 5,
  outcomesAchieved: 1,
  nps: 8,
  csat: 4,
  openHighSeverityTickets: 1,
  paymentCurrent: 1,
  ces: 2,
};

const without = (metrics: Metrics, ...names: TMetricName[]): Metrics => {
  const copy = { ...metrics };
  names.forEach((name) => delete copy[name]);
  return copy;
};

const allInputs = (result: HealthResult) => result.dimensions.flatMap((d) => d.inputs);

describe('inputScore: linear mapping of a metric onto 0..100', () => {
  it.each([
    // value, zeroAt, fullAt, expected
    [0, 0, 10, 0],
    [2.5, 0, 10, 25],
    [5, 0, 10, 50],
    [10, 0, 10, 100],
    [0.4, 0, 0.8, 50],
    [-0.2, -0.4, 0, 50],
    [3, 1, 5, 50],
  ])('rising: %p between zeroAt %p and fullAt %p scores %p', (value, zeroAt, fullAt, expected) => {
    expect(inputScore(value, zeroAt, fullAt)).toBeCloseTo(expected, 10);
  });

  it.each([
    // "lower is better": zeroAt above fullAt
    [0, 30, 0, 100],
    [3, 30, 0, 90],
    [15, 30, 0, 50],
    [30, 30, 0, 0],
    [2, 7, 1, 500 / 6],
    [1, 3, 0, 200 / 3],
  ])('falling: %p between zeroAt %p and fullAt %p scores %p', (value, zeroAt, fullAt, expected) => {
    expect(inputScore(value, zeroAt, fullAt)).toBeCloseTo(expected, 10);
  });

  it.each([
    [-5, 0, 10, 0],
    [15, 0, 10, 100],
    [1e9, 0, 10, 100],
    [45, 30, 0, 0],
    [-3, 30, 0, 100],
    [-1, -0.4, 0, 0],
    [0.5, -0.4, 0, 100],
  ])('clamps %p (zeroAt %p, fullAt %p) to %p', (value, zeroAt, fullAt, expected) => {
    expect(inputScore(value, zeroAt, fullAt)).toBe(expected);
  });
});

describe('bandFor: lower bounds green 80, yellow 60', () => {
  it.each([
    [100, 'green'],
    [80, 'green'],
    [79.9, 'yellow'],
    [60, 'yellow'],
    [59.9, 'red'],
    [0, 'red'],
  ] as const)('score %p is %s', (score, band) => {
    expect(bandFor(score, SEED.bands)).toBe(band);
  });

  it.each([
    [{ green: 70, yellow: 40 }, 70, 'green'],
    [{ green: 70, yellow: 40 }, 69.9, 'yellow'],
    [{ green: 70, yellow: 40 }, 40, 'yellow'],
    [{ green: 70, yellow: 40 }, 39.9, 'red'],
  ] as const)('uses the model bands %j: %p is %s', (bands, score, band) => {
    expect(bandFor(score, bands)).toBe(band);
  });
});

describe('computeHealth under the seed weights 0.35/0.25/0.25/0.15', () => {
  it('gives the hand-computed score, dimension scores and band', () => {
    const result = computeHealth(SEED, EXAMPLE, 'v-test');
    expect(result.score).toBe(65.5);
    expect(result.band).toBe('yellow');
    expect(result.missing).toEqual([]);
    expect(result.dimensions.map((d) => [d.id, d.score, d.effectiveWeight])).toEqual([
      ['usage', 62, 0.35],
      ['engagement', 80, 0.25],
      ['outcomes', 47.3, 0.25],
      ['relationship', 80, 0.15],
    ]);
  });

  it('stamps the model id and the definition version on the result', () => {
    const result = computeHealth(SEED, EXAMPLE, '2026.11.1');
    expect(result.model).toBe('seed');
    expect(result.definitionVersion).toBe('2026.11.1');
  });

  it('reports each input with its value, 0..100 score and effective weight', () => {
    const usage = computeHealth(SEED, EXAMPLE, 'v').dimensions.find((d) => d.id === 'usage')!;
    expect(usage.inputs.map((i) => [i.metric, i.value, i.score])).toEqual([
      ['daysSinceLastLogin', 3, 90],
      ['seatUtilization', 0.4, 50],
      ['keyFeatureAdoption', 0.35, 50],
      ['loginTrend', -0.2, 50],
    ]);
    expect(usage.inputs[1]!.effectiveWeight).toBeCloseTo(0.35 * 0.25, 10);
    expect(usage.inputs[1]!.points).toBe(4.4); // 50 * 0.0875 = 4.375
  });

  it.each([
    ['every input known', [], 65.5, 'yellow'],
    // (21.7 + 20 + 12) / 0.75 = 71.6; counted as zero it would be 53.7 (red)
    ['the outcomes dimension entirely unknown', ['outcomesAchieved', 'nps'], 71.6, 'yellow'],
    // usage = (27 + 15 + 7.5) / 0.75 = 66; score = .35*66 + 20 + 11.83 + 12 = 66.93
    ['one usage input unknown', ['seatUtilization'], 66.9, 'yellow'],
    // only engagement (80) and relationship (80) known
    ['usage and outcomes unknown', ['daysSinceLastLogin', 'seatUtilization', 'keyFeatureAdoption', 'loginTrend', 'outcomesAchieved', 'nps'], 80, 'green'],
    // relationship alone, without CES: (22.5 + 20 + 25) / 0.85 = 79.41
    [
      'only relationship known, CES unknown',
      [
        'daysSinceLastLogin',
        'seatUtilization',
        'keyFeatureAdoption',
        'loginTrend',
        'stakeholdersEngaged',
        'championPresent',
        'executiveSponsorEngaged',
        'csmSentiment',
        'outcomesAchieved',
        'nps',
        'ces',
      ],
      79.4,
      'yellow',
    ],
  ] as const)('re-weights around missing inputs (%s): score %p, %s', (_case, missing, score, band) => {
    const result = computeHealth(SEED, without(EXAMPLE, ...missing), 'v');
    expect(result.score).toBe(score);
    expect(result.band).toBe(band);
    expect(result.missing).toEqual(missing);
  });

  it('with one dimension entirely unknown, the score equals the weighted mean of the other dimensions', () => {
    const result = computeHealth(SEED, without(EXAMPLE, 'outcomesAchieved', 'nps'), 'v');
    const known = { usage: 62, engagement: 80, relationship: 80 };
    const expected = (0.35 * known.usage + 0.25 * known.engagement + 0.15 * known.relationship) / (0.35 + 0.25 + 0.15);
    expect(result.score).toBeCloseTo(expected, 1);
    const outcomes = result.dimensions.find((d) => d.id === 'outcomes')!;
    expect(outcomes.score).toBeNull();
    expect(outcomes.effectiveWeight).toBe(0);
    expect(outcomes.inputs.every((i) => i.value === null && i.score === null && i.points === 0)).toBe(true);
    expect(result.dimensions.find((d) => d.id === 'usage')!.effectiveWeight).toBeCloseTo(0.35 / 0.75, 10);
  });

  it('treats a metric of 0 as known (zero points), not as missing', () => {
    const result = computeHealth(SEED, { ...EXAMPLE, stakeholdersEngaged: 0 }, 'v');
    expect(result.missing).toEqual([]);
    expect(allInputs(result).find((i) => i.metric === 'stakeholdersEngaged')).toMatchObject({ value: 0, score: 0, points: 0 });
    expect(result.score).toBeLessThan(65.5);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('treats a non-finite metric (%s) as unknown', (_name, value) => {
    const result = computeHealth(SEED, { ...EXAMPLE, nps: value }, 'v');
    expect(result.missing).toEqual(['nps']);
    expect(result.score).toBe(computeHealth(SEED, without(EXAMPLE, 'nps'), 'v').score);
  });

  it.each([
    ['every input known', EXAMPLE],
    ['outcomes unknown', without(EXAMPLE, 'outcomesAchieved', 'nps')],
    ['scattered unknowns', without(EXAMPLE, 'seatUtilization', 'csmSentiment', 'ces')],
    ['a single input known', { csat: 3 } as Metrics],
  ])('contributions (points) sum to the score within rounding, effective weights to 1 (%s)', (_case, metrics) => {
    const result = computeHealth(SEED, metrics, 'v');
    const inputs = allInputs(result);
    const points = inputs.reduce((sum, i) => sum + i.points, 0);
    // each input's points are rounded to 0.1, so the sum may drift by up to 0.05 per input
    expect(Math.abs(points - result.score!)).toBeLessThanOrEqual(0.05 * (inputs.length + 1));
    expect(inputs.reduce((sum, i) => sum + i.effectiveWeight, 0)).toBeCloseTo(1, 10);
    expect(result.dimensions.reduce((sum, d) => sum + d.effectiveWeight, 0)).toBeCloseTo(1, 10);
    inputs.filter((i) => i.score === null).forEach((i) => expect(i.effectiveWeight).toBe(0));
  });

  it('nothing known: score null, band null, every metric listed as missing', () => {
    const result = computeHealth(SEED, {}, 'v');
    expect(result.score).toBeNull();
    expect(result.band).toBeNull();
    expect(result.missing).toEqual(Object.keys(EXAMPLE));
    expect(result.dimensions.every((d) => d.score === null && d.effectiveWeight === 0)).toBe(true);
    expect(allInputs(result).every((i) => i.points === 0 && i.effectiveWeight === 0)).toBe(true);
  });

  it('lists a metric used by several inputs only once in missing', () => {
    const model = healthModel({
      id: 'dup',
      dimensions: [
        { id: 'a', label: 'A', weight: 1, inputs: [{ metric: 'nps', weight: 1, zeroAt: 0, fullAt: 10 }] },
        {
          id: 'b',
          label: 'B',
          weight: 1,
          inputs: [
            { metric: 'nps', weight: 1, zeroAt: 0, fullAt: 10 },
            { metric: 'csat', weight: 1, zeroAt: 1, fullAt: 5 },
          ],
        },
      ],
    });
    expect(computeHealth(model, { csat: 5 }, 'v')).toMatchObject({ score: 100, missing: ['nps'] });
  });

  it.each([
    [79.96, 80, 'green'],
    [79.94, 79.9, 'yellow'],
    [59.96, 60, 'yellow'],
    [59.94, 59.9, 'red'],
  ] as const)('rounds the score to one decimal and bands the rounded score: %p -> %p %s', (value, score, band) => {
    const model = singleInputModel({ metric: 'nps', weight: 1, zeroAt: 0, fullAt: 100 });
    expect(computeHealth(model, { nps: value }, 'v')).toMatchObject({ score, band });
  });
});

describe('healthTrend: score against the oldest score inside the window', () => {
  const NOW = '2026-03-31T00:00:00.000Z';
  const model = { trendThreshold: 5, trendWindowDays: 30 };
  const ago = (days: number) => addDays(NOW, -days);

  it.each([
    ['rises by exactly the threshold', [{ at: ago(20), score: 60 }], 65, 'up'],
    ['rises by more than the threshold', [{ at: ago(20), score: 60 }], 80, 'up'],
    ['rises by less than the threshold', [{ at: ago(20), score: 60 }], 64.9, 'flat'],
    ['falls by exactly the threshold', [{ at: ago(20), score: 60 }], 55, 'down'],
    ['falls by less than the threshold', [{ at: ago(20), score: 60 }], 55.1, 'flat'],
    ['is unchanged', [{ at: ago(20), score: 60 }], 60, 'flat'],
    ['has a baseline exactly at the window start', [{ at: ago(30), score: 60 }], 66, 'up'],
    [
      'compares with the oldest in the window, not the latest',
      [
        { at: ago(25), score: 50 },
        { at: ago(1), score: 64 },
      ],
      65,
      'up',
    ],
    [
      'ignores scores older than the window',
      [
        { at: ago(45), score: 40 },
        { at: ago(10), score: 62 },
      ],
      65,
      'flat',
    ],
    ['has only scores older than the window', [{ at: ago(31), score: 40 }], 90, 'flat'],
    ['has no history', [], 90, 'flat'],
  ] as const)('a score that %s is %s', (_case, history, current, trend) => {
    expect(healthTrend([...history], current, NOW, model)).toBe(trend);
  });

  it.each([
    [14, 'flat'], // the 20-day-old score is outside a 14-day window
    [30, 'up'],
  ] as const)('honours the window length (%p days -> %s)', (trendWindowDays, trend) => {
    expect(healthTrend([{ at: ago(20), score: 50 }], 70, NOW, { trendThreshold: 5, trendWindowDays })).toBe(trend);
  });

  it.each([
    [10, 8, 'flat'],
    [10, 10, 'up'],
    [2, 3, 'up'],
  ] as const)('honours the threshold (%p points; a change of %p is %s)', (trendThreshold, change, trend) => {
    expect(healthTrend([{ at: ago(5), score: 50 }], 50 + change, NOW, { trendThreshold, trendWindowDays: 30 })).toBe(trend);
  });
});

describe('computeHealth: not enough data yet (minKnownWeight)', () => {
  const strict = healthModel({ minKnownWeight: 0.5 });

  it.each<[string, TMetricName[], number, string]>([
    // Known share = sum of dimension weight x known input share of the dimension.
    ['everything known', [], 1, 'yellow'],
    [
      'only engagement and relationship known',
      ['daysSinceLastLogin', 'seatUtilization', 'keyFeatureAdoption', 'loginTrend', 'outcomesAchieved', 'nps'],
      0.4,
      'insufficient_data',
    ],
    ['usage unknown', ['daysSinceLastLogin', 'seatUtilization', 'keyFeatureAdoption', 'loginTrend'], 0.65, 'yellow'],
    [
      'engagement and outcomes unknown, usage half known',
      [
        'daysSinceLastLogin',
        'keyFeatureAdoption',
        'stakeholdersEngaged',
        'championPresent',
        'executiveSponsorEngaged',
        'csmSentiment',
        'outcomesAchieved',
        'nps',
      ],
      0.29,
      'insufficient_data',
    ],
  ])('%s: %p of the weight known -> %s', (_case, unknown, share, band) => {
    const result = computeHealth(strict, without(EXAMPLE, ...unknown), 'v');
    expect(result.knownWeight).toBeCloseTo(share, 3);
    expect(result.band).toBe(band);
  });

  it('still shows the provisional score, so the detail explains what is known', () => {
    const result = computeHealth(strict, { csat: 4, paymentCurrent: 1 }, 'v');
    expect(result).toMatchObject({ band: 'insufficient_data', score: expect.any(Number) });
  });

  it('is insufficient_data, not null, when nothing is known and the model asks for a minimum', () => {
    expect(computeHealth(strict, {}, 'v')).toMatchObject({ score: null, band: 'insufficient_data', knownWeight: 0 });
  });

  it('defaults to half the weight in a parsed model', () => {
    expect(healthModel({ minKnownWeight: undefined }).minKnownWeight).toBe(0.5);
  });

  it('reads a model recorded before the setting existed as no minimum (running customers replay unchanged)', () => {
    const { minKnownWeight: _unused, hardConditions: _none, ...recorded } = healthModel();
    const result = computeHealth(recorded, { csat: 5 }, 'v');
    expect(result.band).toBe('green');
    expect(result).not.toHaveProperty('knownWeight');
    expect(result).not.toHaveProperty('conditions');
  });
});

describe('computeHealth: hard conditions (risk the score hides)', () => {
  const championLost = {
    kind: 'all',
    of: [
      { kind: 'metric', metric: 'daysSinceChampionLeft', op: '>=', value: 0 },
      { kind: 'metric', metric: 'championPresent', op: '==', value: 0 },
    ],
  } as const;
  const model = healthModel({
    hardConditions: [
      { id: 'champion_lost', label: 'champion left {{daysSinceChampionLeft}} days ago', cap: 'red', when: championLost },
      { id: 'detractor', label: 'detractor: NPS {{nps}}', subtract: 10, when: { kind: 'metric', metric: 'nps', op: '<=', value: 6 } },
      { id: 'spike', label: 'ticket spike', cap: 'yellow', when: { kind: 'metric', metric: 'highSeverityTickets60d', op: '>=', value: 3 } },
    ],
  });
  const FACTS = facts();
  // The seed example scores 89.9 with these: green on the weights alone.
  const healthy: Metrics = { ...EXAMPLE, daysSinceLastLogin: 0, seatUtilization: 0.8, keyFeatureAdoption: 0.7, loginTrend: 0, outcomesAchieved: 3, nps: 9 };

  it.each<[string, Metrics, number | null, string, string[]]>([
    ['none holds', healthy, computeHealth(healthModel(), healthy, 'v').score, 'green', []],
    ['champion lost caps a green score at red', { ...healthy, championPresent: 0, daysSinceChampionLeft: 11.4 }, null, 'red', ['champion left 11 days ago']],
    ['a detractor takes 10 points', { ...healthy, nps: 3 }, null, 'yellow', ['detractor: NPS 3']],
    ['a spike caps at yellow', { ...healthy, highSeverityTickets60d: 3 }, null, 'yellow', ['ticket spike']],
    [
      'the worst cap wins',
      { ...healthy, highSeverityTickets60d: 4, championPresent: 0, daysSinceChampionLeft: 2 },
      null,
      'red',
      ['champion left 2 days ago', 'ticket spike'],
    ],
  ])('%s', (_case, metrics, score, band, labels) => {
    const result = computeHealth(model, metrics, 'v', { facts: FACTS });
    expect(result.band).toBe(band);
    expect(result.conditions?.map((c) => c.label)).toEqual(labels);
    if (score !== null) expect(result.score).toBe(score);
  });

  it('subtracts from the weighted score and keeps it in the result', () => {
    const result = computeHealth(model, { ...healthy, nps: 3 }, 'v', { facts: FACTS });
    const plain = computeHealth(healthModel(), { ...healthy, nps: 3 }, 'v');
    expect(result.weightedScore).toBe(plain.score);
    expect(result.score).toBeCloseTo(plain.score! - 10, 5);
    expect(result.conditions).toEqual([{ id: 'detractor', label: 'detractor: NPS 3', subtract: 10 }]);
  });

  it('a cap decides even when too little is known for a score verdict: evidence of risk is a verdict', () => {
    const result = computeHealth(healthModel({ ...model, minKnownWeight: 0.9 }), { championPresent: 0, daysSinceChampionLeft: 1 }, 'v', { facts: FACTS });
    expect(result.band).toBe('red');
  });

  it('checks none without the facts', () => {
    expect(computeHealth(model, { ...healthy, nps: 3 }, 'v').conditions).toEqual([]);
  });

  it('fills an unknown metric in a label with a dash', () => {
    expect(renderConditionLabel('NPS {{nps}}, {{ daysToRenewal }} days, seats {{seatUtilization}}', { daysToRenewal: 67.8, seatUtilization: 0.8333 })).toBe(
      'NPS —, 67 days, seats 0.83',
    );
  });
});

describe('ZHealthModel: hard conditions are bounded and cannot see their own output', () => {
  const base = { id: 'x', label: 'x', cap: 'red', when: { kind: 'metric', metric: 'nps', op: '<=', value: 6 } } as const;
  it.each<[string, unknown, RegExp]>([
    ['no effect', [{ ...base, cap: undefined }], /needs a cap, points to subtract, or both/],
    ['a band condition', [{ ...base, when: { kind: 'band', in: ['red'] } }], /cannot use a band condition/],
    [
      'the health score',
      [{ ...base, when: { kind: 'all', of: [{ kind: 'metric', metric: 'healthScore', op: '<', value: 50 }] } }],
      /cannot use metric healthScore/,
    ],
    ['an unknown placeholder', [{ ...base, label: 'NPS {{promoters}}' }], /unknown placeholder \{\{promoters\}\}/],
    ['a duplicate id', [base, base], /duplicate hard condition id "x"/],
    ['more than 20', Array.from({ length: 21 }, (_, i) => ({ ...base, id: `c${i}` })), /at most 20|<=20/i],
    ['a label over 300 characters', [{ ...base, label: 'x'.repeat(301) }], /at most 300 characters/],
  ])('refuses %s', (_case, hardConditions, message) => {
    const parsed = ZHealthModel.safeParse({ ...SEED_HEALTH_MODEL_INPUT, hardConditions });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.message).join('\n')).toMatch(message);
  });
});
