// The Adam / AdamW update over many parameters in one call (src/train/optim/adam.ts).
//
// `table` holds `count` entries of 16 words (64 bytes) each, written by the TypeScript side:
//   i32  p, g, m, v, vmax (0: no amsgrad), n        byte addresses and the element count
//   f32  stepSize, bc2Sqrt, beta1, beta2, w1, w2, eps, decay, l2, sign
// where stepSize = lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t), w1 = 1 - beta1,
// w2 = 1 - beta2, decay = 1 - lr * weightDecay for AdamW (else 1), l2 = weightDecay for Adam
// (else 0), sign = -1 to maximize. Per element, in float32 and in the order of PyTorch's
// `_single_tensor_adam`:
//   p = p * decay;  g = sign * g + l2 * p
//   m = lerp(m, g, w1);  v = v * beta2 + w2 * g * g;  vmax = max(vmax, v)
//   p = p + (-stepSize) * (m / (sqrt(v or vmax) / bc2Sqrt + eps))
// Plain multiplies and adds (no FMA), so both builds round alike.

// @ts-ignore: decorator
@inline function lerpV(a: v128, b: v128, w: f32): v128 {
  // PyTorch's lerp: a + w (b - a) for w < 0.5, else b - (b - a)(1 - w)
  const d = f32x4.sub(b, a);
  if (w < 0.5) return f32x4.add(a, f32x4.mul(f32x4.splat(w), d));
  return f32x4.sub(b, f32x4.mul(d, f32x4.splat(<f32>1.0 - w)));
}

// @ts-ignore: decorator
@inline function lerpS(a: f32, b: f32, w: f32): f32 {
  const d = b - a;
  if (w < 0.5) return a + w * d;
  return b - d * (<f32>1.0 - w);
}

function adamOne(e: usize): void {
  const p = <usize>load<i32>(e);
  const g = <usize>load<i32>(e, 4);
  const m = <usize>load<i32>(e, 8);
  const v = <usize>load<i32>(e, 12);
  const vmax = <usize>load<i32>(e, 16);
  const n = load<i32>(e, 20);
  const stepSize = load<f32>(e, 24);
  const bc2Sqrt = load<f32>(e, 28);
  const beta2 = load<f32>(e, 36);
  const w1 = load<f32>(e, 40);
  const w2 = load<f32>(e, 44);
  const eps = load<f32>(e, 48);
  const decay = load<f32>(e, 52);
  const l2 = load<f32>(e, 56);
  const sign = load<f32>(e, 60);
  const vDecay = f32x4.splat(decay);
  const vL2 = f32x4.splat(l2);
  const vSign = f32x4.splat(sign);
  const vBeta2 = f32x4.splat(beta2);
  const vW2 = f32x4.splat(w2);
  const vBc2 = f32x4.splat(bc2Sqrt);
  const vEps = f32x4.splat(eps);
  const vStep = f32x4.splat(-stepSize);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const pi = f32x4.mul(v128.load(p + o), vDecay);
    const gi = f32x4.add(f32x4.mul(vSign, v128.load(g + o)), f32x4.mul(vL2, pi));
    const mi = lerpV(v128.load(m + o), gi, w1);
    v128.store(m + o, mi);
    let vi = f32x4.add(f32x4.mul(v128.load(v + o), vBeta2), f32x4.mul(f32x4.mul(vW2, gi), gi));
    v128.store(v + o, vi);
    if (vmax) {
      vi = f32x4.max(v128.load(vmax + o), vi);
      v128.store(vmax + o, vi);
    }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), vBc2), vEps);
    v128.store(p + o, f32x4.add(pi, f32x4.mul(vStep, f32x4.div(mi, denom))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o) * decay;
    const gi = sign * load<f32>(g + o) + l2 * pi;
    const mi = lerpS(load<f32>(m + o), gi, w1);
    store<f32>(m + o, mi);
    let vi = load<f32>(v + o) * beta2 + w2 * gi * gi;
    store<f32>(v + o, vi);
    if (vmax) {
      vi = max(load<f32>(vmax + o), vi);
      store<f32>(vmax + o, vi);
    }
    const denom = sqrt<f32>(vi) / bc2Sqrt + eps;
    store<f32>(p + o, pi + -stepSize * (mi / denom));
  }
}

/** Applies the Adam update of every entry of `table` (see the file comment). */
export function adamMulti(table: usize, count: i32): void {
  for (let k = 0; k < count; k++) adamOne(table + (<usize>k << 6));
}
