import { resolve } from 'node:path';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { loadLifecycleDefinition } from '../../src/lifecycle/load-definition';

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
