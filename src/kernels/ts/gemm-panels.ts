import type { FloatArray } from '../types.js';

/**
 * The portable kernels' packed GEMM: op(B) stored once as panels of 4 columns, so that a 2x4
 * block of C reads B as one sequential stream (16 bytes per step of k) instead of four strided
 * ones. Measured on one Zen 2 core (32x320x1024 float32, same process, medians): gemmTs on B in
 * [k, n] rows 2.7 GFLOP/s, on B stored [n, k] (4 contiguous row streams) 2.7, panels 3.1.
 *
 * Layout: panel q holds columns 4q .. 4q+3 as k rows of 4 values, zero-padded past n; panels are
 * stored one after another (panel q starts at 4kq). The sums run over p = 0 .. k-1 in order and
 * are added to C once, as gemmTs does, so results equal gemmTs bit for bit.
 *
 * The panels, and the rows of A the blocks read, are float64 for both dtypes: JavaScript computes
 * in float64 anyway, so the values and sums are the same, but the inner loop then loads without
 * converting and sees one array type only. A loop that has seen Float32Array and Float64Array
 * checks the type at every load; in one process running both dtypes (a test run, float64
 * gradient checks beside float32 training) float32 panels ran at 2.2 GFLOP/s, float64 at 3.6
 * (3.3 and 3.6 when only float32 had run). The cost: float32 weights packed take twice the
 * memory, and A is copied (m·k values against m·k·n multiply-adds).
 */
export function packPanelsTs(
  transB: boolean,
  k: number,
  n: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
): Float64Array {
  const out = new Float64Array(panelsSize(k, n));
  packPanelsInto(out, transB, k, n, b, bOff, ldb);
  return out;
}

/** Floats the panels of a [k, n] op(B) take. */
export function panelsSize(k: number, n: number): number {
  return Math.ceil(n / 4) * k * 4;
}

/** packPanelsTs into `out` (at least panelsSize(k, n) long; whatever it held is overwritten). */
export function packPanelsInto(
  out: Float64Array,
  transB: boolean,
  k: number,
  n: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
): void {
  const panels = Math.ceil(n / 4);
  for (let q = 0; q < panels; q++) {
    const w = Math.min(4, n - 4 * q);
    for (let jj = 0; jj < 4; jj++) {
      const j = 4 * q + jj;
      let o = q * k * 4 + jj;
      if (jj >= w) {
        for (let p = 0; p < k; p++, o += 4) out[o] = 0;
      } else if (transB) {
        const src = bOff + j * ldb;
        for (let p = 0; p < k; p++, o += 4) out[o] = b[src + p];
      } else {
        for (let p = 0; p < k; p++, o += 4) out[o] = b[bOff + p * ldb + j];
      }
    }
  }
}

/** Rows of A per block: the block (MC x k) stays in L2 while every panel passes over it. */
const MC = 64;

/** Rows of A copied to float64 for one block (see the file comment); grown, never shrunk. */
let aBlock = new Float64Array(0);

/** C[m, n] = (accumulate ? C : 0) + A[m, k] · panels (from packPanelsTs), row-major with strides. */
export function gemmPanelsTs(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  bp: Float64Array,
  c: FloatArray,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  if (!accumulate) {
    for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  }
  if (k === 0) return;
  const panels = Math.ceil(n / 4);
  for (let i0 = 0; i0 < m; i0 += MC) {
    const i1 = Math.min(m, i0 + MC);
    const i2 = i0 + ((i1 - i0) & ~1);
    // The block's rows of A as float64: A itself when it is float64, else a copy with stride k.
    let ab: Float64Array;
    let ao: number;
    let ld: number;
    if (a instanceof Float64Array) {
      ab = a;
      ao = aOff + i0 * lda;
      ld = lda;
    } else {
      if (aBlock.length < MC * k) aBlock = new Float64Array(MC * k);
      ab = aBlock;
      ao = 0;
      ld = k;
      for (let i = i0; i < i1; i++) {
        const src = aOff + i * lda;
        const dst = (i - i0) * k;
        for (let p = 0; p < k; p++) ab[dst + p] = a[src + p];
      }
    }
    for (let q = 0; q < panels; q++) {
      const j = 4 * q;
      const w = Math.min(4, n - j);
      const pb0 = q * k * 4;
      for (let i = i0; i < i2; i += 2)
        block2(k, ab, ao + (i - i0) * ld, ld, bp, pb0, c, cOff + i * ldc + j, ldc, w);
      if (i2 < i1) row1(k, ab, ao + (i2 - i0) * ld, bp, pb0, c, cOff + i2 * ldc + j, w);
    }
  }
}

/**
 * A 2x4 block of C over the whole k range: 8 accumulators and 6 loaded values stay in the 16
 * SSE registers (a 4x4 block spills a third of its accumulators to the stack every step). Every
 * index is kept an int32 with `| 0`, so V8 emits no overflow check per increment; with plain `++`
 * it checks each of them. Top-level rather than a closure, so the hot loop reads no captured
 * variables. Measured on one Zen 2 core at 32x320x1024 float32, both kernels alternating in one
 * process (this host's speed drifts by 2x between runs): this block 1.12-1.16x the 4x4 block with
 * `++`; a 2x6 block over 6-wide panels no faster; unrolling k by two, or 3x4, spills and is slower.
 */
function block2(
  k: number,
  a: Float64Array,
  ra: number,
  lda: number,
  bp: Float64Array,
  pb0: number,
  c: FloatArray,
  pc: number,
  ldc: number,
  w: number,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0,
    c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let r0 = ra | 0;
  let r1 = (ra + lda) | 0;
  let pb = pb0 | 0;
  const end = (ra + k) | 0;
  while (r0 < end) {
    const b0 = bp[pb];
    const b1 = bp[(pb + 1) | 0];
    const b2 = bp[(pb + 2) | 0];
    const b3 = bp[(pb + 3) | 0];
    const a0 = a[r0];
    const a1 = a[r1];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    r0 = (r0 + 1) | 0;
    r1 = (r1 + 1) | 0;
    pb = (pb + 4) | 0;
  }
  store(c, pc, w, c00, c01, c02, c03);
  store(c, pc + ldc, w, c10, c11, c12, c13);
}

function row1(
  k: number,
  a: Float64Array,
  ra: number,
  bp: Float64Array,
  pb0: number,
  c: FloatArray,
  pc: number,
  w: number,
): void {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let r = ra | 0;
  let pb = pb0 | 0;
  const end = (ra + k) | 0;
  while (r < end) {
    const x = a[r];
    s0 += x * bp[pb];
    s1 += x * bp[(pb + 1) | 0];
    s2 += x * bp[(pb + 2) | 0];
    s3 += x * bp[(pb + 3) | 0];
    r = (r + 1) | 0;
    pb = (pb + 4) | 0;
  }
  store(c, pc, w, s0, s1, s2, s3);
}

function store(c: FloatArray, pc: number, w: number, v0: number, v1: number, v2: number, v3: number): void {
  c[pc] += v0;
  if (w > 1) c[pc + 1] += v1;
  if (w > 2) c[pc + 2] += v2;
  if (w > 3) c[pc + 3] += v3;
}
