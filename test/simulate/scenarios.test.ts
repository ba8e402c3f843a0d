/**
 * The shipped scenarios (scenarios/) pass against the default definition, and a scenario that does
 * not hold says so: which check, on which day, expected what and found what; `cli simulate` exits 1
 * then. Pure and in-process: the simulator needs no server.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simulateCommand } from '../../src/cli/simulate';
import { judge } from '../../src/simulate/expectations';
import { runScenarioFile } from '../../src/simulate/run';
import { parseScenarioText, scenarioFiles } from '../../src/simulate/scenario-file';
import { simulate } from '../../src/simulate/simulator';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';

/** No version is published: what `simulate` finds when a name is neither a module nor `default`. */
const noneNamed = async () => new Map();

const root = resolve(__dirname, '../..');
const shipped = scenarioFiles([join(root, 'scenarios')]);

describe('the shipped scenarios', () => {
  it('are the seed stories', () => {
    expect(shipped.map((file) => file.slice(file.lastIndexOf('/') + 1))).toEqual([
      'duplicates.yaml',
      'expansion-handoff.yaml',
      'healthy-to-advocacy.yaml',
      'nps-detractor.yaml',
      'renewal-moved.yaml',
      'risk-in-retention.yaml',
      'stalled-onboarding.yaml',
    ]);
  });

  it.each(shipped.map((file) => [file.slice(root.length + 1), file]))('%s passes against the default definition', (_name, file) => {
    const run = runScenarioFile(file);
    expect(run.checks.length).toBeGreaterThan(0);
    expect(run.checks.filter((check) => !check.passed)).toEqual([]);
  });
});

describe('a failing expectation', () => {
  const duplicates = readFileSync(join(root, 'scenarios/duplicates.yaml'), 'utf8');
  // The repeat on day 12 given a new id is a new answer, not a repeat: the detractor play is judged again.
  const broken = duplicates.replace('{ day: 12, type: survey, id: nps-initech-q1,', '{ day: 12, type: survey, id: nps-initech-q1-again,');

  it('is reported with its check, day, expected and actual', () => {
    expect(broken).not.toBe(duplicates);
    const checks = judge(simulate(parseScenarioText(broken, 'broken.yaml'), DEFAULT_LIFECYCLE));
    const failed = checks.filter((check) => !check.passed);
    expect(failed).toEqual([
      {
        index: 1,
        check: 'timeline.excludes',
        day: 19,
        passed: false,
        expected: 'no entry including "play nps_detractor not started"',
        actual: 'day 12: play nps_detractor not started: a run of this play is still in progress (fired by NPS 3)',
      },
    ]);
  });

  it('on a day-bound check names the value found that day', () => {
    const text = duplicates.replace('expect:\n', 'expect:\n  - { day: 30, stage: adoption, band: red }\n');
    const checks = judge(simulate(parseScenarioText(text, 'x.yaml'), DEFAULT_LIFECYCLE)).filter((c) => c.index === 0);
    expect(checks).toEqual([
      { index: 0, check: 'stage', day: 30, passed: false, expected: 'adoption', actual: 'onboarding' },
      { index: 0, check: 'band', day: 30, passed: false, expected: 'red', actual: 'insufficient_data' },
    ]);
  });

  it('makes `cli simulate` print it and exit 1', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'scenarios-'));
    writeFileSync(join(folder, 'broken.yaml'), broken);
    let printed = '';
    const code = await simulateCommand({ LIFECYCLE_DEFINITION: undefined }, [folder], (text) => void (printed += text));
    expect(code).toBe(1);
    expect(printed).toContain('✖ duplicate events change nothing');
    expect(printed).toMatch(
      /✖ expect\.1 day 19 timeline\.excludes: expected no entry including "play nps_detractor not started", actual day 12: play nps_detractor/,
    );
    expect(printed).toContain('1 scenario, 6 checks: 5 passed, 1 failed');
  });
});

describe('cli simulate', () => {
  it('runs the shipped folder, prints each story and exits 0', async () => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done) =>
      execFile(join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', 'simulate', 'scenarios'], { cwd: root, timeout: 90_000 }, (error, out) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout: out }),
      ),
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/✔ healthy enterprise customer reaches advocacy \(scenarios\/healthy-to-advocacy\.yaml\)/);
    expect(stdout).toMatch(/day {2}25 {2}stage {4}onboarding -> adoption: exit criteria met .* \(after milestone event milestone:6:day25\)/);
    expect(stdout).toMatch(/^7 scenarios, \d+ checks: \d+ passed, 0 failed/m);
  });

  it('answers --json with every check', async () => {
    let printed = '';
    const code = await simulateCommand(
      { LIFECYCLE_DEFINITION: undefined },
      [join(root, 'scenarios/nps-detractor.yaml'), '--json'],
      (text) => void (printed += text),
    );
    expect(code).toBe(0);
    const report = JSON.parse(printed) as {
      passed: boolean;
      scenarios: { customerId: string; playsStarted: { day: number; playId: string }[]; checks: unknown[] }[];
    };
    expect(report.passed).toBe(true);
    expect(report.scenarios[0]?.customerId).toBe('globex');
    expect(report.scenarios[0]?.playsStarted).toContainEqual(expect.objectContaining({ day: 120, playId: 'nps_detractor' }));
  });

  it('names a definition it cannot find, in the scenario or in --definition', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'scenarios-'));
    const file = join(folder, 'elsewhere.yaml');
    writeFileSync(file, readFileSync(join(root, 'scenarios/duplicates.yaml'), 'utf8').replace('customer:', 'definition: ./no-such-lifecycle.ts\ncustomer:'));
    let printed = '';
    expect(await simulateCommand({ LIFECYCLE_DEFINITION: undefined }, [file], (text) => void (printed += text), noneNamed)).toBe(1);
    expect(printed).toContain(`${file} is not a valid scenario:\n  definition: "./no-such-lifecycle.ts": neither "default" nor a module that exists`);
    await expect(
      simulateCommand({ LIFECYCLE_DEFINITION: undefined }, [join(root, 'scenarios'), '--definition', '2026.12.9'], () => undefined, noneNamed),
    ).rejects.toThrow(/^--definition 2026\.12\.9: neither "default" nor a module that exists nor a published version/);
  });

  it('runs against a published version named by --definition or by the scenario', async () => {
    const stricter = { ...DEFAULT_LIFECYCLE, version: '2026.12.7' };
    const asked: string[][] = [];
    const published = async (versions: string[]) => {
      asked.push(versions);
      return new Map(versions.includes('2026.12.7') ? [['2026.12.7', stricter]] : []);
    };
    let printed = '';
    const file = join(root, 'scenarios/duplicates.yaml');
    expect(
      await simulateCommand({ LIFECYCLE_DEFINITION: undefined }, [file, '--definition', '2026.12.7', '--json'], (text) => void (printed += text), published),
    ).toBe(0);
    expect(asked).toEqual([['2026.12.7']]);
    expect(JSON.parse(printed).scenarios[0].definitionVersion).toBe('2026.12.7');
    const folder = mkdtempSync(join(tmpdir(), 'scenarios-'));
    const pinned = join(folder, 'pinned.yaml');
    writeFileSync(pinned, readFileSync(file, 'utf8').replace('customer:', 'definition: 2026.12.7\ncustomer:'));
    printed = '';
    expect(await simulateCommand({ LIFECYCLE_DEFINITION: undefined }, [pinned, '--json'], (text) => void (printed += text), published)).toBe(0);
    expect(JSON.parse(printed).scenarios[0].definitionVersion).toBe('2026.12.7');
  });

  it('runs a scenario against another definition with --definition', async () => {
    let printed = '';
    await simulateCommand(
      { LIFECYCLE_DEFINITION: undefined },
      [join(root, 'scenarios/nps-detractor.yaml'), '--definition', join(root, 'test/fixtures/custom-lifecycle.ts')],
      (text) => void (printed += text),
    );
    expect(printed).toMatch(/definition 2026\.11\.1-acme\.1/);
  });
});
