/**
 * Loads the lifecycle definition the worker runs: the module named by LIFECYCLE_DEFINITION (its
 * default export, or `lifecycle`), else the built-in default. Validated once, at worker start; an
 * invalid definition stops the worker with each wrong field's path and the reason.
 */
import { resolve } from 'node:path';
import { LIMITS } from '../domain/bounds';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import { ZLifecycleDefinition, type TLifecycleDefinition } from '../domain/lifecycle-definition';
import { SetupError } from '../dev-infra/setup-error';
import { allowTypeScriptRequires } from '../util/typescript-modules';

/** Deeper than this, conditions nested in `all`/`any` are a generated mistake, not a rule anyone reads. */
const MAX_NESTING = 64;

/** Why the definition cannot be judged field by field: too big for the histories, or nested too deep. */
function sizeProblem(candidate: unknown): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(candidate);
  } catch (error) {
    // JSON.stringify runs out of stack on a structure nested thousands deep.
    if (error instanceof RangeError) return `it nests objects and lists more than ${MAX_NESTING} deep`;
    return `it is not plain data (${(error as Error).message.split('\n')[0]})`;
  }
  if (json === undefined) return 'it is missing (export the definition as the default export or as `lifecycle`)';
  const bytes = Buffer.byteLength(json);
  if (bytes > LIMITS.definitionBytes)
    return `it is ${bytes} bytes as JSON, more than the ${LIMITS.definitionBytes} allowed (each customer's history carries it)`;
  // Depth without recursion, so a deeply nested input cannot overflow the stack while it is measured.
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      if (++depth > MAX_NESTING) return `it nests objects and lists more than ${MAX_NESTING} deep`;
    } else if (char === '}' || char === ']') depth--;
  }
  return undefined;
}

export function parseLifecycleDefinition(candidate: unknown, source: string): TLifecycleDefinition {
  const tooBig = sizeProblem(candidate);
  if (tooBig) {
    throw new SetupError(`The lifecycle definition in ${source} is invalid: ${tooBig}.`, 'Fix the definition; the worker starts once it validates.');
  }
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
