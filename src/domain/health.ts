/**
 * The health score: a pure, explainable function of a customer's metrics under one health model.
 * Each input maps a metric linearly onto 0..100; a dimension is the weighted mean of its known
 * inputs, the score the weighted mean of known dimensions. Missing inputs are re-weighted away,
 * never counted as zero. Every input's contribution is reported so "why is it red?" has an answer,
 * and the definition version is stamped on the result.
 *
 * Two things the weighted mean cannot say are said on top of it: too little known for a verdict
 * (`insufficient_data`, below the model's `minKnownWeight`), and risk that healthy usage would
 * average away (hard conditions: a lost champion with a detractor is red, whatever the logins).
 * Sandbox-safe.
 */
import type { CustomerFacts } from './customer-facts';
import type { THardCondition, THealthBand, THealthModel, TScoredBand } from './lifecycle-definition';
import type { Metrics } from './metrics';
import { conditionMet } from './stage-rules';
import { instantOf } from './instants';

export interface InputContribution {
  metric: string;
  value: number | null;
  /** 0..100, null when the metric is unknown. */
  score: number | null;
  /** Share of the final score this input carries after re-weighting (0..1; 0 when unknown). */
  effectiveWeight: number;
  /** Points of the final score that come from this input. */
  points: number;
}

export interface DimensionResult {
  id: string;
  label: string;
  score: number | null;
  effectiveWeight: number;
  inputs: InputContribution[];
}

/** A hard condition that holds, in words ("champion left 11 days ago") and what it did. */
export interface HardConditionResult {
  id: string;
  label: string;
  cap?: 'yellow' | 'red';
  subtract?: number;
}

export interface HealthResult {
  /** 0..100 rounded to one decimal, after hard conditions took their points; null when no input is known yet. */
  score: number | null;
  /**
   * Null when nothing is known and the model asks for no minimum; `insufficient_data` below the
   * model's `minKnownWeight` (unless a hard condition caps it: evidence of risk is a verdict).
   */
  band: THealthBand | null;
  model: string;
  definitionVersion: string;
  dimensions: DimensionResult[];
  missing: string[];
  /** Share of the model's weight whose inputs are known, 0..1. Absent in snapshots recorded before. */
  knownWeight?: number;
  /** The hard conditions that hold. Absent in snapshots recorded before, and when none is defined. */
  conditions?: HardConditionResult[];
  /** The weighted score before hard conditions took points off; only when they did. */
  weightedScore?: number;
}

export function inputScore(value: number, zeroAt: number, fullAt: number): number {
  const ratio = (value - zeroAt) / (fullAt - zeroAt);
  return Math.min(100, Math.max(0, ratio * 100));
}

export function bandFor(score: number, bands: THealthModel['bands']): THealthBand {
  if (score >= bands.green) return 'green';
  if (score >= bands.yellow) return 'yellow';
  return 'red';
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const BAND_RANK: Record<TScoredBand, number> = { green: 0, yellow: 1, red: 2 };

/** Fills `{{metric}}` from the metrics: whole days for `days…`, two decimals otherwise, "—" when unknown. */
export function renderConditionLabel(label: string, metrics: Metrics): string {
  return label.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, name: string) => {
    const value = metrics[name as keyof Metrics];
    if (value === undefined || !Number.isFinite(value)) return '—';
    return String(name.startsWith('days') ? Math.floor(value) : Math.round(value * 100) / 100);
  });
}

function activeConditions(hardConditions: THardCondition[], metrics: Metrics, facts: CustomerFacts): HardConditionResult[] {
  // A hard condition never sees the band or the score (the schema refuses them), so band is null.
  const ctx = { facts, metrics, band: null };
  return hardConditions
    .filter((hard) => conditionMet(hard.when, ctx))
    .map((hard) => ({
      id: hard.id,
      label: renderConditionLabel(hard.label, metrics),
      ...(hard.cap ? { cap: hard.cap } : {}),
      ...(hard.subtract ? { subtract: hard.subtract } : {}),
    }));
}

export interface HealthOptions {
  /** The customer's facts, for the model's hard conditions; without them none is checked. */
  facts?: CustomerFacts;
}

export function computeHealth(model: THealthModel, metrics: Metrics, definitionVersion: string, options: HealthOptions = {}): HealthResult {
  const missing: string[] = [];
  const dimensions = model.dimensions.map((dimension) => {
    const inputs = dimension.inputs.map((input) => {
      const value = metrics[input.metric];
      if (value === undefined || !Number.isFinite(value)) missing.push(input.metric);
      const known = value !== undefined && Number.isFinite(value);
      return { input, value: known ? value : null, score: known ? inputScore(value, input.zeroAt, input.fullAt) : null };
    });
    const knownWeight = inputs.reduce((sum, i) => sum + (i.score === null ? 0 : i.input.weight), 0);
    const score = knownWeight === 0 ? null : inputs.reduce((sum, i) => sum + (i.score ?? 0) * i.input.weight, 0) / knownWeight;
    return { dimension, inputs, knownWeight, score };
  });
  const knownDimensionWeight = dimensions.reduce((sum, d) => sum + (d.score === null ? 0 : d.dimension.weight), 0);
  const score = knownDimensionWeight === 0 ? null : dimensions.reduce((sum, d) => sum + (d.score ?? 0) * d.dimension.weight, 0) / knownDimensionWeight;

  // The share of the whole model that is known: each dimension's weight times its known input share.
  const totalDimensionWeight = model.dimensions.reduce((sum, d) => sum + d.weight, 0);
  const knownShare =
    dimensions.reduce((sum, d) => sum + (d.dimension.weight * d.knownWeight) / d.dimension.inputs.reduce((all, i) => all + i.weight, 0), 0) /
    totalDimensionWeight;
  const minKnownWeight = model.minKnownWeight ?? 0;
  const conditions = options.facts && model.hardConditions?.length ? activeConditions(model.hardConditions, metrics, options.facts) : [];
  const subtracted = conditions.reduce((sum, c) => sum + (c.subtract ?? 0), 0);
  const weighted = score === null ? null : round1(score);
  const final = weighted === null ? null : round1(Math.max(0, weighted - subtracted));
  let band: THealthBand | null = final === null ? null : bandFor(final, model.bands);
  if (knownShare < minKnownWeight) band = 'insufficient_data';
  const cap = conditions.reduce<TScoredBand | undefined>((worst, c) => (c.cap && (!worst || BAND_RANK[c.cap] > BAND_RANK[worst]) ? c.cap : worst), undefined);
  if (cap && (band === null || band === 'insufficient_data' || BAND_RANK[cap] > BAND_RANK[band])) band = cap;

  return {
    score: final,
    band,
    model: model.id,
    definitionVersion,
    missing: [...new Set(missing)],
    // New fields only when the model uses them: results under older definitions stay as they were.
    ...(model.minKnownWeight !== undefined ? { knownWeight: Math.round(knownShare * 1000) / 1000 } : {}),
    ...(model.hardConditions !== undefined ? { conditions } : {}),
    ...(subtracted > 0 && weighted !== null ? { weightedScore: weighted } : {}),
    dimensions: dimensions.map((d) => {
      const dimensionShare = d.score === null ? 0 : d.dimension.weight / knownDimensionWeight;
      return {
        id: d.dimension.id,
        label: d.dimension.label,
        score: d.score === null ? null : round1(d.score),
        effectiveWeight: dimensionShare,
        inputs: d.inputs.map((i) => {
          const share = i.score === null || d.knownWeight === 0 ? 0 : (i.input.weight / d.knownWeight) * dimensionShare;
          return {
            metric: i.input.metric,
            value: i.value,
            score: i.score === null ? null : round1(i.score),
            effectiveWeight: share,
            points: round1((i.score ?? 0) * share),
          };
        }),
      };
    }),
  };
}

export type HealthTrend = 'up' | 'down' | 'flat';

/** Compares the score with the oldest one inside the model's trend window. */
export function healthTrend(
  history: { at: string; score: number }[],
  current: number,
  now: string,
  model: Pick<THealthModel, 'trendThreshold' | 'trendWindowDays'>,
  /** The history is oldest first (every time parses): the window's first point is searched for, not scanned to. */
  oldestFirst = false,
): HealthTrend {
  const windowStart = Date.parse(now) - model.trendWindowDays * 24 * 60 * 60 * 1000;
  const baseline = oldestFirst ? firstAtOrAfter(history, windowStart) : history.find((h) => instantOf(h.at) >= windowStart);
  if (!baseline) return 'flat';
  const delta = current - baseline.score;
  if (delta >= model.trendThreshold) return 'up';
  if (delta <= -model.trendThreshold) return 'down';
  return 'flat';
}

/** In an oldest-first history, the first point at or after `from` (what `find` would return). */
function firstAtOrAfter<T extends { at: string }>(history: T[], from: number): T | undefined {
  let low = 0;
  let high = history.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (instantOf(history[mid]!.at) >= from) high = mid;
    else low = mid + 1;
  }
  return history[low];
}
