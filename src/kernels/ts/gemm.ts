import type { FloatArray } from '../types.js';

/**
 * Portable GEMM: C[m, n] = (accumulate ? C : 0) + op(A) · op(B), row-major with strides.
 * A 4x4 register block of C is accumulated over k in locals (16 accumulators, 8 loads per k
 * step), which is what lets plain JavaScript pass 4 GFLOP/s; edges fall back to dot products.
 */
export function gemmTs(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
  c: FloatArray,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  const sAi = transA ? 1 : lda;
  const sAk = transA ? lda : 1;
  const sBk = transB ? 1 : ldb;
  const sBj = transB ? ldb : 1;
  if (!accumulate) {
    for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  }
  if (k === 0) return;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const pa0 = aOff + i * sAi;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      let pa = pa0;
      let pb = bOff + j * sBj;
      for (let p = 0; p < k; p++) {
        const a0 = a[pa],
          a1 = a[pa + sAi],
          a2 = a[pa + 2 * sAi],
          a3 = a[pa + 3 * sAi];
        const b0 = b[pb],
          b1 = b[pb + sBj],
          b2 = b[pb + 2 * sBj],
          b3 = b[pb + 3 * sBj];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
        pa += sAk;
        pb += sBk;
      }
      let pc = cOff + i * ldc + j;
      c[pc] += c00;
      c[pc + 1] += c01;
      c[pc + 2] += c02;
      c[pc + 3] += c03;
      pc += ldc;
      c[pc] += c10;
      c[pc + 1] += c11;
      c[pc + 2] += c12;
      c[pc + 3] += c13;
      pc += ldc;
      c[pc] += c20;
      c[pc + 1] += c21;
      c[pc + 2] += c22;
      c[pc + 3] += c23;
      pc += ldc;
      c[pc] += c30;
      c[pc + 1] += c31;
      c[pc + 2] += c32;
      c[pc + 3] += c33;
    }
    for (let r = i; r < i + 4; r++) edgeRow(r, n4, n);
  }
  for (let r = m4; r < m; r++) edgeRow(r, 0, n);

  function edgeRow(i: number, j0: number, j1: number): void {
    for (let j = j0; j < j1; j++) {
      let s = 0;
      let pa = aOff + i * sAi;
      let pb = bOff + j * sBj;
      for (let p = 0; p < k; p++) {
        s += a[pa] * b[pb];
        pa += sAk;
        pb += sBk;
      }
      c[cOff + i * ldc + j] += s;
    }
  }
}
