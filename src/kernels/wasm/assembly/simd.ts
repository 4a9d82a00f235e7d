// Vector math for the wasm kernels: fused multiply-add and f32x4 exp / sigmoid / tanh.
//
// Everything here is @inline so the callers' loops see straight-line SIMD code. The same source
// is compiled twice (see scripts/build-wasm.mjs): with `--enable relaxed-simd` the constant
// ASC_FEATURE_RELAXED_SIMD is true and `fma` becomes one f32x4.relaxed_madd (an FMA instruction
// on x86 with FMA3); otherwise the dead branch is dropped at compile time and it is mul + add.
// relaxed_madd may round once or twice depending on the hardware, which is why it is "relaxed";
// both outcomes are within the tolerance the tests use.

/** a * b + c. */
// @ts-ignore: decorator
@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c - a * b. */
// @ts-ignore: decorator
@inline export function fnma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/** 1.5 * 2^23 and its bit pattern, for round-to-integer by addition (see expCore). */
// @ts-ignore: decorator
@inline const MAGIC: f32 = 12582912.0;
// @ts-ignore: decorator
@inline const MAGIC_BITS: i32 = 0x4b400000;

/** Largest argument whose exp is finite in float32 (ln FLT_MAX). */
// @ts-ignore: decorator
@inline const EXP_HI: f32 = 88.72283;
/** Below this exp rounds to 0 even as a float32 denormal. */
// @ts-ignore: decorator
@inline const EXP_LO: f32 = -104.0;

/**
 * exp for x already clamped to [EXP_LO, EXP_HI].
 *
 * Cephes `expf` scheme: n = round(x / ln 2), r = x - n ln 2 with ln 2 split in two parts so that
 * n * C1 is exact (Cody-Waite reduction), a degree-5 minimax polynomial for e^r on
 * [-ln2/2, ln2/2] (coefficients from Cephes expf.c, relative error ~1.2e-7), then a scale by 2^n
 * built directly in the exponent bits. 2^n is applied as two factors 2^(n>>1) * 2^(n-(n>>1)) so
 * that n in [-150, 128] (denormal results, and exp(88.7)) stays representable without branches.
 */
// @ts-ignore: decorator
@inline export function expCore(x: v128): v128 {
  // Round x/ln2 to an integer by adding 1.5 * 2^23: the sum's ulp is 1, so the FPU rounds to
  // nearest and the integer lands in the low mantissa bits (the classic "magic number" trick);
  // that is one add instead of f32x4.nearest plus a multi-instruction trunc_sat conversion.
  const t = fma(x, splat(1.44269504088896341), splat(MAGIC));
  const fx = f32x4.sub(t, splat(MAGIC));
  let r = fnma(fx, splat(0.693359375), x);
  r = fnma(fx, splat(-2.12194440e-4), r);
  let p = fma(splat(1.9875691500e-4), r, splat(1.3981999507e-3));
  p = fma(p, r, splat(8.3334519073e-3));
  p = fma(p, r, splat(4.1665795894e-2));
  p = fma(p, r, splat(1.6666665459e-1));
  p = fma(p, r, splat(5.0000001201e-1));
  const y = f32x4.add(fma(p, f32x4.mul(r, r), r), splat(1.0));
  // n = bits(t) - bits(MAGIC) is the integer; 2^n is built in the exponent field.
  const n = i32x4.sub(t, i32x4.splat(MAGIC_BITS));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}

/**
 * Full-range exp: +inf above ln FLT_MAX, 0 far below, NaN stays NaN. pmin/pmax (one minps/maxps
 * each) are used for the clamps with x as first operand, which returns x when it is NaN.
 */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  const xc = f32x4.pmax(f32x4.pmin(x, splat(EXP_HI)), splat(EXP_LO));
  const y = expCore(xc);
  return v128.bitselect(splat(Infinity), y, f32x4.gt(x, splat(EXP_HI)));
}

/**
 * Logistic function in the stable form used by the TypeScript kernels: with e = exp(-|x|) <= 1,
 * σ(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, so exp never overflows and tiny
 * results keep their relative accuracy.
 */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  // -|x|: set the sign bit (one OR instead of abs then neg).
  const nx = v128.or(x, f32x4.splat(-0.0));
  const e = expCore(f32x4.pmax(nx, splat(EXP_LO)));
  const d = f32x4.div(splat(1.0), f32x4.add(splat(1.0), e));
  return v128.bitselect(d, f32x4.mul(e, d), f32x4.ge(x, splat(0.0)));
}

/**
 * tanh with relative error ~2e-7 everywhere. For |x| < 0.625 an odd polynomial
 * x + x^3 P(x^2) (Cephes tanhf.c coefficients); above, 1 - 2 / (exp(2|x|) + 1) with the sign of
 * x copied back. The split matters: the exp form alone cancels catastrophically near 0
 * (1 - 2/(e+1) loses all digits as x -> 0), and the polynomial alone diverges for large |x|.
 */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = fma(splat(-5.70498872745e-3), z, splat(2.06390887954e-2));
  p = fma(p, z, splat(-5.37397155531e-2));
  p = fma(p, z, splat(1.33314422036e-1));
  p = fma(p, z, splat(-3.33332819422e-1));
  const small = fma(f32x4.mul(p, z), x, x);
  // 2|x| is clamped at 88 where tanh is already exactly 1 in float32.
  const e = expCore(f32x4.pmin(f32x4.add(ax, ax), splat(88.0)));
  const big = f32x4.sub(splat(1.0), f32x4.div(splat(2.0), f32x4.add(e, splat(1.0))));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(ax, splat(0.625)));
}

/** Scalar versions for loop tails: lane 0 of the vector code, so tails match the body exactly. */
// @ts-ignore: decorator
@inline export function sigmoid1(x: f32): f32 {
  return f32x4.extract_lane(vsigmoid(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline export function tanh1(x: f32): f32 {
  return f32x4.extract_lane(vtanh(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline export function exp1(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}
