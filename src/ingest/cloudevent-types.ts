/**
 * Which CloudEvents `type` becomes which engine event type: the built-in `com.cs-lifecycle.<type>`
 * names, one per engine event type, and the ops' own from `CLOUDEVENTS_TYPE_MAP` (read by
 * `src/config.ts` at start-up). Apart from the reader (`cloudevents.ts`) so that the settings load
 * no event schemas: the API's schemas must be made after `@hono/zod-openapi` has extended zod.
 */
import { z } from 'zod';
import { LIMITS, textProblem } from '../domain/bounds';
import { CUSTOMER_EVENT_TYPES } from '../domain/conditions';

export type TEngineEventType = (typeof CUSTOMER_EVENT_TYPES)[number];

export const CLOUDEVENT_TYPE_LIMITS = {
  /** A CloudEvents type name. */
  type: LIMITS.name,
  /** Entries in `CLOUDEVENTS_TYPE_MAP`. */
  customTypes: 1_000,
} as const;
const L = CLOUDEVENT_TYPE_LIMITS;

/** The built-in types: `com.cs-lifecycle.usage` → `usage`, one per engine event type. */
export const CLOUDEVENT_TYPE_PREFIX = 'com.cs-lifecycle.';
export const DEFAULT_CLOUDEVENT_TYPES: Readonly<Record<string, TEngineEventType>> = Object.fromEntries(
  CUSTOMER_EVENT_TYPES.map((type) => [`${CLOUDEVENT_TYPE_PREFIX}${type}`, type]),
);

/**
 * `CLOUDEVENTS_TYPE_MAP`: the ops' own CloudEvents types and the engine type each becomes, e.g.
 * `{"com.acme.login": "usage"}`. The `com.cs-lifecycle.` names are the engine's own and cannot be
 * remapped.
 */
export const ZCloudEventTypeMap = z
  .record(
    z
      .string()
      .min(1, 'a type must not be empty')
      .max(L.type, `a type has at most ${L.type} characters`)
      .refine((type) => textProblem(type) === undefined, 'a type must not contain NUL characters or unpaired surrogates')
      .refine((type) => !type.startsWith(CLOUDEVENT_TYPE_PREFIX), `types starting with ${CLOUDEVENT_TYPE_PREFIX} are the built-in ones`),
    z.enum(CUSTOMER_EVENT_TYPES, { error: `must be one of ${CUSTOMER_EVENT_TYPES.join(', ')}` }),
  )
  .refine((map) => Object.keys(map).length <= L.customTypes, `at most ${L.customTypes} types`);
export type TCloudEventTypeMap = z.infer<typeof ZCloudEventTypeMap>;

/** The setting's JSON read and checked; problems name the type (`com.acme.login: must be one of …`). */
export function parseCloudEventTypeMap(raw: string | undefined): { ok: true; map: TCloudEventTypeMap } | { ok: false; path: string[]; message: string } {
  if (raw === undefined || raw.trim() === '') return { ok: true, map: {} };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, path: [], message: `not valid JSON (${(error as Error).message})` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, path: [], message: 'must be a JSON object of CloudEvents type → engine event type, e.g. {"com.acme.login": "usage"}' };
  }
  // Keys first: zod names a bad record key only as "Invalid key in record".
  for (const key of Object.keys(json)) {
    const problem = ZCloudEventTypeMap.keyType.safeParse(key);
    if (!problem.success) return { ok: false, path: key === '' ? [] : [key], message: problem.error.issues[0]!.message };
  }
  const parsed = ZCloudEventTypeMap.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, path: issue.path.map(String), message: issue.message };
  }
  return { ok: true, map: parsed.data };
}

/** Every CloudEvents type the engine takes, built-in and configured, and what it becomes. */
export function cloudEventTypes(custom: TCloudEventTypeMap = {}): ReadonlyMap<string, TEngineEventType> {
  return new Map([...Object.entries(DEFAULT_CLOUDEVENT_TYPES), ...Object.entries(custom)]);
}
