/**
 * Labelled variable-length sequences for classification (one label per sequence) and tagging (one
 * label per step). Inputs are token ids or float feature vectors per step.
 *
 * Batches come from `collate`: inputs padded with `padValue` (time-major unless `batchFirst`), and
 * per-step labels padded with `ignoreIndex` (-100, PyTorch's `CrossEntropyLoss` default), so a loss
 * that skips `ignoreIndex` needs no mask; the mask is there too.
 */
import { ConfigError, DataError } from '../util/errors.js';
import {
  checkBool,
  checkInt,
  checkKeys,
  checkPositiveInt,
  describe,
  type FloatData,
  isIdArray,
  toInt32,
} from './_util.js';
import type { Dataset } from './batches.js';
import { type PaddedBatch, padBatch } from './pad.js';

/** One input sequence as given: ids, flat float features (with `featureSize`), or one vector per step. */
export type SequenceInput =
  | Int32Array
  | readonly number[]
  | Float32Array
  | Float64Array
  | readonly (Float32Array | Float64Array | readonly number[])[];

export interface SequenceDatasetOptions {
  /** Values per step of flat Float32Array/Float64Array inputs. Inferred for per-step vectors. */
  featureSize?: number;
  /** Pad value of inputs. Default 0 (use `vocab.padId` for words). */
  padValue?: number;
  /** Pad value of per-step labels. Default -100. */
  ignoreIndex?: number;
  /** Batches `[batch, maxLen, ...]` instead of `[maxLen, batch, ...]`. Default false. */
  batchFirst?: boolean;
}

export interface SequenceItem {
  /** Ids (Int32Array) or flat features `[length * featureSize]`. */
  input: Int32Array | FloatData;
  /** A class id, or one class id per step. */
  label: number | Int32Array;
}

export interface SequenceBatch {
  input: PaddedBatch;
  /** `[batch]` class ids, or per-step labels in the input's `maskShape` padded with `ignoreIndex`. */
  labels: Int32Array;
  labelShape: number[];
  /** Dataset indices of the items, in batch order. */
  indices: number[];
}

export class SequenceDataset implements Dataset<SequenceItem, SequenceBatch> {
  readonly inputs: readonly (Int32Array | FloatData)[];
  readonly labels: Int32Array | readonly Int32Array[];
  /** True for one label per step. */
  readonly perStep: boolean;
  /** Values per step for float inputs; 0 for token ids. */
  readonly featureSize: number;
  readonly padValue: number;
  readonly ignoreIndex: number;
  readonly batchFirst: boolean;

  /**
   * `inputs[i]` is sequence i; `labels[i]` its class id (a number) or its per-step class ids
   * (Int32Array/number[] as long as the sequence). Int32Array inputs and flat float inputs are kept
   * by reference (do not modify them afterwards); number[] and narrow id arrays are copied to
   * Int32Array; per-step vectors are flattened once into one array per sequence.
   */
  constructor(
    inputs: readonly SequenceInput[],
    labels: readonly number[] | Int32Array | readonly (Int32Array | readonly number[])[],
    options: SequenceDatasetOptions = {},
  ) {
    const fn = 'SequenceDataset';
    checkKeys(options, ['featureSize', 'padValue', 'ignoreIndex', 'batchFirst'], fn);
    this.batchFirst = checkBool(options.batchFirst ?? false, fn, 'batchFirst');
    this.ignoreIndex = checkInt(options.ignoreIndex ?? -100, fn, 'ignoreIndex');
    if (!Array.isArray(inputs) || inputs.length === 0) {
      throw new DataError(`${fn}: inputs must be a non-empty array of sequences, got ${describe(inputs)}`);
    }
    if (!(Array.isArray(labels) || labels instanceof Int32Array) || labels.length !== inputs.length) {
      throw new DataError(
        `${fn}: labels must be an array with one entry per input (${inputs.length}), got ${describe(labels)}`,
      );
    }
    const first = inputs[0];
    const isVectors = Array.isArray(first) && first.length > 0 && typeof first[0] !== 'number';
    const isFlatFloat = first instanceof Float32Array || first instanceof Float64Array;
    let F = 0;
    if (isFlatFloat) {
      if (options.featureSize === undefined) {
        throw new ConfigError(
          `${fn}: featureSize is required for flat ${first.constructor.name} inputs (values per step)`,
        );
      }
      F = checkPositiveInt(options.featureSize, fn, 'featureSize');
    } else if (isVectors) {
      const v0 = (first as readonly ArrayLike<number>[])[0];
      F = v0.length;
      if (options.featureSize !== undefined && options.featureSize !== F) {
        throw new ConfigError(
          `${fn}: featureSize is ${describe(options.featureSize)} but inputs[0][0] has ${F} values`,
        );
      }
      if (F === 0) throw new DataError(`${fn}: inputs[0][0] is an empty feature vector`);
    } else if (options.featureSize !== undefined) {
      throw new ConfigError(
        `${fn}: featureSize applies to float feature inputs, but inputs[0] holds token ids`,
      );
    }
    this.featureSize = F;
    this.padValue = options.padValue ?? 0;
    if (F === 0) checkInt(this.padValue, fn, 'padValue');
    else if (typeof this.padValue !== 'number' || Number.isNaN(this.padValue)) {
      throw new ConfigError(`${fn}: padValue must be a number, got ${describe(this.padValue)}`);
    }

    this.inputs = inputs.map((s, i) => {
      const where = `${fn}: inputs[${i}]`;
      if (isFlatFloat) {
        if (!(s instanceof first.constructor))
          throw new DataError(`${where} is ${describe(s)}, expected ${describe(first)} like inputs[0]`);
        const a = s as FloatData;
        if (a.length % F !== 0)
          throw new DataError(`${where} has ${a.length} values, not a multiple of featureSize ${F}`);
        return a;
      }
      if (isVectors) return flattenSteps(s, F, where);
      if (!(Array.isArray(s) || isIdArray(s)))
        throw new DataError(`${where} must be token ids like inputs[0], got ${describe(s)}`);
      return toInt32(s, where);
    });

    this.perStep = typeof labels[0] !== 'number';
    if (this.perStep) {
      this.labels = (labels as readonly unknown[]).map((l, i) => {
        const lab = toInt32(l, `${fn}: labels[${i}]`);
        const len = this.lengthOf(i);
        if (lab.length !== len)
          throw new DataError(
            `${fn}: labels[${i}] has ${lab.length} labels but inputs[${i}] has ${len} steps`,
          );
        return lab;
      });
    } else {
      this.labels = toInt32(labels, `${fn}: labels`);
    }
  }

  get length(): number {
    return this.inputs.length;
  }

  lengthOf(i: number): number {
    const s = this.inputs[i];
    if (s === undefined)
      throw new ConfigError(
        `SequenceDataset.lengthOf: i must be in [0, ${this.inputs.length - 1}], got ${describe(i)}`,
      );
    return this.featureSize === 0 ? s.length : s.length / this.featureSize;
  }

  get(i: number): SequenceItem {
    const input = this.inputs[i];
    if (input === undefined)
      throw new ConfigError(
        `SequenceDataset.get: i must be in [0, ${this.inputs.length - 1}], got ${describe(i)}`,
      );
    return { input, label: this.labels[i] };
  }

  collate(indices: readonly number[]): SequenceBatch {
    const fn = 'SequenceDataset.collate';
    if (!Array.isArray(indices) || indices.length === 0)
      throw new DataError(`${fn}: indices must be a non-empty array, got ${describe(indices)}`);
    const items = indices.map((i) => this.get(i));
    const opts =
      this.featureSize === 0
        ? { padValue: this.padValue, batchFirst: this.batchFirst }
        : { padValue: this.padValue, batchFirst: this.batchFirst, featureSize: this.featureSize };
    const input = padBatch(items.map((it) => it.input) as Int32Array[], opts) as PaddedBatch;
    let labels: Int32Array;
    let labelShape: number[];
    if (this.perStep) {
      const lab = padBatch(
        items.map((it) => it.label as Int32Array),
        { padValue: this.ignoreIndex, batchFirst: this.batchFirst },
      );
      labels = lab.data;
      labelShape = lab.shape;
    } else {
      labels = Int32Array.from(items, (it) => it.label as number);
      labelShape = [indices.length];
    }
    return { input, labels, labelShape, indices: indices.slice() };
  }

  toString(): string {
    const kind = this.featureSize === 0 ? 'token ids' : `${this.featureSize} features`;
    return `SequenceDataset(${this.length} sequences, ${kind}, ${this.perStep ? 'per-step labels' : 'sequence labels'})`;
  }
}

/** Flattens one vector per step into a Float32Array (Float64Array if the steps are Float64Array). */
function flattenSteps(s: unknown, F: number, where: string): FloatData {
  if (!Array.isArray(s))
    throw new DataError(
      `${where} must be an array of per-step feature vectors like inputs[0], got ${describe(s)}`,
    );
  const out = s[0] instanceof Float64Array ? new Float64Array(s.length * F) : new Float32Array(s.length * F);
  for (let t = 0; t < s.length; t++) {
    const v = s[t] as ArrayLike<number>;
    if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || v.length !== F) {
      throw new DataError(`${where}[${t}] must be a feature vector of ${F} values, got ${describe(v)}`);
    }
    for (let f = 0; f < F; f++) {
      const x = v[f];
      if (typeof x !== 'number' || Number.isNaN(x))
        throw new DataError(`${where}[${t}][${f}] must be a number, got ${describe(x)}`);
      out[t * F + f] = x;
    }
  }
  return out;
}
