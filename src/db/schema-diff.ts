/**
 * Migration SQL from Prisma schema texts, without a database and without Prisma's native engine.
 *
 * `prisma migrate dev/diff` need the native schema-engine binary, which cannot be downloaded on the
 * project's machines. Prisma ships the same engine compiled to WebAssembly
 * (`@prisma/schema-engine-wasm`, pinned exactly in package.json: it is internal to Prisma and its
 * API changes without notice). Its `diff` command between two schema datamodels (or from "empty")
 * is computed entirely in the engine, so this module drives it directly — the equivalent of
 * `prisma migrate diff --from-empty|--from-schema A --to-schema B --script`.
 *
 * How the package is driven (wasm-bindgen "bundler" target):
 * - `schema_engine_bg.js` is the JS glue; `schema_engine_bg.wasm` imports every `__wbg_*`
 *   function of the glue under the module name `./schema_engine_bg.js`. We instantiate the wasm
 *   with the glue as imports, hand the exports back with `__wbg_set_wasm`, run
 *   `__wbindgen_start`, then `await SchemaEngine.new(options, logCallback, adapterFactory)` and
 *   `engine.diff({ from, to, script: true, exitCode: true, filters })`.
 * - The engine only speaks to databases through a Prisma driver-adapter factory, and on
 *   construction it always runs one probe query (does schema `public` exist, server version).
 *   A diff between schema texts needs nothing else, so we pass a stub adapter that answers that
 *   probe and refuses every other statement: if a future engine version tried to touch a
 *   database, the diff fails loudly instead of silently depending on one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

// Type-only imports: erased at run time (the package is ESM and cannot be `require`d under jest).
import type { ConstructorOptions, DiffParams, DiffResult, DiffTarget, SchemaEngine } from '@prisma/schema-engine-wasm';

/** SQL that migrates a database shaped by `fromSchema` (null = empty) to `toSchema`; '' when nothing changes. Pure: no database. */
export async function diffSchemas(fromSchema: string | null, toSchema: string): Promise<string> {
  const from: DiffTarget = fromSchema === null ? { tag: 'empty' } : { tag: 'schemaDatamodel', files: [{ path: FROM_PATH, content: fromSchema }] };
  const to: DiffTarget = { tag: 'schemaDatamodel', files: [{ path: TO_PATH, content: toSchema }] };
  const params: DiffParams = {
    from,
    to,
    script: true,
    // With exitCode requested the engine reports 2 for "there is a difference" and 0 for none.
    // That is how we detect "nothing changes": without it, an empty diff is still returned as the
    // non-empty script "-- This is an empty migration.".
    exitCode: true,
    filters: { externalTables: [], externalEnums: [] },
  };

  const { glue, panic } = await instantiateEngineModule();
  const options: ConstructorOptions = { datamodels: undefined };
  let result: DiffResult;
  let engine: SchemaEngine | undefined;
  try {
    // The log callback receives the engine's `tracing` events as JSON strings; they are only
    // informational (start-up banner, spans), errors come back as rejections.
    engine = await glue.SchemaEngine.new(options, () => undefined, createProbeOnlyAdapterFactory());
    result = await engine.diff(params);
  } catch (error) {
    throw toDiffError(error, panic.message);
  } finally {
    // Each call has its own wasm instance, so freeing is tidiness, not correctness; after a panic
    // the instance is unusable and free() may throw, which must not mask the real error.
    try {
      engine?.free();
    } catch {
      /* ignored, see above */
    }
  }

  if (result.exitCode === 0) return '';
  if (result.exitCode !== 2 || typeof result.stdout !== 'string') {
    throw new Error(`schema-diff: unexpected engine result ${JSON.stringify(result)}`);
  }
  return result.stdout;
}

// File names only appear in validation errors ("--> to/schema.prisma:12"), where they tell the
// reader which of the two schemas is broken.
const FROM_PATH = 'from/schema.prisma';
const TO_PATH = 'to/schema.prisma';

// ---------------------------------------------------------------------------------------------
// Loading the wasm module
// ---------------------------------------------------------------------------------------------

/** The part of `schema_engine_bg.js` (the wasm-bindgen glue) this module uses. */
interface EngineGlue {
  SchemaEngine: typeof SchemaEngine;
  __wbg_set_wasm(exports: WasmExports): void;
}

// The project compiles against lib ES2022 + @types/node 20, neither of which declares the
// WebAssembly global; these are the few members used here.
type WasmModule = object;
type WasmExports = Record<string, unknown>;
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: Record<string, Record<string, unknown>>): Promise<{ exports: WasmExports }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The glue writes Rust panic messages to `global.PRISMA_WASM_PANIC_REGISTRY.set_message(...)`. */
interface PanicRegistry {
  message: string | undefined;
  set_message(message: string): void;
}

interface EngineModule {
  glue: EngineGlue;
  panic: PanicRegistry;
}

interface CompiledEngine {
  wasm: WasmModule;
  /** Evaluates a fresh copy of the glue (its module-level state belongs to one wasm instance). */
  makeGlue(global: object): Record<string, unknown>;
}

let compiled: Promise<CompiledEngine> | undefined;

/**
 * A fresh wasm instance per diff. Instantiating an already compiled module takes ~3 ms, and it
 * buys isolation: engine methods take `&mut self` (concurrent calls on one instance throw), and
 * after a Rust panic an instance must not be used again.
 */
async function instantiateEngineModule(): Promise<EngineModule> {
  compiled ??= compileEngine().catch((error: unknown) => {
    compiled = undefined; // let a later call retry (e.g. after `npm install`)
    throw error;
  });
  const { wasm, makeGlue } = await compiled;

  const panic: PanicRegistry = {
    message: undefined,
    set_message(message: string) {
      this.message = message;
    },
  };
  // The glue reads the registry from the free variable `global`; we pass an object that inherits
  // every real global but carries our own registry, so nothing is installed on globalThis and
  // each instance reports its own panic.
  const globalWithRegistry: object = Object.create(globalThis, { PRISMA_WASM_PANIC_REGISTRY: { value: panic } });
  const glueExports = makeGlue(globalWithRegistry);
  const instance = await wasmApi.instantiate(wasm, { './schema_engine_bg.js': glueExports });
  const glue = glueExports as unknown as EngineGlue;
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return { glue, panic };
}

async function compileEngine(): Promise<CompiledEngine> {
  // Resolve through the package's own `exports` map ("./schema_engine_bg" has a require condition).
  const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const wasmPath = path.join(path.dirname(gluePath), 'schema_engine_bg.wasm');
  const [glueSource, wasmBytes] = await Promise.all([readFile(gluePath, 'utf8'), readFile(wasmPath)]);
  return { wasm: await wasmApi.compile(wasmBytes), makeGlue: compileGlue(glueSource, gluePath) };
}

/**
 * Turns the ESM glue into a function returning its exports.
 *
 * Why not `import()`: this project is CommonJS and its tests run under jest, whose module system
 * cannot load ES modules from node_modules without experimental flags (and a transpiler turns
 * `import()` into `require()` anyway). The glue is self-contained generated code — no imports,
 * only top-level `export function|class|const|let` declarations — so stripping `export` and
 * evaluating it in a function scope gives exactly the module's behaviour, in the caller's realm.
 */
function compileGlue(source: string, gluePath: string): (global: object) => Record<string, unknown> {
  const names: string[] = [];
  const body = source.replace(/^export (function|class|const|let) ([A-Za-z_$][\w$]*)/gm, (_match, kind: string, name: string) => {
    names.push(name);
    return `${kind} ${name}`;
  });
  const leftover = /^\s*(import|export)\b.*$/m.exec(body);
  if (leftover || !names.includes('SchemaEngine') || !names.includes('__wbg_set_wasm')) {
    throw new Error(
      `schema-diff: ${gluePath} does not have the expected wasm-bindgen layout` +
        (leftover ? ` (unexpected "${leftover[0].trim()}")` : '') +
        '; was @prisma/schema-engine-wasm upgraded? This loader is written for the version pinned in package.json.',
    );
  }
  return new Function('global', `'use strict';\n${body}\nreturn { ${names.join(', ')} };`) as (global: object) => Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// The stub driver adapter
// ---------------------------------------------------------------------------------------------

// Minimal local shapes of @prisma/driver-adapter-utils' "error capturing" adapter interfaces (the
// form the engine receives from Prisma's CLI: every call returns `{ ok, value | error }`). Declared
// here because driver-adapter-utils is only a transitive dependency.
type AdapterResult<T> = { ok: true; value: T } | { ok: false; error: AdapterError };
interface AdapterError {
  kind: 'postgres';
  code: string;
  severity: string;
  message: string;
  detail: string | undefined;
  column: string | undefined;
  hint: string | undefined;
}
interface SqlQuery {
  sql: string;
  args: unknown[];
}
interface SqlResultSet {
  columnNames: string[];
  /** Values of ColumnTypeEnum in @prisma/driver-adapter-utils. */
  columnTypes: number[];
  rows: unknown[][];
}

const COLUMN_TYPE_INT32 = 0;
const COLUMN_TYPE_BOOLEAN = 5;
const COLUMN_TYPE_TEXT = 7;

/**
 * The version we claim. The DDL for a schema-to-schema diff did not differ between 15 and 17 in
 * our checks; 15 is the oldest server the project runs against (Debian's), PGlite is 17.
 */
const STUB_SERVER_VERSION = 'PostgreSQL 15.0 (schema-diff stub, no database)';
const STUB_SERVER_VERSION_NUM = 150000;

function createProbeOnlyAdapterFactory(): object {
  const refuse = (what: string): AdapterResult<never> => ({
    ok: false,
    error: {
      kind: 'postgres',
      code: '0A000', // feature_not_supported
      severity: 'ERROR',
      message: `schema-diff has no database, but the schema engine tried to run: ${what}`,
      detail: undefined,
      column: undefined,
      hint: undefined,
    },
  });

  const adapter = {
    provider: 'postgres',
    adapterName: 'schema-diff-stub',
    getConnectionInfo: (): AdapterResult<{ supportsRelationJoins: boolean }> => ({
      ok: true,
      value: { supportsRelationJoins: true },
    }),
    queryRaw: async (query: SqlQuery): Promise<AdapterResult<SqlResultSet>> => {
      // The connector's start-up probe: `SELECT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = $1),
      // version(), current_setting('server_version_num')::integer`. Saying the schema exists
      // matters: otherwise the engine tries to `CREATE SCHEMA` right away.
      if (query.sql.includes('pg_namespace') && query.sql.includes('version()')) {
        return {
          ok: true,
          value: {
            columnNames: ['exists', 'version', 'numeric_version'],
            columnTypes: [COLUMN_TYPE_BOOLEAN, COLUMN_TYPE_TEXT, COLUMN_TYPE_INT32],
            rows: [[true, STUB_SERVER_VERSION, STUB_SERVER_VERSION_NUM]],
          },
        };
      }
      return refuse(query.sql);
    },
    executeRaw: async (query: SqlQuery): Promise<AdapterResult<number>> => refuse(query.sql),
    executeScript: async (script: string): Promise<AdapterResult<void>> => refuse(script),
    startTransaction: async (): Promise<AdapterResult<never>> => refuse('BEGIN'),
    dispose: async (): Promise<AdapterResult<void>> => ({ ok: true, value: undefined }),
  };

  return {
    provider: 'postgres',
    adapterName: 'schema-diff-stub',
    connect: async (): Promise<AdapterResult<typeof adapter>> => ({ ok: true, value: adapter }),
  };
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * Engine rejections are `Error`s named e.g. `SchemaConnectorError` with a Prisma `code` (`P1012`
 * for schema validation errors) and a message that already points at the file and line. A Rust
 * panic surfaces as `RuntimeError: unreachable`, its real message only in the panic registry.
 */
function toDiffError(error: unknown, panicMessage: string | undefined): Error {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const detail = panicMessage ? `the schema engine panicked: ${panicMessage}` : message;
  const wrapped = new Error(`schema-diff failed${code ? ` (${code})` : ''}: ${detail}`, { cause: error });
  wrapped.name = 'SchemaDiffError';
  return Object.assign(wrapped, { code });
}
