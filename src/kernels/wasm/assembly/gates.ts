// Pointwise kernels: unary activations and the fused LSTM / GRU gate steps (float32).
//
// Semantics are exactly those of src/kernels/ts/gates.ts and pointwise.ts. Every kernel walks
// rows and, inside a row, 4 units at a time; the tail of a row (H not a multiple of 4) runs the
// same vector code on one lane (`ld`/`st` with full=false use load32_splat / store32_lane), so
// tail elements get bit-identical results to body elements. The `full` argument is a constant at
// every call site and the branches fold away after inlining.
//
// The gate kernels take a unit range [j0, j1): the two threads of src/kernels/wasm/threads.ts
// split one step by units (columns), and since every unit's result is the same whichever range
// or lane it is computed in, a split step equals the one-thread step bit for bit.

import { fma, vexp, vsigmoid, vtanh } from './simd';

// @ts-ignore: decorator
@inline function ld(p: usize, full: bool): v128 {
  return full ? v128.load(p) : v128.load32_splat(p);
}

// @ts-ignore: decorator
@inline function st(p: usize, v: v128, full: bool): void {
  if (full) v128.store(p, v);
  else v128.store32_lane(p, v, 0);
}

// @ts-ignore: decorator
@inline function one(): v128 {
  return f32x4.splat(1.0);
}

/** y = f(x) for n floats; op 0 exp, 1 tanh, 2 sigmoid, 3 relu. x and y may alias exactly. */
export function unary(op: i32, n: i32, x: usize, y: usize): void {
  const n4 = <usize>(n & ~3) << 2;
  const end = <usize>n << 2;
  let i: usize = 0;
  if (op == 0) {
    for (; i < n4; i += 16) v128.store(y + i, vexp(v128.load(x + i)));
    for (; i < end; i += 4) st(y + i, vexp(ld(x + i, false)), false);
  } else if (op == 1) {
    for (; i < n4; i += 16) v128.store(y + i, vtanh(v128.load(x + i)));
    for (; i < end; i += 4) st(y + i, vtanh(ld(x + i, false)), false);
  } else if (op == 2) {
    for (; i < n4; i += 16) v128.store(y + i, vsigmoid(v128.load(x + i)));
    for (; i < end; i += 4) st(y + i, vsigmoid(ld(x + i, false)), false);
  } else {
    // pmax(0, x) = 0 < x ? x : 0, which maps NaN and -0 to +0 like the TypeScript `x > 0 ? x : 0`.
    const z = f32x4.splat(0);
    for (; i < n4; i += 16) v128.store(y + i, f32x4.pmax(z, v128.load(x + i)));
    for (; i < end; i += 4) st(y + i, f32x4.pmax(z, ld(x + i, false)), false);
  }
}

// @ts-ignore: decorator
@inline function lstmFwdStep(g: usize, hb: usize, cp: usize, c: usize, tc: usize, h: usize, full: bool): void {
  const ig = vsigmoid(ld(g, full));
  const fg = vsigmoid(ld(g + hb, full));
  const gg = vtanh(ld(g + 2 * hb, full));
  const og = vsigmoid(ld(g + 3 * hb, full));
  st(g, ig, full);
  st(g + hb, fg, full);
  st(g + 2 * hb, gg, full);
  st(g + 3 * hb, og, full);
  const cv = fma(fg, ld(cp, full), f32x4.mul(ig, gg));
  const t = vtanh(cv);
  st(c, cv, full);
  st(tc, t, full);
  st(h, f32x4.mul(og, t), full);
}

/**
 * See Kernels.lstmGatesForward. Gate order i, f, g, o. Only units (columns) j0 <= j < j1 of every
 * row are processed: the pointers are the bases of the full [rows, 4H] / [rows, H] blocks, so two
 * threads can share one step by unit ranges (each unit's arithmetic does not depend on the range).
 */
export function lstmGatesForward(
  rows: i32,
  H: i32,
  j0: i32,
  j1: i32,
  g: usize,
  cp: usize,
  c: usize,
  tc: usize,
  h: usize,
): void {
  const hb = <usize>H << 2;
  const lo = <usize>j0 << 2;
  const hi = <usize>j1 << 2;
  const body = lo + (<usize>((j1 - j0) & ~3) << 2);
  for (let r = 0; r < rows; r++) {
    let j = lo;
    for (; j < body; j += 16) lstmFwdStep(g + j, hb, cp + j, c + j, tc + j, h + j, true);
    for (; j < hi; j += 4) lstmFwdStep(g + j, hb, cp + j, c + j, tc + j, h + j, false);
    g += hb << 2;
    cp += hb;
    c += hb;
    tc += hb;
    h += hb;
  }
}

// @ts-ignore: decorator
@inline function lstmBwdStep(
  g: usize,
  hb: usize,
  cp: usize,
  tc: usize,
  dh: usize,
  dc: usize,
  dg: usize,
  full: bool,
): void {
  const ig = ld(g, full);
  const fg = ld(g + hb, full);
  const gg = ld(g + 2 * hb, full);
  const og = ld(g + 3 * hb, full);
  const t = ld(tc, full);
  const dhv = ld(dh, full);
  // dct = dc + dh * o * (1 - t^2)
  const dct = fma(f32x4.mul(dhv, og), f32x4.sub(one(), f32x4.mul(t, t)), ld(dc, full));
  st(dg, f32x4.mul(f32x4.mul(dct, gg), f32x4.mul(ig, f32x4.sub(one(), ig))), full);
  st(dg + hb, f32x4.mul(f32x4.mul(dct, ld(cp, full)), f32x4.mul(fg, f32x4.sub(one(), fg))), full);
  st(dg + 2 * hb, f32x4.mul(f32x4.mul(dct, ig), f32x4.sub(one(), f32x4.mul(gg, gg))), full);
  st(dg + 3 * hb, f32x4.mul(f32x4.mul(dhv, t), f32x4.mul(og, f32x4.sub(one(), og))), full);
  st(dc, f32x4.mul(dct, fg), full);
}

/** See Kernels.lstmGatesBackward. Units j0 <= j < j1 of every row, as in lstmGatesForward. */
export function lstmGatesBackward(
  rows: i32,
  H: i32,
  j0: i32,
  j1: i32,
  g: usize,
  cp: usize,
  tc: usize,
  dh: usize,
  dc: usize,
  dg: usize,
): void {
  const hb = <usize>H << 2;
  const lo = <usize>j0 << 2;
  const hi = <usize>j1 << 2;
  const body = lo + (<usize>((j1 - j0) & ~3) << 2);
  for (let r = 0; r < rows; r++) {
    let j = lo;
    for (; j < body; j += 16) lstmBwdStep(g + j, hb, cp + j, tc + j, dh + j, dc + j, dg + j, true);
    for (; j < hi; j += 4) lstmBwdStep(g + j, hb, cp + j, tc + j, dh + j, dc + j, dg + j, false);
    g += hb << 2;
    dg += hb << 2;
    cp += hb;
    tc += hb;
    dh += hb;
    dc += hb;
  }
}

// @ts-ignore: decorator
@inline function gruFwdStep(xg: usize, hg: usize, hb: usize, hp: usize, h: usize, full: bool): void {
  const rg = vsigmoid(f32x4.add(ld(xg, full), ld(hg, full)));
  const zg = vsigmoid(f32x4.add(ld(xg + hb, full), ld(hg + hb, full)));
  const ng = vtanh(fma(rg, ld(hg + 2 * hb, full), ld(xg + 2 * hb, full)));
  st(xg, rg, full);
  st(xg + hb, zg, full);
  st(xg + 2 * hb, ng, full);
  // (1 - z) * n + z * hPrev
  st(h, fma(zg, ld(hp, full), f32x4.mul(f32x4.sub(one(), zg), ng)), full);
}

/**
 * See Kernels.gruGatesForward. Gate order r, z, n; reset applied after the matmul. Units
 * j0 <= j < j1 of every row, as in lstmGatesForward.
 */
export function gruGatesForward(
  rows: i32,
  H: i32,
  j0: i32,
  j1: i32,
  xg: usize,
  hg: usize,
  hp: usize,
  h: usize,
): void {
  const hb = <usize>H << 2;
  const lo = <usize>j0 << 2;
  const hi = <usize>j1 << 2;
  const body = lo + (<usize>((j1 - j0) & ~3) << 2);
  const row3 = hb * 3;
  for (let r = 0; r < rows; r++) {
    let j = lo;
    for (; j < body; j += 16) gruFwdStep(xg + j, hg + j, hb, hp + j, h + j, true);
    for (; j < hi; j += 4) gruFwdStep(xg + j, hg + j, hb, hp + j, h + j, false);
    xg += row3;
    hg += row3;
    hp += hb;
    h += hb;
  }
}

// @ts-ignore: decorator
@inline function gruBwdStep(
  xg: usize,
  hg: usize,
  hb: usize,
  hp: usize,
  dh: usize,
  dx: usize,
  dhg: usize,
  dhp: usize,
  full: bool,
): void {
  const rg = ld(xg, full);
  const zg = ld(xg + hb, full);
  const ng = ld(xg + 2 * hb, full);
  const hpv = ld(hp, full);
  const d = ld(dh, full);
  const dnPre = f32x4.mul(f32x4.mul(d, f32x4.sub(one(), zg)), f32x4.sub(one(), f32x4.mul(ng, ng)));
  const dzPre = f32x4.mul(f32x4.mul(d, f32x4.sub(hpv, ng)), f32x4.mul(zg, f32x4.sub(one(), zg)));
  const drPre = f32x4.mul(f32x4.mul(dnPre, ld(hg + 2 * hb, full)), f32x4.mul(rg, f32x4.sub(one(), rg)));
  st(dx, drPre, full);
  st(dx + hb, dzPre, full);
  st(dx + 2 * hb, dnPre, full);
  st(dhg, drPre, full);
  st(dhg + hb, dzPre, full);
  st(dhg + 2 * hb, f32x4.mul(dnPre, rg), full);
  st(dhp, f32x4.mul(d, zg), full);
}

/** See Kernels.gruGatesBackward. Units j0 <= j < j1 of every row, as in lstmGatesForward. */
export function gruGatesBackward(
  rows: i32,
  H: i32,
  j0: i32,
  j1: i32,
  xg: usize,
  hg: usize,
  hp: usize,
  dh: usize,
  dx: usize,
  dhg: usize,
  dhp: usize,
): void {
  const hb = <usize>H << 2;
  const lo = <usize>j0 << 2;
  const hi = <usize>j1 << 2;
  const body = lo + (<usize>((j1 - j0) & ~3) << 2);
  const row3 = hb * 3;
  for (let r = 0; r < rows; r++) {
    let j = lo;
    for (; j < body; j += 16) gruBwdStep(xg + j, hg + j, hb, hp + j, dh + j, dx + j, dhg + j, dhp + j, true);
    for (; j < hi; j += 4) gruBwdStep(xg + j, hg + j, hb, hp + j, dh + j, dx + j, dhg + j, dhp + j, false);
    xg += row3;
    hg += row3;
    dx += row3;
    dhg += row3;
    hp += hb;
    dh += hb;
    dhp += hb;
  }
}
