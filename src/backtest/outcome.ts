/**
 * What a backtest keeps of one simulation, and how two of them (baseline, candidate) of the same
 * customer differ. A simulation records a whole story; a backtest of thousands of customers keeps
 * only what its report shows: the stage path, the band from each day on, the plays started, and a
 * week-by-week sample for the charts. Pure: no I/O, no clock.
 */
import type { Simulation } from '../simulate/simulator';
import { DAY_MS, dayOf } from '../simulate/scenario';

/** A band as the report counts days in it: `none` before the first evaluation. */
export const BANDS = ['green', 'yellow', 'red', 'insufficient_data', 'none'] as const;
export type Band = (typeof BANDS)[number];
export type BandDays = Record<Band, number>;

export interface Outcome {
  definitionVersion: string;
  /** The stage from each day on, from onboarding on day 0. */
  stagePath: { day: number; stage: string }[];
  /** The band from each day on (the last change of a day wins), from `none` on day 0. */
  bands: { day: number; band: Band }[];
  plays: { day: number; playId: string }[];
}

export const asBand = (band: unknown): Band => ((BANDS as readonly unknown[]).includes(band) ? (band as Band) : 'none');

/** The outcome of a simulation: read from its stage path, its health timeline entries and its plays. */
export function outcomeOf(simulation: Simulation): Outcome {
  const bands: Outcome['bands'] = [{ day: 0, band: 'none' }];
  for (const { day, entry } of simulation.timeline) {
    // A health entry is written on every band change (and on bigger score moves): its band is the customer's from then on.
    if (entry.kind !== 'health' || entry.detail === undefined || !('band' in entry.detail)) continue;
    const band = asBand(entry.detail.band);
    const last = bands[bands.length - 1]!;
    if (last.day === day) last.band = band;
    else if (last.band !== band) bands.push({ day, band });
    // A day that went back to the band before it is no change at all.
    if (bands.length > 1 && bands[bands.length - 2]!.band === bands[bands.length - 1]!.band) bands.pop();
  }
  return {
    definitionVersion: simulation.definitionVersion,
    stagePath: simulation.stagePath.map(({ day, stage }) => ({ day, stage })),
    bands,
    plays: simulation.plays.map(({ day, playId }) => ({ day, playId })),
  };
}

/** The value in force on `day` of a from-day-on series (sorted by day, the first on day 0). */
function valueOn<T extends { day: number }>(series: T[], day: number): T {
  let found = series[0]!;
  for (const item of series) {
    if (item.day > day) break;
    found = item;
  }
  return found;
}

/** Days (0..untilDay, each counted by its end) spent in each band. */
export function bandDays(bands: Outcome['bands'], untilDay: number): BandDays {
  const days = Object.fromEntries(BANDS.map((b) => [b, 0])) as BandDays;
  bands.forEach(({ day, band }, index) => {
    const next = index + 1 < bands.length ? bands[index + 1]!.day : untilDay + 1;
    days[band] += Math.max(0, Math.min(next, untilDay + 1) - Math.max(day, 0));
  });
  return days;
}

/** Days on which `a` and `b` (from-day-on series) hold different values. */
function daysDiffering<T extends { day: number }>(a: T[], b: T[], untilDay: number, value: (item: T) => string): number {
  const changes = [...new Set([...a.map((x) => x.day), ...b.map((x) => x.day), 0])].filter((d) => d <= untilDay).sort((x, y) => x - y);
  let differing = 0;
  changes.forEach((day, index) => {
    const next = index + 1 < changes.length ? changes[index + 1]! : untilDay + 1;
    if (value(valueOn(a, day)) !== value(valueOn(b, day))) differing += next - day;
  });
  return differing;
}

const firstRedDay = (bands: Outcome['bands']): number | null => bands.find((b) => b.band === 'red')?.day ?? null;

export interface CustomerDiff {
  customerId: string;
  /** Day 0 of the replay, and its last day. */
  startMs: number;
  untilDay: number;
  baselineVersion: string;
  candidateVersion: string;
  stages: { baseline: string[]; candidate: string[]; changed: boolean; firstDifferenceDay: number | null };
  bandDays: { baseline: BandDays; candidate: BandDays; differingDays: number };
  /** The first day each turned red (null: never); `earlier`/`later` says what the candidate does. */
  red: { baseline: number | null; candidate: number | null; change: 'earlier' | 'later' | 'same' };
  /** Plays started, per play, where the counts differ. */
  plays: Record<string, { baseline: number; candidate: number }>;
  playsStarted: { baseline: number; candidate: number };
  changed: boolean;
  /** How much it changes, to rank customers: days in another band or stage, plus each play more or less. */
  magnitude: number;
}

/**
 * Where the stage paths first part: the first position at which the moves differ in stage or day;
 * the earlier of the two days there. Null when the paths are the same.
 */
export function firstStageDifference(baseline: Outcome['stagePath'], candidate: Outcome['stagePath']): number | null {
  const length = Math.max(baseline.length, candidate.length);
  for (let i = 0; i < length; i += 1) {
    const a = baseline[i];
    const b = candidate[i];
    if (a && b && a.stage === b.stage && a.day === b.day) continue;
    return Math.min(a?.day ?? Infinity, b?.day ?? Infinity);
  }
  return null;
}

export function compareOutcomes(customerId: string, span: { startMs: number; untilDay: number }, baseline: Outcome, candidate: Outcome): CustomerDiff {
  const { untilDay } = span;
  const firstDifferenceDay = firstStageDifference(baseline.stagePath, candidate.stagePath);
  const baselineRed = firstRedDay(baseline.bands);
  const candidateRed = firstRedDay(candidate.bands);
  const redChange = baselineRed === candidateRed ? 'same' : candidateRed !== null && (baselineRed === null || candidateRed < baselineRed) ? 'earlier' : 'later';
  const counts = new Map<string, { baseline: number; candidate: number }>();
  const count = (playId: string, side: 'baseline' | 'candidate') => {
    const entry = counts.get(playId) ?? { baseline: 0, candidate: 0 };
    entry[side] += 1;
    counts.set(playId, entry);
  };
  baseline.plays.forEach((p) => count(p.playId, 'baseline'));
  candidate.plays.forEach((p) => count(p.playId, 'candidate'));
  const plays = Object.fromEntries([...counts].filter(([, c]) => c.baseline !== c.candidate).sort(([a], [b]) => (a < b ? -1 : 1)));
  const bandsDiffering = daysDiffering(baseline.bands, candidate.bands, untilDay, (b) => b.band);
  const stagesDiffering = daysDiffering(baseline.stagePath, candidate.stagePath, untilDay, (s) => s.stage);
  // Same plays on other days count as a change too: the plays list a CSM gets is not the same.
  const playDays = (o: Outcome) => o.plays.map((p) => `${p.day}:${p.playId}`).join(',');
  const playsMoved = playDays(baseline) !== playDays(candidate);
  const playDelta = Object.values(plays).reduce((sum, c) => sum + Math.abs(c.candidate - c.baseline), 0);
  const changed = firstDifferenceDay !== null || bandsDiffering > 0 || redChange !== 'same' || playsMoved;
  return {
    customerId,
    startMs: span.startMs,
    untilDay,
    baselineVersion: baseline.definitionVersion,
    candidateVersion: candidate.definitionVersion,
    stages: {
      baseline: baseline.stagePath.map((s) => s.stage),
      candidate: candidate.stagePath.map((s) => s.stage),
      changed: firstDifferenceDay !== null,
      firstDifferenceDay,
    },
    bandDays: { baseline: bandDays(baseline.bands, untilDay), candidate: bandDays(candidate.bands, untilDay), differingDays: bandsDiffering },
    red: { baseline: baselineRed, candidate: candidateRed, change: redChange },
    plays,
    playsStarted: { baseline: baseline.plays.length, candidate: candidate.plays.length },
    changed,
    magnitude: bandsDiffering + stagesDiffering + playDelta + (playsMoved && playDelta === 0 ? 1 : 0),
  };
}

/** One calendar week (from Monday 00:00 UTC) of one customer, for the charts. */
export interface WeekSample {
  weekMs: number;
  /** The band at the end of the week (or of the replay, if it ends within the week). */
  baseline: Band;
  candidate: Band;
  baselinePlays: number;
  candidatePlays: number;
}

const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday: Mondays are 4 days after multiples of a week. */
const MONDAY_OFFSET_MS = 4 * DAY_MS;
export const weekOf = (ms: number): number => Math.floor((ms - MONDAY_OFFSET_MS) / WEEK_MS) * WEEK_MS + MONDAY_OFFSET_MS;

export function weekSamples(span: { startMs: number; untilDay: number }, baseline: Outcome, candidate: Outcome): WeekSample[] {
  const { startMs, untilDay } = span;
  const dayMs = (day: number) => (Math.floor(startMs / DAY_MS) + day) * DAY_MS;
  const samples: WeekSample[] = [];
  const byWeek = new Map<number, WeekSample>();
  for (let week = weekOf(startMs); week <= dayMs(untilDay); week += WEEK_MS) {
    const lastDay = Math.min(untilDay, dayOf(startMs, week + WEEK_MS - 1));
    const sample: WeekSample = {
      weekMs: week,
      baseline: valueOn(baseline.bands, lastDay).band,
      candidate: valueOn(candidate.bands, lastDay).band,
      baselinePlays: 0,
      candidatePlays: 0,
    };
    samples.push(sample);
    byWeek.set(week, sample);
  }
  for (const p of baseline.plays) {
    const sample = byWeek.get(weekOf(dayMs(p.day)));
    if (sample) sample.baselinePlays += 1;
  }
  for (const p of candidate.plays) {
    const sample = byWeek.get(weekOf(dayMs(p.day)));
    if (sample) sample.candidatePlays += 1;
  }
  return samples;
}
