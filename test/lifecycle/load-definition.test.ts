import { resolve } from 'node:path';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { loadLifecycleDefinition, parseLifecycleDefinition } from '../../src/lifecycle/load-definition';

const fixture = (name: string) => resolve(__dirname, '../fixtures', name);

describe('loading the lifecycle definition the worker runs', () => {
  it('uses the built-in default when LIFECYCLE_DEFINITION is unset', () => {
    expect(loadLifecycleDefinition(undefined)).toBe(DEFAULT_LIFECYCLE);
  });

  it("loads the README's ops example: usage weighs more and adoption needs a live integration", () => {
    const custom = loadLifecycleDefinition(fixture('custom-lifecycle.ts'));
    expect(custom.version).toBe('2026.11.1-acme.1');
    const usage = custom.healthModels.find((m) => m.id === 'default')!.dimensions.find((d) => d.id === 'usage')!;
    expect(usage.weight).toBe(0.45);
    const adoption = custom.stages.find((s) => s.id === 'adoption')!;
    expect(adoption.exit.required.map((a) => a.id)).toContain('integration_live');
  });

  it('refuses an invalid definition naming every wrong field by its path', () => {
    expect(() => loadLifecycleDefinition(fixture('invalid-lifecycle.ts'))).toThrow(
      expect.objectContaining({
        name: 'SetupError',
        message: expect.stringMatching(
          /stages\.1\.sla\.stuckAfterDays: stuckAfterDays must be greater[\s\S]*defaultHealthModel: unknown health model "no-such-model"/,
        ),
      }),
    );
  });

  it('says which module could not be loaded', () => {
    expect(() => loadLifecycleDefinition(fixture('missing.ts'))).toThrow(
      expect.objectContaining({ name: 'SetupError', message: expect.stringContaining('Cannot load the lifecycle definition module') }),
    );
  });
});

describe('bounds of a lifecycle definition', () => {
  type Mutable = Record<string, any>;
  const withChange = (change: (definition: Mutable) => void) => {
    const definition = structuredClone(DEFAULT_LIFECYCLE) as Mutable;
    change(definition);
    return definition;
  };
  const problemsOf = (definition: unknown) => {
    try {
      parseLifecycleDefinition(definition, 'the test');
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  // Each of these once validated and then made the step fail at the first date it derived.
  it.each<[string, (definition: Mutable) => void, RegExp]>([
    ['a play cooldown of a billion days', (d) => (d.plays[0].caps = { cooldownDays: 1e9 }), /plays\.0\.caps\.cooldownDays: at most 3650 days/],
    ['a QBR cadence of a billion days', (d) => (d.segments[0].qbrEveryDays = 1e9), /segments\.0\.qbrEveryDays/],
    ['a QBR every few seconds', (d) => (d.segments[0].qbrEveryDays = 0.0001), /segments\.0\.qbrEveryDays/],
    [
      'a renewal rung a million days before the end',
      (d) => (d.timers.renewalLadder[0].daysFromContractEnd = -1e6),
      /timers\.renewalLadder\.0\.daysFromContractEnd/,
    ],
    ['an inactivity window of 1e300 days', (d) => (d.timers.inactivityDays = 1e300), /timers\.inactivityDays: at most 3650 days/],
    ['a dedupe window of 1e12 days', (d) => (d.eventDedupWindowDays = 1e12), /eventDedupWindowDays: at most 3650 days/],
    ['a stage SLA of 1e12 days', (d) => (d.stages[0].sla = { behindAfterDays: 1, stuckAfterDays: 1e12 }), /stages\.0\.sla\.stuckAfterDays: at most 3650 days/],
    ['a play allowed 1e15 runs', (d) => (d.plays[0].caps = { maxTotal: 1e15 }), /plays\.0\.caps\.maxTotal/],
  ])('refuses %s, naming the field', (_name, change, problem) => {
    expect(problemsOf(withChange(change))).toMatch(problem);
  });

  it('takes ten years where a day count is asked', () => {
    expect(problemsOf(withChange((d) => (d.plays[0].caps = { cooldownDays: 3_650 })))).toBeUndefined();
  });

  it('refuses a definition too big to carry in every history, saying how big', () => {
    const huge = withChange((d) => (d.keyFeatures = Array.from({ length: 30_000 }, (_, i) => `feature_${i}`)));
    expect(problemsOf(huge)).toMatch(/is invalid: it is \d+ bytes as JSON, more than the 262144 allowed/);
  });

  it('refuses conditions nested too deep, before zod walks them', () => {
    for (const levels of [40, 20_000]) {
      let condition: Mutable = { kind: 'milestone', milestone: 'setup_done' };
      for (let i = 0; i < levels; i++) condition = { kind: 'all', of: [condition] };
      const deep = withChange((d) => (d.stages[0].exit.required[0].when = condition));
      expect(problemsOf(deep)).toMatch(/nests objects and lists more than 64 deep/);
    }
  });

  it('refuses what is not plain data', () => {
    const circular: Mutable = withChange(() => undefined);
    circular.self = circular;
    expect(problemsOf(circular)).toMatch(/is not plain data/);
    expect(problemsOf(undefined)).toMatch(/is missing/);
  });
});
