/**
 * Scenario files on disk: finding them (files, or folders of `.yaml`/`.yml`/`.json`), reading one
 * (YAML, of which JSON is a subset, so both get line numbers), and choosing the definition it runs
 * against. Every problem names the file, the field path and the line, all at once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { loadLifecycleDefinition } from '../lifecycle/load-definition';
import { parseScenario, type Scenario, type ScenarioIssue } from './scenario';
import { allowTypeScriptRequires } from '../util/typescript-modules';

export const SCENARIO_EXTENSIONS = ['.yaml', '.yml', '.json'];
/** A scenario is a page of text, not a data dump. */
const MAX_SCENARIO_BYTES = 1024 * 1024;

export interface ScenarioProblem {
  path: string;
  line?: number;
  message: string;
}

/** A scenario file that cannot be run, with each problem in it. */
export class ScenarioFileError extends Error {
  override readonly name = 'ScenarioFileError';
  constructor(
    readonly file: string,
    readonly problems: ScenarioProblem[],
  ) {
    super(`${file} is not a valid scenario:\n${problems.map((p) => `  ${p.line !== undefined ? `line ${p.line}: ` : ''}${p.path}: ${p.message}`).join('\n')}`);
  }
}

/** The scenario files named: files as given, folders searched (recursively), in name order. */
export function scenarioFiles(targets: string[]): string[] {
  const files: string[] = [];
  for (const target of targets) {
    let isFolder: boolean;
    try {
      isFolder = statSync(target).isDirectory();
    } catch {
      throw new ScenarioFileError(target, [{ path: '(file)', message: 'no such file or folder' }]);
    }
    if (!isFolder) {
      files.push(target);
      continue;
    }
    const found = readdirSync(target, { recursive: true, encoding: 'utf8' })
      .filter((name) => SCENARIO_EXTENSIONS.includes(extname(name)))
      .sort()
      .map((name) => join(target, name));
    if (found.length === 0) throw new ScenarioFileError(target, [{ path: '(folder)', message: `no ${SCENARIO_EXTENSIONS.join(', ')} files in it` }]);
    files.push(...found);
  }
  return files;
}

export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    if (statSync(file).size > MAX_SCENARIO_BYTES) throw new ScenarioFileError(file, [{ path: '(file)', message: 'larger than 1 MiB' }]);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as Error).name === 'ScenarioFileError') throw error;
    throw new ScenarioFileError(file, [
      { path: '(file)', message: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message },
    ]);
  }
  return parseScenarioText(text, file);
}

/**
 * Parses a scenario's text; problems carry the line of the field (or of its nearest parent).
 * `start` moves day 0 (the same story on other dates: a test server whose clock is now).
 */
export function parseScenarioText(text: string, file: string, overrides: { start?: string } = {}): Scenario {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ScenarioFileError(
      file,
      document.errors.map((error) => ({
        path: '(syntax)',
        line: lineCounter.linePos(error.pos[0]).line,
        message: error.message.split('\n')[0]!,
      })),
    );
  }
  const written: unknown = document.toJS({ maxAliasCount: 100 });
  const parsed = parseScenario(
    overrides.start !== undefined && written !== null && typeof written === 'object' ? { ...written, start: overrides.start } : written,
  );
  if (!parsed.ok)
    throw new ScenarioFileError(
      file,
      parsed.issues.map((issue) => located(issue, document, lineCounter)),
    );
  return parsed.scenario;
}

function located(issue: ScenarioIssue, document: Document, lines: LineCounter): ScenarioProblem {
  const path = issue.path.length > 0 ? issue.path.join('.') : '(scenario)';
  // The field itself, or (a missing field) the nearest object that should hold it.
  for (let depth = issue.path.length; depth >= 0; depth -= 1) {
    const node = document.getIn(issue.path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return { path, line: lines.linePos(node.range[0]).line, message: issue.message };
  }
  return { path, message: issue.message };
}

/**
 * The definition a scenario runs against: `--definition` if given, else the scenario's own
 * (`default`, a module path relative to the scenario file, or a published version found in
 * `published`), else the engine's current one (`LIFECYCLE_DEFINITION`, or the built-in default).
 */
export function definitionFor(
  scenario: Scenario,
  file: string,
  options: { override?: string; current?: string; published?: ReadonlyMap<string, TLifecycleDefinition> },
): TLifecycleDefinition {
  const named = (name: string, base: string): TLifecycleDefinition | undefined => {
    const module = moduleNamed(name, base);
    if (module === 'default') return DEFAULT_LIFECYCLE;
    if (module !== undefined) return loadLifecycleDefinition(module);
    return options.published?.get(name);
  };
  if (options.override !== undefined) {
    const definition = named(options.override, process.cwd());
    if (definition === undefined) throw new UnknownDefinitionError(`--definition ${options.override}: ${UNKNOWN_DEFINITION}`);
    return definition;
  }
  if (scenario.definition !== undefined) {
    const definition = named(scenario.definition, dirname(resolve(file)));
    if (definition === undefined) throw new ScenarioFileError(file, [{ path: 'definition', message: `"${scenario.definition}": ${UNKNOWN_DEFINITION}` }]);
    return definition;
  }
  return loadLifecycleDefinition(options.current);
}

/** A name that is neither `default` nor an existing module: perhaps a published version, to look up. */
export function versionToLookUp(name: string, base: string): boolean {
  return moduleNamed(name, base) === undefined;
}

const UNKNOWN_DEFINITION = 'neither "default" nor a module that exists nor a published version';

/** `--definition` names nothing that can be loaded. */
export class UnknownDefinitionError extends Error {
  override readonly name = 'UsageError';
}

/** `default`, the absolute path of an existing module, or undefined. */
function moduleNamed(name: string, base: string): string | undefined {
  if (name === 'default') return 'default';
  const absolute = resolve(base, name);
  try {
    allowTypeScriptRequires();
    return require.resolve(absolute);
  } catch {
    return undefined;
  }
}
