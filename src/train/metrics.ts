/**
 * Small metric helpers for training loops: a (weighted) running mean, a bias-corrected exponential
 * moving average for smoothed progress lines, classification accuracy, and perplexity. The
 * stateful ones have `stateDict()`/`loadStateDict()` so a resumed run reports the same numbers.
 */
import { type IndexInput, toIndices } from '../ops/embedding.js';
import { Tensor } from '../tensor/tensor.js';
import { CheckpointError, ConfigError, fmtShape, ShapeError } from '../util/errors.js';

/** The running mean of the values added, each with a weight (default 1), e.g. a loss per token. */
export class RunningMean {
  private sum = 0;
  private weight = 0;
  private n = 0;

  /** Adds `value` with `weight` (> 0; e.g. the number of tokens the value is a mean over). */
  add(value: number, weight = 1): void {
    if (typeof value !== 'number')
      throw new ConfigError(`RunningMean.add: value must be a number, got ${typeof value}`);
    if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) {
      throw new ConfigError(`RunningMean.add: weight must be a finite number > 0, got ${weight}`);
    }
    this.sum += value * weight;
    this.weight += weight;
    this.n++;
  }

  /** The weighted mean so far (NaN before the first value). */
  get value(): number {
    return this.weight > 0 ? this.sum / this.weight : Number.NaN;
  }

  /** Number of values added. */
  get count(): number {
    return this.n;
  }

  /** Total weight added. */
  get totalWeight(): number {
    return this.weight;
  }

  reset(): void {
    this.sum = 0;
    this.weight = 0;
    this.n = 0;
  }

  stateDict(): { sum: number; weight: number; count: number } {
    return { sum: this.sum, weight: this.weight, count: this.n };
  }

  loadStateDict(s: { sum: number; weight: number; count: number }): void {
    const ok =
      typeof s === 'object' &&
      s !== null &&
      typeof s.sum === 'number' &&
      typeof s.weight === 'number' &&
      s.weight >= 0 &&
      Number.isSafeInteger(s.count) &&
      s.count >= 0;
    if (!ok)
      throw new CheckpointError(
        `RunningMean.loadStateDict: expected { sum, weight, count }, got ${JSON.stringify(s)}`,
      );
    this.sum = s.sum;
    this.weight = s.weight;
    this.n = s.count;
  }
}

/**
 * Exponential moving average with bias correction (as Adam's moments, and the smoothed loss of
 * fastai/Keras progress bars): `m = beta * m + (1 - beta) * x`, value `m / (1 - beta^n)`.
 */
export class ExponentialMean {
  private m = 0;
  private n = 0;
  readonly beta: number;

  constructor(beta = 0.98) {
    if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) {
      throw new ConfigError(`ExponentialMean: beta must be in [0, 1), got ${beta}`);
    }
    this.beta = beta;
  }

  add(value: number): void {
    this.m = this.beta * this.m + (1 - this.beta) * value;
    this.n++;
  }

  /** The bias-corrected average (NaN before the first value). */
  get value(): number {
    return this.n === 0 ? Number.NaN : this.m / (1 - this.beta ** this.n);
  }

  reset(): void {
    this.m = 0;
    this.n = 0;
  }

  stateDict(): { m: number; count: number } {
    return { m: this.m, count: this.n };
  }

  loadStateDict(s: { m: number; count: number }): void {
    if (
      typeof s !== 'object' ||
      s === null ||
      typeof s.m !== 'number' ||
      !Number.isSafeInteger(s.count) ||
      s.count < 0
    ) {
      throw new CheckpointError(
        `ExponentialMean.loadStateDict: expected { m, count }, got ${JSON.stringify(s)}`,
      );
    }
    this.m = s.m;
    this.n = s.count;
  }
}

export interface AccuracyOptions {
  /** Targets equal to this id are not counted (default -100, as crossEntropy). */
  ignoreIndex?: number;
}

/** Correct and counted predictions of `logits` [..., C] against class ids `targets` [...] (argmax, first maximum wins). */
export function accuracyCounts(
  logits: Tensor,
  targets: IndexInput,
  options: AccuracyOptions = {},
): { correct: number; total: number } {
  const where = 'accuracy';
  if (!(logits instanceof Tensor) || logits.rank < 1) {
    throw new ShapeError(
      `${where}: logits must be a Tensor [..., C], got ${logits instanceof Tensor ? fmtShape(logits.shape) : typeof logits}`,
    );
  }
  const C = logits.shape[logits.rank - 1];
  const rows = logits.size / C;
  const { ids } = toIndices(targets, where, 'targets');
  if (ids.length !== rows) {
    throw new ShapeError(
      `${where}: targets must have one id per row of logits ${fmtShape(logits.shape)} (${rows}), got ${ids.length}`,
    );
  }
  const ignore = options.ignoreIndex ?? -100;
  const d = logits.data;
  let correct = 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const t = ids[r];
    if (t === ignore) continue;
    let best = 0;
    let bestV = d[r * C];
    for (let c = 1; c < C; c++) {
      const v = d[r * C + c];
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    total++;
    if (best === t) correct++;
  }
  return { correct, total };
}

/** The fraction of rows of `logits` [..., C] whose argmax equals the target (NaN when none is counted). */
export function accuracy(logits: Tensor, targets: IndexInput, options: AccuracyOptions = {}): number {
  const { correct, total } = accuracyCounts(logits, targets, options);
  return total === 0 ? Number.NaN : correct / total;
}

/** Accumulates accuracy over batches: `update(logits, targets)` per batch, then `value`. */
export class Accuracy {
  correct = 0;
  total = 0;

  constructor(private readonly options: AccuracyOptions = {}) {}

  update(logits: Tensor, targets: IndexInput): void {
    const c = accuracyCounts(logits, targets, this.options);
    this.correct += c.correct;
    this.total += c.total;
  }

  get value(): number {
    return this.total === 0 ? Number.NaN : this.correct / this.total;
  }

  reset(): void {
    this.correct = 0;
    this.total = 0;
  }
}

/** exp(mean cross-entropy in nats): the perplexity of a language model. */
export function perplexity(meanLoss: number): number {
  return Math.exp(meanLoss);
}

/** Bits per character (or token) from a mean cross-entropy in nats. */
export function bitsPerToken(meanLoss: number): number {
  return meanLoss / Math.LN2;
}

/** Steps and tokens per second over the last `window` steps (training time only, as measured by the caller). */
export class Throughput {
  private readonly entries: { seconds: number; tokens: number | null }[] = [];

  constructor(readonly window = 20) {
    if (!Number.isSafeInteger(window) || window < 1)
      throw new ConfigError(`Throughput: window must be an integer >= 1, got ${window}`);
  }

  /** Records one step that took `seconds` and processed `tokens` (null when unknown). */
  add(seconds: number, tokens: number | null = null): void {
    this.entries.push({ seconds, tokens });
    if (this.entries.length > this.window) this.entries.shift();
  }

  private get seconds(): number {
    return this.entries.reduce((s, e) => s + e.seconds, 0);
  }

  /** Null before the first step or when no time was measured. */
  get stepsPerSec(): number | null {
    const s = this.seconds;
    return s > 0 ? this.entries.length / s : null;
  }

  /** Null unless every step in the window reported its tokens. */
  get tokensPerSec(): number | null {
    const s = this.seconds;
    if (!(s > 0) || this.entries.some((e) => e.tokens === null)) return null;
    return this.entries.reduce((n, e) => n + (e.tokens as number), 0) / s;
  }
}
