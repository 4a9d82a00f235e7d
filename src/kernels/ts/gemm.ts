import type { FloatArray } from '../types.js';
import { gemmPanelsTs, packPanelsInto, panelsSize } from './gemm-panels.js';

/**
 * Portable GEMM: C[m, n] = (accumulate ? C : 0) + op(A) · op(B), row-major with strides.
 *
 * From 4 rows of C on, op(B) is packed into 4-column panels for the call and the panel kernel of
 * gemm-panels.ts runs (2x4 register blocks over sequential B; op(A) is first copied to [m, k]
 * rows when transposed): packing is k·n copies against m·k·n multiply-adds. Fewer rows use dot
 * products. Each C element is the sum over p = 0 .. k-1 in order, added to C once, on both paths.
 * The packed copies go to scratch arrays kept between calls (grown, never shrunk), so a GEMM per
 * time step allocates nothing; the function is synchronous and not re-entered, so one set serves.
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
  if (!accumulate) {
    for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  }
  if (k === 0 || n === 0) return;
  if (m < 4) {
    // Dot products: nothing to pack for so few rows.
    const sAi = transA ? 1 : lda;
    const sAk = transA ? lda : 1;
    const sBk = transB ? 1 : ldb;
    const sBj = transB ? ldb : 1;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
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
    return;
  }
  const panels = scratch(0, panelsSize(k, n));
  packPanelsInto(panels, transB, k, n, b, bOff, ldb);
  if (!transA) {
    gemmPanelsTs(m, n, k, a, aOff, lda, panels, c, cOff, ldc, true);
    return;
  }
  // op(A) = Aᵀ with A stored [k, m]: rows of op(A) are columns of A, copied as float64 (which the
  // panel kernel then reads in place).
  const at = scratch(1, m * k);
  for (let p = 0; p < k; p++) {
    const row = aOff + p * lda;
    for (let i = 0; i < m; i++) at[i * k + p] = a[row + i];
  }
  gemmPanelsTs(m, n, k, at, 0, k, panels, c, cOff, ldc, true);
}

/** Scratch arrays (float64 for both dtypes, see gemm-panels.ts): [0] the panels of op(B), [1] op(A) transposed. */
const scratches: Float64Array[] = [new Float64Array(0), new Float64Array(0)];

function scratch(slot: 0 | 1, n: number): Float64Array {
  if (scratches[slot].length < n) scratches[slot] = new Float64Array(n);
  return scratches[slot];
}
