/**
 * How `shared-modules.ts` freezes what every workflow in a worker thread shares: the SDK's own deep
 * freeze (`reusable-vm`: own properties, functions frozen without walking into them, what cannot be
 * frozen left alone), except that it stops at zod schemas, which must stay free to fill in their
 * own caches. Sandbox-safe; unit-tested in `test/workflows/shared-modules.test.ts`.
 */

/** A zod schema: `_zod` holds its definition and its self-managed caches. */
function isZodSchema(value: object): boolean {
  return Object.prototype.hasOwnProperty.call(value, '_zod');
}

/** Freezes `value` and what it holds, as the SDK would, except zod schemas and what they hold. */
export function freezeSharedValue(value: unknown, visited: WeakSet<object>): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  if (visited.has(value) || Object.isFrozen(value)) return;
  visited.add(value);
  if (typeof value === 'object') {
    // A frozen RegExp's lastIndex is read-only, and zod resets a pattern's before each test: the
    // same RegExp objects are exported (zod's regexes, ours) and held by the schemas that use them.
    // Its lastIndex is all a RegExp can change, and every use of one here is synchronous.
    if (isZodSchema(value) || value instanceof RegExp) return;
    for (const key of Reflect.ownKeys(value)) {
      try {
        freezeSharedValue((value as Record<PropertyKey, unknown>)[key], visited);
      } catch {
        // as the SDK does: some objects cannot be frozen
      }
    }
  }
  try {
    Object.freeze(value);
  } catch {
    // as the SDK does: some objects cannot be frozen
  }
}
