// Float32 GEMM over panel-packed B (matrix-vector products use another layout: gemv.ts).
//
// Layout of a packed B (op(B) is [k, n]): ceil(n / PW) panels, panel q holding columns
// PW·q .. PW·q + PW-1 as k rows of PW contiguous floats, columns past n zero-filled. So the
// micro-kernel reads B strictly sequentially, PW/4 v128 per k step, and the padding means the
// kernel itself never needs a column tail. PW depends on the build (`panelWidth()`):
//
// - relaxed SIMD (FMA): PW = 12, a 3 x 12 tile of C in 9 v128 accumulators. An FMA has a latency
//   of 5 cycles on Zen 2 and two issue per cycle, so 10 independent chains keep both units busy;
//   the 2 x 16 tile's 8 chains cap it at 80% of peak. V8 loads every operand of a k step before
//   the multiply-adds and keeps xmm15 as scratch: 9 accumulators + 3 B vectors + 3 broadcasts is
//   the 15 registers it allocates (3 x 16, 4 x 12, 5 x 8 or 6 x 8 spill and ran at 19-23 GFLOP/s).
//   Measured one thread, 30x320x1200: 41.9 GFLOP/s against 38.5 for 2 x 16, where a loop of
//   independent FMAs alone reaches 49.5.
// - plain SIMD (mul + add): PW = 16, the 2 x 16 tile in 8 accumulators. Each multiply-add needs a
//   temporary register here, so 3 x 12 spills (20.4 against 32.6), while the add latency of 3
//   needs only 6 chains.
//
// This is the register-blocking idea of Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication" (2008), shrunk to what a 128-bit SIMD target with 15 usable registers can hold.
//
// All pointers are byte addresses into the one imported memory; strides are in elements.
// Nothing here allocates: scratch space (`tile`, 3 x 16 floats) is handed in by the TypeScript side.

import { fma } from './simd';

/** Reduction depth per pass: keeps one B panel slice (KC * PW * 4 bytes) within L1. */
// @ts-ignore: decorator
@inline const KC: i32 = 384;

/** Columns per panel; see the file comment. */
// @ts-ignore: decorator
@inline const PW: i32 = ASC_FEATURE_RELAXED_SIMD ? 12 : 16;
/** Bytes per k row of a panel. */
// @ts-ignore: decorator
@inline const PB: usize = <usize>PW << 2;

/** The panel width of this build, for the TypeScript side (buffer sizes, splitting by panels). */
export function panelWidth(): i32 {
  return PW;
}

/** Packs op(B) ([k, n]; B stored [n, k] when transB) into PW-column panels at `dst`. */
export function packB(transB: bool, k: i32, n: i32, b: usize, ldb: i32, dst: usize): void {
  const panels = (n + PW - 1) / PW;
  const rowStride = <usize>ldb << 2;
  for (let q = 0; q < panels; q++) {
    const j0 = q * PW;
    const w = min(PW, n - j0);
    const panel = dst + <usize>q * <usize>k * PB;
    if (!transB) {
      let src = b + (<usize>j0 << 2);
      let d = panel;
      for (let p = 0; p < k; p++) {
        if (w == PW) {
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          v128.store(d, v128.load(src, 32), 32);
          if (PW == 16) v128.store(d, v128.load(src, 48), 48);
        } else {
          memory.fill(d, 0, PB);
          memory.copy(d, src, <usize>w << 2);
        }
        src += rowStride;
        d += PB;
      }
    } else {
      // op(B)[p, j] = B[j, p]: each source row is one packed column; read it contiguously.
      if (w < PW) memory.fill(panel, 0, <usize>k * PB);
      for (let jj = 0; jj < w; jj++) {
        let src = b + <usize>(j0 + jj) * rowStride;
        let d = panel + (<usize>jj << 2);
        for (let p = 0; p < k; p++) {
          store<f32>(d, load<f32>(src));
          src += 4;
          d += PB;
        }
      }
    }
  }
}

/**
 * dst[i, p] = src[p, i] for the stored [k, m] operand A (lda in elements); dst is [m, k].
 * Tiled in 16 x 64 blocks (16 rows of dst, 64 of src: both sides stay in L1) with a 4 x 4
 * SIMD transpose inside; the naive column-order loop misses the cache on every store once
 * k rows of dst exceed L1, and ran at ~11 ns per element for m = 1024, k = 2048.
 */
export function transposeA(m: i32, k: i32, src: usize, lda: i32, dst: usize): void {
  const sStride = <usize>lda << 2;
  const dStride = <usize>k << 2;
  for (let i0 = 0; i0 < m; i0 += 16) {
    const i1 = min(i0 + 16, m);
    for (let p0 = 0; p0 < k; p0 += 64) {
      const p1 = min(p0 + 64, k);
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        const d = dst + <usize>i * dStride;
        let p = p0;
        for (; p + 4 <= p1; p += 4) {
          const s = src + <usize>p * sStride + (<usize>i << 2);
          const r0 = v128.load(s);
          const r1 = v128.load(s + sStride);
          const r2 = v128.load(s + 2 * sStride);
          const r3 = v128.load(s + 3 * sStride);
          const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
          const t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
          const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
          const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
          const o = d + (<usize>p << 2);
          v128.store(o, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
          v128.store(o + dStride, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7));
          v128.store(o + 2 * dStride, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5));
          v128.store(o + 3 * dStride, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7));
        }
        for (; p < p1; p++) {
          const s = src + <usize>p * sStride + (<usize>i << 2);
          const o = d + (<usize>p << 2);
          store<f32>(o, load<f32>(s));
          store<f32>(o + dStride, load<f32>(s, 4));
          store<f32>(o + 2 * dStride, load<f32>(s, 8));
          store<f32>(o + 3 * dStride, load<f32>(s, 12));
        }
      }
      for (; i < i1; i++) {
        const d = dst + <usize>i * dStride;
        for (let p = p0; p < p1; p++) store<f32>(d + (<usize>p << 2), load<f32>(src + <usize>p * sStride + (<usize>i << 2)));
      }
    }
  }
}

/** C[3, 12] (+)= A[3, kc] · panel[kc, 12] (relaxed build); rows of A `aStride` bytes apart, of C `cStride`. */
// @ts-ignore: decorator
@inline function kernel3x12(
  a: usize,
  aStride: usize,
  b: usize,
  kc: i32,
  c: usize,
  cStride: usize,
  acc: bool,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00;
  let c10 = c00, c11 = c00, c12 = c00;
  let c20 = c00, c21 = c00, c22 = c00;
  const r1 = c + cStride;
  const r2 = r1 + cStride;
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32);
    c10 = v128.load(r1); c11 = v128.load(r1, 16); c12 = v128.load(r1, 32);
    c20 = v128.load(r2); c21 = v128.load(r2, 16); c22 = v128.load(r2, 32);
  }
  let a0 = a;
  let a1 = a + aStride;
  let a2 = a1 + aStride;
  const end = a + (<usize>kc << 2);
  while (a0 < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const b2 = v128.load(b, 32);
    const x = v128.load32_splat(a0);
    const y = v128.load32_splat(a1);
    const z = v128.load32_splat(a2);
    c00 = fma(x, b0, c00);
    c01 = fma(x, b1, c01);
    c02 = fma(x, b2, c02);
    c10 = fma(y, b0, c10);
    c11 = fma(y, b1, c11);
    c12 = fma(y, b2, c12);
    c20 = fma(z, b0, c20);
    c21 = fma(z, b1, c21);
    c22 = fma(z, b2, c22);
    a0 += 4;
    a1 += 4;
    a2 += 4;
    b += 48;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32);
  v128.store(r1, c10); v128.store(r1, c11, 16); v128.store(r1, c12, 32);
  v128.store(r2, c20); v128.store(r2, c21, 16); v128.store(r2, c22, 32);
}

/**
 * C[2, 12] (+)= A[2, kc] · panel[kc, 12], for 2 rows left over by the 3-row blocks: 6 chains.
 * Each element is summed over k in order, as in kernel3x12, so a row's result does not depend on
 * whether it falls in a 3-row block or in this tail.
 */
// @ts-ignore: decorator
@inline function kernel2x12(
  a: usize,
  aStride: usize,
  b: usize,
  kc: i32,
  c: usize,
  cStride: usize,
  acc: bool,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00;
  let c10 = c00, c11 = c00, c12 = c00;
  const r1 = c + cStride;
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32);
    c10 = v128.load(r1); c11 = v128.load(r1, 16); c12 = v128.load(r1, 32);
  }
  let a0 = a;
  let a1 = a + aStride;
  const end = a + (<usize>kc << 2);
  while (a0 < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const b2 = v128.load(b, 32);
    const x = v128.load32_splat(a0);
    const y = v128.load32_splat(a1);
    c00 = fma(x, b0, c00);
    c01 = fma(x, b1, c01);
    c02 = fma(x, b2, c02);
    c10 = fma(y, b0, c10);
    c11 = fma(y, b1, c11);
    c12 = fma(y, b2, c12);
    a0 += 4;
    a1 += 4;
    b += 48;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32);
  v128.store(r1, c10); v128.store(r1, c11, 16); v128.store(r1, c12, 32);
}

/**
 * C[1, 12] (+)= A[1, kc] · panel[kc, 12]: 3 chains only, but summed over k in order like every
 * other row (splitting even and odd k would run twice as fast here and give the row other bits
 * than it gets inside a block).
 */
// @ts-ignore: decorator
@inline function kernel1x12(a: usize, b: usize, kc: i32, c: usize, acc: bool): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0;
  if (acc) {
    c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32);
  }
  let a0 = a;
  const end = a + (<usize>kc << 2);
  while (a0 < end) {
    const x = v128.load32_splat(a0);
    c0 = fma(x, v128.load(b), c0);
    c1 = fma(x, v128.load(b, 16), c1);
    c2 = fma(x, v128.load(b, 32), c2);
    a0 += 4;
    b += 48;
  }
  v128.store(c, c0);
  v128.store(c, c1, 16);
  v128.store(c, c2, 32);
}

/** C[2, 16] (+)= A[2, kc] · panel[kc, 16]; rows of A `aStride` bytes apart, of C `cStride`. */
// @ts-ignore: decorator
@inline function kernel2x16(
  a: usize,
  aStride: usize,
  b: usize,
  kc: i32,
  c: usize,
  cStride: usize,
  acc: bool,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
  let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
    const c1 = c + cStride;
    c10 = v128.load(c1); c11 = v128.load(c1, 16); c12 = v128.load(c1, 32); c13 = v128.load(c1, 48);
  }
  let a0 = a;
  let a1 = a + aStride;
  const end = a + (<usize>kc << 2);
  while (a0 < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const b2 = v128.load(b, 32);
    const b3 = v128.load(b, 48);
    const x = v128.load32_splat(a0);
    const y = v128.load32_splat(a1);
    c00 = fma(x, b0, c00);
    c01 = fma(x, b1, c01);
    c02 = fma(x, b2, c02);
    c03 = fma(x, b3, c03);
    c10 = fma(y, b0, c10);
    c11 = fma(y, b1, c11);
    c12 = fma(y, b2, c12);
    c13 = fma(y, b3, c13);
    a0 += 4;
    a1 += 4;
    b += 64;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  const c1 = c + cStride;
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
}

/** C[1, 16] (+)= A[1, kc] · panel[kc, 16], summed over k in order like the 2-row blocks (see kernel1x12). */
// @ts-ignore: decorator
@inline function kernel1x16(a: usize, b: usize, kc: i32, c: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
  }
  let a0 = a;
  const end = a + (<usize>kc << 2);
  while (a0 < end) {
    const x = v128.load32_splat(a0);
    c00 = fma(x, v128.load(b), c00);
    c01 = fma(x, v128.load(b, 16), c01);
    c02 = fma(x, v128.load(b, 32), c02);
    c03 = fma(x, v128.load(b, 48), c03);
    a0 += 4;
    b += 64;
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c, c02, 32);
  v128.store(c, c03, 48);
}

/** Copies `w` floats per row for `rows` rows between C (stride cStride bytes) and a PW-wide tile. */
// @ts-ignore: decorator
@inline function tileIn(c: usize, cStride: usize, rows: i32, w: i32, tile: usize, acc: bool): void {
  memory.fill(tile, 0, <usize>rows * PB);
  if (!acc) return;
  for (let r = 0; r < rows; r++) memory.copy(tile + <usize>r * PB, c + <usize>r * cStride, <usize>w << 2);
}

// @ts-ignore: decorator
@inline function tileOut(c: usize, cStride: usize, rows: i32, w: i32, tile: usize): void {
  for (let r = 0; r < rows; r++) memory.copy(c + <usize>r * cStride, tile + <usize>r * PB, <usize>w << 2);
}

/**
 * C[m, n] = (accumulate ? C : 0) + A[m, k] · packedB, A and C row-major with element strides.
 * Loop order: k block, then panel, then row blocks, so one panel slice stays in L1 while all
 * rows of A stream past it. The last panel, if n is not a multiple of PW, goes through the
 * `tile` (3 x 16 floats) so the kernel can still store full vectors.
 */
export function gemmPacked(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  bp: usize,
  c: usize,
  ldc: i32,
  accumulate: bool,
  tile: usize,
): void {
  const aStride = <usize>lda << 2;
  const cStride = <usize>ldc << 2;
  if (k == 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * cStride, 0, <usize>n << 2);
    return;
  }
  const panels = (n + PW - 1) / PW;
  const R: i32 = PW == 12 ? 3 : 2;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const acc = accumulate || k0 > 0;
    const aK = a + (<usize>k0 << 2);
    for (let q = 0; q < panels; q++) {
      const j0 = q * PW;
      const w = n - j0;
      const b = bp + (<usize>q * <usize>k + <usize>k0) * PB;
      let ap = aK;
      let cp = c + (<usize>j0 << 2);
      const full = w >= PW;
      let i = 0;
      for (; i + R <= m; i += R) {
        const dst = full ? cp : tile;
        const ds = full ? cStride : PB;
        if (!full) tileIn(cp, cStride, R, w, tile, acc);
        if (PW == 12) kernel3x12(ap, aStride, b, kc, dst, ds, full ? acc : true);
        else kernel2x16(ap, aStride, b, kc, dst, ds, full ? acc : true);
        if (!full) tileOut(cp, cStride, R, w, tile);
        ap += aStride * <usize>R;
        cp += cStride * <usize>R;
      }
      const rest = m - i;
      if (rest > 0) {
        const dst = full ? cp : tile;
        const ds = full ? cStride : PB;
        if (!full) tileIn(cp, cStride, rest, w, tile, acc);
        const a2 = full ? acc : true;
        if (PW == 16) kernel1x16(ap, b, kc, dst, a2);
        else if (rest == 2) kernel2x12(ap, aStride, b, kc, dst, ds, a2);
        else kernel1x12(ap, b, kc, dst, a2);
        if (!full) tileOut(cp, cStride, rest, w, tile);
      }
    }
  }
}

/** dst[j] = Σ_r src[r * n + j] (rows summed in order, each lane the same sum as a scalar loop). */
export function sumRows(rows: i32, n: i32, src: usize, dst: usize): void {
  memory.fill(dst, 0, <usize>n << 2);
  const n4 = n & ~3;
  const rowBytes = <usize>n << 2;
  let s = src;
  for (let r = 0; r < rows; r++) {
    let j = 0;
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(s + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(s + o));
    }
    s += rowBytes;
  }
}
