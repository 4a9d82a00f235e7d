import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { tensor } from '../tensor/tensor.js';
import { DTypeError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { add, div, mul, sub } from './elementwise.js';
import { matmul } from './matmul.js';
import { mean, sum } from './reduce.js';
import { permute, reshape, transpose } from './shape.js';
import { exp, log, relu, sigmoid, tanh } from './unary.js';

const f64 = (shape: number[], seed: number) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad: true });

function assertGrad(report: ReturnType<typeof gradcheck>): void {
  assert.ok(report.ok, `gradcheck failed: ${JSON.stringify(report)}`);
  assert.ok(report.checked > 0);
}

describe('element-wise binary ops', () => {
  it('add broadcasts [2,3] + [3] and [2,1] + [1,3]', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(add(a, tensor([10, 20, 30])).toArray(), [
      [11, 22, 33],
      [14, 25, 36],
    ]);
    assert.deepEqual(add(tensor([[1], [2]]), tensor([[10, 20, 30]])).toArray(), [
      [11, 21, 31],
      [12, 22, 32],
    ]);
  });
  it('number operands broadcast as scalars', () => {
    assert.deepEqual(sub(1, tensor([1, 2])).toArray(), [0, -1]);
    assert.deepEqual(div(tensor([2, 4]), 2).toArray(), [1, 2]);
  });
  it('rejects incompatible shapes and mixed dtypes with a named error', () => {
    assert.throws(
      () => add(tensor([1, 2, 3]), tensor([1, 2])),
      (e: Error) => e instanceof ShapeError && /add: shapes \[3\] and \[2\]/.test(e.message),
    );
    assert.throws(() => mul(tensor([1]), tensor([1], { dtype: 'float64' })), DTypeError);
  });
  for (const [name, fn] of [
    ['add', add],
    ['sub', sub],
    ['mul', mul],
    ['div', div],
  ] as const) {
    it(`${name} passes gradcheck with broadcasting on both sides`, () => {
      assertGrad(gradcheck((a, b) => fn(a, b), [f64([2, 1, 3], 1), f64([4, 1], 2)]));
      assertGrad(gradcheck((a, b) => fn(a, add(b, 3)), [f64([3, 4], 3), f64([4], 4)]));
    });
  }
});

describe('unary ops', () => {
  it('values match Math', () => {
    const x = tensor([-2, -0.5, 0.5, 2], { dtype: 'float64' });
    assert.deepEqual(tanh(x).toArray(), [-2, -0.5, 0.5, 2].map(Math.tanh));
    assert.deepEqual(relu(x).toArray(), [0, 0, 0.5, 2]);
    const s = sigmoid(tensor([-800, 800], { dtype: 'float64' })).toArray();
    assert.deepEqual(s, [0, 1]);
  });
  for (const [name, fn] of [
    ['exp', exp],
    ['tanh', tanh],
    ['sigmoid', sigmoid],
    ['relu', relu],
  ] as const) {
    it(`${name} passes gradcheck`, () => assertGrad(gradcheck(fn, [f64([3, 4], 5)])));
  }
  it('log passes gradcheck on positive input', () =>
    assertGrad(gradcheck((x) => log(exp(x)), [f64([5], 6)])));
});

describe('matmul', () => {
  it('computes a 2x3 by 3x2 product', () => {
    const y = matmul(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      tensor([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
    );
    assert.deepEqual(y.toArray(), [
      [4, 5],
      [10, 11],
    ]);
  });
  it('transB equals multiplying by the transpose', () => {
    const a = f64([3, 4], 7);
    const b = f64([5, 4], 8);
    const y1 = matmul(a, b, { transB: true });
    const y2 = matmul(a, transpose(b));
    assert.deepEqual(y1.toArray(), y2.toArray());
  });
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      it(`passes gradcheck with transA=${tA} transB=${tB}`, () => {
        const a = f64(tA ? [4, 3] : [3, 4], 9);
        const b = f64(tB ? [5, 4] : [4, 5], 10);
        assertGrad(gradcheck((p, q) => matmul(p, q, { transA: tA, transB: tB }), [a, b]));
      });
    }
  }
  it('flattens leading dims against a shared 2-D b and batches 3-D operands', () => {
    assertGrad(gradcheck((p, q) => matmul(p, q, { transB: true }), [f64([2, 3, 4], 11), f64([5, 4], 12)]));
    assertGrad(gradcheck((p, q) => matmul(p, q), [f64([2, 3, 4], 13), f64([2, 4, 2], 14)]));
    assert.deepEqual(matmul(f64([2, 3, 4], 1), f64([4, 5], 2)).shape, [2, 3, 5]);
  });
  it('names the mismatching inner dimensions', () => {
    assert.throws(() => matmul(tensor([[1, 2]]), tensor([[1, 2]])), /matmul: inner dimensions differ/);
  });
  it('handles empty dims', () => {
    const y = matmul(tensor(new Float32Array(0), { shape: [0, 3] }), tensor([[1], [2], [3]]));
    assert.deepEqual(y.shape, [0, 1]);
  });
});

describe('reductions and shapes', () => {
  it('sum and mean over all, one axis and several axes', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(sum(x).item(), 21);
    assert.deepEqual(sum(x, { axis: 0 }).toArray(), [5, 7, 9]);
    assert.deepEqual(mean(x, { axis: -1, keepDims: true }).toArray(), [[2], [5]]);
    assert.equal(mean(x, { axis: [0, 1] }).item(), 3.5);
  });
  it('reductions pass gradcheck', () => {
    assertGrad(gradcheck((x) => sum(x, { axis: 1 }), [f64([2, 3, 4], 15)]));
    assertGrad(gradcheck((x) => mean(x, { axis: [0, 2], keepDims: true }), [f64([2, 3, 4], 16)]));
    assertGrad(gradcheck((x) => mean(x), [f64([2, 3], 17)]));
  });
  it('reshape infers -1 and rejects a wrong size', () => {
    assert.deepEqual(reshape(tensor([1, 2, 3, 4, 5, 6]), [-1, 3]).shape, [2, 3]);
    assert.throws(() => reshape(tensor([1, 2, 3]), [2, -1]), ShapeError);
  });
  it('permute and transpose move values and pass gradcheck', () => {
    const x = tensor([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ]);
    assert.deepEqual(permute(x, [2, 0, 1]).toArray(), [[[1, 3, 5]], [[2, 4, 6]]]);
    assertGrad(gradcheck((t) => permute(t, [1, 2, 0]), [f64([2, 3, 4], 18)]));
    assertGrad(gradcheck((t) => reshape(transpose(t, 0, 1), [3, 8]), [f64([2, 3, 4], 19)]));
  });
});
