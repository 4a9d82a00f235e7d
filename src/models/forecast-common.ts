/**
 * What the forecasting models share: the series and scale types, argument checks, and the
 * baselines and error measures every forecast is compared with (docs/results-tasks.md).
 * Layouts: forecasts and targets are [origins, steps] row-major, in the series' own units.
 */
import { intAtLeast } from '../util/checks.js';
import { ConfigError, DataError, ShapeError } from '../util/errors.js';

export type MultiStep = 'direct' | 'recursive';

/** A series and its covariates: values [N], covariates [N, C] row-major (null when C = 0). */
export interface ForecastSeries {
  values: ArrayLike<number>;
  covariates: ArrayLike<number> | null;
}

/** Standardization (y - mean) / std, fitted on the training part (e.g. `Normalizer.fit(...).toJSON()`). */
export interface Scale {
  mean: number;
  std: number;
}

export function posInt(where: string, name: string, v: unknown, min = 1): number {
  return intAtLeast(where, name, v, min);
}

export function checkLags(where: string, lags: unknown): number[] {
  if (lags === undefined) return [];
  if (!Array.isArray(lags) || !lags.every((l) => Number.isInteger(l) && l >= 2))
    throw new ConfigError(
      `${where}: lags must be integers >= 2 (lag 1 is always in the input), got ${JSON.stringify(lags)}`,
    );
  return lags.slice();
}

export function checkScale(where: string, s: unknown): Scale {
  const o = s as Scale | null;
  if (
    typeof o !== 'object' ||
    o === null ||
    !Number.isFinite(o.mean) ||
    !(o.std > 0 && Number.isFinite(o.std))
  )
    throw new ConfigError(
      `${where}: scale must be { mean, std } with a finite mean and std > 0, got ${JSON.stringify(s)}`,
    );
  return { mean: o.mean, std: o.std };
}

export function checkSeries(where: string, s: ForecastSeries, C: number): number {
  const N = s.values.length;
  if (C > 0 && (!s.covariates || s.covariates.length !== N * C))
    throw new ShapeError(
      `${where}: covariates must be [${N}, ${C}] (${N * C} values), got ${s.covariates ? s.covariates.length : 'null'}`,
    );
  return N;
}

/** The actual values after each origin: [origins, steps]. */
export function forecastTargets(
  values: ArrayLike<number>,
  origins: readonly number[],
  steps: number,
): Float64Array {
  const out = new Float64Array(origins.length * steps);
  origins.forEach((t, r) => {
    for (let k = 0; k < steps; k++) {
      if (t + 1 + k >= values.length)
        throw new DataError(
          `forecastTargets: origin ${t} + ${k + 1} is past the end of the series (${values.length})`,
        );
      out[r * steps + k] = values[t + 1 + k];
    }
  });
  return out;
}

/** Persistence (the naive forecast): ŷ_{t+k} = y_t. */
export function persistenceForecast(
  values: ArrayLike<number>,
  origins: readonly number[],
  steps: number,
): Float64Array {
  const out = new Float64Array(origins.length * steps);
  origins.forEach((t, r) => {
    out.fill(values[t], r * steps, (r + 1) * steps);
  });
  return out;
}

/**
 * Seasonal naive: ŷ_{t+k} = y_{t+k-m·⌈k/m⌉}, the last observed value of the same season (with
 * m = 7 on daily data: the same weekday, one week back for k <= 7).
 */
export function seasonalNaiveForecast(
  values: ArrayLike<number>,
  origins: readonly number[],
  steps: number,
  season: number,
): Float64Array {
  posInt('seasonalNaiveForecast', 'season', season);
  const out = new Float64Array(origins.length * steps);
  origins.forEach((t, r) => {
    for (let k = 1; k <= steps; k++) {
      const s = t + k - season * Math.ceil(k / season);
      if (s < 0) throw new DataError(`seasonalNaiveForecast: origin ${t} needs step ${s}`);
      out[r * steps + k - 1] = values[s];
    }
  });
  return out;
}

/** Root mean squared error. */
export function rmse(pred: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (pred.length !== actual.length || pred.length === 0)
    throw new ShapeError(
      `rmse: pred and actual must be non-empty and equal in length, got ${pred.length} and ${actual.length}`,
    );
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i] - actual[i]) ** 2;
  return Math.sqrt(s / pred.length);
}

/** Mean absolute percentage error, in percent: 100 · mean(|ŷ - y| / |y|). */
export function mape(pred: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (pred.length !== actual.length || pred.length === 0)
    throw new ShapeError(
      `mape: pred and actual must be non-empty and equal in length, got ${pred.length} and ${actual.length}`,
    );
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    if (actual[i] === 0) throw new DataError(`mape: actual[${i}] is 0 (MAPE is undefined there)`);
    s += Math.abs(pred[i] - actual[i]) / Math.abs(actual[i]);
  }
  return (100 * s) / pred.length;
}

/** Column k (0-based) of a [rows, steps] array. */
export function column(a: ArrayLike<number>, steps: number, k: number): Float64Array {
  const rows = a.length / steps;
  return Float64Array.from({ length: rows }, (_, r) => a[r * steps + k]);
}
