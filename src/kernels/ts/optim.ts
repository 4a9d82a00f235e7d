import type { AdamEntry } from '../types.js';

/** PyTorch's `lerp` (aten/src/ATen/native/Lerp.h): the form used depends on the weight, for accuracy. */
export function lerp(a: number, b: number, w: number): number {
  return w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/**
 * `Kernels.adamStep` in TypeScript: per element, in the order of torch/optim/adam.py
 * `_single_tensor_adam` (intermediates in float64, each buffer rounded to its dtype on store).
 */
export function adamStepTs(entries: readonly AdamEntry[]): void {
  for (const e of entries) {
    const { p, g, m, v, vmax, stepSize, bc2Sqrt, beta1, beta2, eps, decay, l2, sign } = e;
    const w1 = 1 - beta1;
    const w2 = 1 - beta2;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const pi = p[i] * decay;
      let gi = sign * g[i];
      if (l2 !== 0) gi += l2 * pi;
      m[i] = lerp(m[i], gi, w1);
      v[i] = v[i] * beta2 + w2 * gi * gi;
      let vi = v[i];
      if (vmax) vi = vmax[i] = Math.max(vmax[i], vi);
      const denom = Math.sqrt(vi) / bc2Sqrt + eps;
      p[i] = pi + (-stepSize * m[i]) / denom;
    }
  }
}
