import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { STAGE_IDS, stageOf, type TCondition, type TLifecycleDefinition, ZLifecycleDefinition } from '../../src/domain/lifecycle-definition';

const defaultModel = () => {
  const model = DEFAULT_LIFECYCLE.healthModels.find((candidate) => candidate.id === DEFAULT_LIFECYCLE.defaultHealthModel);
  if (!model) throw new Error('default health model missing');
  return model;
};

const milestonesIn = (condition: TCondition): string[] =>
  condition.kind === 'milestone' ? [condition.milestone] : condition.kind === 'any' || condition.kind === 'all' ? condition.of.flatMap(milestonesIn) : [];

describe('default lifecycle definition', () => {
  it('parses, is named default and carries its version', () => {
    expect(ZLifecycleDefinition.safeParse(DEFAULT_LIFECYCLE).success).toBe(true);
    expect(DEFAULT_LIFECYCLE.name).toBe('default');
    expect(DEFAULT_LIFECYCLE.version).toBe('2026.12.1');
  });

  it('is plain data that survives a clone and re-parses to itself', () => {
    const clone = structuredClone(DEFAULT_LIFECYCLE);
    expect(ZLifecycleDefinition.parse(clone)).toEqual(DEFAULT_LIFECYCLE);
    expect(JSON.parse(JSON.stringify(DEFAULT_LIFECYCLE))).toEqual(DEFAULT_LIFECYCLE);
  });

  it('lists the five stages in lifecycle order, each with an owner and behind < stuck', () => {
    expect(DEFAULT_LIFECYCLE.stages.map((stage) => stage.id)).toEqual([...STAGE_IDS]);
    DEFAULT_LIFECYCLE.stages.forEach((stage) => {
      expect(stage.owner).not.toHaveLength(0);
      expect(stage.exit.required.length).toBeGreaterThan(0);
      const { sla } = stage;
      if ('behindAfterDays' in sla) expect(sla.stuckAfterDays).toBeGreaterThan(sla.behindAfterDays);
      else expect(sla.stuckDaysBeforeContractEnd).toBeLessThan(sla.behindDaysBeforeContractEnd);
    });
  });

  it("weighs health by the seed's 0.35 usage, 0.25 engagement, 0.25 outcomes, 0.15 relationship", () => {
    const weights = Object.fromEntries(defaultModel().dimensions.map((dimension) => [dimension.id, dimension.weight]));
    expect(weights).toEqual({ usage: 0.35, engagement: 0.25, outcomes: 0.25, relationship: 0.15 });
  });

  it('bands health green from 80 and yellow from 60 in every model', () => {
    expect(defaultModel().bands).toEqual({ green: 80, yellow: 60 });
    DEFAULT_LIFECYCLE.healthModels.forEach((model) => expect(model.bands).toEqual({ green: 80, yellow: 60 }));
  });

  it('scores recency as full at 0 days since login and zero at 30', () => {
    const usage = defaultModel().dimensions.find((dimension) => dimension.id === 'usage');
    expect(usage?.inputs).toContainEqual(expect.objectContaining({ metric: 'daysSinceLastLogin', zeroAt: 30, fullAt: 0 }));
  });

  it('scores onboarding with its own early-signal model without an outcomes dimension', () => {
    const onboarding = stageOf(DEFAULT_LIFECYCLE, 'onboarding');
    const model = DEFAULT_LIFECYCLE.healthModels.find((candidate) => candidate.id === onboarding.healthModel);
    expect(model?.id).toBe('onboarding');
    expect(model?.dimensions.map((dimension) => dimension.id)).not.toContain('outcomes');
  });

  it('requires technical setup, training and first value to leave onboarding; kickoff is optional', () => {
    const { exit } = stageOf(DEFAULT_LIFECYCLE, 'onboarding');
    expect(exit.required.flatMap((achievement) => milestonesIn(achievement.when))).toEqual(['setup_done', 'training_done', 'first_value']);
    expect(exit.optional.map((achievement) => achievement.id)).toContain('kickoff_held');
  });

  it('requires a usage threshold, core training and a champion to leave adoption', () => {
    const { exit } = stageOf(DEFAULT_LIFECYCLE, 'adoption');
    expect(exit.required.map((achievement) => achievement.id)).toEqual(['usage_threshold', 'core_training_done', 'champion_identified']);
    expect(exit.required[0]?.when).toEqual(
      expect.objectContaining({
        kind: 'all',
        of: expect.arrayContaining([{ kind: 'metric', metric: 'keyFeatureAdoption', op: '>=', value: 0.7 }]),
      }),
    );
    expect(exit.required[2]?.when).toEqual({ kind: 'stakeholders', role: 'champion', min: 1 });
  });

  it('requires a value review, health >= 70 and a renewal conversation to leave retention', () => {
    const { exit } = stageOf(DEFAULT_LIFECYCLE, 'retention');
    expect(exit.required.map((achievement) => achievement.when)).toEqual([
      { kind: 'milestone', milestone: 'value_review' },
      { kind: 'metric', metric: 'healthScore', op: '>=', value: 70 },
      { kind: 'milestone', milestone: 'renewal_conversation_started', atLeastDaysBeforeContractEnd: 90 },
    ]);
  });

  it('requires ROI, a business case and two engaged stakeholders to leave expansion', () => {
    const { exit } = stageOf(DEFAULT_LIFECYCLE, 'expansion');
    expect(exit.required.map((achievement) => achievement.when)).toEqual([
      { kind: 'milestone', milestone: 'roi_documented' },
      { kind: 'milestone', milestone: 'business_case' },
      { kind: 'stakeholders', engaged: true, min: 2 },
    ]);
  });

  it('counts a review, a reference or a case study as an advocate', () => {
    const [advocate] = stageOf(DEFAULT_LIFECYCLE, 'advocacy').exit.required;
    expect(advocate?.when.kind).toBe('any');
    expect(milestonesIn(advocate!.when)).toEqual(['review_submitted', 'reference_agreed', 'case_study']);
  });

  it.each(['expansion', 'advocacy'] as const)('moves a red account in %s back to retention', (stageId) => {
    expect(stageOf(DEFAULT_LIFECYCLE, stageId).moveBack).toContainEqual(expect.objectContaining({ when: { kind: 'band', in: ['red'] }, to: 'retention' }));
  });

  it('orders segments from the largest ARR so the first match wins, ending with a catch-all', () => {
    const minArrs = DEFAULT_LIFECYCLE.segments.map((segment) => segment.minArr);
    expect(minArrs).toEqual([...minArrs].sort((a, b) => b - a));
    expect(DEFAULT_LIFECYCLE.segments.map((segment) => [segment.id, segment.minArr, segment.engagement])).toEqual([
      ['enterprise', 50_000, 'high_touch'],
      ['mid_market', 15_000, 'hybrid'],
      ['tech_touch', 0, 'tech_touch'],
    ]);
  });

  it('has a renewal ladder with the conversation at 90 days before contract end', () => {
    const ladder = DEFAULT_LIFECYCLE.timers.renewalLadder;
    expect(ladder).toContainEqual(expect.objectContaining({ id: 'renewal_conversation', daysFromContractEnd: -90 }));
    expect(ladder.map((step) => step.daysFromContractEnd)).toEqual([-120, -90, -60, -30, 1]);
    expect(ladder[0]).toEqual(expect.objectContaining({ id: 'value_review', segments: ['enterprise', 'mid_market'] }));
  });

  it('flags inactivity after 14 days and opens the advocacy window 180 to 365 days after onboarding', () => {
    expect(DEFAULT_LIFECYCLE.timers.inactivityDays).toBe(14);
    expect(DEFAULT_LIFECYCLE.timers.advocacyWindow).toEqual({ fromDaysAfterOnboarding: 180, toDaysAfterOnboarding: 365 });
    expect(DEFAULT_LIFECYCLE.timers.healthTickHours).toBe(24);
  });

  it('counts only milestones that some stage asks for as outcomes', () => {
    const used = DEFAULT_LIFECYCLE.stages.flatMap((stage) =>
      [...stage.exit.required, ...stage.exit.optional].flatMap((achievement) => milestonesIn(achievement.when)),
    );
    expect(DEFAULT_LIFECYCLE.outcomeMilestones).toEqual(['first_value', 'value_review', 'roi_documented', 'business_case']);
    DEFAULT_LIFECYCLE.outcomeMilestones.forEach((milestone) => expect(used).toContain(milestone));
    expect(DEFAULT_LIFECYCLE.keyFeatures.length).toBeGreaterThanOrEqual(5);
  });

  // Each case breaks one thing in a copy of the default; the issue must point at it.
  type TMutation = (definition: TLifecycleDefinition) => void;
  const invalid: [string, TMutation, string][] = [
    ['a dimension weight of 0', (d) => void (d.healthModels[0]!.dimensions[0]!.weight = 0), 'healthModels.0.dimensions.0.weight'],
    ['a health input weight of 0', (d) => void (d.healthModels[0]!.dimensions[0]!.inputs[0]!.weight = 0), 'healthModels.0.dimensions.0.inputs.0.weight'],
    [
      'a health input with zeroAt equal to fullAt',
      (d) => void (d.healthModels[0]!.dimensions[0]!.inputs[0]!.fullAt = 30),
      'healthModels.0.dimensions.0.inputs.0.fullAt',
    ],
    ['green band not above yellow', (d) => void (d.healthModels[0]!.bands.green = 60), 'healthModels.0.bands.green'],
    ['an unknown health model on a stage', (d) => void (d.stages[0]!.healthModel = 'nope'), 'stages.0.healthModel'],
    ['an unknown health model on a segment', (d) => void (d.segments[0]!.healthModel = 'nope'), 'segments.0.healthModel'],
    ['an unknown default health model', (d) => void (d.defaultHealthModel = 'nope'), 'defaultHealthModel'],
    ['a missing stage', (d) => void d.stages.pop(), 'stages'],
    ['a duplicated stage in place of another', (d) => void (d.stages[4] = structuredClone(d.stages[0]!)), 'stages'],
    [
      'stuckAfterDays equal to behindAfterDays',
      (d) => {
        const sla = d.stages[0]!.sla as { behindAfterDays: number; stuckAfterDays: number };
        sla.stuckAfterDays = sla.behindAfterDays;
      },
      'stages.0.sla.stuckAfterDays',
    ],
    ['a negative SLA', (d) => void ((d.stages[1]!.sla as { behindAfterDays: number }).behindAfterDays = -1), 'stages.1.sla.behindAfterDays'],
    ['an unknown segment in the renewal ladder', (d) => void (d.timers.renewalLadder[0]!.segments = ['enterprise', 'smb']), 'timers.renewalLadder.0.segments'],
    ['an empty renewal ladder', (d) => void (d.timers.renewalLadder = []), 'timers.renewalLadder'],
    ['an achievement id not in lower_snake_case', (d) => void (d.stages[0]!.exit.required[0]!.id = 'Setup-Done'), 'stages.0.exit.required.0.id'],
    [
      'an unknown metric in a nested condition',
      (d) => {
        const when = d.stages[1]!.exit.required[0]!.when as { of: { metric: string }[] };
        when.of[0]!.metric = 'dailyActiveUsers';
      },
      'stages.1.exit.required.0.when.of.0.metric',
    ],
    [
      'a stakeholders condition needing 0 people',
      (d) => void (d.stages[3]!.exit.required[2]!.when = { kind: 'stakeholders', engaged: true, min: 0 }),
      'stages.3.exit.required.2.when.min',
    ],
    ['a move back to an unknown stage', (d) => void ((d.stages[3]!.moveBack[0] as { to: string }).to = 'risk'), 'stages.3.moveBack.0.to'],
    ['no catch-all segment', (d) => void (d.segments = d.segments.slice(0, 2)), 'segments'],
    ['an empty key feature list', (d) => void (d.keyFeatures = []), 'keyFeatures'],
  ];

  it.each(invalid)('rejects %s at the offending path', (_name, mutate, path) => {
    const definition = structuredClone(DEFAULT_LIFECYCLE);
    mutate(definition);
    const result = ZLifecycleDefinition.safeParse(definition);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
