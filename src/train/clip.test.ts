import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tensor } from '../tensor/tensor.js';
import { ConfigError, NumericError } from '../util/errors.js';
import { clipGradNorm, clipGradValue } from './clip.js';

const withGrad = (values: number[], grad: number[] | null) => {
  const p = tensor(values, { dtype: 'float64', requiresGrad: true });
  p.grad = grad ? tensor(grad, { dtype: 'float64' }) : null;
  return p;
};

describe('clipGradNorm', () => {
  it('returns the total 2-norm over all parameters and scales by maxNorm / (total + 1e-6)', () => {
    const a = withGrad([0, 0], [3, 0]);
    const b = withGrad([0], [4]);
    const c = withGrad([0], null);
    const total = clipGradNorm([a, b, c], 1);
    assert.equal(total, 5);
    const coef = 1 / (5 + 1e-6);
    assert.deepEqual(Array.from(a.grad!.data), [3 * coef, 0]);
    assert.deepEqual(Array.from(b.grad!.data), [4 * coef]);
    assert.equal(c.grad, null);
  });
  it('leaves gradients alone when the norm is below maxNorm', () => {
    const a = withGrad([0, 0], [0.3, 0.4]);
    assert.equal(clipGradNorm([a], 1), 0.5);
    assert.deepEqual(Array.from(a.grad!.data), [0.3, 0.4]);
  });
  it('supports the 1-norm, p-norms and the infinity norm', () => {
    assert.equal(clipGradNorm([withGrad([0, 0], [3, -4])], 100, 1), 7);
    assert.ok(Math.abs(clipGradNorm([withGrad([0, 0], [3, -4])], 100, 3) - (27 + 64) ** (1 / 3)) < 1e-12);
    const a = withGrad([0, 0], [3, -4]);
    assert.equal(clipGradNorm([a], 2, Number.POSITIVE_INFINITY), 4);
    assert.ok(Math.abs(a.grad!.data[1] + 2) < 1e-5);
  });
  it('returns 0 without gradients; rejects bad arguments; errorIfNonfinite', () => {
    assert.equal(clipGradNorm([withGrad([1], null)], 1), 0);
    assert.throws(() => clipGradNorm([withGrad([1], [1])], -1), ConfigError);
    assert.throws(() => clipGradNorm([withGrad([1], [1])], 1, 0), ConfigError);
    assert.throws(
      () => clipGradNorm([withGrad([1], [Number.NaN])], 1, 2, { errorIfNonfinite: true }),
      (e: Error) => e instanceof NumericError && /total norm/.test(e.message),
    );
    assert.ok(Number.isNaN(clipGradNorm([withGrad([1], [Number.NaN])], 1)));
  });
});

describe('clipGradValue', () => {
  it('clamps each gradient value to [-v, v]', () => {
    const a = withGrad([0, 0, 0], [-3, 0.5, 2]);
    clipGradValue([a], 1);
    assert.deepEqual(Array.from(a.grad!.data), [-1, 0.5, 1]);
    assert.throws(() => clipGradValue([a], -1), ConfigError);
  });
});
