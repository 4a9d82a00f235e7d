import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';
import { permute } from './shape.js';
import { logSoftmax, softmax } from './softmax.js';
import { log } from './unary.js';

const f64 = (shape: number[], seed: number) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad: true });

function assertGrad(report: ReturnType<typeof gradcheck>): void {
  assert.ok(report.ok, `gradcheck failed: ${JSON.stringify(report)}`);
  assert.ok(report.checked > 0);
}

function assertClose(a: Tensor | number[], b: Tensor | number[], tol: number): void {
  const x = Array.isArray(a) ? a : Array.from(a.data);
  const y = Array.isArray(b) ? b : Array.from(b.data);
  assert.equal(x.length, y.length);
  for (let i = 0; i < x.length; i++)
    assert.ok(Math.abs(x[i] - y[i]) <= tol, `element ${i}: ${x[i]} vs ${y[i]}`);
}

describe('softmax', () => {
  it('matches exp(x)/Σexp(x) and each row sums to 1', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [-1, 0, 4],
      ],
      { dtype: 'float64' },
    );
    const y = softmax(x);
    const e = [1, 2, 3].map(Math.exp);
    const s = e[0] + e[1] + e[2];
    assertClose(
      Array.from(y.data.subarray(0, 3)),
      e.map((v) => v / s),
      1e-15,
    );
    assert.ok(Math.abs(y.data[3] + y.data[4] + y.data[5] - 1) < 1e-15);
  });
  it('is stable for large logits (no overflow)', () => {
    const y = softmax(tensor([1000, 1001, 1002], { dtype: 'float64' }));
    assertClose(y, softmax(tensor([0, 1, 2], { dtype: 'float64' })), 1e-15);
    const z = softmax(tensor([-1000, 0], { dtype: 'float32' }));
    assert.deepEqual(Array.from(z.data), [0, 1]);
  });
  it('along axis 0 and a middle axis equals the last-axis softmax of the permuted tensor', () => {
    const x = f64([2, 3, 4], 1);
    assertClose(permute(softmax(x, 1), [0, 2, 1]), softmax(permute(x, [0, 2, 1])), 1e-15);
    assertClose(permute(softmax(x, 0), [1, 2, 0]), softmax(permute(x, [1, 2, 0])), 1e-15);
  });
  for (const axis of [-1, 0, 1]) {
    it(`passes gradcheck along axis ${axis}`, () => {
      assertGrad(gradcheck((x) => softmax(x, axis), [f64([2, 3, 4], 2)]));
      assertGrad(gradcheck((x) => logSoftmax(x, axis), [f64([2, 3, 4], 3)]));
    });
  }
  it('a lane of all -Infinity gives NaN, as PyTorch', () => {
    const y = softmax(
      tensor([
        [-Infinity, -Infinity],
        [0, 0],
      ]),
    );
    assert.ok(Number.isNaN(y.data[0]) && Number.isNaN(y.data[1]));
    assert.deepEqual(Array.from(y.data.subarray(2)), [0.5, 0.5]);
  });
  it('handles empty dims and a 0-d tensor', () => {
    assert.deepEqual(softmax(tensor(new Float32Array(0), { shape: [0, 3] })).shape, [0, 3]);
    assert.deepEqual(logSoftmax(tensor(new Float32Array(0), { shape: [2, 0] })).shape, [2, 0]);
    assert.equal(softmax(tensor(5)).item(), 1);
    assert.equal(logSoftmax(tensor(5)).item(), 0);
  });
  it('rejects a bad axis with a ShapeError', () => {
    assert.throws(
      () => softmax(tensor([1, 2]), 1),
      (e: Error) => e instanceof ShapeError && /softmax: axis/.test(e.message),
    );
  });
});

describe('logSoftmax', () => {
  it('equals log(softmax(x)) and stays finite where that underflows', () => {
    const x = f64([3, 5], 4);
    assertClose(logSoftmax(x), log(softmax(x)), 1e-14);
    const y = logSoftmax(tensor([0, -1000], { dtype: 'float64' }));
    assert.equal(y.data[1], -1000);
    assert.equal(y.data[0], 0);
    assert.equal(log(softmax(tensor([0, -1000], { dtype: 'float64' }))).data[1], -Infinity);
  });
  it('float32 agrees with float64', () => {
    const x = randn([4, 7], { dtype: 'float64', rng: new Rng(5) });
    const x32 = tensor(x.data, { dtype: 'float32', shape: [4, 7] });
    assertClose(logSoftmax(x32), logSoftmax(x), 1e-5);
    assertClose(softmax(x32), softmax(x), 1e-6);
  });
  it('backward of a weighted sum matches the composite twin log(softmax)', () => {
    const a = f64([3, 4], 6);
    const b = a.detach().clone();
    b.requiresGrad = true;
    const w = randn([3, 4], { dtype: 'float64', rng: new Rng(7) });
    sum(mul(logSoftmax(a), w)).backward();
    sum(mul(log(softmax(b)), w)).backward();
    assertClose(a.grad as Tensor, b.grad as Tensor, 1e-12);
  });
});
