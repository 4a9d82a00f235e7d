import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { batches, batchIndices, Subset } from './batches.js';
import { SequenceDataset } from './sequence-dataset.js';

function randomLengthDataset(n: number, seed: number): SequenceDataset {
  const rng = new Rng(seed);
  const seqs = Array.from({ length: n }, () => new Int32Array(1 + rng.int(100)).fill(1));
  return new SequenceDataset(
    seqs,
    Array.from({ length: n }, (_, i) => i % 2),
  );
}

/** Padded cells that hold no data, over one epoch. */
function padding(ds: SequenceDataset, plan: readonly (readonly number[])[]): number {
  let waste = 0;
  for (const idx of plan) {
    const lens = idx.map((i) => ds.lengthOf(i));
    const max = Math.max(...lens);
    for (const l of lens) waste += max - l;
  }
  return waste;
}

describe('batchIndices', () => {
  it('without shuffle keeps order; dropLast removes the short final batch', () => {
    assert.deepEqual(batchIndices(7, { batchSize: 3 }), [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(batchIndices(7, { batchSize: 3, dropLast: true }), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    assert.deepEqual(batchIndices(6, { batchSize: 3, dropLast: true }), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
  });

  it('same seed gives the same order; a different seed a different one', () => {
    const a = batchIndices(100, { batchSize: 8, shuffle: true, rng: new Rng(42) });
    const b = batchIndices(100, { batchSize: 8, shuffle: true, rng: new Rng(42) });
    const c = batchIndices(100, { batchSize: 8, shuffle: true, rng: new Rng(43) });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // a permutation: every index exactly once
    assert.deepEqual(
      a.flat().sort((x, y) => x - y),
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it('successive epochs from one rng differ, and replay from a saved rng state', () => {
    const rng = new Rng(7);
    const state = rng.getState();
    const e1 = batchIndices(50, { batchSize: 5, shuffle: true, rng });
    const e2 = batchIndices(50, { batchSize: 5, shuffle: true, rng });
    assert.notDeepEqual(e1, e2);
    const replay = new Rng(0);
    replay.setState(state);
    assert.deepEqual(batchIndices(50, { batchSize: 5, shuffle: true, rng: replay }), e1);
  });

  it('rejects options that would be ignored or are misspelled', () => {
    assert.throws(
      () => batchIndices(10, { batchSize: 2, rng: new Rng(1) }),
      (e: unknown) =>
        e instanceof ConfigError && /rng is only used with shuffle: true/.test((e as Error).message),
    );
    assert.throws(
      () => batchIndices(10, { batchSize: 2, bucketByLength: true }),
      (e: unknown) =>
        e instanceof ConfigError && /bucketByLength needs item lengths/.test((e as Error).message),
    );
    assert.throws(
      () => batchIndices(10, { batch_size: 2 } as never),
      (e: unknown) => e instanceof ConfigError && /unknown option "batch_size"/.test((e as Error).message),
    );
    assert.throws(
      () => batchIndices(10, { batchSize: 0 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /batchIndices: batchSize must be a positive integer, got 0/.test((e as Error).message),
    );
  });
});

describe('batches', () => {
  it('bucketing by length reduces padding several-fold and still covers every item once', () => {
    const ds = randomLengthDataset(2000, 1);
    const plain = batches(ds, { batchSize: 16, shuffle: true, rng: new Rng(3) });
    const bucketed = batches(ds, { batchSize: 16, shuffle: true, rng: new Rng(3), bucketByLength: true });
    assert.equal(bucketed.length, Math.ceil(2000 / 16));
    assert.deepEqual(
      bucketed.indices.flat().sort((x, y) => x - y),
      Array.from({ length: 2000 }, (_, i) => i),
    );
    const p = padding(ds, plain.indices);
    const q = padding(ds, bucketed.indices);
    assert.ok(q * 5 < p, `bucketed padding ${q} should be far below unbucketed ${p}`);
  });

  it('bucketing is seeded too: same seed, same batches; batch order is shuffled', () => {
    const ds = randomLengthDataset(300, 2);
    const opts = () => ({ batchSize: 10, shuffle: true, rng: new Rng(5), bucketByLength: 3 });
    const a = batches(ds, opts()).indices;
    assert.deepEqual(a, batches(ds, opts()).indices);
    const maxLens = a.map((idx) => Math.max(...idx.map((i) => ds.lengthOf(i))));
    const sorted = maxLens.slice().sort((x, y) => x - y);
    assert.notDeepEqual(maxLens, sorted);
  });

  it('dropLast with bucketing drops only one short batch', () => {
    const ds = randomLengthDataset(105, 3);
    const plan = batches(ds, {
      batchSize: 10,
      shuffle: true,
      rng: new Rng(1),
      bucketByLength: 2,
      dropLast: true,
    });
    assert.equal(plan.length, 10);
    assert.ok(plan.indices.every((b) => b.length === 10));
  });

  it('yields collated batches and works on a Subset', () => {
    const ds = new SequenceDataset([[1, 2], [3], [4, 5, 6], [7]], [0, 1, 0, 1]);
    const sub = new Subset(ds, [2, 0]);
    const out = [...batches(sub, { batchSize: 2 })];
    assert.equal(out.length, 1);
    assert.deepEqual(out[0].indices, [2, 0]);
    assert.deepEqual([...out[0].input.data], [4, 1, 5, 2, 6, 0]);
    assert.deepEqual([...out[0].labels], [0, 0]);
    assert.equal(sub.lengthOf!(0), 3);
    assert.throws(
      () => new Subset(ds, [4]),
      (e: unknown) =>
        e instanceof ConfigError &&
        /Subset: indices\[0\] must be an index in \[0, 3\], got 4/.test((e as Error).message),
    );
  });

  it('reports option errors under its own name', () => {
    const ds = new SequenceDataset([[1]], [0]);
    assert.throws(
      () => batches(ds, { batchSize: -1 }),
      (e: unknown) => e instanceof ConfigError && /^batches: batchSize/.test((e as Error).message),
    );
  });
});
