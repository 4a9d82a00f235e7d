// Float32 matrix-vector products (m = 1) over op(B) in the row-block layout.
//
// With one row of A every element of B is used once, so nothing can be kept in registers and
// the kernel is bound by how fast it issues loads. Measured on this machine (Zen 5, V8 11.3) the
// panel kernel of gemm.ts with one row (kernel1x16) reaches only ~0.7 FMA per cycle, while a
// dot-product form over 8 rows of op(B)ᵀ reaches ~1.4: one v128 load of A feeds 8 FMAs, and the
// 8 rows are interleaved so B streams through one pointer. 1024 x 256 (an LSTM-256 W_hh): 25 µs
// -> 14.5 µs.
//
// Row-block layout of op(B) ([k, n]): ceil(n / 8) blocks of 8 output columns; block q holds
// ceil(k / 4) groups of 8 x 4 floats, group g row r = op(B)[4g .. 4g+3, 8q + r] (128 bytes).
// Columns past n and depths past k are zero-filled.
//
// All pointers are byte addresses into the one imported memory; strides are in elements.
// Nothing here allocates: scratch space (`tile`) is handed in by the TypeScript side.

import { fma } from './simd';

/** Bytes of op(B) [k, n] in row-block layout. */
// @ts-ignore: decorator
@inline function rowBlockBytes(k: i32, n: i32): usize {
  return (<usize>((n + 7) >> 3) * <usize>((k + 3) >> 2)) << 7;
}

/** Packs op(B) ([k, n]; B stored [n, k] when transB) into the row-block layout at `dst`. */
export function packRows(transB: bool, k: i32, n: i32, b: usize, ldb: i32, dst: usize): void {
  memory.fill(dst, 0, rowBlockBytes(k, n));
  const groups = (k + 3) >> 2;
  const stride = <usize>ldb << 2;
  for (let j = 0; j < n; j++) {
    const block = dst + ((<usize>(j >> 3) * <usize>groups) << 7) + (<usize>(j & 7) << 4);
    if (transB) {
      // op(B)[p, j] = B[j, p]: row j of B is contiguous.
      const src = b + <usize>j * stride;
      let p = 0;
      for (; p + 4 <= k; p += 4) v128.store(block + (<usize>(p >> 2) << 7), v128.load(src + (<usize>p << 2)));
      for (; p < k; p++) store<f32>(block + (<usize>(p >> 2) << 7) + (<usize>(p & 3) << 2), load<f32>(src + (<usize>p << 2)));
    } else {
      for (let p = 0; p < k; p++)
        store<f32>(block + (<usize>(p >> 2) << 7) + (<usize>(p & 3) << 2), load<f32>(b + <usize>p * stride + (<usize>j << 2)));
    }
  }
}

/** Sums the 4 lanes of each of s0..s3 into one vector [Σs0, Σs1, Σs2, Σs3]. */
// @ts-ignore: decorator
@inline function reduce4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const u0 = f32x4.add(v128.shuffle<i32>(s0, s1, 0, 4, 1, 5), v128.shuffle<i32>(s0, s1, 2, 6, 3, 7));
  const u1 = f32x4.add(v128.shuffle<i32>(s2, s3, 0, 4, 1, 5), v128.shuffle<i32>(s2, s3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<i32>(u0, u1, 0, 1, 4, 5), v128.shuffle<i32>(u0, u1, 2, 3, 6, 7));
}

/**
 * c[0, n) = (accumulate ? c : 0) + a[0, k) · op(B), op(B) in row-block layout at `bp`; `tile`
 * (32 bytes) takes a last partial block of columns. The k tail is read lane by lane, so nothing
 * past a[k - 1] is touched (whatever lies there could be a NaN, and NaN * 0 is NaN).
 */
export function gemvRows(n: i32, k: i32, a: usize, bp: usize, c: usize, accumulate: bool, tile: usize): void {
  const k4 = k & ~3;
  const rem = k - k4;
  let tail = f32x4.splat(0);
  if (rem > 0) {
    const t = a + (<usize>k4 << 2);
    tail = f32x4.replace_lane(tail, 0, load<f32>(t));
    if (rem > 1) tail = f32x4.replace_lane(tail, 1, load<f32>(t, 4));
    if (rem > 2) tail = f32x4.replace_lane(tail, 2, load<f32>(t, 8));
  }
  const end = a + (<usize>k4 << 2);
  let r = bp;
  for (let j = 0; j < n; j += 8) {
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    let x = a;
    while (x < end) {
      const v = v128.load(x);
      s0 = fma(v, v128.load(r), s0);
      s1 = fma(v, v128.load(r, 16), s1);
      s2 = fma(v, v128.load(r, 32), s2);
      s3 = fma(v, v128.load(r, 48), s3);
      s4 = fma(v, v128.load(r, 64), s4);
      s5 = fma(v, v128.load(r, 80), s5);
      s6 = fma(v, v128.load(r, 96), s6);
      s7 = fma(v, v128.load(r, 112), s7);
      x += 16;
      r += 128;
    }
    if (rem > 0) {
      s0 = fma(tail, v128.load(r), s0);
      s1 = fma(tail, v128.load(r, 16), s1);
      s2 = fma(tail, v128.load(r, 32), s2);
      s3 = fma(tail, v128.load(r, 48), s3);
      s4 = fma(tail, v128.load(r, 64), s4);
      s5 = fma(tail, v128.load(r, 80), s5);
      s6 = fma(tail, v128.load(r, 96), s6);
      s7 = fma(tail, v128.load(r, 112), s7);
      r += 128;
    }
    let lo = reduce4(s0, s1, s2, s3);
    let hi = reduce4(s4, s5, s6, s7);
    const w = n - j;
    const out = w >= 8 ? c + (<usize>j << 2) : tile;
    if (w < 8 && accumulate) {
      memory.fill(tile, 0, 32);
      memory.copy(tile, c + (<usize>j << 2), <usize>w << 2);
    }
    if (accumulate) {
      lo = f32x4.add(v128.load(out), lo);
      hi = f32x4.add(v128.load(out, 16), hi);
    }
    v128.store(out, lo);
    v128.store(out, hi, 16);
    if (w < 8) memory.copy(c + (<usize>j << 2), tile, <usize>w << 2);
  }
}
