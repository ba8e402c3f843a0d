/**
 * What `cli simulate` prints: each customer's story, day by day, then each expectation's checks as
 * passed or failed (which, on which day, expected and actual); and the same as JSON for CI. Pure.
 */
import type { CheckResult } from './expectations';
import type { Simulation, StoryKind } from './simulator';

export interface ScenarioRun {
  file: string;
  simulation: Simulation;
  checks: CheckResult[];
  elapsedMs: number;
}

const KIND_LABEL: Record<StoryKind, string> = {
  handoff: 'handoff',
  event: 'event',
  stage: 'stage',
  band: 'band',
  play: 'play',
  action: '  ↳',
  timer: 'timer',
  sla: 'sla',
  rejected: 'rejected',
};

export const passed = (run: ScenarioRun) => run.checks.every((check) => check.passed);

export function checkText(check: CheckResult): string {
  const where = `${check.day !== undefined ? `day ${check.day} ` : ''}${check.check}`;
  return check.passed ? `${where}: ${check.expected}` : `${where}: expected ${check.expected}, actual ${check.actual}`;
}

export function formatRun(run: ScenarioRun): string {
  const { simulation, checks } = run;
  const { scenario } = simulation;
  const failed = checks.filter((c) => !c.passed).length;
  const lines = [
    `${failed === 0 ? '✔' : '✖'} ${scenario.name} (${run.file})`,
    `  customer ${scenario.handoff.customerId}, definition ${simulation.definitionVersion}, days 0-${scenario.untilDay}, ` +
      `${scenario.events.length} events, ${simulation.steps} steps, ${run.elapsedMs.toFixed(0)} ms`,
  ];
  for (const line of simulation.story) {
    lines.push(`  day ${String(line.day).padStart(3)}  ${KIND_LABEL[line.kind].padEnd(8)} ${line.text}`);
  }
  lines.push(
    `  at the end: ${simulation.final.stage}, ${simulation.final.band ?? 'no band'}${simulation.final.score !== null ? ` (${simulation.final.score})` : ''}, ${simulation.final.sla.replace('_', ' ')}`,
  );
  lines.push(`  expectations: ${checks.length - failed} of ${checks.length} passed`);
  for (const check of checks) lines.push(`    ${check.passed ? '✔' : '✖'} expect.${check.index} ${checkText(check)}`);
  return lines.join('\n');
}

export function formatSummary(runs: ScenarioRun[]): string {
  const failedRuns = runs.filter((run) => !passed(run));
  const checks = runs.flatMap((run) => run.checks);
  const failedChecks = checks.filter((c) => !c.passed).length;
  const ms = runs.reduce((sum, run) => sum + run.elapsedMs, 0);
  const head = `${runs.length} scenario${runs.length === 1 ? '' : 's'}, ${checks.length} checks: ${checks.length - failedChecks} passed, ${failedChecks} failed (${ms.toFixed(0)} ms)`;
  return failedRuns.length === 0 ? head : `${head}\nfailed: ${failedRuns.map((run) => run.file).join(', ')}`;
}

/** The machine-readable form (`--json`). */
export function runJson(run: ScenarioRun) {
  const { simulation } = run;
  return {
    file: run.file,
    name: simulation.scenario.name,
    customerId: simulation.scenario.handoff.customerId,
    definitionVersion: simulation.definitionVersion,
    passed: passed(run),
    elapsedMs: Math.round(run.elapsedMs * 100) / 100,
    steps: simulation.steps,
    stagePath: simulation.stagePath,
    playsStarted: simulation.plays.map(({ day, playId, why }) => ({ day, playId, why })),
    story: simulation.story.map(({ atMs, day, kind, text }) => ({ day, at: new Date(atMs).toISOString(), kind, text })),
    final: simulation.final,
    checks: run.checks,
  };
}
