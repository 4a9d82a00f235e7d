// Float32 GEMM over panel-packed B (matrix-vector products use another layout: gemv.ts).
//
// Layout of a packed B (op(B) is [k, n]): ceil(n / 16) panels, panel q holding columns
// 16q .. 16q+15 as k rows of 16 contiguous floats (64 bytes), columns past n zero-filled.
// So the micro-kernel reads B strictly sequentially, four v128 per k step, and the padding
// means the kernel itself never needs a column tail.
//
// Micro-kernel: a 2 x 16 tile of C in 8 v128 accumulators. Per k step: 4 vector loads of B,
// 2 broadcast loads of A (v128.load32_splat) and 8 multiply-adds. With the 4 B vectors and 2
// broadcasts that is 14 live vector registers, within the 16 xmm registers V8 has on x86-64;
// a 4 x 16 or 3 x 16 tile needs more and spills (measured slower). This is the register-blocking
// idea of Goto & van de Geijn, "Anatomy of high-performance matrix multiplication" (2008),
// shrunk to what a 128-bit SIMD target with 16 registers can hold.
//
// All pointers are byte addresses into the one imported memory; strides are in elements.
// Nothing here allocates: scratch space (`tile`) is handed in by the TypeScript side.

import { fma } from './simd';

/** Reduction depth per pass: keeps one B panel slice (KC * 64 bytes) within L1. */
// @ts-ignore: decorator
@inline const KC: i32 = 384;

/** Packs op(B) ([k, n]; B stored [n, k] when transB) into 16-column panels at `dst`. */
export function packB(transB: bool, k: i32, n: i32, b: usize, ldb: i32, dst: usize): void {
  const panels = (n + 15) >> 4;
  const rowStride = <usize>ldb << 2;
  for (let q = 0; q < panels; q++) {
    const j0 = q << 4;
    const w = min(16, n - j0);
    const panel = dst + ((<usize>q * <usize>k) << 6);
    if (!transB) {
      let src = b + (<usize>j0 << 2);
      let d = panel;
      for (let p = 0; p < k; p++) {
        if (w == 16) {
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          v128.store(d, v128.load(src, 32), 32);
          v128.store(d, v128.load(src, 48), 48);
        } else {
          memory.fill(d, 0, 64);
          memory.copy(d, src, <usize>w << 2);
        }
        src += rowStride;
        d += 64;
      }
    } else {
      // op(B)[p, j] = B[j, p]: each source row is one packed column; read it contiguously.
      if (w < 16) memory.fill(panel, 0, <usize>k << 6);
      for (let jj = 0; jj < w; jj++) {
        let src = b + <usize>(j0 + jj) * rowStride;
        let d = panel + (<usize>jj << 2);
        for (let p = 0; p < k; p++) {
          store<f32>(d, load<f32>(src));
          src += 4;
          d += 64;
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

/**
 * C[1, 16] (+)= A[1, kc] · panel[kc, 16]. With one row there are only 4 independent
 * accumulators, too few to cover FMA latency, so even and odd k steps go to two sets (8 chains)
 * that are summed at the end.
 */
// @ts-ignore: decorator
@inline function kernel1x16(a: usize, b: usize, kc: i32, c: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
  let d00 = c00, d01 = c00, d02 = c00, d03 = c00;
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
  }
  let a0 = a;
  const end2 = a + (<usize>(kc & ~1) << 2);
  while (a0 < end2) {
    const x = v128.load32_splat(a0);
    const y = v128.load32_splat(a0, 4);
    c00 = fma(x, v128.load(b), c00);
    c01 = fma(x, v128.load(b, 16), c01);
    c02 = fma(x, v128.load(b, 32), c02);
    c03 = fma(x, v128.load(b, 48), c03);
    d00 = fma(y, v128.load(b, 64), d00);
    d01 = fma(y, v128.load(b, 80), d01);
    d02 = fma(y, v128.load(b, 96), d02);
    d03 = fma(y, v128.load(b, 112), d03);
    a0 += 8;
    b += 128;
  }
  if (kc & 1) {
    const x = v128.load32_splat(a0);
    c00 = fma(x, v128.load(b), c00);
    c01 = fma(x, v128.load(b, 16), c01);
    c02 = fma(x, v128.load(b, 32), c02);
    c03 = fma(x, v128.load(b, 48), c03);
  }
  v128.store(c, f32x4.add(c00, d00));
  v128.store(c, f32x4.add(c01, d01), 16);
  v128.store(c, f32x4.add(c02, d02), 32);
  v128.store(c, f32x4.add(c03, d03), 48);
}

/** Copies `w` floats per row for `rows` rows between C (stride cStride bytes) and a 16-wide tile. */
// @ts-ignore: decorator
@inline function tileIn(c: usize, cStride: usize, rows: i32, w: i32, tile: usize, acc: bool): void {
  memory.fill(tile, 0, <usize>rows << 6);
  if (!acc) return;
  for (let r = 0; r < rows; r++) memory.copy(tile + (<usize>r << 6), c + <usize>r * cStride, <usize>w << 2);
}

// @ts-ignore: decorator
@inline function tileOut(c: usize, cStride: usize, rows: i32, w: i32, tile: usize): void {
  for (let r = 0; r < rows; r++) memory.copy(c + <usize>r * cStride, tile + (<usize>r << 6), <usize>w << 2);
}

/**
 * C[m, n] = (accumulate ? C : 0) + A[m, k] · packedB, A and C row-major with element strides.
 * Loop order: k block, then panel, then row pairs, so one panel slice stays in L1 while all
 * rows of A stream past it. The last panel, if n is not a multiple of 16, goes through the
 * 128-byte `tile` so the kernel can still store full vectors.
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
  const panels = (n + 15) >> 4;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const acc = accumulate || k0 > 0;
    const aK = a + (<usize>k0 << 2);
    for (let q = 0; q < panels; q++) {
      const j0 = q << 4;
      const w = n - j0;
      const b = bp + ((<usize>q * <usize>k + <usize>k0) << 6);
      let ap = aK;
      let cp = c + (<usize>j0 << 2);
      if (w >= 16) {
        let i = 0;
        for (; i + 1 < m; i += 2) {
          kernel2x16(ap, aStride, b, kc, cp, cStride, acc);
          ap += aStride << 1;
          cp += cStride << 1;
        }
        if (i < m) kernel1x16(ap, b, kc, cp, acc);
      } else {
        let i = 0;
        for (; i + 1 < m; i += 2) {
          tileIn(cp, cStride, 2, w, tile, acc);
          kernel2x16(ap, aStride, b, kc, tile, 64, true);
          tileOut(cp, cStride, 2, w, tile);
          ap += aStride << 1;
          cp += cStride << 1;
        }
        if (i < m) {
          tileIn(cp, cStride, 1, w, tile, acc);
          kernel1x16(ap, b, kc, tile, true);
          tileOut(cp, cStride, 1, w, tile);
        }
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
