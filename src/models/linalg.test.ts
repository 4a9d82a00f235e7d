import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NumericError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import {
  applyLinear,
  cholesky,
  choleskySolve,
  csrMatVec,
  denseToCsr,
  ridgeRegression,
  spectralRadius,
} from './linalg.js';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

describe('cholesky', () => {
  it('factors a 3x3 SPD matrix (hand-computed L)', () => {
    // A = L Lᵀ with L = [[2, 0, 0], [6, 1, 0], [-8, 5, 3]] (the textbook example).
    const a = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
    const l = cholesky(a, 3);
    assert.deepEqual(Array.from(l), [2, 0, 0, 6, 1, 0, -8, 5, 3]);
  });

  it('solves A X = B for several right-hand sides', () => {
    const a = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
    const x = Float64Array.from([1, -1, 2, 0.5, -3, 4]);
    const b = new Float64Array(6);
    for (let i = 0; i < 3; i++)
      for (let c = 0; c < 2; c++) for (let k = 0; k < 3; k++) b[i * 2 + c] += a[i * 3 + k] * x[k * 2 + c];
    const got = choleskySolve(cholesky(a, 3), 3, b, 2);
    got.forEach((v, i) => {
      close(v, x[i], 1e-10, `x[${i}]`);
    });
  });

  it('refuses a matrix that is not positive definite, naming the pivot', () => {
    assert.throws(
      () => cholesky(Float64Array.from([1, 2, 2, 1]), 2),
      (e: unknown) => e instanceof NumericError && /pivot 1/.test(e.message),
    );
  });
});

describe('ridgeRegression', () => {
  it('matches the closed form of one feature with an unpenalized intercept', () => {
    // w = Σ(x - x̄)(y - ȳ) / (Σ(x - x̄)² + λ), b = ȳ - w x̄. x = 1..4, y = 2, 3, 5, 6:
    // x̄ = 2.5, ȳ = 4, Sxy = 1.5·2 + 0.5·1 + 0.5·1 + 1.5·2 = 7, Sxx = 5; λ = 1 -> w = 7/6, b = 4 - 7/6·2.5.
    const s = ridgeRegression([1, 2, 3, 4], [2, 3, 5, 6], 4, 1, 1, 1);
    close(s.weight[0], 7 / 6, 1e-12, 'w');
    close(s.bias[0], 4 - (7 / 6) * 2.5, 1e-12, 'b');
    const ols = ridgeRegression([1, 2, 3, 4], [2, 3, 5, 6], 4, 1, 1, 0);
    close(ols.weight[0], 7 / 5, 1e-12, 'OLS w');
  });

  it('recovers a noiseless linear map with two outputs', () => {
    const rng = new Rng(3);
    const n = 50;
    const x = new Float64Array(n * 3);
    const y = new Float64Array(n * 2);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < 3; j++) x[r * 3 + j] = rng.normal();
      y[r * 2] = 2 * x[r * 3] - x[r * 3 + 2] + 0.5;
      y[r * 2 + 1] = x[r * 3 + 1] - 3;
    }
    const s = ridgeRegression(x, y, n, 3, 2, 1e-9);
    [2, 0, -1, 0, 1, 0].forEach((w, i) => {
      close(s.weight[i], w, 1e-6, `w${i}`);
    });
    close(s.bias[0], 0.5, 1e-6, 'b0');
    close(s.bias[1], -3, 1e-6, 'b1');
    const pred = applyLinear(s, x, n);
    pred.forEach((v, i) => {
      close(v, y[i], 1e-6, `y${i}`);
    });
  });
});

describe('spectralRadius', () => {
  const dense = (a: number[], n: number) => {
    const m = denseToCsr(a, n);
    return (x: Float64Array, y: Float64Array) => csrMatVec(m, x, y);
  };

  it('is max |λ| of a triangular matrix', () => {
    close(spectralRadius(dense([0.5, 3, 0, -0.8], 2), 2), 0.8, 1e-3, 'rho');
  });

  it('handles a complex dominant pair (a scaled rotation), where the plain ratio oscillates', () => {
    const r = 0.9;
    const th = 0.7;
    const a = [r * Math.cos(th), -r * Math.sin(th), 0, r * Math.sin(th), r * Math.cos(th), 0, 0, 0, 0.3];
    close(spectralRadius(dense(a, 3), 3), 0.9, 1e-3, 'rho');
  });

  it('handles a non-normal matrix with a complex pair (norm of the iterate oscillates)', () => {
    // With P = [[1, 2], [0, 1]]: A = P R P⁻¹ has the eigenvalues of R (modulus 0.95).
    const c = 0.95 * Math.cos(1.1);
    const s = 0.95 * Math.sin(1.1);
    const pr = [c + 2 * s, -s + 2 * c, s, c];
    const a = [pr[0], -2 * pr[0] + pr[1], pr[2], -2 * pr[2] + pr[3]];
    close(spectralRadius(dense(a, 2), 2, { iterations: 4000 }), 0.95, 5e-3, 'rho');
  });

  it('is 0 for a nilpotent matrix', () => {
    assert.equal(spectralRadius(dense([0, 1, 0, 0], 2), 2), 0);
  });
});
