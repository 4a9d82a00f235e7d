// Float32 GEMM over panel-packed B and row-group-packed A (matrix-vector products use another
// layout: gemv.ts).
//
// Both operands are packed first (pack.ts): B in panels of 8 columns, so the micro-kernel reads B
// strictly sequentially, two v128 per k step, and never needs a column tail inside a panel; A in
// groups of R rows stored as kc steps of R contiguous floats, so the kernel reaches every broadcast
// operand as one base pointer plus a constant offset.
//
// The micro-kernel is an R x 8 tile of C in 2R v128 accumulators. What bounds it on Zen 2 (FMA
// latency 5, two FMA units, so 10 independent chains are needed to keep both busy) under V8 (15
// allocatable xmm registers, xmm15 is scratch):
// - R = 6 in the relaxed build: 12 accumulators + 2 B vectors + 1 broadcast = 15 registers (V8
//   loads each broadcast next to its multiply-adds). 5 x 8 (10 chains) and 6 x 8 ran at 95-97% of
//   the measured FMA peak in a harness (30 rows), the whole GEMM at 32 x 320 x 1024 at 89-91%; the
//   former 3 x 12 tile over row pointers reached 79% (9 chains, three pointer increments per step).
//   Each broadcast at a nonzero offset still costs V8 a `lea`: 30 instructions per 12 FMAs.
// - R = 5 in the plain-SIMD build: each mul + add needs a temporary register, so 6 x 8 spills.
// - Rows are grouped as evenly as possible (m = 32 runs as 6, 6, 5, 5, 5, 5), so small tails that
//   would run on few chains are avoided wherever m allows.
// - Each kernel is its own exported function (assembly/index.ts): inlined into the driver, V8
//   hoisted all broadcasts of a k step above the multiply-adds and spilled (38% of peak).
//
// Every element of C is summed over k in order (one multiply-add per k, starting from 0 or from
// C), whatever the tile height or the row's position: a row's result does not depend on m.
//
// This is the blocking of Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication" (2008), shrunk to what a 128-bit SIMD target with 15 usable registers can hold.
//
// All pointers are byte addresses into the one imported memory; strides are in elements.
// Nothing here allocates: scratch space (`tile`, RMAX x 8 floats) is handed in by the caller.

import { groupCount, groupRows, KC, MC, PB, PW, RMAX } from './pack';
import { fma } from './simd';

/**
 * C[R, 8] (+)= A[R, kc] · panel[kc, 8], A packed as kc steps of R floats; rows of C `cStride`
 * bytes apart. R is a literal at every call, so the rows past it are dead code.
 */
// @ts-ignore: decorator
@inline function tileRx8(R: i32, ap: usize, b: usize, kc: i32, c: usize, cStride: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const c1 = c + cStride;
  const c2 = c1 + cStride;
  const c3 = c2 + cStride;
  const c4 = c3 + cStride;
  const c5 = c4 + cStride;
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    if (R > 1) { c10 = v128.load(c1); c11 = v128.load(c1, 16); }
    if (R > 2) { c20 = v128.load(c2); c21 = v128.load(c2, 16); }
    if (R > 3) { c30 = v128.load(c3); c31 = v128.load(c3, 16); }
    if (R > 4) { c40 = v128.load(c4); c41 = v128.load(c4, 16); }
    if (R > 5) { c50 = v128.load(c5); c51 = v128.load(c5, 16); }
  }
  const end = ap + <usize>kc * <usize>(R << 2);
  while (ap < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(ap);
    c00 = fma(s, b0, c00); c01 = fma(s, b1, c01);
    if (R > 1) { s = v128.load32_splat(ap, 4); c10 = fma(s, b0, c10); c11 = fma(s, b1, c11); }
    if (R > 2) { s = v128.load32_splat(ap, 8); c20 = fma(s, b0, c20); c21 = fma(s, b1, c21); }
    if (R > 3) { s = v128.load32_splat(ap, 12); c30 = fma(s, b0, c30); c31 = fma(s, b1, c31); }
    if (R > 4) { s = v128.load32_splat(ap, 16); c40 = fma(s, b0, c40); c41 = fma(s, b1, c41); }
    if (R > 5) { s = v128.load32_splat(ap, 20); c50 = fma(s, b0, c50); c51 = fma(s, b1, c51); }
    ap += <usize>(R << 2);
    b += PB;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  if (R > 1) { v128.store(c1, c10); v128.store(c1, c11, 16); }
  if (R > 2) { v128.store(c2, c20); v128.store(c2, c21, 16); }
  if (R > 3) { v128.store(c3, c30); v128.store(c3, c31, 16); }
  if (R > 4) { v128.store(c4, c40); v128.store(c4, c41, 16); }
  if (R > 5) { v128.store(c5, c50); v128.store(c5, c51, 16); }
}

// One function per tile height (exported from index.ts, so never inlined into the driver).
export function gemmTile1(ap: usize, b: usize, kc: i32, c: usize, cs: usize, acc: bool): void { tileRx8(1, ap, b, kc, c, cs, acc); }
export function gemmTile2(ap: usize, b: usize, kc: i32, c: usize, cs: usize, acc: bool): void { tileRx8(2, ap, b, kc, c, cs, acc); }
export function gemmTile3(ap: usize, b: usize, kc: i32, c: usize, cs: usize, acc: bool): void { tileRx8(3, ap, b, kc, c, cs, acc); }
export function gemmTile4(ap: usize, b: usize, kc: i32, c: usize, cs: usize, acc: bool): void { tileRx8(4, ap, b, kc, c, cs, acc); }
export function gemmTile5(ap: usize, b: usize, kc: i32, c: usize, cs: usize, acc: bool): void { tileRx8(5, ap, b, kc, c, cs, acc); }
export function gemmTile6(ap: usize, b: usize, kc: i32, c: usize, cs: usize, acc: bool): void {
  if (RMAX == 6) tileRx8(6, ap, b, kc, c, cs, acc);
}

/**
 * For row blocks of 1 or 2 rows: C[R, 8P] (+)= A[R, kc] · P panels (P = 4 / R, panel j at
 * b + j * ps): 8 accumulators where a single panel would give 2R. Same per-element order as tileRx8.
 */
// @ts-ignore: decorator
@inline function wideTile(R: i32, ap: usize, b: usize, ps: usize, kc: i32, c: usize, cs: usize, acc: bool): void {
  // Accumulator pair i (x{2i}, x{2i+1}) is row i / P, panel i % P.
  const P = 4 / R;
  const o1 = P == 4 ? c + 32 : c + cs;
  const o2 = P == 4 ? c + 64 : c + 32;
  const o3 = P == 4 ? c + 96 : c + cs + 32;
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0;
  if (acc) {
    x0 = v128.load(c); x1 = v128.load(c, 16); x2 = v128.load(o1); x3 = v128.load(o1, 16);
    x4 = v128.load(o2); x5 = v128.load(o2, 16); x6 = v128.load(o3); x7 = v128.load(o3, 16);
  }
  let b0 = b;
  let b1 = b + ps;
  let b2 = b1 + ps;
  let b3 = b2 + ps;
  const end = ap + <usize>kc * <usize>(R << 2);
  while (ap < end) {
    const s = v128.load32_splat(ap);
    x0 = fma(s, v128.load(b0), x0);
    x1 = fma(s, v128.load(b0, 16), x1);
    if (P == 4) {
      x2 = fma(s, v128.load(b1), x2);
      x3 = fma(s, v128.load(b1, 16), x3);
      x4 = fma(s, v128.load(b2), x4);
      x5 = fma(s, v128.load(b2, 16), x5);
      x6 = fma(s, v128.load(b3), x6);
      x7 = fma(s, v128.load(b3, 16), x7);
      b2 += PB;
      b3 += PB;
    } else {
      const t = v128.load32_splat(ap, 4);
      const y0 = v128.load(b1);
      const y1 = v128.load(b1, 16);
      x4 = fma(s, y0, x4);
      x5 = fma(s, y1, x5);
      x2 = fma(t, v128.load(b0), x2);
      x3 = fma(t, v128.load(b0, 16), x3);
      x6 = fma(t, y0, x6);
      x7 = fma(t, y1, x7);
    }
    ap += <usize>(R << 2);
    b0 += PB;
    b1 += PB;
  }
  v128.store(c, x0); v128.store(c, x1, 16); v128.store(o1, x2); v128.store(o1, x3, 16);
  v128.store(o2, x4); v128.store(o2, x5, 16); v128.store(o3, x6); v128.store(o3, x7, 16);
}

export function gemmWide1(ap: usize, b: usize, ps: usize, kc: i32, c: usize, cs: usize, acc: bool): void {
  wideTile(1, ap, b, ps, kc, c, cs, acc);
}
export function gemmWide2(ap: usize, b: usize, ps: usize, kc: i32, c: usize, cs: usize, acc: bool): void {
  wideTile(2, ap, b, ps, kc, c, cs, acc);
}

// @ts-ignore: decorator
@inline function runTile(R: i32, ap: usize, b: usize, kc: i32, c: usize, cs: usize, acc: bool): void {
  if (R == 6) gemmTile6(ap, b, kc, c, cs, acc);
  else if (R == 5) gemmTile5(ap, b, kc, c, cs, acc);
  else if (R == 4) gemmTile4(ap, b, kc, c, cs, acc);
  else if (R == 3) gemmTile3(ap, b, kc, c, cs, acc);
  else if (R == 2) gemmTile2(ap, b, kc, c, cs, acc);
  else gemmTile1(ap, b, kc, c, cs, acc);
}

/**
 * C[m, n] = (accumulate ? C : 0) + op(A) · packedB, op(A) packed by `packA` at `ap`, C row-major
 * with element stride ldc. Loop order: k block, row block, panel, row group: one panel slice stays
 * in L1 while the row groups of a packed block (in L2) pass over it. The last panel, if n is not
 * a multiple of 8, goes through `tile` (RMAX x 8 floats) so the kernel can still store full vectors.
 */
export function gemmPacked(
  m: i32,
  n: i32,
  k: i32,
  ap: usize,
  bp: usize,
  c: usize,
  ldc: i32,
  accumulate: bool,
  tile: usize,
): void {
  const cStride = <usize>ldc << 2;
  if (k == 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * cStride, 0, <usize>n << 2);
    return;
  }
  const panels = (n + PW - 1) / PW;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const acc = accumulate || k0 > 0;
    for (let i0 = 0; i0 < m; i0 += MC) {
      const rows = min(MC, m - i0);
      const g = groupCount(rows);
      const aBlock = ap + ((<usize>k0 * <usize>m + <usize>i0 * <usize>kc) << 2);
      // A block of 1 or 2 rows takes 4 or 2 full panels at a time (wideTile).
      const P = rows == 1 ? 4 : rows == 2 ? 2 : 1;
      const ps = <usize>k * PB;
      const wideEnd = P > 1 ? n / PW - P + 1 : 0;
      for (let q = 0; q < panels; q++) {
        const j0 = q * PW;
        if (q < wideEnd) {
          const b = bp + <usize>q * ps + <usize>k0 * PB;
          const cp = c + <usize>i0 * cStride + (<usize>j0 << 2);
          if (P == 4) gemmWide1(aBlock, b, ps, kc, cp, cStride, acc);
          else gemmWide2(aBlock, b, ps, kc, cp, cStride, acc);
          q += P - 1;
          continue;
        }
        const w = n - j0;
        const b = bp + (<usize>q * <usize>k + <usize>k0) * PB;
        let a = aBlock;
        let cp = c + <usize>i0 * cStride + (<usize>j0 << 2);
        for (let j = 0; j < g; j++) {
          const R = groupRows(rows, g, j);
          if (w >= PW) {
            runTile(R, a, b, kc, cp, cStride, acc);
          } else {
            tileIn(cp, cStride, R, w, tile, acc);
            runTile(R, a, b, kc, tile, PB, true);
            tileOut(cp, cStride, R, w, tile);
          }
          a += <usize>kc * <usize>(R << 2);
          cp += cStride * <usize>R;
        }
      }
    }
  }
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
