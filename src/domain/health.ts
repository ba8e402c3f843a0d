/**
 * The health score: a pure, explainable function of a customer's metrics under one health model.
 * Each input maps a metric linearly onto 0..100; a dimension is the weighted mean of its known
 * inputs, the score the weighted mean of known dimensions. Missing inputs are re-weighted away,
 * never counted as zero. Every input's contribution is reported so "why is it red?" has an answer,
 * and the definition version is stamped on the result. Sandbox-safe.
 */
import type { THealthBand, THealthModel } from './lifecycle-definition';
import type { Metrics } from './metrics';

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

export interface HealthResult {
  /** 0..100 rounded to one decimal; null when no input is known yet. */
  score: number | null;
  band: THealthBand | null;
  model: string;
  definitionVersion: string;
  dimensions: DimensionResult[];
  missing: string[];
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

export function computeHealth(model: THealthModel, metrics: Metrics, definitionVersion: string): HealthResult {
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

  return {
    score: score === null ? null : round1(score),
    band: score === null ? null : bandFor(round1(score), model.bands),
    model: model.id,
    definitionVersion,
    missing: [...new Set(missing)],
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
): HealthTrend {
  const windowStart = Date.parse(now) - model.trendWindowDays * 24 * 60 * 60 * 1000;
  const baseline = history.find((h) => Date.parse(h.at) >= windowStart);
  if (!baseline) return 'flat';
  const delta = current - baseline.score;
  if (delta >= model.trendThreshold) return 'up';
  if (delta <= -model.trendThreshold) return 'down';
  return 'flat';
}
