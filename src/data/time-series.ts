/**
 * Sliding windows over a univariate series for forecasting, and the normalization that goes with
 * them.
 *
 * Window i starts at s = start + i*stride; its input is x[s .. s+window) and its target the next
 * `horizon` values x[s+window .. s+window+horizon), all inside [start, end). Windows are read
 * from the series on demand (no copy per window is kept).
 *
 * Normalization statistics are fitted on the training part only: fitting them on the whole
 * series would leak the test period's level and spread into training. They are kept in a
 * `Normalizer` that is saved with the model (toJSON/fromJSON) so predictions can be denormalized
 * at inference time with the same numbers.
 */
import type { DType } from '../tensor/tensor.js';
import { ConfigError, DataError } from '../util/errors.js';
import {
  checkBool,
  checkFraction,
  checkKeys,
  checkNonNegInt,
  checkPositiveInt,
  describe,
  type FloatData,
  firstNonFinite,
} from './_util.js';
import type { Dataset } from './batches.js';

export interface NormalizerJSON {
  kind: 'standard';
  mean: number;
  std: number;
}

/** Standardization x' = (x - mean) / std, as scikit-learn's StandardScaler. */
export class Normalizer {
  readonly mean: number;
  readonly std: number;

  constructor(mean: number, std: number) {
    if (!Number.isFinite(mean))
      throw new ConfigError(`Normalizer: mean must be a finite number, got ${describe(mean)}`);
    if (!(Number.isFinite(std) && std > 0))
      throw new ConfigError(`Normalizer: std must be a positive finite number, got ${describe(std)}`);
    this.mean = mean;
    this.std = std;
  }

  /**
   * Mean and population standard deviation (ddof 0, as StandardScaler) of `values`, in float64
   * with two passes. A constant series gets std 1 (StandardScaler does the same) instead of a
   * division by zero.
   */
  static fit(values: ArrayLike<number>): Normalizer {
    const fn = 'Normalizer.fit';
    if (!(Array.isArray(values) || ArrayBuffer.isView(values)) || values.length === 0) {
      throw new DataError(`${fn}: values must be a non-empty array of numbers, got ${describe(values)}`);
    }
    const bad = firstNonFinite(values);
    if (bad >= 0)
      throw new DataError(`${fn}: values[${bad}] must be a finite number, got ${describe(values[bad])}`);
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i];
    const mean = sum / values.length;
    let ss = 0;
    for (let i = 0; i < values.length; i++) ss += (values[i] - mean) ** 2;
    const std = Math.sqrt(ss / values.length);
    return new Normalizer(mean, std > 0 ? std : 1);
  }

  static fromJSON(json: unknown): Normalizer {
    const j = json as Partial<NormalizerJSON> | null;
    if (j === null || typeof j !== 'object' || j.kind !== 'standard') {
      throw new DataError(
        `Normalizer.fromJSON: expected an object with kind 'standard', got ${describe(j?.kind ?? j)}`,
      );
    }
    if (typeof j.mean !== 'number' || typeof j.std !== 'number') {
      throw new DataError(
        `Normalizer.fromJSON: mean and std must be numbers, got ${describe(j.mean)}, ${describe(j.std)}`,
      );
    }
    return new Normalizer(j.mean, j.std);
  }

  toJSON(): NormalizerJSON {
    return { kind: 'standard', mean: this.mean, std: this.std };
  }

  /** (x - mean) / std for a number, or element-wise into a new array of the same type. */
  normalize<X extends number | FloatData | readonly number[]>(x: X): X {
    const { mean, std } = this;
    return mapValues(x, (v) => (v - mean) / std, 'Normalizer.normalize');
  }

  /** x * std + mean: model outputs back in the series' units. */
  denormalize<X extends number | FloatData | readonly number[]>(x: X): X {
    const { mean, std } = this;
    return mapValues(x, (v) => v * std + mean, 'Normalizer.denormalize');
  }

  toString(): string {
    return `Normalizer(mean=${this.mean}, std=${this.std})`;
  }
}

function mapValues<X>(x: X, f: (v: number) => number, fn: string): X {
  if (typeof x === 'number') return f(x) as X;
  if (x instanceof Float32Array || x instanceof Float64Array) return x.map(f) as X;
  if (Array.isArray(x)) return x.map((v: number) => f(v)) as X;
  throw new DataError(
    `${fn}: x must be a number, number[], Float32Array or Float64Array, got ${describe(x)}`,
  );
}

export interface TimeSeriesOptions {
  /** Input steps per window. */
  window: number;
  /** Steps to predict after each window. Default 1. */
  horizon?: number;
  /** Steps between window starts. Default 1. */
  stride?: number;
  /** First index of the series the windows may use. Default 0. */
  start?: number;
  /** One past the last index the windows may use. Default the series length. */
  end?: number;
  /** Applied to inputs and targets on the fly. Default none. */
  normalizer?: Normalizer;
  /** Inputs `[batch, window, 1]` instead of `[window, batch, 1]`. Default false. */
  batchFirst?: boolean;
  /** Element type of batches. Default 'float32'. */
  dtype?: DType;
}

export interface WindowItem {
  input: FloatData;
  target: FloatData;
}

export interface WindowBatch {
  /** `[window, batch, 1]` (or `[batch, window, 1]`): one feature per step, as an RNN takes it. */
  input: FloatData;
  inputShape: number[];
  /** `[batch, horizon]`: the values to predict. */
  target: FloatData;
  targetShape: number[];
  indices: number[];
}

export class TimeSeriesWindows implements Dataset<WindowItem, WindowBatch> {
  readonly series: FloatData;
  readonly window: number;
  readonly horizon: number;
  readonly stride: number;
  readonly start: number;
  readonly end: number;
  readonly normalizer: Normalizer | null;
  readonly batchFirst: boolean;
  readonly dtype: DType;
  readonly length: number;

  /** `series` is kept by reference if it is a Float64Array or Float32Array, copied once if a number[]. */
  constructor(series: FloatData | readonly number[], options: TimeSeriesOptions) {
    const fn = 'TimeSeriesWindows';
    checkKeys(
      options,
      ['window', 'horizon', 'stride', 'start', 'end', 'normalizer', 'batchFirst', 'dtype'],
      fn,
    );
    if (series instanceof Float64Array || series instanceof Float32Array) this.series = series;
    else if (Array.isArray(series)) this.series = Float64Array.from(series as readonly number[]);
    else
      throw new DataError(
        `${fn}: series must be a Float64Array, Float32Array or number[], got ${describe(series)}`,
      );
    this.window = checkPositiveInt(options.window, fn, 'window');
    this.horizon = checkPositiveInt(options.horizon ?? 1, fn, 'horizon');
    this.stride = checkPositiveInt(options.stride ?? 1, fn, 'stride');
    this.start = checkNonNegInt(options.start ?? 0, fn, 'start');
    this.end = checkNonNegInt(options.end ?? this.series.length, fn, 'end');
    if (this.end > this.series.length || this.start > this.end) {
      throw new ConfigError(
        `${fn}: need 0 <= start <= end <= ${this.series.length} (series length), got start ${this.start}, end ${this.end}`,
      );
    }
    if (options.normalizer !== undefined && !(options.normalizer instanceof Normalizer)) {
      throw new ConfigError(`${fn}: normalizer must be a Normalizer, got ${describe(options.normalizer)}`);
    }
    this.normalizer = options.normalizer ?? null;
    this.batchFirst = checkBool(options.batchFirst ?? false, fn, 'batchFirst');
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new ConfigError(`${fn}: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
    this.dtype = dtype;
    const span = this.window + this.horizon;
    const avail = this.end - this.start;
    if (avail < span) {
      throw new DataError(
        `${fn}: the range [${this.start}, ${this.end}) has ${avail} values, fewer than window ${this.window} + horizon ${this.horizon} = ${span}`,
      );
    }
    const bad = firstNonFinite(this.series, this.start, this.end);
    if (bad >= 0)
      throw new DataError(`${fn}: series[${bad}] must be a finite number, got ${describe(this.series[bad])}`);
    this.length = Math.floor((avail - span) / this.stride) + 1;
  }

  /**
   * Train and test windows from one series split in time: the first `floor(n * trainFraction)`
   * values are the training part, on which the normalizer is fitted (unless `normalize: false`).
   * Test windows predict only values after the split; their inputs may reach back into the
   * training part (the model sees the recent past, as it would in deployment).
   */
  static split(
    series: FloatData | readonly number[],
    options: Omit<TimeSeriesOptions, 'start' | 'end' | 'normalizer'> & {
      trainFraction: number;
      normalize?: boolean;
    },
  ): { train: TimeSeriesWindows; test: TimeSeriesWindows; normalizer: Normalizer | null } {
    const fn = 'TimeSeriesWindows.split';
    checkKeys(
      options,
      ['window', 'horizon', 'stride', 'batchFirst', 'dtype', 'trainFraction', 'normalize'],
      fn,
    );
    const { trainFraction, normalize, ...rest } = options;
    checkFraction(trainFraction, fn, 'trainFraction');
    const doNorm = checkBool(normalize ?? true, fn, 'normalize');
    if (!(series instanceof Float64Array || series instanceof Float32Array || Array.isArray(series))) {
      throw new DataError(
        `${fn}: series must be a Float64Array, Float32Array or number[], got ${describe(series)}`,
      );
    }
    const n = series.length;
    const cut = Math.floor(n * trainFraction);
    const window = checkPositiveInt(rest.window, fn, 'window');
    if (cut < window) {
      throw new DataError(
        `${fn}: the training part has ${cut} values (${n} * ${trainFraction}), fewer than window ${window}`,
      );
    }
    const normalizer = doNorm
      ? Normalizer.fit(Array.isArray(series) ? series.slice(0, cut) : (series as FloatData).subarray(0, cut))
      : null;
    const common = normalizer === null ? rest : { ...rest, normalizer };
    const train = new TimeSeriesWindows(series, { ...common, start: 0, end: cut });
    const test = new TimeSeriesWindows(train.series, { ...common, start: cut - window, end: n });
    return { train, test, normalizer };
  }

  /** Index in the series of window i's first input value. */
  startOf(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new ConfigError(
        `TimeSeriesWindows: window index must be in [0, ${this.length - 1}], got ${describe(i)}`,
      );
    }
    return this.start + i * this.stride;
  }

  get(i: number): WindowItem {
    const s = this.startOf(i);
    const input = this.alloc(this.window);
    const target = this.alloc(this.horizon);
    this.read(s, this.window, input, 0, 1);
    this.read(s + this.window, this.horizon, target, 0, 1);
    return { input, target };
  }

  collate(indices: readonly number[]): WindowBatch {
    const fn = 'TimeSeriesWindows.collate';
    if (!Array.isArray(indices) || indices.length === 0)
      throw new DataError(`${fn}: indices must be a non-empty array, got ${describe(indices)}`);
    const B = indices.length;
    const W = this.window;
    const H = this.horizon;
    const input = this.alloc(W * B);
    const target = this.alloc(B * H);
    indices.forEach((i, b) => {
      const s = this.startOf(i);
      if (this.batchFirst) this.read(s, W, input, b * W, 1);
      else this.read(s, W, input, b, B);
      this.read(s + W, H, target, b * H, 1);
    });
    return {
      input,
      inputShape: this.batchFirst ? [B, W, 1] : [W, B, 1],
      target,
      targetShape: [B, H],
      indices: indices.slice(),
    };
  }

  private alloc(n: number): FloatData {
    return this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  }

  /** Copies `count` (normalized) values from series[from] to out[at], out[at+step], ... */
  private read(from: number, count: number, out: FloatData, at: number, step: number): void {
    const x = this.series;
    const norm = this.normalizer;
    if (norm === null) {
      for (let k = 0; k < count; k++, at += step) out[at] = x[from + k];
      return;
    }
    const { mean, std } = norm;
    for (let k = 0; k < count; k++, at += step) out[at] = (x[from + k] - mean) / std;
  }

  toString(): string {
    return `TimeSeriesWindows(${this.length} windows, window=${this.window}, horizon=${this.horizon}, stride=${this.stride})`;
  }
}
