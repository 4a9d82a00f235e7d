/**
 * Small dense linear algebra in float64 for closed-form readouts (echo state networks, linear
 * baselines): Cholesky factorization, triangular solves, ridge regression, and the spectral radius
 * of a square matrix by power iteration. Matrices are row-major Float64Arrays; sizes are given
 * explicitly. These are O(n³) reference routines for the few-hundred-unit sizes a readout needs,
 * not a BLAS.
 */
import { ConfigError, NumericError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

function checkSize(where: string, name: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new ShapeError(`${where}: ${name} must hold ${n} values, got ${a.length}`);
}

/**
 * The lower-triangular L with A = L Lᵀ for a symmetric positive-definite A [n, n] (only the lower
 * triangle of A is read). Cholesky–Banachiewicz order, one row at a time. Throws a NumericError
 * naming the pivot when A is not positive definite (add a ridge term).
 */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const where = 'cholesky';
  checkSize(where, 'a', a, n * n);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) {
          throw new NumericError(
            `${where}: the matrix is not positive definite (pivot ${i} is ${s}); add a ridge term or check for duplicate features`,
          );
        }
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  return l;
}

/**
 * Solves A X = B given the Cholesky factor L of A [n, n]; B is [n, m] (row-major), the result
 * [n, m]: forward substitution L Y = B, then back substitution Lᵀ X = Y.
 */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const where = 'choleskySolve';
  checkSize(where, 'l', l, n * n);
  checkSize(where, 'b', b, n * m);
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) {
      const f = l[i * n + k];
      if (f !== 0) for (let c = 0; c < m; c++) x[i * m + c] -= f * x[k * m + c];
    }
    const d = l[i * n + i];
    for (let c = 0; c < m; c++) x[i * m + c] /= d;
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const f = l[k * n + i];
      if (f !== 0) for (let c = 0; c < m; c++) x[i * m + c] -= f * x[k * m + c];
    }
    const d = l[i * n + i];
    for (let c = 0; c < m; c++) x[i * m + c] /= d;
  }
  return x;
}

/** A ridge-regression solution: y ≈ x Wᵀ + b. */
export interface RidgeSolution {
  /** [outputs, features], row-major. */
  weight: Float64Array;
  /** [outputs]. */
  bias: Float64Array;
  features: number;
  outputs: number;
}

/**
 * Ridge regression with an unpenalized intercept, as scikit-learn's `Ridge(fit_intercept=True)`:
 * features and targets are centred, then W solves (XcᵀXc + λI) Wᵀ = XcᵀYc by Cholesky, and
 * b = ȳ - W x̄. x is [n, f], y is [n, o] (row-major); λ >= 0 (λ = 0 needs XcᵀXc to be
 * positive definite). Sums run in float64.
 */
export function ridgeRegression(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  f: number,
  o: number,
  lambda: number,
): RidgeSolution {
  const where = 'ridgeRegression';
  for (const [name, v] of [
    ['n', n],
    ['features', f],
    ['outputs', o],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new ConfigError(`${where}: ${name} must be a positive integer, got ${v}`);
  }
  if (!(Number.isFinite(lambda) && lambda >= 0))
    throw new ConfigError(`${where}: lambda must be a finite number >= 0, got ${lambda}`);
  checkSize(where, 'x', x, n * f);
  checkSize(where, 'y', y, n * o);
  const xm = new Float64Array(f);
  const ym = new Float64Array(o);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < f; j++) xm[j] += x[r * f + j];
    for (let j = 0; j < o; j++) ym[j] += y[r * o + j];
  }
  for (let j = 0; j < f; j++) xm[j] /= n;
  for (let j = 0; j < o; j++) ym[j] /= n;
  const gram = new Float64Array(f * f);
  const xty = new Float64Array(f * o);
  const xr = new Float64Array(f);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < f; j++) xr[j] = x[r * f + j] - xm[j];
    for (let i = 0; i < f; i++) {
      const xi = xr[i];
      if (xi === 0) continue;
      const row = i * f;
      for (let j = 0; j <= i; j++) gram[row + j] += xi * xr[j];
      for (let j = 0; j < o; j++) xty[i * o + j] += xi * (y[r * o + j] - ym[j]);
    }
  }
  for (let i = 0; i < f; i++) gram[i * f + i] += lambda;
  const w = choleskySolve(cholesky(gram, f), f, xty, o);
  const weight = new Float64Array(o * f);
  const bias = new Float64Array(o);
  for (let j = 0; j < o; j++) {
    let b = ym[j];
    for (let i = 0; i < f; i++) {
      weight[j * f + i] = w[i * o + j];
      b -= w[i * o + j] * xm[i];
    }
    bias[j] = b;
  }
  return { weight, bias, features: f, outputs: o };
}

/** y [n, o] = x [n, f] Wᵀ + b for a ridge solution. */
export function applyLinear(s: RidgeSolution, x: ArrayLike<number>, n: number): Float64Array {
  const { features: f, outputs: o, weight, bias } = s;
  checkSize('applyLinear', 'x', x, n * f);
  const y = new Float64Array(n * o);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < o; j++) {
      let acc = bias[j];
      const w = j * f;
      for (let i = 0; i < f; i++) acc += weight[w + i] * x[r * f + i];
      y[r * o + j] = acc;
    }
  }
  return y;
}

/** A square matrix in compressed sparse row form (the reservoir of an echo state network). */
export interface CsrMatrix {
  n: number;
  rowStart: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

/** y = A x for a CSR matrix. */
export function csrMatVec(a: CsrMatrix, x: ArrayLike<number>, y: Float64Array): void {
  const { n, rowStart, col, val } = a;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = rowStart[i]; k < rowStart[i + 1]; k++) s += val[k] * x[col[k]];
    y[i] = s;
  }
}

/** A dense [n, n] row-major matrix as CSR (zeros dropped). */
export function denseToCsr(a: ArrayLike<number>, n: number): CsrMatrix {
  checkSize('denseToCsr', 'a', a, n * n);
  const rowStart = new Int32Array(n + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = a[i * n + j];
      if (v !== 0) {
        cols.push(j);
        vals.push(v);
      }
    }
    rowStart[i + 1] = cols.length;
  }
  return { n, rowStart, col: Int32Array.from(cols), val: Float64Array.from(vals) };
}

export interface SpectralRadiusOptions {
  /** Iterations discarded before measuring (default 200). */
  burnIn?: number;
  /** Iterations over which the growth rate is measured (default 1000). */
  iterations?: number;
  /** Start vector generator (default new Rng(0)). */
  rng?: Rng;
}

/**
 * The spectral radius ρ(A) = max |λ| of a square matrix by power iteration. A random real matrix's
 * dominant eigenvalues are often a complex pair, for which the ratio ‖A v‖ / ‖v‖ oscillates and
 * never converges; the norm of Aᵏ v still grows like ρᵏ (Gelfand's formula), so the estimate is
 * the geometric mean growth per step over `iterations` steps after a burn-in:
 * ρ ≈ (‖A^{b+m} v‖ / ‖A^b v‖)^{1/m}, renormalizing every step. The error is O(log(κ)/m) where κ
 * measures how far the dominant eigenvectors are from orthogonal; exact for normal matrices in the
 * limit. Returns 0 for a nilpotent matrix (the iterate vanishes).
 */
export function spectralRadius(
  matVec: (x: Float64Array, y: Float64Array) => void,
  n: number,
  options: SpectralRadiusOptions = {},
): number {
  const burnIn = options.burnIn ?? 200;
  const iters = options.iterations ?? 1000;
  if (!Number.isInteger(burnIn) || burnIn < 0 || !Number.isInteger(iters) || iters < 1) {
    throw new ConfigError(
      `spectralRadius: burnIn must be an integer >= 0 and iterations >= 1, got ${burnIn}, ${iters}`,
    );
  }
  const rng = options.rng ?? new Rng(0);
  let v = new Float64Array(n);
  let w = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  let logGrowth = 0;
  for (let it = 0; it < burnIn + iters; it++) {
    matVec(v, w);
    let s = 0;
    for (let i = 0; i < n; i++) s += w[i] * w[i];
    const norm = Math.sqrt(s);
    if (!(norm > 0)) return 0;
    if (!Number.isFinite(norm))
      throw new NumericError('spectralRadius: the iterate overflowed (non-finite matrix entries?)');
    if (it >= burnIn) logGrowth += Math.log(norm);
    for (let i = 0; i < n; i++) w[i] /= norm;
    const t = v;
    v = w;
    w = t;
  }
  return Math.exp(logGrowth / iters);
}
