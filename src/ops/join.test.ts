import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { type Tensor, tensor, zeros } from '../tensor/tensor.js';
import { ConfigError, DataError, DTypeError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { mul } from './elementwise.js';
import { concat, indexSelect, narrow, select, slice, split, stack } from './join.js';
import { sum } from './reduce.js';

const f64 = (shape: number[], seed: number) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad: true });

function assertGrad(report: ReturnType<typeof gradcheck>): void {
  assert.ok(report.ok, `gradcheck failed: ${JSON.stringify(report)}`);
  assert.ok(report.checked > 0);
}

describe('concat and stack', () => {
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tensor([[5, 6]]);
  it('concat joins along axis 0 and -1', () => {
    assert.deepEqual(concat([a, b]).toArray(), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    assert.deepEqual(concat([a, tensor([[9], [8]])], -1).toArray(), [
      [1, 2, 9],
      [3, 4, 8],
    ]);
    assert.deepEqual(concat([a, zeros([0, 2])]).toArray(), a.toArray());
  });
  it('concat passes gradcheck along each axis, with one input not requiring grad', () => {
    for (const axis of [0, 1, 2]) {
      const s1 = [2, 3, 4];
      const s2 = s1.slice();
      s2[axis] = 2;
      assertGrad(gradcheck((p, q) => concat([p, q, p], axis), [f64(s1, 1), f64(s2, 2)]));
    }
    const c = randn([2, 2], { dtype: 'float64' });
    assertGrad(gradcheck((p) => concat([c, p], 1), [f64([2, 3], 3)]));
  });
  it('stack inserts a new axis at 0, middle or end', () => {
    const p = tensor([1, 2, 3]);
    const q = tensor([4, 5, 6]);
    assert.deepEqual(stack([p, q]).toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(stack([p, q], 1).toArray(), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    assert.deepEqual(stack([f64([2, 3], 1), f64([2, 3], 2)], -1).shape, [2, 3, 2]);
    assert.deepEqual(stack([tensor(1), tensor(2)]).toArray(), [1, 2]);
  });
  it('stack passes gradcheck', () => {
    for (const axis of [0, 1, 2])
      assertGrad(gradcheck((p, q) => stack([p, q], axis), [f64([2, 3], 4), f64([2, 3], 5)]));
  });
  it('names the mismatching tensor', () => {
    assert.throws(
      () => concat([a, tensor([[1, 2, 3]])]),
      (e: Error) => e instanceof ShapeError && /tensors\[1\] has shape \[1, 3\]/.test(e.message),
    );
    assert.throws(() => stack([a, b]), ShapeError);
    assert.throws(() => concat([]), ConfigError);
    assert.throws(() => concat([a, tensor([[1, 2]], { dtype: 'float64' })]), DTypeError);
    assert.throws(() => concat([tensor(1)]), ShapeError);
  });
});

describe('split', () => {
  const x = tensor([
    [1, 2, 3, 4, 5, 6],
    [7, 8, 9, 10, 11, 12],
  ]);
  it('splits into sizes or a count of equal pieces', () => {
    const [p, q] = split(x, [4, 2], 1);
    assert.deepEqual(p.toArray(), [
      [1, 2, 3, 4],
      [7, 8, 9, 10],
    ]);
    assert.deepEqual(q.toArray(), [
      [5, 6],
      [11, 12],
    ]);
    const parts = split(x, 3, -1);
    assert.deepEqual(
      parts.map((t) => t.toArray()),
      [
        [
          [1, 2],
          [7, 8],
        ],
        [
          [3, 4],
          [9, 10],
        ],
        [
          [5, 6],
          [11, 12],
        ],
      ],
    );
    assert.deepEqual(
      split(x, [0, 2]).map((t) => t.shape),
      [
        [0, 6],
        [2, 6],
      ],
    );
  });
  it('passes gradcheck as one multi-output node', () => {
    assertGrad(gradcheck((t) => split(t, [1, 3, 2], 1), [f64([2, 6, 2], 6)]));
    assertGrad(gradcheck((t) => split(t, 2, 0), [f64([4, 3], 7)]));
  });
  it('treats pieces that get no gradient as zero', () => {
    const t = f64([2, 4], 8);
    const [, second] = split(t, 2, 1);
    sum(mul(second, 3)).backward();
    assert.deepEqual((t.grad as Tensor).toArray(), [
      [0, 0, 3, 3],
      [0, 0, 3, 3],
    ]);
  });
  it('rejects sizes that do not add up and a count that does not divide', () => {
    assert.throws(
      () => split(x, [2, 2], 1),
      (e: Error) => e instanceof ShapeError && /sum to 4 but axis 1/.test(e.message),
    );
    assert.throws(
      () => split(x, 4, 1),
      (e: Error) => e instanceof ShapeError && /pass sizes/.test(e.message),
    );
  });
});

describe('slice, narrow, select, indexSelect', () => {
  const x = tensor([
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
  it('slice follows Python rules (negative, clamped, empty)', () => {
    assert.deepEqual(slice(x, 1, 1, 3).toArray(), [
      [1, 2],
      [5, 6],
    ]);
    assert.deepEqual(slice(x, 1, -2).toArray(), [
      [2, 3],
      [6, 7],
    ]);
    assert.deepEqual(slice(x, 1, 2, 100).toArray(), [
      [2, 3],
      [6, 7],
    ]);
    assert.deepEqual(slice(x, 0, 1, 1).shape, [0, 4]);
    assert.deepEqual(slice(x, 1, 3, 1).shape, [2, 0]);
  });
  it('narrow and select check their range', () => {
    assert.deepEqual(narrow(x, 1, -3, 2).toArray(), [
      [1, 2],
      [5, 6],
    ]);
    assert.throws(
      () => narrow(x, 1, 3, 2),
      (e: Error) => e instanceof ShapeError && /within axis 1 of size 4/.test(e.message),
    );
    assert.deepEqual(select(x, 0, -1).toArray(), [4, 5, 6, 7]);
    assert.deepEqual(select(x, 1, 2).toArray(), [2, 6]);
    assert.throws(() => select(x, 0, 2), ShapeError);
  });
  it('indexSelect picks with repeats and names a bad index', () => {
    assert.deepEqual(indexSelect(x, 1, [3, 0, 3]).toArray(), [
      [3, 0, 3],
      [7, 4, 7],
    ]);
    assert.deepEqual(indexSelect(x, 0, []).shape, [0, 4]);
    assert.throws(
      () => indexSelect(x, 0, [0, 2]),
      (e: Error) => e instanceof DataError && /indices\[1\] is 2/.test(e.message),
    );
  });
  it('pass gradcheck', () => {
    assertGrad(gradcheck((t) => slice(t, 1, 1, -1), [f64([2, 4, 3], 9)]));
    assertGrad(gradcheck((t) => narrow(t, 2, 1, 2), [f64([2, 4, 3], 10)]));
    assertGrad(gradcheck((t) => select(t, 1, 3), [f64([2, 4, 3], 11)]));
    assertGrad(gradcheck((t) => indexSelect(t, 1, [3, 1, 3, 0]), [f64([2, 4, 3], 12)]));
  });
});
