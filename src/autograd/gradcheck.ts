import { Tensor } from '../tensor/tensor.js';
import { DTypeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { backwardMany } from './backward.js';
import { noGrad } from './grad-mode.js';

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  /** Passes when |analytic - numeric| <= atol + rtol * |numeric| for every element. */
  atol?: number;
  rtol?: number;
  /** Seed of the fixed random projection that turns the outputs into one scalar. */
  seed?: number;
}

export interface GradcheckReport {
  ok: boolean;
  /** Largest |analytic - numeric| over all checked elements. */
  maxAbsError: number;
  /** The element with the largest error relative to the tolerance. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
  checked: number;
}

/**
 * Checks the gradients of `fn` against central finite differences, in float64.
 *
 * The outputs are reduced to one scalar with a fixed random projection, s = Σ_k <out_k, R_k>, so
 * that every output element contributes; the analytic gradient is one backward pass seeded with R,
 * the numeric one is (s(x + eps) - s(x - eps)) / 2eps per input element. Inputs not requiring a
 * gradient are held fixed. Returns a report naming the worst element (use `.ok` in tests).
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor | Tensor[],
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-6;
  const rtol = options.rtol ?? 1e-4;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].dtype !== 'float64') {
      throw new DTypeError(
        `gradcheck: input ${i} must be float64 for finite differences, got ${inputs[i].dtype}`,
      );
    }
  }
  const asList = (o: Tensor | Tensor[]): Tensor[] => (Array.isArray(o) ? o : [o]);
  const rng = new Rng(options.seed ?? 1234);
  const outs = asList(fn(...inputs));
  const proj = outs.map((o) => {
    const r = new Float64Array(o.size);
    for (let i = 0; i < r.length; i++) r[i] = rng.uniform() * 2 - 1;
    return new Tensor(r, o.shape);
  });
  const scalar = (): number =>
    noGrad(() => {
      const o = asList(fn(...inputs));
      let s = 0;
      for (let k = 0; k < o.length; k++) {
        const d = o[k].data;
        const r = proj[k].data;
        for (let i = 0; i < d.length; i++) s += d[i] * r[i];
      }
      return s;
    });
  for (const t of inputs) t.grad = null;
  const roots: Tensor[] = [];
  const seeds: Tensor[] = [];
  outs.forEach((o, k) => {
    if (o.requiresGrad) {
      roots.push(o);
      seeds.push(proj[k]);
    }
  });
  if (roots.length > 0) backwardMany(roots, seeds);

  let maxAbs = 0;
  let worstScore = -1;
  let worst: GradcheckReport['worst'] = null;
  let checked = 0;
  let ok = true;
  inputs.forEach((t, ii) => {
    if (!t.requiresGrad) return;
    const analytic = t.grad?.data;
    for (let j = 0; j < t.size; j++) {
      const orig = t.data[j];
      t.data[j] = orig + eps;
      t.markChanged();
      const sp = scalar();
      t.data[j] = orig - eps;
      t.markChanged();
      const sm = scalar();
      t.data[j] = orig;
      t.markChanged();
      const numeric = (sp - sm) / (2 * eps);
      const a = analytic ? analytic[j] : 0;
      const err = Math.abs(a - numeric);
      const score = err / (atol + rtol * Math.abs(numeric));
      checked++;
      maxAbs = Math.max(maxAbs, err);
      if (score > worstScore) {
        worstScore = score;
        worst = { input: ii, index: j, analytic: a, numeric };
      }
      if (!(score <= 1)) ok = false;
    }
  });
  return { ok, maxAbsError: maxAbs, worst, checked };
}
