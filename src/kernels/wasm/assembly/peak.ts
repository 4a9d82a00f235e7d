// The arithmetic peak of this module's multiply-add on the running CPU, for the kernel benchmark
// to put the GEMM's GFLOP/s against (bench/kernels.ts): 12 independent accumulator chains, no
// memory traffic, so only the FMA units (or the multiply and add units of the plain build) and
// their latency bound it. 12 chains cover a latency of 6 cycles at two operations per cycle.

import { fma } from './simd';

/** Runs `iters` steps of 12 vector multiply-adds (96 float operations each); returns a lane sum. */
export function fmaPeak(iters: i32): f32 {
  const x = f32x4.splat(0.999999);
  const y = f32x4.splat(0.000001);
  let a0 = f32x4.splat(0.0), a1 = f32x4.splat(0.1), a2 = f32x4.splat(0.2), a3 = f32x4.splat(0.3);
  let a4 = f32x4.splat(0.4), a5 = f32x4.splat(0.5), a6 = f32x4.splat(0.6), a7 = f32x4.splat(0.7);
  let a8 = f32x4.splat(0.8), a9 = f32x4.splat(0.9), a10 = f32x4.splat(1.0), a11 = f32x4.splat(1.1);
  for (let i = 0; i < iters; i++) {
    a0 = fma(a0, x, y);
    a1 = fma(a1, x, y);
    a2 = fma(a2, x, y);
    a3 = fma(a3, x, y);
    a4 = fma(a4, x, y);
    a5 = fma(a5, x, y);
    a6 = fma(a6, x, y);
    a7 = fma(a7, x, y);
    a8 = fma(a8, x, y);
    a9 = fma(a9, x, y);
    a10 = fma(a10, x, y);
    a11 = fma(a11, x, y);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))), 0);
}
