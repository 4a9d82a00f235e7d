/**
 * Mini-batching in the manner of PyTorch's DataLoader: a dataset knows its length, its items and
 * how to `collate` a list of indices into one batch; `batches` decides which indices go together.
 *
 * Shuffling draws from a seeded `Rng` (same seed, same order); the whole epoch's plan is drawn when
 * `batches` is called, so the generator's state afterwards does not depend on how far the caller
 * iterates (a checkpoint of the Rng taken after planning resumes the next epoch exactly).
 *
 * Bucketing by length (torchtext's BucketIterator, fairseq's batching by size): the indices are
 * cut into pools of `k * batchSize` (k = 50 by default), each pool is sorted by length, cut into
 * batches, and the batches (not the items) are shuffled. Sequences in a batch then have similar
 * lengths and little padding, while the pools keep the epoch random.
 */
import { ConfigError } from '../util/errors.js';
import { defaultRng, Rng } from '../util/rng.js';
import { checkBool, checkKeys, checkNonNegInt, checkPositiveInt, describe } from './_util.js';

/** A random-access dataset whose batches are built by `collate`. */
export interface Dataset<T = unknown, B = unknown> {
  readonly length: number;
  get(i: number): T;
  /** Builds one batch from item indices (in the given order). */
  collate(indices: readonly number[]): B;
  /** The item's sequence length, used by `bucketByLength`. */
  lengthOf?(i: number): number;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle the order every call. Default false. */
  shuffle?: boolean;
  /** Generator for shuffling; default `defaultRng` (see `manualSeed`). Only with `shuffle`. */
  rng?: Rng;
  /** Leave out the last batch if it has fewer than `batchSize` items. Default false. */
  dropLast?: boolean;
  /**
   * Group items of similar length (needs `dataset.lengthOf`). `true` sorts within pools of
   * 50 batches; a number k sorts within pools of k batches. Default false.
   */
  bucketByLength?: boolean | number;
}

function sortByLength(idx: number[], lengthOf: (i: number) => number, fn: string): void {
  const len = new Map<number, number>();
  for (const i of idx) {
    const l = lengthOf(i);
    if (!Number.isInteger(l) || l < 0)
      throw new ConfigError(`${fn}: lengthOf(${i}) must be a non-negative integer, got ${describe(l)}`);
    len.set(i, l);
  }
  // Ties keep the pool's order (stable sort), so the result is a function of the seed alone.
  idx.sort((a, b) => len.get(a)! - len.get(b)!);
}

/**
 * The index lists of one epoch over `n` items (the planning half of `batches`, usable on its own).
 * `lengthOf` is required when bucketing.
 */
export function batchIndices(n: number, options: BatchOptions, lengthOf?: (i: number) => number): number[][] {
  const fn = 'batchIndices';
  checkKeys(options, ['batchSize', 'shuffle', 'rng', 'dropLast', 'bucketByLength'], fn);
  checkNonNegInt(n, fn, 'n');
  const bs = checkPositiveInt(options.batchSize, fn, 'batchSize');
  const shuffle = checkBool(options.shuffle ?? false, fn, 'shuffle');
  const dropLast = checkBool(options.dropLast ?? false, fn, 'dropLast');
  if (options.rng !== undefined && !(options.rng instanceof Rng)) {
    throw new ConfigError(`${fn}: rng must be an Rng, got ${describe(options.rng)}`);
  }
  if (options.rng !== undefined && !shuffle) {
    throw new ConfigError(`${fn}: rng is only used with shuffle: true; pass shuffle: true or drop rng`);
  }
  const rng = options.rng ?? defaultRng;
  const bucket = options.bucketByLength ?? false;
  let poolBatches = 0;
  if (typeof bucket === 'number') poolBatches = checkPositiveInt(bucket, fn, 'bucketByLength');
  else if (checkBool(bucket, fn, 'bucketByLength')) poolBatches = 50;
  if (poolBatches > 0 && typeof lengthOf !== 'function') {
    throw new ConfigError(`${fn}: bucketByLength needs item lengths, but the dataset has no lengthOf(i)`);
  }

  const order = Array.from({ length: n }, (_, i) => i);
  if (shuffle) rng.shuffle(order);
  const out: number[][] = [];
  if (poolBatches === 0) {
    for (let s = 0; s < n; s += bs) out.push(order.slice(s, s + bs));
  } else {
    const pool = poolBatches * bs;
    for (let p = 0; p < n; p += pool) {
      const chunk = order.slice(p, p + pool);
      sortByLength(chunk, lengthOf!, fn);
      for (let s = 0; s < chunk.length; s += bs) out.push(chunk.slice(s, s + bs));
    }
  }
  // Only the final batch can be short: every pool but the last holds whole batches.
  if (dropLast && out.length > 0 && out[out.length - 1].length < bs) out.pop();
  if (shuffle && poolBatches > 0) rng.shuffle(out);
  return out;
}

/** One epoch of batches: iterate it, or index it through `indices`. */
export interface BatchPlan<B> extends Iterable<B> {
  /** Number of batches. */
  readonly length: number;
  /** Item indices of every batch, in order. */
  readonly indices: readonly (readonly number[])[];
}

/**
 * Plans one epoch over `dataset` and returns it as an iterable of collated batches. Call once per
 * epoch; with `shuffle`, every call draws a new order from `rng`.
 */
export function batches<B>(dataset: Dataset<unknown, B>, options: BatchOptions): BatchPlan<B> {
  if (dataset === null || typeof dataset !== 'object' || typeof dataset.collate !== 'function') {
    throw new ConfigError(
      `batches: dataset must have length, get(i) and collate(indices), got ${describe(dataset)}`,
    );
  }
  const lengthOf = typeof dataset.lengthOf === 'function' ? (i: number) => dataset.lengthOf!(i) : undefined;
  let plan: number[][];
  try {
    plan = batchIndices(dataset.length, options, lengthOf);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.message.replace(/^batchIndices:/, 'batches:'));
    throw e;
  }
  return {
    length: plan.length,
    indices: plan,
    *[Symbol.iterator]() {
      for (const idx of plan) yield dataset.collate(idx);
    },
  };
}

/**
 * A view of some items of a dataset (a train or validation split), as PyTorch's `Subset`.
 * Batches of a subset are collated by the parent dataset.
 */
export class Subset<T, B> implements Dataset<T, B> {
  readonly dataset: Dataset<T, B>;
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T, B>, indices: ArrayLike<number>) {
    const fn = 'Subset';
    this.dataset = dataset;
    this.indices = Int32Array.from(indices);
    for (let k = 0; k < this.indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= dataset.length) {
        throw new ConfigError(
          `${fn}: indices[${k}] must be an index in [0, ${dataset.length - 1}], got ${describe(i)}`,
        );
      }
    }
    if (typeof dataset.lengthOf !== 'function') this.lengthOf = undefined;
  }

  get length(): number {
    return this.indices.length;
  }

  get(i: number): T {
    return this.dataset.get(this.map(i));
  }

  lengthOf?: (i: number) => number = (i: number) => this.dataset.lengthOf!(this.map(i));

  collate(indices: readonly number[]): B {
    return this.dataset.collate(indices.map((i) => this.map(i)));
  }

  toString(): string {
    return `Subset(${this.indices.length} of ${this.dataset.length} items)`;
  }

  private map(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.indices.length) {
      throw new ConfigError(`Subset: index must be in [0, ${this.indices.length - 1}], got ${describe(i)}`);
    }
    return this.indices[i];
  }
}
