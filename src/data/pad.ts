/**
 * Padding variable-length sequences into one rectangular batch, as PyTorch's
 * `nn.utils.rnn.pad_sequence`: time-major `[maxLen, batch(, features)]` by default (the layout of
 * an RNN input), `[batch, maxLen(, features)]` with `batchFirst`. The lengths go with the batch so a
 * layer can stop each sequence at its end (as `pack_padded_sequence`), and the mask (1 at real
 * steps, 0 at padding, in the data's layout) lets a loss ignore padded positions.
 */
import { ConfigError, DataError, ShapeError } from '../util/errors.js';
import {
  checkBool,
  checkInt,
  checkKeys,
  checkPositiveInt,
  describe,
  type FloatData,
  isIdArray,
} from './_util.js';

export interface PadOptions {
  /** Value written at padded positions. Default 0; use `vocab.padId` for token ids. */
  padValue?: number;
  /** `[batch, maxLen]` instead of `[maxLen, batch]`. Default false. */
  batchFirst?: boolean;
  /**
   * For float sequences: values per time step. Sequence i then has `seqs[i].length / featureSize`
   * steps and the batch gets a trailing feature axis. Not allowed for token ids.
   */
  featureSize?: number;
}

export interface PaddedBatch<A extends Int32Array | FloatData = Int32Array | FloatData> {
  /** `[maxLen, batch]` (or `[batch, maxLen]`), plus `featureSize` last if it was given. */
  data: A;
  shape: number[];
  /** Steps of each sequence, `[batch]`. */
  lengths: Int32Array;
  /** 1 at real steps and 0 at padding, `[maxLen, batch]` (or `[batch, maxLen]`). */
  mask: Float32Array;
  maskShape: number[];
  maxLen: number;
  batchFirst: boolean;
}

type TokenSeq = Int32Array | Uint16Array | Uint8Array | readonly number[];

export function padBatch(seqs: readonly TokenSeq[], options?: PadOptions): PaddedBatch<Int32Array>;
export function padBatch(seqs: readonly Float32Array[], options?: PadOptions): PaddedBatch<Float32Array>;
export function padBatch(seqs: readonly Float64Array[], options?: PadOptions): PaddedBatch<Float64Array>;
/**
 * Pads `seqs` (token ids as Int32Array/number[]/narrow id arrays, or Float32Array/Float64Array
 * values) to the longest one. The output has the element type of the input: Int32Array for ids,
 * otherwise the float type. Empty sequences are allowed (length 0, all mask 0).
 */
export function padBatch(seqs: readonly (TokenSeq | FloatData)[], options: PadOptions = {}): PaddedBatch {
  const fn = 'padBatch';
  checkKeys(options, ['padValue', 'batchFirst', 'featureSize'], fn);
  if (!Array.isArray(seqs) || seqs.length === 0) {
    throw new DataError(`${fn}: seqs must be a non-empty array of sequences, got ${describe(seqs)}`);
  }
  const batchFirst = checkBool(options.batchFirst ?? false, fn, 'batchFirst');
  const first = seqs[0];
  const kind = first instanceof Float32Array ? 'f32' : first instanceof Float64Array ? 'f64' : 'int';
  const padValue = options.padValue ?? 0;
  if (kind === 'int') checkInt(padValue, fn, 'padValue');
  else if (typeof padValue !== 'number' || Number.isNaN(padValue)) {
    throw new ConfigError(`${fn}: padValue must be a number, got ${describe(padValue)}`);
  }
  if (kind === 'int' && options.featureSize !== undefined) {
    throw new ConfigError(
      `${fn}: featureSize applies to Float32Array/Float64Array sequences, but seqs[0] holds token ids`,
    );
  }
  const F = options.featureSize === undefined ? 1 : checkPositiveInt(options.featureSize, fn, 'featureSize');
  const B = seqs.length;
  const lengths = new Int32Array(B);
  let T = 0;
  for (let b = 0; b < B; b++) {
    const s = seqs[b];
    const ok =
      kind === 'f32'
        ? s instanceof Float32Array
        : kind === 'f64'
          ? s instanceof Float64Array
          : Array.isArray(s) || isIdArray(s);
    if (!ok) {
      throw new DataError(
        `${fn}: seqs[${b}] is ${describe(s)} but seqs[0] is ${describe(first)}; all sequences must be of one kind`,
      );
    }
    if (s.length % F !== 0) {
      throw new ShapeError(`${fn}: seqs[${b}] has ${s.length} values, not a multiple of featureSize ${F}`);
    }
    lengths[b] = s.length / F;
    if (lengths[b] > T) T = lengths[b];
  }
  const n = T * B * F;
  const data =
    kind === 'f32' ? new Float32Array(n) : kind === 'f64' ? new Float64Array(n) : new Int32Array(n);
  if (padValue !== 0) data.fill(padValue);
  const mask = new Float32Array(T * B);
  for (let b = 0; b < B; b++) {
    const s = seqs[b] as ArrayLike<number>;
    const len = lengths[b];
    for (let t = 0; t < len; t++) {
      const row = batchFirst ? b * T + t : t * B + b;
      mask[row] = 1;
      for (let f = 0; f < F; f++) {
        const v = s[t * F + f];
        if (kind === 'int' && !Number.isInteger(v)) {
          throw new DataError(`${fn}: seqs[${b}][${t}] must be an integer token id, got ${describe(v)}`);
        }
        data[row * F + f] = v;
      }
    }
  }
  const maskShape = batchFirst ? [B, T] : [T, B];
  const shape = options.featureSize === undefined ? maskShape.slice() : [...maskShape, F];
  return { data, shape, lengths, mask, maskShape, maxLen: T, batchFirst };
}
