/**
 * Look-ups over a lifecycle definition that workflow code needs at run time. They live apart from
 * `lifecycle-definition.ts` on purpose: every workflow evaluates the modules it imports into its
 * own module cache (the SDK's per-workflow isolation), and importing that module for `stageOf`
 * built the whole definition schema (and the plays' schemas) once per cached customer, though the
 * workflow never parses a definition (the activity that loads one does). Types only from there.
 * Sandbox-safe.
 */
import type { TLifecycleDefinition, TStage } from './lifecycle-definition';
import type { TStageId } from './conditions';

export function stageOf(definition: TLifecycleDefinition, id: TStageId): TStage {
  const stage = definition.stages.find((candidate) => candidate.id === id);
  if (!stage) throw new Error(`lifecycle definition has no stage ${id}`);
  return stage;
}

/** True for an IANA time zone name the runtime knows (Intl is built into V8, so this is sandbox-safe). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
