/**
 * Judges a scenario's expectations against its simulation: each check of each expectation passes
 * or fails with what was expected and what happened, so a failing story says which check, on which
 * day, expected what and found what. Pure.
 */
import type { TExpectation } from './scenario';
import type { Simulation } from './simulator';

export interface CheckResult {
  /** Index of the expectation in the scenario's `expect`. */
  index: number;
  check: 'stage' | 'band' | 'score' | 'sla' | 'stages' | 'plays.started' | 'plays.notStarted' | 'timeline.includes' | 'timeline.excludes';
  day?: number;
  passed: boolean;
  expected: string;
  actual: string;
}

export function judge(simulation: Simulation): CheckResult[] {
  return simulation.scenario.expectations.flatMap((expectation, index) => judgeOne(simulation, expectation, index));
}

function judgeOne(simulation: Simulation, e: TExpectation, index: number): CheckResult[] {
  const results: CheckResult[] = [];
  const byDay = e.day ?? simulation.scenario.untilDay;
  const add = (check: CheckResult['check'], passed: boolean, expected: string, actual: string) =>
    results.push({ index, check, ...(e.day !== undefined ? { day: e.day } : {}), passed, expected, actual });
  const on = e.day !== undefined ? simulation.snapshots.get(e.day) : undefined;

  if (e.stage !== undefined) add('stage', on?.stage === e.stage, e.stage, on?.stage ?? 'unknown');
  if (e.band !== undefined) add('band', on?.band === e.band, e.band, on?.band ?? 'no band yet');
  if (e.sla !== undefined) add('sla', on?.sla === e.sla, e.sla, on?.sla ?? 'unknown');
  if (e.score !== undefined) {
    const score = on?.score ?? null;
    const { min, max } = e.score;
    const passed = score !== null && (min === undefined || score >= min) && (max === undefined || score <= max);
    const expected = [min !== undefined ? `>= ${min}` : '', max !== undefined ? `<= ${max}` : ''].filter(Boolean).join(' and ');
    add('score', passed, `score ${expected}`, score === null ? 'no score yet' : `score ${score}`);
  }
  if (e.stages !== undefined) {
    const path = simulation.stagePath.filter((s) => s.day <= byDay).map((s) => s.stage);
    add('stages', sameList(path, e.stages), e.stages.join(' -> '), path.join(' -> '));
  }
  if (e.plays !== undefined) {
    const started = [...new Set(simulation.plays.filter((p) => p.day <= byDay).map((p) => p.playId))];
    const startedText = started.length > 0 ? `started: ${started.join(', ')}` : 'no play started';
    if (e.plays.started !== undefined) {
      const missing = e.plays.started.filter((id) => !started.includes(id));
      add(
        'plays.started',
        missing.length === 0,
        `started: ${e.plays.started.join(', ')}`,
        missing.length === 0 ? startedText : `not started: ${missing.join(', ')} (${startedText})`,
      );
    }
    if (e.plays.notStarted !== undefined) {
      const unwanted = e.plays.notStarted.filter((id) => started.includes(id));
      add(
        'plays.notStarted',
        unwanted.length === 0,
        `not started: ${e.plays.notStarted.join(', ')}`,
        unwanted.length === 0 ? startedText : `started: ${unwanted.join(', ')}`,
      );
    }
  }
  if (e.timeline !== undefined) {
    const until = simulation.timeline.filter(({ day }) => day <= byDay);
    const { includes, excludes } = e.timeline;
    if (includes !== undefined) {
      const found = until.find(({ entry }) => entry.summary.includes(includes));
      add(
        'timeline.includes',
        found !== undefined,
        `an entry including "${includes}"`,
        found ? `day ${found.day}: ${found.entry.summary}` : `none by day ${byDay}`,
      );
    }
    if (excludes !== undefined) {
      const found = until.find(({ entry }) => entry.summary.includes(excludes));
      add(
        'timeline.excludes',
        found === undefined,
        `no entry including "${excludes}"`,
        found ? `day ${found.day}: ${found.entry.summary}` : `none by day ${byDay}`,
      );
    }
  }
  return results;
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((item, i) => item === b[i]);
