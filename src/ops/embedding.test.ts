import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { DataError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { embedding } from './embedding.js';
import { sum } from './reduce.js';

const f64 = (shape: number[], seed: number) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad: true });

function gradOf(t: Tensor): Tensor {
  assert.ok(t.grad, 'no gradient');
  return t.grad;
}

describe('embedding', () => {
  const w = tensor(
    [
      [0, 1],
      [10, 11],
      [20, 21],
      [30, 31],
    ],
    { requiresGrad: true },
  );
  it('looks up rows and shapes the output [...shape, E]', () => {
    const y = embedding(w, [2, 0, 3, 2, 1, 1], { shape: [3, 2] });
    assert.deepEqual(y.shape, [3, 2, 2]);
    assert.deepEqual(y.toArray(), [
      [
        [20, 21],
        [0, 1],
      ],
      [
        [30, 31],
        [20, 21],
      ],
      [
        [10, 11],
        [10, 11],
      ],
    ]);
    assert.deepEqual(embedding(w, Int32Array.from([3])).toArray(), [[30, 31]]);
    assert.deepEqual(embedding(w, Uint8Array.from([1, 0])).shape, [2, 2]);
    assert.deepEqual(embedding(w, tensor([[1], [2]])).shape, [2, 1, 2]);
  });
  it('accumulates the gradient only into used rows, repeated ids summed', () => {
    w.grad = null;
    sum(embedding(w, [2, 0, 2])).backward();
    assert.deepEqual(gradOf(w).toArray(), [
      [1, 1],
      [0, 0],
      [2, 2],
      [0, 0],
    ]);
  });
  it('gives the paddingIdx row no gradient (negative paddingIdx counts from the end)', () => {
    w.grad = null;
    sum(embedding(w, [3, 1, 3], { paddingIdx: -1 })).backward();
    assert.deepEqual(gradOf(w).toArray(), [
      [0, 0],
      [1, 1],
      [0, 0],
      [0, 0],
    ]);
  });
  it('passes gradcheck with repeated and unused ids', () => {
    const ids = [1, 4, 1, 0, 2, 4];
    const r = gradcheck((x) => embedding(x, ids, { shape: [2, 3] }), [f64([6, 3], 1)]);
    assert.ok(r.ok, JSON.stringify(r));
  });
  it('names a bad id with its flat index and position', () => {
    assert.throws(
      () => embedding(w, [0, 1, 7, 2], { shape: [2, 2] }),
      (e: Error) =>
        e instanceof DataError &&
        e.message ===
          'embedding: ids[2] (position [1, 0] of ids shape [2, 2]) is 7, outside the vocabulary [0, 4) of weight [4, 2]',
    );
    assert.throws(() => embedding(w, [-1]), DataError);
    assert.throws(
      () => embedding(w, [1.5]),
      (e: Error) => e instanceof DataError && /ids\[0\] must be an integer/.test(e.message),
    );
    assert.throws(() => embedding(w, [1, 2], { shape: [3] }), ShapeError);
    assert.throws(() => embedding(w, [1], { paddingIdx: 4 }), ShapeError);
    assert.throws(() => embedding(tensor([1, 2]), [0]), /weight must have rank 2/);
  });
  it('handles empty ids and agrees across dtypes', () => {
    assert.deepEqual(embedding(w, [], { shape: [0, 3] }).shape, [0, 3, 2]);
    const w64 = randn([6, 3], { dtype: 'float64', rng: new Rng(2) });
    const w32 = tensor(w64.data, { shape: [6, 3], dtype: 'float32' });
    const a = embedding(w64, [5, 0, 3]).data;
    const b = embedding(w32, [5, 0, 3]).data;
    a.forEach((v, i) => {
      assert.ok(Math.abs(v - b[i]) < 1e-6);
    });
  });
  it('copies the ids, so refilling the caller buffer before backward changes nothing', () => {
    const ids = Int32Array.from([1, 1]);
    const x = f64([3, 2], 3);
    const y = embedding(x, ids);
    ids.fill(2);
    sum(y).backward();
    assert.deepEqual(gradOf(x).toArray(), [
      [0, 0],
      [2, 2],
      [0, 0],
    ]);
  });
});
