/**
 * Source/target token sequence pairs for sequence-to-sequence training with teacher forcing.
 *
 * `collate` gives the padded source, the decoder input `targetIn` and the decoder target
 * `targetOut`, shifted against each other by one step:
 * - with `bosId` and `eosId`: targetIn = [bos, y1..yn], targetOut = [y1..yn, eos];
 * - without them the targets must already be framed (e.g. [bos, y.., eos], at least 2 ids):
 *   targetIn = y[0..n-2], targetOut = y[1..n-1] (fairseq's `prev_output_tokens` convention).
 * `targetOut` is padded with `ignoreIndex` (-100, PyTorch's CrossEntropyLoss default) so padded
 * steps drop out of the loss; inputs are padded with `padValue`.
 */
import { ConfigError, DataError } from '../util/errors.js';
import { checkBool, checkInt, checkKeys, checkNonNegInt, describe, toInt32 } from './_util.js';
import type { Dataset } from './batches.js';
import { type PaddedBatch, padBatch } from './pad.js';

export interface PairDatasetOptions {
  /** Pad id of source and decoder input. Default 0 (use `vocab.padId` for words). */
  padValue?: number;
  /** Pad value of `targetOut`. Default -100. */
  ignoreIndex?: number;
  /** Id prepended to each target to form the decoder input (give with `eosId`). */
  bosId?: number;
  /** Id appended to each target to form the decoder target (give with `bosId`). */
  eosId?: number;
  /** Batches `[batch, maxLen]` instead of `[maxLen, batch]`. Default false. */
  batchFirst?: boolean;
}

export interface PairItem {
  source: Int32Array;
  target: Int32Array;
}

export interface PairBatch {
  source: PaddedBatch<Int32Array>;
  /** Decoder input ids, padded with `padValue`; its lengths and mask are the decoder's. */
  targetIn: PaddedBatch<Int32Array>;
  /** Decoder targets, the layout of `targetIn.data`, padded with `ignoreIndex`. */
  targetOut: Int32Array;
  indices: number[];
}

export class PairDataset implements Dataset<PairItem, PairBatch> {
  readonly sources: readonly Int32Array[];
  readonly targets: readonly Int32Array[];
  readonly padValue: number;
  readonly ignoreIndex: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly batchFirst: boolean;

  constructor(
    sources: readonly (Int32Array | readonly number[])[],
    targets: readonly (Int32Array | readonly number[])[],
    options: PairDatasetOptions = {},
  ) {
    const fn = 'PairDataset';
    checkKeys(options, ['padValue', 'ignoreIndex', 'bosId', 'eosId', 'batchFirst'], fn);
    this.padValue = checkInt(options.padValue ?? 0, fn, 'padValue');
    this.ignoreIndex = checkInt(options.ignoreIndex ?? -100, fn, 'ignoreIndex');
    this.batchFirst = checkBool(options.batchFirst ?? false, fn, 'batchFirst');
    if ((options.bosId === undefined) !== (options.eosId === undefined)) {
      throw new ConfigError(
        `${fn}: give both bosId and eosId (to frame the targets) or neither, got bosId ${describe(options.bosId)} and eosId ${describe(options.eosId)}`,
      );
    }
    this.bosId = options.bosId === undefined ? null : checkNonNegInt(options.bosId, fn, 'bosId');
    this.eosId = options.eosId === undefined ? null : checkNonNegInt(options.eosId, fn, 'eosId');
    if (!Array.isArray(sources) || sources.length === 0) {
      throw new DataError(
        `${fn}: sources must be a non-empty array of token sequences, got ${describe(sources)}`,
      );
    }
    if (!Array.isArray(targets) || targets.length !== sources.length) {
      throw new DataError(
        `${fn}: targets must be an array with one sequence per source (${sources.length}), got ${describe(targets)}`,
      );
    }
    this.sources = sources.map((s, i) => toInt32(s, `${fn}: sources[${i}]`));
    this.targets = targets.map((t, i) => {
      const y = toInt32(t, `${fn}: targets[${i}]`);
      if (this.bosId === null && y.length < 2) {
        throw new DataError(
          `${fn}: targets[${i}] has ${y.length} ids; without bosId/eosId each target must be framed, at least 2 ids ([bos, ..., eos])`,
        );
      }
      return y;
    });
  }

  get length(): number {
    return this.sources.length;
  }

  /** The longer of source and target, so bucketing limits padding on both sides. */
  lengthOf(i: number): number {
    const it = this.get(i);
    return Math.max(it.source.length, it.target.length);
  }

  get(i: number): PairItem {
    const source = this.sources[i];
    if (source === undefined)
      throw new ConfigError(
        `PairDataset.get: i must be in [0, ${this.sources.length - 1}], got ${describe(i)}`,
      );
    return { source, target: this.targets[i] };
  }

  collate(indices: readonly number[]): PairBatch {
    const fn = 'PairDataset.collate';
    if (!Array.isArray(indices) || indices.length === 0)
      throw new DataError(`${fn}: indices must be a non-empty array, got ${describe(indices)}`);
    const items = indices.map((i) => this.get(i));
    const ins: Int32Array[] = [];
    const outs: Int32Array[] = [];
    for (const { target: y } of items) {
      if (this.bosId !== null && this.eosId !== null) {
        const a = new Int32Array(y.length + 1);
        a[0] = this.bosId;
        a.set(y, 1);
        const b = new Int32Array(y.length + 1);
        b.set(y, 0);
        b[y.length] = this.eosId;
        ins.push(a);
        outs.push(b);
      } else {
        ins.push(y.subarray(0, y.length - 1));
        outs.push(y.subarray(1));
      }
    }
    const opts = { padValue: this.padValue, batchFirst: this.batchFirst };
    const source = padBatch(
      items.map((it) => it.source),
      opts,
    );
    const targetIn = padBatch(ins, opts);
    const targetOut = padBatch(outs, { padValue: this.ignoreIndex, batchFirst: this.batchFirst }).data;
    return { source, targetIn, targetOut, indices: indices.slice() };
  }

  toString(): string {
    return `PairDataset(${this.length} pairs${this.bosId === null ? '' : `, bos=${this.bosId}, eos=${this.eosId}`})`;
  }
}
