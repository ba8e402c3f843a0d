/**
 * Loaded once per worker thread, before any workflow runs (the bundler's `preloadModules`), so that
 * every cached workflow shares one evaluation of the workflow code (the domain, the plays, zod and
 * the schemas) instead of evaluating it again into its own module cache: most of what a cached
 * customer used to cost in memory (src/bench/RESULTS.md, "Where a cached customer's memory goes").
 *
 * The SDK deep-freezes what it shares, so that no workflow can change what another one sees. zod 4
 * schemas change themselves after construction (members bound on first read, lazily derived
 * internals, parsers wrapped and swapped by its memoizer): frozen, they throw on first use. So this
 * module freezes the shared modules' exports itself, as the SDK would, except zod schemas, which it
 * leaves as they are; an exports object already frozen is one the SDK's freeze does not walk.
 * What a schema changes in itself is a cache of what it already is (the same parse, the same
 * answer), so sharing it leaks nothing from one customer to another.
 *
 * What else a shared module keeps at its top level is shared by every workflow in the thread:
 * only pure memo tables may live there (`test/workflows/shared-modules.test.ts` lists them).
 */
import './index';
import { freezeSharedValue } from './freeze-shared';

/** webpack's table of every module in the bundle, by id (a webpack free variable). */
declare const __webpack_modules__: Record<string, unknown>;

interface ModuleRecord {
  exports: unknown;
}

/** The SDK's module cache (`reusable-vm`): before a workflow exists, it answers with the shared modules. */
const moduleCache = (globalThis as unknown as { __webpack_module_cache__: Record<string, ModuleRecord | undefined> }).__webpack_module_cache__;

const visited = new WeakSet<object>();
for (const id of Object.keys(__webpack_modules__)) {
  const record = moduleCache[id];
  if (record) freezeSharedValue(record.exports, visited);
}
