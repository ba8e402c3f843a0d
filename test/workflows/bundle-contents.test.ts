/**
 * The workflow bundle's modules are evaluated once per worker thread and shared by its cached
 * workflows (`workflows/shared-modules.ts`); what they build still costs every thread and every
 * replay worker its memory and start-up time. The workflows parse events, carried state and
 * messages, never a lifecycle definition, a play or a customer view: the modules that build those
 * schemas must stay out of the bundle, and an import that pulls one back in fails here.
 */
import { readFileSync } from 'node:fs';

const KEPT_OUT = ['src/domain/lifecycle-definition.ts', 'src/plays/definition.ts', 'src/domain/customer-view-schema.ts', 'src/domain/default-lifecycle.ts'];

describe('the workflow bundle', () => {
  it('holds none of the modules whose schemas the workflows never use', () => {
    const code = readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8');
    // The bundle names each module it holds by its path (webpack's module ids).
    expect(code).toContain('src/domain/lifecycle-step.ts');
    expect(KEPT_OUT.filter((path) => code.includes(`"./${path}"`))).toEqual([]);
  });
});
