/**
 * The TS GEMMs against a plain triple loop that sums over k in order and adds to C once: gemmTs
 * (dot products below 4 rows, 4-column panels from 4 on, op(A) transposed first) and the packed
 * gemmPacked must equal it bit for bit, on shapes with row, column and row-block (64) tails, k = 0
 * and 1, every transA/transB layout, accumulate on and off, float32 and float64, and offsets and
 * strides into larger arrays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DType, FloatArray } from '../types.js';
import { gemmTs } from './gemm.js';
import { tsKernels } from './index.js';

function filled(n: number, dtype: DType, seed: number): FloatArray {
  const out = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 1073741824 - 1;
  }
  return out;
}

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  a: FloatArray;
  lda: number;
  b: FloatArray;
  ldb: number;
  ldc: number;
}

/** The definition: C[i, j] (+)= Σ_p op(A)[i, p] · op(B)[p, j], the sum taken in p order. */
function reference(x: Case, c: FloatArray, acc: boolean): void {
  const { m, n, k, transA, transB, a, lda, b, ldb, ldc } = x;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[2 + p * lda + i] : a[2 + i * lda + p];
        const bv = transB ? b[5 + j * ldb + p] : b[5 + p * ldb + j];
        s += av * bv;
      }
      const at = 1 + i * ldc + j;
      c[at] = (acc ? c[at] : 0) + s;
    }
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 4],
  [4, 4, 4],
  [5, 7, 3],
  [6, 9, 1],
  [32, 64, 20],
  [70, 13, 9],
  [5, 6, 0],
];

describe('TS GEMM (gemmTs and gemmPacked over 4-column panels)', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [m, n, k] of SHAPES) {
      it(`equal the definition bit for bit: ${dtype} m=${m} n=${n} k=${k}, every layout, with and without accumulate`, () => {
        for (const transA of [false, true]) {
          const lda = (transA ? m : k) + 3;
          const a = filled(2 + (transA ? k : m) * lda, dtype, 1);
          for (const transB of [false, true]) {
            const ldb = (transB ? k : n) + 1;
            const b = filled(5 + (transB ? n : k) * ldb, dtype, 2);
            const x: Case = { m, n, k, transA, transB, a, lda, b, ldb, ldc: n + 2 };
            for (const acc of [false, true]) {
              const c0 = filled(1 + m * x.ldc, dtype, 3);
              const want = c0.slice();
              reference(x, want, acc);
              const got = c0.slice();
              gemmTs(transA, transB, m, n, k, a, 2, lda, b, 5, ldb, got, 1, x.ldc, acc);
              assert.deepEqual(got, want, `gemmTs transA=${transA} transB=${transB} acc=${acc}`);
              if (transA) continue;
              const packed = tsKernels.packB(transB, k, n, b, 5, ldb);
              const viaPacked = c0.slice();
              tsKernels.gemmPacked(m, a, 2, lda, packed, viaPacked, 1, x.ldc, acc);
              assert.deepEqual(viaPacked, want, `gemmPacked transB=${transB} acc=${acc}`);
            }
          }
        }
      });
    }
  }

  it('refuses a disposed packed matrix', () => {
    const p = tsKernels.packB(false, 2, 2, new Float32Array(4), 0, 2);
    p.dispose();
    assert.throws(
      () => tsKernels.gemmPacked(1, new Float32Array(2), 0, 2, p, new Float32Array(2), 0, 2, false),
      /disposed/,
    );
  });
});
