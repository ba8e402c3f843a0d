import type { TCondition, THealthBand, TStageId } from '../../src/domain/lifecycle-definition';
import { conditionMet, exitProgress, healthModelFor, moveBackRule, nextStage, segmentFor, slaStatus } from '../../src/domain/stage-rules';
import { definition, facts, milestone, ruleContext, SEED_HEALTH_MODEL_INPUT, stage, stakeholder, stakeholders } from './fixtures';

describe('conditionMet', () => {
  describe('milestone', () => {
    const ctx = ruleContext({ facts: facts({ milestones: { setup_done: '2026-01-05T00:00:00.000Z' } }) });

    it.each([
      ['setup_done', true],
      ['first_value', false],
    ])('milestone %s reached: %p', (name, met) => {
      expect(conditionMet(milestone(name), ctx)).toBe(met);
    });
  });

  describe('metric', () => {
    const ctx = ruleContext({ metrics: { nps: 5, openTickets: 0 } });

    it.each([
      ['>=', 5, true],
      ['>=', 6, false],
      ['>', 4, true],
      ['>', 5, false],
      ['<=', 5, true],
      ['<=', 4, false],
      ['<', 6, true],
      ['<', 5, false],
      ['==', 5, true],
      ['==', 4, false],
    ] as const)('nps 5 %s %p is %p', (op, value, met) => {
      expect(conditionMet({ kind: 'metric', metric: 'nps', op, value }, ctx)).toBe(met);
    });

    it.each(['>=', '>', '<=', '<', '=='] as const)('a known zero is a value: openTickets 0 %s 0', (op) => {
      expect(conditionMet({ kind: 'metric', metric: 'openTickets', op, value: 0 }, ctx)).toBe(op !== '>' && op !== '<');
    });

    it.each(['>=', '>', '<=', '<', '=='] as const)('an unknown metric never meets a condition (csat %s 3)', (op) => {
      expect(conditionMet({ kind: 'metric', metric: 'csat', op, value: 3 }, ctx)).toBe(false);
    });

    it('an unknown health score does not meet a healthScore condition', () => {
      expect(conditionMet({ kind: 'metric', metric: 'healthScore', op: '<', value: 60 }, ruleContext())).toBe(false);
    });
  });

  describe('stakeholders', () => {
    const ctx = ruleContext({
      facts: facts({
        stakeholders: stakeholders(
          stakeholder('ana', 'champion', true),
          stakeholder('ben', 'champion', false),
          stakeholder('cho', 'executive_sponsor', true),
          stakeholder('dev', 'user', false),
        ),
      }),
    });

    it.each([
      [{ role: 'champion', min: 1 }, true],
      [{ role: 'champion', min: 2 }, true], // engagement not asked: both champions count
      [{ role: 'champion', min: 3 }, false],
      [{ role: 'champion', engaged: true, min: 2 }, false],
      [{ role: 'champion', engaged: false, min: 1 }, true],
      [{ role: 'executive_sponsor', engaged: true, min: 1 }, true],
      [{ role: 'executive_sponsor', engaged: false, min: 1 }, false],
      [{ role: 'decision_maker', min: 1 }, false],
      [{ engaged: true, min: 2 }, true],
      [{ engaged: true, min: 3 }, false],
      [{ engaged: false, min: 2 }, true],
      [{ min: 4 }, true],
      [{ min: 5 }, false],
    ] as const)('%j is %p (2 champions, 1 engaged; engaged sponsor; disengaged user)', (filter, met) => {
      expect(conditionMet({ kind: 'stakeholders', ...filter }, ctx)).toBe(met);
    });

    it('no stakeholders meets no stakeholder condition', () => {
      expect(conditionMet({ kind: 'stakeholders', min: 1 }, ruleContext({ facts: facts({ stakeholders: {} }) }))).toBe(false);
    });
  });

  describe('band', () => {
    it.each([
      [['red'], 'red', true],
      [['red'], 'yellow', false],
      [['red', 'yellow'], 'yellow', true],
      [['green'], 'green', true],
      [['green'], 'red', false],
      [['red'], null, false],
      [['green', 'yellow', 'red'], null, false], // no score yet is in no band
    ] as [THealthBand[], THealthBand | null, boolean][])('in %j with band %p is %p', (bands, band, met) => {
      expect(conditionMet({ kind: 'band', in: bands }, ruleContext({ band }))).toBe(met);
    });
  });

  describe('any / all', () => {
    const ctx = ruleContext({
      facts: facts({ milestones: { a: '2026-01-02T00:00:00.000Z', b: '2026-01-03T00:00:00.000Z' } }),
      metrics: { nps: 9 },
      band: 'green',
    });
    const yes = milestone('a');
    const yes2: TCondition = { kind: 'metric', metric: 'nps', op: '>=', value: 9 };
    const no = milestone('missing');
    const no2: TCondition = { kind: 'band', in: ['red'] };

    it.each<[string, TCondition, boolean]>([
      ['any of [met]', { kind: 'any', of: [yes] }, true],
      ['any of [unmet]', { kind: 'any', of: [no] }, false],
      ['any of [unmet, met]', { kind: 'any', of: [no, yes] }, true],
      ['any of [unmet, unmet]', { kind: 'any', of: [no, no2] }, false],
      ['all of [met, met]', { kind: 'all', of: [yes, yes2] }, true],
      ['all of [met, unmet]', { kind: 'all', of: [yes, no] }, false],
      ['all of [met, any of [unmet, met]]', { kind: 'all', of: [yes, { kind: 'any', of: [no, yes2] }] }, true],
      ['all of [met, any of [unmet, unmet]]', { kind: 'all', of: [yes, { kind: 'any', of: [no, no2] }] }, false],
      [
        'any of [all of [met, unmet], all of [met, met]]',
        {
          kind: 'any',
          of: [
            { kind: 'all', of: [yes, no] },
            { kind: 'all', of: [yes, yes2] },
          ],
        },
        true,
      ],
      ['any of [all of [met, unmet], unmet]', { kind: 'any', of: [{ kind: 'all', of: [yes, no] }, no2] }, false],
    ])('%s is %p', (_name, condition, met) => {
      expect(conditionMet(condition, ctx)).toBe(met);
    });
  });
});

describe('exitProgress', () => {
  const exitStage = stage('onboarding', {
    exit: {
      required: [
        { id: 'r1', label: 'Required 1', when: milestone('r1') },
        { id: 'r2', label: 'Required 2', when: milestone('r2') },
      ],
      optional: [
        { id: 'o1', label: 'Optional 1', when: milestone('o1') },
        { id: 'o2', label: 'Optional 2', when: milestone('o2') },
        { id: 'o3', label: 'Optional 3', when: milestone('o3') },
      ],
      minOptional: 2,
    },
  });
  const reached = (...names: string[]) => ruleContext({ facts: facts({ milestones: Object.fromEntries(names.map((n) => [n, '2026-02-01T00:00:00.000Z'])) }) });

  it.each([
    [[], false],
    [['r1', 'r2'], false],
    [['r1', 'r2', 'o1'], false],
    [['r1', 'r2', 'o1', 'o3'], true],
    [['r1', 'r2', 'o1', 'o2', 'o3'], true],
    [['r1', 'o1', 'o2', 'o3'], false],
    [['r2', 'o1', 'o2'], false],
  ])('with %j reached, ready is %p (2 required, at least 2 of 3 optional)', (names, ready) => {
    expect(exitProgress(exitStage, reached(...names)).ready).toBe(ready);
  });

  it('reports every achievement with its label and whether it is met', () => {
    expect(exitProgress(exitStage, reached('r1', 'o2'))).toEqual({
      required: [
        { id: 'r1', label: 'Required 1', met: true },
        { id: 'r2', label: 'Required 2', met: false },
      ],
      optional: [
        { id: 'o1', label: 'Optional 1', met: false },
        { id: 'o2', label: 'Optional 2', met: true },
        { id: 'o3', label: 'Optional 3', met: false },
      ],
      minOptional: 2,
      ready: false,
    });
  });

  it.each([
    [0, [], true],
    [1, [], false],
    [1, ['o1'], true],
  ])('with no required achievements and minOptional %p, %j reached: ready %p', (minOptional, names, ready) => {
    const optionalOnly = stage('advocacy', {
      exit: { required: [], optional: [{ id: 'o1', label: 'Optional 1', when: milestone('o1') }], minOptional },
    });
    expect(exitProgress(optionalOnly, reached(...names)).ready).toBe(ready);
  });
});

describe('slaStatus (behind after 30 days, stuck after 60)', () => {
  const slaStage = stage('adoption', { sla: { behindAfterDays: 30, stuckAfterDays: 60 } });

  it.each([
    [0, 'on_track'],
    [29.99, 'on_track'],
    [30, 'behind'],
    [59.99, 'behind'],
    [60, 'stuck'],
    [365, 'stuck'],
  ] as const)('%p days in stage is %s', (days, status) => {
    expect(slaStatus(slaStage, days)).toBe(status);
  });
});

describe('moveBackRule: the first rule whose condition holds', () => {
  const expansion = stage('expansion', {
    moveBack: [
      { id: 'red', when: { kind: 'band', in: ['red'] }, to: 'retention', reason: 'red health' },
      {
        id: 'inactive',
        when: { kind: 'metric', metric: 'daysSinceLastLogin', op: '>=', value: 30 },
        to: 'adoption',
        reason: 'no logins for 30 days',
      },
      { id: 'at_risk', when: { kind: 'band', in: ['red', 'yellow'] }, to: 'onboarding', reason: 'at risk' },
    ],
  });

  it.each([
    ['red and inactive', 'red', 45, 'red'],
    ['red and active', 'red', 1, 'red'],
    ['yellow and inactive', 'yellow', 45, 'inactive'],
    ['yellow and active', 'yellow', 1, 'at_risk'],
    ['green and active', 'green', 1, undefined],
    ['not scored and active', null, 1, undefined],
    ['not scored and inactive', null, 30, 'inactive'],
  ] as const)('%s -> %p', (_case, band, daysSinceLastLogin, ruleId) => {
    const rule = moveBackRule(expansion, ruleContext({ band, metrics: { daysSinceLastLogin } }));
    expect(rule?.id).toBe(ruleId);
  });

  it('returns the whole rule (target stage and reason)', () => {
    expect(moveBackRule(expansion, ruleContext({ band: 'red' }))).toEqual({
      id: 'red',
      when: { kind: 'band', in: ['red'] },
      to: 'retention',
      reason: 'red health',
    });
  });

  it('a stage without rules never moves back', () => {
    expect(moveBackRule(stage('adoption'), ruleContext({ band: 'red' }))).toBeUndefined();
  });
});

describe('nextStage', () => {
  it.each([
    ['onboarding', 'adoption'],
    ['adoption', 'retention'],
    ['retention', 'expansion'],
    ['expansion', 'advocacy'],
    ['advocacy', undefined],
  ] as [TStageId, TStageId | undefined][])('after %s comes %p', (from, to) => {
    expect(nextStage(from)).toBe(to);
  });
});

describe('segmentFor: first segment whose ARR (and complexity) floor the customer meets', () => {
  const def = definition({
    segments: [
      { id: 'enterprise', label: 'Enterprise', minArr: 50_000, engagement: 'high_touch', csmRatio: 20, qbrEveryDays: 90, timeToFirstValueDays: 90 },
      {
        id: 'complex',
        label: 'Complex mid-market',
        minArr: 20_000,
        minComplexity: 'medium',
        engagement: 'high_touch',
        csmRatio: 40,
        qbrEveryDays: 90,
        timeToFirstValueDays: 60,
      },
      { id: 'mid_market', label: 'Mid-market', minArr: 15_000, engagement: 'hybrid', csmRatio: 60, qbrEveryDays: 180, timeToFirstValueDays: 60 },
      { id: 'tech_touch', label: 'Tech touch', minArr: 0, engagement: 'tech_touch', csmRatio: 250, qbrEveryDays: 90, timeToFirstValueDays: 30 },
    ],
  });

  it.each([
    [1_000_000, 'low', undefined, 'enterprise'],
    [50_000, 'medium', undefined, 'enterprise'],
    [49_999, 'high', undefined, 'complex'],
    [20_000, 'high', undefined, 'complex'],
    [20_000, 'medium', undefined, 'complex'],
    [20_000, 'low', undefined, 'mid_market'], // below the complexity floor
    [19_999, 'high', undefined, 'mid_market'], // below the ARR floor of the complex segment
    [15_000, 'low', undefined, 'mid_market'],
    [14_999, 'high', undefined, 'tech_touch'],
    [0, 'low', undefined, 'tech_touch'],
    [0, 'low', 'enterprise', 'enterprise'], // override beats ARR
    [1_000_000, 'high', 'tech_touch', 'tech_touch'], // override beats ARR, both ways
    [60_000, 'medium', 'no_such_segment', 'enterprise'], // unknown override: derived segment
  ] as const)('ARR %p, complexity %s, override %p -> %s', (arr, complexity, segmentOverride, expected) => {
    expect(segmentFor(def, { arr, complexity, segmentOverride }).id).toBe(expected);
  });
});

describe('healthModelFor: stage model, else segment model, else the default', () => {
  const model = (id: string) => ({ ...SEED_HEALTH_MODEL_INPUT, id });
  const def = definition({
    healthModels: [model('default_m'), model('stage_m'), model('segment_m')],
    defaultHealthModel: 'default_m',
    stages: { onboarding: { healthModel: 'stage_m' } },
    segments: [
      {
        id: 'enterprise',
        label: 'Enterprise',
        minArr: 50_000,
        engagement: 'high_touch',
        csmRatio: 20,
        qbrEveryDays: 90,
        timeToFirstValueDays: 90,
        healthModel: 'segment_m',
      },
      { id: 'tech_touch', label: 'Tech touch', minArr: 0, engagement: 'tech_touch', csmRatio: 250, qbrEveryDays: 90, timeToFirstValueDays: 30 },
    ],
  });
  const stageOf = (id: TStageId) => def.stages.find((s) => s.id === id)!;
  const segmentOf = (id: string) => def.segments.find((s) => s.id === id)!;

  it.each([
    ['onboarding', 'enterprise', 'stage_m'], // stage and segment both have one: stage wins
    ['onboarding', 'tech_touch', 'stage_m'],
    ['adoption', 'enterprise', 'segment_m'],
    ['adoption', 'tech_touch', 'default_m'],
  ] as const)('stage %s, segment %s -> %s', (stageId, segmentId, expected) => {
    expect(healthModelFor(def, stageOf(stageId), segmentOf(segmentId)).id).toBe(expected);
  });
});
