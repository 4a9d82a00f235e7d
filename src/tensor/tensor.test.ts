import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DTypeError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { randn, uniform } from './random.js';
import { full, tensor, zeros } from './tensor.js';

describe('Tensor', () => {
  it('is float32 by default and float64 on request', () => {
    assert.equal(tensor([1, 2]).dtype, 'float32');
    assert.ok(tensor([1, 2]).data instanceof Float32Array);
    assert.equal(tensor([1, 2], { dtype: 'float64' }).dtype, 'float64');
    assert.equal(tensor(new Float64Array(2)).dtype, 'float64');
  });
  it('round-trips nested arrays through toArray', () => {
    const v = [
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ];
    const t = tensor(v);
    assert.deepEqual(t.shape, [1, 3, 2]);
    assert.deepEqual(t.toArray(), v);
    assert.equal(tensor(5).toArray(), 5);
    assert.deepEqual(tensor(5).shape, []);
  });
  it('creates from a flat array with a shape', () => {
    assert.deepEqual(tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] }).toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });
  it('rejects ragged arrays, wrong sizes and bad dtypes with named errors', () => {
    assert.throws(
      () => tensor([[1, 2], [3]]),
      (e: Error) => e instanceof ShapeError && /index \[1\]/.test(e.message),
    );
    assert.throws(() => tensor([1, 2, 3], { shape: [2, 2] }), ShapeError);
    assert.throws(() => tensor([1], { dtype: 'int8' as never }), DTypeError);
    assert.throws(() => zeros([2, -1]), ShapeError);
  });
  it('supports empty dimensions', () => {
    const t = zeros([0, 3]);
    assert.equal(t.size, 0);
    assert.deepEqual(t.toArray(), []);
  });
  it('toString shows shape, dtype and values, eliding long axes', () => {
    const s = full([2, 10], 1.5).toString();
    assert.match(s, /^Tensor\(\[2, 10\], float32\)/);
    assert.match(s, /1\.5000, 1\.5000, 1\.5000, \.\.\./);
  });
  it('item requires one element', () => {
    assert.equal(tensor([[7]]).item(), 7);
    assert.throws(() => tensor([1, 2]).item(), ShapeError);
  });
  it('random tensors are reproducible from a seed, and differ across seeds', () => {
    const a = randn([100], { rng: new Rng(42), dtype: 'float64' });
    const b = randn([100], { rng: new Rng(42), dtype: 'float64' });
    const c = randn([100], { rng: new Rng(43), dtype: 'float64' });
    assert.deepEqual(a.toArray(), b.toArray());
    assert.notDeepEqual(a.toArray(), c.toArray());
    const u = uniform([1000], -2, 3, { rng: new Rng(1) });
    assert.ok(u.data.every((v) => v >= -2 && v < 3));
  });
});
