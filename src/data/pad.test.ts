import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DataError, ShapeError } from '../util/errors.js';
import { padBatch } from './pad.js';

describe('padBatch', () => {
  it('pads token ids time-major [maxLen, batch] with lengths and mask', () => {
    const p = padBatch([[1, 2, 3], Int32Array.of(4), [5, 6]], { padValue: 9 });
    assert.ok(p.data instanceof Int32Array);
    assert.deepEqual(p.shape, [3, 3]);
    // rows are time steps, columns are sequences
    assert.deepEqual([...p.data], [1, 4, 5, 2, 9, 6, 3, 9, 9]);
    assert.deepEqual([...p.lengths], [3, 1, 2]);
    assert.deepEqual([...p.mask], [1, 1, 1, 1, 0, 1, 1, 0, 0]);
    assert.deepEqual(p.maskShape, [3, 3]);
    assert.equal(p.maxLen, 3);
  });

  it('batchFirst gives [batch, maxLen]', () => {
    const p = padBatch([[1, 2, 3], [4]], { batchFirst: true });
    assert.deepEqual(p.shape, [2, 3]);
    assert.deepEqual([...p.data], [1, 2, 3, 4, 0, 0]);
    assert.deepEqual([...p.mask], [1, 1, 1, 1, 0, 0]);
    assert.equal(p.batchFirst, true);
  });

  it('pads float feature sequences to [maxLen, batch, featureSize], keeping the float type', () => {
    const a = Float64Array.of(1, 2, 3, 4); // 2 steps of 2 features
    const b = Float64Array.of(5, 6); // 1 step
    const p = padBatch([a, b], { featureSize: 2, padValue: -1 });
    assert.ok(p.data instanceof Float64Array);
    assert.deepEqual(p.shape, [2, 2, 2]);
    assert.deepEqual([...p.data], [1, 2, 5, 6, 3, 4, -1, -1]);
    assert.deepEqual([...p.lengths], [2, 1]);
    const q = padBatch([Float32Array.of(1, 2), Float32Array.of(3)]);
    assert.ok(q.data instanceof Float32Array);
    assert.deepEqual(q.shape, [2, 2]);
  });

  it('allows an empty sequence (length 0, mask all 0)', () => {
    const p = padBatch([[], [7]]);
    assert.deepEqual([...p.lengths], [0, 1]);
    assert.deepEqual([...p.mask], [0, 1]);
  });

  it('rejects mixed kinds, ragged features and non-integer ids with named errors', () => {
    assert.throws(
      () => padBatch([]),
      (e: unknown) =>
        e instanceof DataError && /padBatch: seqs must be a non-empty array/.test((e as Error).message),
    );
    assert.throws(
      () => padBatch([[1], Float32Array.of(1)] as never),
      (e: unknown) =>
        e instanceof DataError &&
        /seqs\[1\] is Float32Array\(1\) but seqs\[0\] is array\(1\)/.test((e as Error).message),
    );
    assert.throws(
      () => padBatch([Float32Array.of(1, 2, 3)], { featureSize: 2 }),
      (e: unknown) =>
        e instanceof ShapeError &&
        /seqs\[0\] has 3 values, not a multiple of featureSize 2/.test((e as Error).message),
    );
    assert.throws(
      () => padBatch([[1.5]]),
      (e: unknown) =>
        e instanceof DataError &&
        /seqs\[0\]\[0\] must be an integer token id, got 1\.5/.test((e as Error).message),
    );
    assert.throws(() => padBatch([[1]], { featureSize: 2 }), ConfigError);
    assert.throws(
      () => padBatch([[1]], { padValue: 0.5 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /padBatch: padValue must be an integer, got 0\.5/.test((e as Error).message),
    );
  });
});
