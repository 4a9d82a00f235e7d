/**
 * Long-range memory tasks; the model that learns them is SequenceModel (sequence-model.ts).
 *
 * The adding problem, exactly as Hochreiter and Schmidhuber (1997, "Long Short-Term Memory",
 * experiment 4) define it: every step is a pair (value, marker). Values are drawn from U(-1, 1).
 * The sequence length is drawn uniformly from [T, T + T/10]. One of the first ten pairs is marked
 * (marker 1.0; its value is X1), then one of the first T/2 - 1 pairs that is still unmarked (X2);
 * the first and the last pair carry marker -1.0 unless marked, all other markers are 0. When the
 * first pair is marked its value is set to zero. The target, given only at the sequence end, is
 * 0.5 + (X1 + X2) / 4, and a sequence counts as processed correctly when the absolute error there
 * is below 0.04. The paper stops training once the average training error is below 0.01 and the
 * 2000 most recent training sequences were all processed correctly (AddingCriterion), and reports
 * 74,000 training sequences on average at T = 100.
 *
 * The copy-memory task, as Arjovsky, Shah and Bengio (2016, "Unitary Evolution Recurrent Neural
 * Networks") define it: alphabet {0, ..., 9} with 0 the blank, 1..8 the symbols and 9 the
 * delimiter. The input is 10 symbols drawn uniformly from 1..8, then T - 1 blanks, the delimiter,
 * and 10 more blanks (length T + 20); the target is T + 10 blanks followed by the 10 symbols.
 * The loss is the cross-entropy averaged over all T + 20 steps. See copyMemoryBaselines for the
 * 0.173-nat baseline at T = 100.
 *
 * Layouts are time-major, as the recurrent layers take them: values [L, B, ...] at (t * B + b).
 */

import { fromTyped, type Tensor } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** |error| below this counts as correct (Hochreiter and Schmidhuber, 1997). */
export const ADDING_TOLERANCE = 0.04;

export interface AddingBatch {
  /** [maxLength, B, 2]: (value, marker) pairs; steps past a sequence's length are zero. */
  input: Float32Array;
  maxLength: number;
  batch: number;
  /** The length of every sequence, in [T, T + floor(T / 10)]. */
  lengths: Int32Array;
  /** [B]: 0.5 + (X1 + X2) / 4. */
  target: Float32Array;
}

function checkT(where: string, T: number, min: number): void {
  if (!Number.isInteger(T) || T < min)
    throw new ConfigError(`${where}: T must be an integer >= ${min}, got ${T}`);
}

function checkBatch(where: string, B: number): void {
  if (!Number.isInteger(B) || B < 1)
    throw new ConfigError(`${where}: batch must be a positive integer, got ${B}`);
}

/**
 * A batch of the adding problem (see the file comment). `fixedLength` uses length T for every
 * sequence instead of drawing it from [T, T + T/10] (the variant most later papers use).
 */
export function addingProblem(
  rng: Rng,
  batch: number,
  T: number,
  options: { fixedLength?: boolean } = {},
): AddingBatch {
  const where = 'addingProblem';
  checkBatch(where, batch);
  // X2 is drawn from the first T/2 - 1 pairs minus X1's, and X1 from the first ten: T >= 4 keeps both non-empty and distinct.
  checkT(where, T, 4);
  const extra = options.fixedLength ? 0 : Math.floor(T / 10);
  const L = T + extra;
  const B = batch;
  const input = new Float32Array(L * B * 2);
  const lengths = new Int32Array(B);
  const target = new Float32Array(B);
  const firstTen = Math.min(10, T);
  const half = Math.max(2, Math.floor(T / 2) - 1);
  for (let b = 0; b < B; b++) {
    const len = T + rng.int(extra + 1);
    lengths[b] = len;
    for (let t = 0; t < len; t++) input[(t * B + b) * 2] = 2 * rng.uniform() - 1;
    const i1 = rng.int(firstTen);
    let i2 = rng.int(half - 1);
    if (i2 >= i1) i2++;
    const set = (t: number, v: number) => {
      input[(t * B + b) * 2 + 1] = v;
    };
    set(0, -1);
    set(len - 1, -1);
    set(i1, 1);
    set(i2, 1);
    // "In the rare case where the first pair of the sequence gets marked, we set X1 to zero."
    if (i1 === 0 || i2 === 0) input[b * 2] = 0;
    const x1 = input[(i1 * B + b) * 2];
    const x2 = input[(i2 * B + b) * 2];
    target[b] = 0.5 + (x1 + x2) / 4;
  }
  return { input, maxLength: L, batch: B, lengths, target };
}

/**
 * The mean squared error of always predicting 0.5 (the plateau a model sits on before it finds
 * the marked values): Var(X1 + X2) / 16 with Var(X) = 1/3, less the cases where the first pair is
 * marked and its value set to zero (X1 with probability 1/10, X2 with 9/10 · 1/(T/2 - 2)).
 * 0.0392 at T = 100 (1/24 = 0.0417 without the zeroing).
 */
export function addingMeanBaseline(T: number): number {
  const half = Math.max(2, Math.floor(T / 2) - 1);
  const firstTen = Math.min(10, T);
  const p1 = 1 / firstTen;
  const p2 = (1 - p1) / (half - 1);
  return ((1 / 3) * (2 - p1 - p2)) / 16;
}

/**
 * The paper's stopping rule: the average squared error of the most recent `window` training
 * sequences is below `maxMse` and every one of them was processed correctly (|error| < 0.04).
 * Errors are those of the forward pass that trained on the sequence (before its update).
 */
export class AddingCriterion {
  private readonly errors: Float64Array;
  private next = 0;
  private filled = 0;
  /** Sequences seen so far. */
  seen = 0;

  constructor(
    readonly window = 2000,
    readonly maxMse = 0.01,
  ) {
    if (!Number.isInteger(window) || window < 1)
      throw new ConfigError(`AddingCriterion: window must be a positive integer, got ${window}`);
    this.errors = new Float64Array(window);
  }

  /** Records the signed errors of a batch. */
  push(errors: ArrayLike<number>): void {
    for (let i = 0; i < errors.length; i++) {
      this.errors[this.next] = errors[i];
      this.next = (this.next + 1) % this.window;
      if (this.filled < this.window) this.filled++;
      this.seen++;
    }
  }

  /** Fraction of the recent window processed correctly, and its mean squared error. */
  get recent(): { correct: number; mse: number } {
    if (this.filled === 0) return { correct: 0, mse: Number.NaN };
    let ok = 0;
    let se = 0;
    for (let i = 0; i < this.filled; i++) {
      const e = this.errors[i];
      if (Math.abs(e) < ADDING_TOLERANCE) ok++;
      se += e * e;
    }
    return { correct: ok / this.filled, mse: se / this.filled };
  }

  /** True once the rule holds (a full window, all correct, mean squared error below maxMse). */
  met(): boolean {
    if (this.filled < this.window) return false;
    const r = this.recent;
    return r.correct === 1 && r.mse < this.maxMse;
  }
}

export interface CopyBatch {
  /** [L, B] token ids (0 blank, 1..symbols, symbols + 1 the delimiter), L = T + 2 * copyLength. */
  ids: Int32Array;
  /** [L, B, symbols + 2]: the ids one-hot. */
  oneHot: Float32Array;
  /** [L, B]: blank, then the copied symbols in the last copyLength steps. */
  target: Int32Array;
  length: number;
  batch: number;
  vocab: number;
}

export interface CopyOptions {
  /** Distinct symbols (default 8). */
  symbols?: number;
  /** Symbols to remember (default 10). */
  copyLength?: number;
}

/** A batch of the copy-memory task (see the file comment). */
export function copyMemory(rng: Rng, batch: number, T: number, options: CopyOptions = {}): CopyBatch {
  const where = 'copyMemory';
  checkBatch(where, batch);
  checkT(where, T, 1);
  const S = options.symbols ?? 8;
  const K = options.copyLength ?? 10;
  if (!Number.isInteger(S) || S < 1)
    throw new ConfigError(`${where}: symbols must be a positive integer, got ${S}`);
  if (!Number.isInteger(K) || K < 1)
    throw new ConfigError(`${where}: copyLength must be a positive integer, got ${K}`);
  const B = batch;
  const L = T + 2 * K;
  const V = S + 2;
  const ids = new Int32Array(L * B);
  const target = new Int32Array(L * B);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      const s = 1 + rng.int(S);
      ids[k * B + b] = s;
      target[(T + K + k) * B + b] = s;
    }
    ids[(T + K - 1) * B + b] = S + 1;
  }
  const oneHot = new Float32Array(L * B * V);
  for (let i = 0; i < L * B; i++) oneHot[i * V + ids[i]] = 1;
  return { ids, oneHot, target, length: L, batch: B, vocab: V };
}

/**
 * Reference losses of the copy task, in nats per step averaged over all T + 2K steps:
 *
 * - `memoryless`: the baseline of Arjovsky et al. (2016), 10 ln 8 / (T + 20) = 0.1733 at T = 100.
 *   It predicts the blank with certainty until the delimiter has passed and then the uniform
 *   distribution over the 8 symbols for the last 10 steps: it remembers *when* it is (it needs
 *   the delimiter to have passed, one bit of state) but nothing of *what* it saw.
 * - `inputOnly`: the best a model can do from the current input alone. Only the T + 9 blank inputs
 *   are ambiguous; 10 of them precede a symbol target, so the best prediction on a blank is blank
 *   with p = (T - 1) / (T + 9) and each symbol with (10 / (T + 9)) / 8. That is 0.452 nats at
 *   T = 100: a model that learnt nothing about time sits above 0.173.
 */
export function copyMemoryBaselines(
  T: number,
  options: CopyOptions = {},
): { memoryless: number; inputOnly: number } {
  const S = options.symbols ?? 8;
  const K = options.copyLength ?? 10;
  const L = T + 2 * K;
  const blanks = T - 1 + K;
  const pBlank = (T - 1) / blanks;
  const pSym = K / blanks / S;
  const hBlank = -(pBlank > 0 ? pBlank * Math.log(pBlank) : 0) - (K / blanks) * Math.log(pSym);
  return { memoryless: (K * Math.log(S)) / L, inputOnly: (blanks * hBlank) / L };
}

/** The adding batch as tensors: input [L, B, 2] and target [B, 1]. */
export function addingTensors(b: AddingBatch): { input: Tensor; target: Tensor } {
  return {
    input: fromTyped(b.input, [b.maxLength, b.batch, 2]),
    target: fromTyped(b.target, [b.batch, 1]),
  };
}

/** Signed errors prediction - target for [B, 1] predictions. */
export function addingErrors(pred: Tensor, target: Float32Array): Float64Array {
  if (pred.size !== target.length)
    throw new ShapeError(`addingErrors: pred must hold ${target.length} values, got ${pred.size}`);
  const e = new Float64Array(target.length);
  for (let i = 0; i < e.length; i++) e[i] = pred.data[i] - target[i];
  return e;
}

/**
 * Accuracy on the copied symbols of logits [L * B, vocab] (time-major rows): the fraction of the
 * last copyLength steps whose argmax equals the target symbol.
 */
export function copyAccuracy(logits: Tensor, b: CopyBatch, copyLength = 10): number {
  const { length: L, batch: B } = b;
  const V = logits.shape[1];
  if (logits.shape[0] !== L * B)
    throw new ShapeError(`copyAccuracy: logits must be [${L * B}, vocab], got [${logits.shape.join(', ')}]`);
  const d = logits.data;
  let ok = 0;
  for (let t = L - copyLength; t < L; t++) {
    for (let j = 0; j < B; j++) {
      const r = t * B + j;
      let best = 0;
      for (let c = 1; c < V; c++) if (d[r * V + c] > d[r * V + best]) best = c;
      if (best === b.target[r]) ok++;
    }
  }
  return ok / (copyLength * B);
}
