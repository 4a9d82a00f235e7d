/**
 * A language-model stream for truncated backpropagation through time, laid out as PyTorch's
 * word_language_model `batchify` + `get_batch` (examples/word_language_model/main.py):
 *
 * The N ids are cut into `batch` equal streams of L = floor(N / batch) ids (the last N mod batch
 * ids are dropped); stream b is ids[b*L .. (b+1)*L). Window i covers stream positions
 * p = i*seqLen .. i*seqLen + len - 1 with len = min(seqLen, L - 1 - i*seqLen):
 *
 *   input[t*batch + b]  = ids[b*L + i*seqLen + t]
 *   target[t*batch + b] = ids[b*L + i*seqLen + t + 1]
 *
 * time-major ([len, batch]), the layout of an RNN input without `batchFirst`. Window i+1 of stream
 * b starts exactly where window i ended, so the final hidden state of one window (detached) is the
 * correct initial state of the next: that is what makes truncated BPTT see one long sequence.
 * char-rnn instead wraps the last target around to the first id; we follow PyTorch and never
 * predict across the end of a stream.
 *
 * Memory: the stream keeps a reference to `ids` and copies nothing, so a 100 MB corpus costs one
 * id array (100 MB as Uint8Array for a character vocabulary of at most 256, see
 * `CharVocab.encodeCompact`). Each window allocates two Int32Arrays of len*batch, or none when
 * `out` buffers are passed. Do not modify `ids` while a stream uses it.
 */
import { ConfigError, DataError } from '../util/errors.js';
import {
  checkBool,
  checkKeys,
  checkNonNegInt,
  checkPositiveInt,
  describe,
  type IdArray,
  isIdArray,
} from './_util.js';

export interface LMStreamOptions {
  /** Number of parallel streams (the batch size). */
  batch: number;
  /** Time steps per window (the BPTT length). */
  seqLen: number;
  /** Drop the last, shorter window instead of returning it. Default false (as PyTorch). */
  dropLast?: boolean;
}

export interface LMWindow {
  /** Ids `[seqLen, batch]`, time-major: element (t, b) at `t*batch + b`. */
  input: Int32Array;
  /** The next id of each input position, same layout. */
  target: Int32Array;
  /** Time steps of this window (shorter than the option only for the last window). */
  seqLen: number;
  batch: number;
  /** Window number. */
  index: number;
}

export class LMStream {
  readonly ids: IdArray;
  readonly batch: number;
  readonly seqLen: number;
  readonly dropLast: boolean;
  /** Ids per stream: floor(ids.length / batch). */
  readonly streamLength: number;
  readonly numWindows: number;

  constructor(ids: IdArray, options: LMStreamOptions) {
    const fn = 'LMStream';
    if (!isIdArray(ids)) {
      throw new DataError(
        `${fn}: ids must be an Int32Array, Uint16Array or Uint8Array, got ${describe(ids)}`,
      );
    }
    checkKeys(options, ['batch', 'seqLen', 'dropLast'], fn);
    this.batch = checkPositiveInt(options.batch, fn, 'batch');
    this.seqLen = checkPositiveInt(options.seqLen, fn, 'seqLen');
    this.dropLast = checkBool(options.dropLast ?? false, fn, 'dropLast');
    this.ids = ids;
    this.streamLength = Math.floor(ids.length / this.batch);
    const predictable = this.streamLength - 1;
    if (predictable < 1) {
      throw new DataError(
        `${fn}: ${ids.length} ids are too few for batch ${this.batch}: each stream needs at least 2 ids, so at least ${2 * this.batch} ids`,
      );
    }
    this.numWindows = this.dropLast
      ? Math.floor(predictable / this.seqLen)
      : Math.ceil(predictable / this.seqLen);
    if (this.numWindows === 0) {
      throw new DataError(
        `${fn}: with dropLast, ${ids.length} ids give no full window of seqLen ${this.seqLen} x batch ${this.batch}; need at least ${(this.seqLen + 1) * this.batch} ids`,
      );
    }
  }

  /** Number of predicted tokens per pass over the stream (sum of seqLen*batch over windows). */
  get numTargets(): number {
    const full = this.dropLast ? this.numWindows * this.seqLen : this.streamLength - 1;
    return full * this.batch;
  }

  /** Time steps of window `i`. */
  windowLength(i: number): number {
    checkNonNegInt(i, 'LMStream.windowLength', 'i');
    if (i >= this.numWindows) {
      throw new ConfigError(`LMStream.windowLength: i must be in [0, ${this.numWindows - 1}], got ${i}`);
    }
    return Math.min(this.seqLen, this.streamLength - 1 - i * this.seqLen);
  }

  /**
   * Window `i`. With `out` (two Int32Arrays of at least seqLen*batch), the ids are written into it
   * and the window holds views of it, so a training loop allocates nothing per window.
   */
  window(i: number, out?: { input: Int32Array; target: Int32Array }): LMWindow {
    const fn = 'LMStream.window';
    checkNonNegInt(i, fn, 'i');
    if (i >= this.numWindows)
      throw new ConfigError(`${fn}: i must be in [0, ${this.numWindows - 1}], got ${i}`);
    const len = Math.min(this.seqLen, this.streamLength - 1 - i * this.seqLen);
    const B = this.batch;
    const n = len * B;
    let input: Int32Array;
    let target: Int32Array;
    if (out === undefined) {
      input = new Int32Array(n);
      target = new Int32Array(n);
    } else {
      if (
        !(out.input instanceof Int32Array) ||
        !(out.target instanceof Int32Array) ||
        out.input.length < n ||
        out.target.length < n
      ) {
        throw new ConfigError(
          `${fn}: out.input and out.target must be Int32Arrays of at least ${n} (seqLen*batch), got ${describe(out.input)}, ${describe(out.target)}`,
        );
      }
      input = out.input.subarray(0, n);
      target = out.target.subarray(0, n);
    }
    const ids = this.ids;
    const L = this.streamLength;
    const p0 = i * this.seqLen;
    for (let b = 0; b < B; b++) {
      let src = b * L + p0;
      for (let t = 0, dst = b; t < len; t++, dst += B, src++) {
        input[dst] = ids[src];
        target[dst] = ids[src + 1];
      }
    }
    return { input, target, seqLen: len, batch: B, index: i };
  }

  /** Windows 0 .. numWindows-1 in order (the order state carrying needs). */
  *[Symbol.iterator](): Generator<LMWindow, void, undefined> {
    for (let i = 0; i < this.numWindows; i++) yield this.window(i);
  }

  toString(): string {
    return `LMStream(${this.ids.length} ids, batch=${this.batch}, seqLen=${this.seqLen}, ${this.numWindows} windows)`;
  }
}
