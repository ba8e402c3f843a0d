/**
 * The workflow modules are evaluated once per worker thread and shared by every cached workflow
 * (`workflows/shared-modules.ts`). Three things keep that safe, each held here: the bundle really
 * preloads them; what they export is frozen as the SDK would freeze it, except zod schemas, which
 * keep working, and so do RegExps (zod resets their lastIndex); and what a shared module keeps at its top level is a pure memo table, so no
 * customer sees another's state. A new top-level table fails the last test until it is looked at
 * and listed with the reason it is safe.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { freezeSharedValue } from '../../workflows/freeze-shared';

const ROOT = join(__dirname, '../..');

function bundleCode(): string {
  return readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8');
}

/** The project's own modules in the bundle, by path (webpack's module ids). */
function projectModules(code: string): string[] {
  return [...new Set([...code.matchAll(/"\.\/((?:src|workflows)\/[^"]+\.ts)"/g)].map((match) => match[1]!))].sort();
}

/**
 * Every top-level table a shared module keeps, and why sharing it between customers is safe. A
 * table keyed by value remembers a pure function's answers (the same for every customer); one
 * keyed by an object is keyed by one workflow's own state, which no other workflow holds.
 */
const SHARED_TABLES: Record<string, string> = {
  'src/domain/customer-facts.ts loginDaysCache': "keyed by a customer state's own dailyLogins record",
  'src/domain/customer-facts.ts dayStarts': 'Date.parse of a day, bounded',
  'src/domain/instants.ts parsed': 'Date.parse, bounded',
  'src/domain/instants.ts shifted': 'a date plus days, bounded',
  'src/domain/lifecycle-state.ts oldestFirst': "keyed by a customer state's own health history",
  'src/domain/lifecycle-state.ts heldIndex': "keyed by a customer state's own remembered ids",
  'src/domain/next-change.ts thresholdsCache': 'keyed by a loaded definition, derived from it alone',
  'workflows/shared-modules.ts visited': 'used once, while the thread starts',
};

/** Top-level `let`/`var` bindings and top-level collections (a declaration at column 0). */
function topLevelState(source: string): string[] {
  const names: string[] = [];
  for (const line of source.split('\n')) {
    const binding = /^(?:export )?(?:let|var) ([A-Za-z_$][\w$]*)/.exec(line);
    const table = /^(?:export )?const ([A-Za-z_$][\w$]*)\b[^=]*= *(?:new (?:Map|Set|WeakMap|WeakSet|Array)\b|\[\s*\]|\{\s*\})/.exec(line);
    const name = binding?.[1] ?? table?.[1];
    if (name) names.push(name);
  }
  return names;
}

describe('modules shared by the workflows of a worker thread', () => {
  it('are preloaded by the bundle every worker and test runs', () => {
    const code = bundleCode();
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code);
    expect(preload?.[1]).toContain('./workflows/shared-modules.ts');
  });

  it('keep at their top level only the memo tables listed, each safe to share', () => {
    const found = projectModules(bundleCode()).flatMap((path) => topLevelState(readFileSync(join(ROOT, path), 'utf8')).map((name) => `${path} ${name}`));
    expect(found.sort()).toEqual(Object.keys(SHARED_TABLES).sort());
  });
});

describe('freezeSharedValue', () => {
  const shape = z.object({
    kind: z.enum(['usage', 'ticket']),
    at: z.iso.datetime(),
    tags: z.array(z.string().max(20)).max(3).optional(),
    counts: z.record(z.string(), z.number().int()),
  });
  const eitherEvent = z.discriminatedUnion('type', [z.object({ type: z.literal('a'), value: z.number() }), z.object({ type: z.literal('b'), nested: shape })]);

  it('freezes plain data and functions, deeply, as the SDK would', () => {
    const table = { limits: { max: [1, 2, 3] }, label: 'x' };
    const fn = (): number => 1;
    freezeSharedValue({ table, fn }, new WeakSet());
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table.limits)).toBe(true);
    expect(Object.isFrozen(table.limits.max)).toBe(true);
    expect(Object.isFrozen(fn)).toBe(true);
    expect(() => {
      'use strict';
      (table.limits.max as number[]).push(4);
    }).toThrow(TypeError);
  });

  it('leaves zod schemas free, so they keep working however they are held', () => {
    const exports = { shape, eitherEvent, byName: { shape }, list: [eitherEvent] };
    freezeSharedValue(exports, new WeakSet());
    expect(Object.isFrozen(exports.byName)).toBe(true);
    expect(Object.isFrozen(exports.list)).toBe(true);
    expect(Object.isFrozen(shape)).toBe(false);
    expect(Object.isFrozen(eitherEvent)).toBe(false);
    // First reads of lazily bound members and first parses (which wrap parsers) after the freeze.
    const valid = { type: 'b', nested: { kind: 'usage', at: '2026-01-05T09:00:00Z', counts: { logins: 3 } } };
    for (let round = 0; round < 3; round += 1) {
      expect(eitherEvent.safeParse(valid).success).toBe(true);
      const failed = eitherEvent.safeParse({ type: 'b', nested: { kind: 'nope', at: 'x', counts: {} } });
      expect(failed.success).toBe(false);
      expect(failed.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['nested.at', 'nested.kind']);
      expect(shape.optional().safeParse(undefined).success).toBe(true);
    }
  });

  it('leaves RegExps free, which zod resets before each test, also when they are exported', () => {
    const pattern = /^[a-z]+$/g;
    const exported = { pattern, slug: z.string().regex(pattern), email: z.email() };
    freezeSharedValue(exported, new WeakSet());
    expect(Object.isFrozen(pattern)).toBe(false);
    for (let round = 0; round < 3; round += 1) {
      expect(exported.slug.safeParse('abc').success).toBe(true);
      expect(exported.slug.safeParse('ABC').success).toBe(false);
      expect(exported.email.safeParse('dana@example.com').success).toBe(true);
    }
  });

  it("is what the shared schemas need: the SDK's own deep freeze would break them", () => {
    const fresh = z.object({ id: z.string().max(10), tags: z.array(z.string()).optional() });
    const sdkFreeze = (value: unknown, seen = new WeakSet<object>()): void => {
      if (value === null || typeof value !== 'object' || seen.has(value)) return;
      seen.add(value);
      for (const key of Reflect.ownKeys(value)) sdkFreeze((value as Record<PropertyKey, unknown>)[key], seen);
      Object.freeze(value);
    };
    sdkFreeze(fresh);
    expect(() => fresh.parse({ id: 'a' })).toThrow(TypeError);
  });
});
