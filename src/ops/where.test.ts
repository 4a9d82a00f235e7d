import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { DataError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { sum } from './reduce.js';
import { softmax } from './softmax.js';
import { maskedFill, where } from './where.js';

const f64 = (shape: number[], seed: number) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad: true });

describe('where', () => {
  it('chooses element-wise with cond, a and b broadcast together', () => {
    const cond = tensor([[1], [0]]);
    const a = tensor([[1, 2, 3]]);
    assert.deepEqual(where(cond, a, -1).toArray(), [
      [1, 2, 3],
      [-1, -1, -1],
    ]);
    assert.deepEqual(where([true, false, true], tensor([1, 2, 3]), tensor([9, 9, 9])).toArray(), [1, 9, 3]);
    // A flat mask takes the broadcast shape of a and b: here [2, 1].
    assert.deepEqual(where(Uint8Array.from([0, 1]), 5, tensor([[7], [8]])).toArray(), [[7], [5]]);
  });
  it('passes gradcheck for both branches with broadcasting', () => {
    const cond = tensor([
      [1, 0, 1],
      [0, 0, 1],
    ]);
    const r = gradcheck((a, b) => where(cond, a, b), [f64([2, 1], 1), f64([3], 2)]);
    assert.ok(r.ok, JSON.stringify(r));
    const r2 = gradcheck((a) => where(tensor([1, 0]), a, 0), [f64([3, 2], 3)]);
    assert.ok(r2.ok, JSON.stringify(r2));
  });
  it('rejects non-0/1 masks and flat masks of the wrong length', () => {
    assert.throws(
      () => where(tensor([0.5, 1]), tensor([1, 2]), 0),
      (e: Error) => e instanceof DataError && /mask\[0\] must be 0 or 1/.test(e.message),
    );
    assert.throws(() => where([1, 0, 1], tensor([1, 2]), 0), ShapeError);
  });
});

describe('maskedFill', () => {
  it('fills where the mask is 1, broadcasting a Tensor mask', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(maskedFill(x, tensor([0, 1, 0]), 0).toArray(), [
      [1, 0, 3],
      [4, 0, 6],
    ]);
    assert.deepEqual(maskedFill(x, [1, 0, 0, 0, 0, 1], 9).toArray(), [
      [9, 2, 3],
      [4, 5, 9],
    ]);
    assert.throws(() => maskedFill(x, tensor([[1], [0], [1]]), 0), ShapeError);
  });
  it('with -Infinity gives zero attention weight and no gradient there', () => {
    const s = f64([2, 4], 4);
    const p = softmax(maskedFill(s, tensor([0, 0, 1, 1]), Number.NEGATIVE_INFINITY));
    assert.equal(p.data[2], 0);
    assert.equal(p.data[7], 0);
    sum(p).backward();
    const g = (s.grad as Tensor).data;
    assert.equal(g[2], 0);
    assert.equal(g[3], 0);
  });
  it('passes gradcheck', () => {
    const r = gradcheck((x) => maskedFill(x, tensor([[1], [0]]), 2.5), [f64([2, 3], 5)]);
    assert.ok(r.ok, JSON.stringify(r));
  });
});
