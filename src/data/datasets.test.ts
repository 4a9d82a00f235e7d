import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DataError } from '../util/errors.js';
import { PairDataset } from './pair-dataset.js';
import { SequenceDataset } from './sequence-dataset.js';

describe('SequenceDataset', () => {
  it('collates token sequences with sequence labels', () => {
    const ds = new SequenceDataset([[5, 6, 7], Int32Array.of(8)], [1, 0], { padValue: 1 });
    assert.equal(ds.length, 2);
    assert.equal(ds.lengthOf(0), 3);
    const b = ds.collate([1, 0]);
    assert.deepEqual(b.input.shape, [3, 2]);
    assert.deepEqual([...b.input.data], [8, 5, 1, 6, 1, 7]);
    assert.deepEqual([...b.input.lengths], [1, 3]);
    assert.deepEqual([...b.labels], [0, 1]);
    assert.deepEqual(b.labelShape, [2]);
  });

  it('pads per-step labels with ignoreIndex -100 in the input layout', () => {
    const ds = new SequenceDataset([[1, 2], [3]], [[0, 1], [2]], { batchFirst: true });
    assert.ok(ds.perStep);
    const b = ds.collate([0, 1]);
    assert.deepEqual(b.labelShape, [2, 2]);
    assert.deepEqual([...b.labels], [0, 1, 2, -100]);
    assert.deepEqual([...b.input.mask], [1, 1, 1, 0]);
  });

  it('accepts per-step feature vectors and flattens them once', () => {
    const ds = new SequenceDataset(
      [[Float32Array.of(1, 2), Float32Array.of(3, 4), Float32Array.of(5, 6)], [[7, 8]]],
      [0, 1],
    );
    assert.equal(ds.featureSize, 2);
    assert.ok(ds.inputs[0] instanceof Float32Array);
    assert.equal(ds.lengthOf(0), 3);
    const b = ds.collate([0, 1]);
    assert.deepEqual(b.input.shape, [3, 2, 2]);
    assert.deepEqual([...b.input.data], [1, 2, 7, 8, 3, 4, 0, 0, 5, 6, 0, 0]);
  });

  it('keeps flat float inputs by reference with featureSize', () => {
    const x = Float64Array.of(1, 2, 3, 4);
    const ds = new SequenceDataset([x], [0], { featureSize: 2 });
    assert.equal(ds.inputs[0], x);
    assert.equal(ds.lengthOf(0), 2);
    assert.ok(ds.collate([0]).input.data instanceof Float64Array);
  });

  it('reports mismatched labels and malformed inputs with the index', () => {
    assert.throws(
      () => new SequenceDataset([[1, 2]], [[0]]),
      (e: unknown) =>
        e instanceof DataError &&
        /SequenceDataset: labels\[0\] has 1 labels but inputs\[0\] has 2 steps/.test((e as Error).message),
    );
    assert.throws(
      () => new SequenceDataset([[1], [2]], [0]),
      (e: unknown) => e instanceof DataError && /one entry per input \(2\)/.test((e as Error).message),
    );
    assert.throws(
      () => new SequenceDataset([Float32Array.of(1)], [0]),
      (e: unknown) => e instanceof ConfigError && /featureSize is required/.test((e as Error).message),
    );
    assert.throws(
      () => new SequenceDataset([[[1, 2]], [[1]]], [0, 1]),
      (e: unknown) =>
        e instanceof DataError &&
        /inputs\[1\]\[0\] must be a feature vector of 2 values/.test((e as Error).message),
    );
    assert.throws(
      () => new SequenceDataset([[1, 2.5]], [0]),
      (e: unknown) =>
        e instanceof DataError &&
        /inputs\[0\]\[1\] must be an int32 integer, got 2\.5/.test((e as Error).message),
    );
    assert.throws(() => new SequenceDataset([[1]], [0], { featureSize: 1 }), ConfigError);
  });
});

describe('PairDataset', () => {
  it('frames targets with bosId/eosId: targetIn = [bos, y], targetOut = [y, eos] padded with -100', () => {
    const ds = new PairDataset([[10, 11, 12], [13]], [[20], [21, 22]], { bosId: 2, eosId: 3, padValue: 1 });
    const b = ds.collate([0, 1]);
    assert.deepEqual(b.source.shape, [3, 2]);
    assert.deepEqual([...b.source.data], [10, 13, 11, 1, 12, 1]);
    assert.deepEqual(b.targetIn.shape, [3, 2]);
    assert.deepEqual([...b.targetIn.data], [2, 2, 20, 21, 1, 22]);
    assert.deepEqual([...b.targetOut], [20, 21, 3, 22, -100, 3]);
    assert.deepEqual([...b.targetIn.lengths], [2, 3]);
    assert.equal(ds.lengthOf(0), 3);
  });

  it('without bos/eos shifts already framed targets by one', () => {
    const ds = new PairDataset([[1]], [[2, 7, 8, 3]], { batchFirst: true });
    const b = ds.collate([0]);
    assert.deepEqual([...b.targetIn.data], [2, 7, 8]);
    assert.deepEqual([...b.targetOut], [7, 8, 3]);
    assert.throws(
      () => new PairDataset([[1]], [[2]]),
      (e: unknown) =>
        e instanceof DataError && /targets\[0\] has 1 ids; without bosId\/eosId/.test((e as Error).message),
    );
  });

  it('requires bosId and eosId together', () => {
    assert.throws(
      () => new PairDataset([[1]], [[2, 3]], { bosId: 2 }),
      (e: unknown) =>
        e instanceof ConfigError && /PairDataset: give both bosId and eosId/.test((e as Error).message),
    );
  });
});
