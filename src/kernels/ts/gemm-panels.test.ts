/**
 * The TS backend's packed GEMM (4-column panels) against the strided gemmTs: equal bit for bit
 * (same summation order) on shapes with row, column and row-block (64) tails, k = 0 and 1, both
 * transB layouts, accumulate on and off, float32 and float64, and offsets/strides into larger arrays.
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

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [4, 4, 4],
  [5, 7, 3],
  [3, 9, 1],
  [32, 64, 20],
  [70, 13, 9],
  [2, 6, 0],
];

describe('TS gemmPacked (4-column panels)', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [m, n, k] of SHAPES) {
      it(`equals gemmTs bit for bit: ${dtype} m=${m} n=${n} k=${k}, both layouts, with and without accumulate`, () => {
        const lda = k + 3;
        const ldc = n + 2;
        const a = filled(2 + m * lda, dtype, 1);
        for (const transB of [false, true]) {
          const ldb = (transB ? k : n) + 1;
          const b = filled(5 + (transB ? n : k) * ldb, dtype, 2);
          const packed = tsKernels.packB(transB, k, n, b, 5, ldb);
          for (const acc of [false, true]) {
            const c0 = filled(1 + m * ldc, dtype, 3);
            const want = c0.slice();
            const got = c0.slice();
            gemmTs(false, transB, m, n, k, a, 2, lda, b, 5, ldb, want, 1, ldc, acc);
            tsKernels.gemmPacked(m, a, 2, lda, packed, got, 1, ldc, acc);
            assert.deepEqual(got, want);
          }
        }
      });
    }
  }

  it('refuses a disposed packed matrix', () => {
    const p = tsKernels.packB(false, 2, 2, new Float32Array(4), 0, 2);
    p.dispose();
    assert.throws(() =>
      tsKernels.gemmPacked(1, new Float32Array(2), 0, 2, p, new Float32Array(2), 0, 2, false),
    );
  });
});
