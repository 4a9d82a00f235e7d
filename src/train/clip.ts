import { liveRanges } from '../tensor/sparse-rows.js';
import { type FloatArray, Tensor } from '../tensor/tensor.js';
import { ConfigError, NumericError } from '../util/errors.js';

export interface ClipGradNormOptions {
  /** Throw a NumericError when the total norm is NaN or infinite (PyTorch's `error_if_nonfinite`). */
  errorIfNonfinite?: boolean;
}

/** The gradients of `params` with the element ranges that may be nonzero (sparse-rows.ts). */
function gradsOf(params: Iterable<Tensor>, where: string): { d: FloatArray; ranges: [number, number][] }[] {
  const out: { d: FloatArray; ranges: [number, number][] }[] = [];
  let i = 0;
  for (const p of params) {
    if (!(p instanceof Tensor)) throw new ConfigError(`${where}: params[${i}] is not a Tensor`);
    if (p.grad) out.push({ d: p.grad.data, ranges: liveRanges(p.grad) });
    i++;
  }
  return out;
}

/**
 * Scales all gradients together so that their joint norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`: `total = ||(||g_1||, ..., ||g_n||)||_p` over every parameter
 * with a gradient (the p-norm of all gradient values at once), then every gradient is multiplied
 * by `min(1, maxNorm / (total + 1e-6))`. Returns the total norm before clipping (0 when no
 * parameter has a gradient). `normType` is any p > 0 or `Infinity` (max |g|). Sums run in float64.
 */
export function clipGradNorm(
  params: Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  const where = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) {
    throw new ConfigError(`${where}: maxNorm must be a number >= 0, got ${JSON.stringify(maxNorm)}`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ConfigError(
      `${where}: normType must be a number > 0 or Infinity, got ${JSON.stringify(normType)}`,
    );
  }
  const grads = gradsOf(params, where);
  if (grads.length === 0) return 0;
  let total: number;
  if (normType === Number.POSITIVE_INFINITY) {
    total = 0;
    for (const { d, ranges } of grads) {
      for (const [s, e] of ranges) {
        for (let i = s; i < e; i++) {
          const a = Math.abs(d[i]);
          if (a > total || Number.isNaN(a)) total = a;
          if (Number.isNaN(total)) break;
        }
      }
    }
  } else {
    let acc = 0;
    for (const { d, ranges } of grads) {
      for (const [s, e] of ranges) {
        if (normType === 2) for (let i = s; i < e; i++) acc += d[i] * d[i];
        else if (normType === 1) for (let i = s; i < e; i++) acc += Math.abs(d[i]);
        else for (let i = s; i < e; i++) acc += Math.abs(d[i]) ** normType;
      }
    }
    total = normType === 2 ? Math.sqrt(acc) : normType === 1 ? acc : acc ** (1 / normType);
  }
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new NumericError(
      `${where}: the total norm of order ${normType} of the gradients is ${total}; clipping would make them NaN (pass errorIfNonfinite: false to allow)`,
    );
  }
  const coef = maxNorm / (total + 1e-6);
  // PyTorch multiplies by min(coef, 1) always; a factor of exactly 1 changes nothing, so skip it.
  // Rows outside a sparse gradient's live ranges stay 0, as PyTorch scales only a sparse
  // gradient's stored values.
  if (!(coef >= 1))
    for (const { d, ranges } of grads) for (const [s, e] of ranges) for (let i = s; i < e; i++) d[i] *= coef;
  return total;
}

/** Clamps every gradient value to `[-clipValue, clipValue]`, as `torch.nn.utils.clip_grad_value_`. */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  const where = 'clipGradValue';
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new ConfigError(`${where}: clipValue must be a number >= 0, got ${JSON.stringify(clipValue)}`);
  }
  for (const { d, ranges } of gradsOf(params, where)) {
    for (const [s, e] of ranges) {
      for (let i = s; i < e; i++) {
        const v = d[i];
        if (v > clipValue) d[i] = clipValue;
        else if (v < -clipValue) d[i] = -clipValue;
      }
    }
  }
}
