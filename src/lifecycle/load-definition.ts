/**
 * Loads the lifecycle definition the worker runs: the module named by LIFECYCLE_DEFINITION (its
 * default export, or `lifecycle`), else the built-in default. Validated once, at worker start; an
 * invalid definition stops the worker with each wrong field's path and the reason.
 */
import { resolve } from 'node:path';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import { ZLifecycleDefinition, type TLifecycleDefinition } from '../domain/lifecycle-definition';
import { SetupError } from '../dev-infra/setup-error';
import { allowTypeScriptRequires } from '../util/typescript-modules';

export function parseLifecycleDefinition(candidate: unknown, source: string): TLifecycleDefinition {
  const parsed = ZLifecycleDefinition.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new SetupError(
    `The lifecycle definition in ${source} is invalid:\n  ${problems.join('\n  ')}`,
    'Fix the fields named above; the worker starts once the definition validates.',
  );
}

export function loadLifecycleDefinition(modulePath: string | undefined): TLifecycleDefinition {
  if (!modulePath) return DEFAULT_LIFECYCLE;
  const absolute = resolve(modulePath);
  let loaded: Record<string, unknown>;
  try {
    allowTypeScriptRequires();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(absolute) as Record<string, unknown>;
  } catch (error) {
    throw new SetupError(
      `Cannot load the lifecycle definition module ${absolute}: ${(error as Error).message.split('\n')[0]}`,
      'Point LIFECYCLE_DEFINITION at a .ts or .js module that exports the definition (default export or `lifecycle`).',
      { cause: error },
    );
  }
  return parseLifecycleDefinition(loaded.default ?? loaded.lifecycle, absolute);
}
