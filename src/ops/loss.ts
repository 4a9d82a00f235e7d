import { isGradEnabled } from '../autograd/grad-mode.js';
import { record1 } from '../autograd/record.js';
import { kernels } from '../kernels/registry.js';
import { allocOut, type FloatArray, Tensor } from '../tensor/tensor.js';
import { ConfigError, DataError, fmtShape, ShapeError } from '../util/errors.js';
import { broadcastShapes, numel, sameShape } from '../util/shape.js';
import { broadcastIndex, checkSameDType, checkTensor } from './_util.js';
import { fmtPosition, type IndexInput, toIndices } from './embedding.js';

/** How per-element losses are combined, as PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

function checkReduction(r: unknown, op: string): Reduction {
  if (r === undefined) return 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') {
    throw new ConfigError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(r)}`);
  }
  return r;
}

/** A constant (non-differentiable) tensor option: refuse one that expects a gradient. */
function checkConstant(t: Tensor, op: string, arg: string): void {
  checkTensor(t, op, arg);
  if (t.requiresGrad && isGradEnabled()) {
    throw new ConfigError(`${op}: no gradient flows to ${arg}; pass ${arg}.detach() (it requires grad)`);
  }
}

function scalar(v: number, like: Tensor): Tensor {
  const d = allocOut(1, like.dtype);
  d[0] = v;
  return new Tensor(d, []);
}

export interface CrossEntropyOptions {
  /** Targets equal to this class index contribute nothing (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** Default 'mean': the (weighted) mean over the targets that are not ignored. */
  reduction?: Reduction;
  /** A weight per class, [C] (a constant: no gradient flows to it). */
  weight?: Tensor | readonly number[] | Float32Array | Float64Array;
  /** ε in [0, 1]: the target distribution becomes (1 - ε)·onehot + ε/C. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of class scores `logits` [..., C] against class indices `targets` [...]
 * (an Int32Array, number[], Tensor, or one number for logits [C]), as `F.cross_entropy`:
 *
 *   lse_r  = max_r + log Σ_c exp(x_rc - max_r)              (log-sum-exp, never overflows)
 *   loss_r = (1-ε) w_t (lse_r - x_rt) + (ε/C) Σ_c w_c (lse_r - x_rc),   t = targets[r]
 *
 * 'mean' divides the sum by Σ_r w_{t_r} over the rows that are not ignored (the count when there
 * are no weights); when every target is ignored that is 0/0 = NaN, as in PyTorch. 'none' gives
 * shape [...] with 0 at ignored rows. One fused node; its backward is
 *   dx_rc = s_r [((1-ε) w_t + (ε/C) Σ_k w_k) p_rc - (1-ε) w_t δ_ct - (ε/C) w_c].
 *
 * Deviation from PyTorch: the class axis is the last one (PyTorch uses axis 1 for inputs of rank
 * above 2), which is what a sequence model's [T, B, C] output needs. Soft (probability) targets
 * are not supported.
 */
export function crossEntropy(
  logitsIn: Tensor,
  targetsIn: IndexInput | number,
  options: CrossEntropyOptions = {},
): Tensor {
  const op = 'crossEntropy';
  const x = checkTensor(logitsIn, op, 'logits');
  if (x.rank < 1)
    throw new ShapeError(`${op}: logits must be [..., C] (rank >= 1), got shape ${fmtShape(x.shape)}`);
  const C = x.shape[x.rank - 1];
  const rowShape = x.shape.slice(0, -1);
  const N = numel(rowShape);
  const reduction = checkReduction(options.reduction, op);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex))
    throw new ConfigError(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  const eps = options.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new ConfigError(`${op}: labelSmoothing must be a number in [0, 1], got ${eps}`);
  }
  let w: Float64Array | null = null;
  if (options.weight !== undefined) {
    const wIn = options.weight;
    if (wIn instanceof Tensor) checkConstant(wIn, op, 'weight');
    const wv: ArrayLike<number> = wIn instanceof Tensor ? wIn.data : wIn;
    if ((wIn instanceof Tensor && wIn.rank !== 1) || wv.length !== C) {
      const got = wIn instanceof Tensor ? fmtShape(wIn.shape) : `${wv.length} values`;
      throw new ShapeError(`${op}: weight must have one value per class, [${C}], got ${got}`);
    }
    w = Float64Array.from(wv);
  }

  const tIn: IndexInput = typeof targetsIn === 'number' ? [targetsIn] : targetsIn;
  const { ids: t, shape: tShape } = toIndices(tIn, op, 'targets');
  if ((tShape !== null && !sameShape(tShape, rowShape)) || t.length !== N) {
    const got = tShape !== null ? `shape ${fmtShape(tShape)}` : `${t.length} values`;
    throw new ShapeError(
      `${op}: targets must have shape ${fmtShape(rowShape)} (the logits shape ${fmtShape(x.shape)} without the class axis), got ${got}`,
    );
  }
  for (let r = 0; r < N; r++) {
    const c = t[r];
    if (c !== ignoreIndex && (c < 0 || c >= C)) {
      const where = rowShape.length > 1 ? ` (position ${fmtPosition(r, rowShape)})` : '';
      throw new DataError(
        `${op}: targets[${r}]${where} is ${c}, expected a class in [0, ${C}) or ignoreIndex ${ignoreIndex}`,
      );
    }
  }

  // Forward: lse per row from one backend exp over the shifted logits.
  const xd = x.data;
  const buf = allocOut(N * C, x.dtype);
  const lse = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    const b = r * C;
    let m = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < C; c++) if (xd[b + c] > m) m = xd[b + c];
    lse[r] = m;
    for (let c = 0; c < C; c++) buf[b + c] = xd[b + c] - m;
  }
  kernels().unary('exp', N * C, buf, 0, buf, 0);
  const sumW = w ? w.reduce((p, q) => p + q, 0) : C;
  const rowLoss = new Float64Array(N);
  let total = 0;
  let denom = 0;
  for (let r = 0; r < N; r++) {
    if (t[r] === ignoreIndex) continue;
    const b = r * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += buf[b + c];
    const l = lse[r] + Math.log(s);
    lse[r] = l;
    const wt = w ? w[t[r]] : 1;
    let loss = (1 - eps) * wt * (l - xd[b + t[r]]);
    if (eps > 0) {
      let dot = 0;
      if (w) for (let c = 0; c < C; c++) dot += w[c] * xd[b + c];
      else for (let c = 0; c < C; c++) dot += xd[b + c];
      loss += (eps / C) * (sumW * l - dot);
    }
    rowLoss[r] = loss;
    total += loss;
    denom += wt;
  }
  let y: Tensor;
  if (reduction === 'none') {
    const d = allocOut(N, x.dtype);
    d.set(rowLoss);
    y = new Tensor(d, rowShape);
  } else {
    y = scalar(reduction === 'sum' ? total : total / denom, x);
  }

  return record1(op, [x], y, (g) => {
    const gd = g.data;
    const dx = allocOut(N * C, x.dtype);
    for (let r = 0; r < N; r++) {
      if (t[r] === ignoreIndex) continue;
      const b = r * C;
      for (let c = 0; c < C; c++) dx[b + c] = xd[b + c] - lse[r];
    }
    kernels().unary('exp', N * C, dx, 0, dx, 0);
    for (let r = 0; r < N; r++) {
      const b = r * C;
      if (t[r] === ignoreIndex) {
        dx.fill(0, b, b + C);
        continue;
      }
      const s = reduction === 'none' ? gd[r] : reduction === 'sum' ? gd[0] : gd[0] / denom;
      const wt = w ? w[t[r]] : 1;
      const a = s * ((1 - eps) * wt + (eps / C) * sumW);
      for (let c = 0; c < C; c++) dx[b + c] *= a;
      dx[b + t[r]] -= s * (1 - eps) * wt;
      if (eps > 0) {
        const k = (s * eps) / C;
        if (w) for (let c = 0; c < C; c++) dx[b + c] -= k * w[c];
        else for (let c = 0; c < C; c++) dx[b + c] -= k;
      }
    }
    return [new Tensor(dx, x.shape)];
  });
}

function reduceLoss(l: FloatArray, like: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return new Tensor(l, like.shape);
  let s = 0;
  for (let i = 0; i < l.length; i++) s += l[i];
  return scalar(reduction === 'sum' ? s : s / l.length, like);
}

/** Scale of d(loss)/d(element i) from the output gradient: per element for 'none'. */
function elemScale(g: FloatArray, reduction: Reduction, n: number): (i: number) => number {
  if (reduction === 'none') return (i) => g[i];
  const s = reduction === 'sum' ? g[0] : g[0] / n;
  return () => s;
}

function checkPair(op: string, a: Tensor, b: Tensor, an: string, bn: string): void {
  checkTensor(a, op, an);
  checkTensor(b, op, bn);
  checkSameDType(op, [an, a], [bn, b]);
  if (!sameShape(a.shape, b.shape)) {
    throw new ShapeError(
      `${op}: ${bn} must have the shape of ${an}, ${fmtShape(a.shape)}, got ${fmtShape(b.shape)}`,
    );
  }
}

export interface LossOptions {
  /** Default 'mean' (the mean of an empty tensor is NaN, as in PyTorch). */
  reduction?: Reduction;
}

/**
 * Mean squared error (pred - target)², reduced as `F.mse_loss`. Both inputs get gradients.
 * Deviation from PyTorch: the shapes must be equal (PyTorch broadcasts with a warning).
 */
export function mse(pred: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = 'mse';
  checkPair(op, pred, target, 'pred', 'target');
  const reduction = checkReduction(options.reduction, op);
  const n = pred.size;
  const pd = pred.data;
  const td = target.data;
  const l = allocOut(n, pred.dtype);
  for (let i = 0; i < n; i++) l[i] = (pd[i] - td[i]) * (pd[i] - td[i]);
  const y = reduceLoss(l, pred, reduction);
  return record1(op, [pred, target], y, (g) => {
    const sc = elemScale(g.data, reduction, n);
    const dp = allocOut(n, pred.dtype);
    for (let i = 0; i < n; i++) dp[i] = 2 * (pd[i] - td[i]) * sc(i);
    let dt: Tensor | null = null;
    if (target.requiresGrad) {
      const d = allocOut(n, pred.dtype);
      for (let i = 0; i < n; i++) d[i] = -dp[i];
      dt = new Tensor(d, target.shape);
    }
    return [pred.requiresGrad ? new Tensor(dp, pred.shape) : null, dt];
  });
}

export interface BCEWithLogitsOptions extends LossOptions {
  /** Per-element weight, broadcast to the logits shape (a constant). */
  weight?: Tensor;
  /** Weight of the positive term, broadcast to the logits shape, usually [C] (a constant). */
  posWeight?: Tensor;
}

/** log(1 + exp(v)) without overflow: max(v, 0) + log1p(exp(-|v|)). */
function softplus(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

/**
 * Binary cross-entropy on logits, as `F.binary_cross_entropy_with_logits`:
 *   loss = w [pw·y·softplus(-x) + (1 - y)·softplus(x)]   (= -w [pw·y·log σ(x) + (1-y) log(1-σ(x))])
 * computed without forming σ(x), so large |x| stays finite. Gradients flow to logits and targets.
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  targets: Tensor,
  options: BCEWithLogitsOptions = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  checkPair(op, logits, targets, 'logits', 'targets');
  const reduction = checkReduction(options.reduction, op);
  const n = logits.size;
  const expand = (t: Tensor | undefined, arg: string): ((i: number) => number) => {
    if (t === undefined) return () => 1;
    checkConstant(t, op, arg);
    const s = broadcastShapes(logits.shape, t.shape, op);
    if (!sameShape(s, logits.shape)) {
      throw new ShapeError(
        `${op}: ${arg} ${fmtShape(t.shape)} must broadcast to the logits shape ${fmtShape(logits.shape)}`,
      );
    }
    const d = t.data;
    if (t.size === n) return (i) => d[i];
    const map = broadcastIndex(logits.shape, t.shape);
    return (i) => d[map[i]];
  };
  const wf = expand(options.weight, 'weight');
  const pwf = expand(options.posWeight, 'posWeight');
  const xd = logits.data;
  const yd = targets.data;
  const l = allocOut(n, logits.dtype);
  for (let i = 0; i < n; i++)
    l[i] = wf(i) * (pwf(i) * yd[i] * softplus(-xd[i]) + (1 - yd[i]) * softplus(xd[i]));
  const out = reduceLoss(l, logits, reduction);
  return record1(op, [logits, targets], out, (g) => {
    const sc = elemScale(g.data, reduction, n);
    let dx: Tensor | null = null;
    let dy: Tensor | null = null;
    if (logits.requiresGrad) {
      const d = allocOut(n, logits.dtype);
      for (let i = 0; i < n; i++) {
        // σ(x) and 1 - σ(x) = σ(-x), each from exp(-|x|) so neither cancels.
        const e = Math.exp(-Math.abs(xd[i]));
        const big = 1 / (1 + e);
        const small = e / (1 + e);
        const sig = xd[i] >= 0 ? big : small;
        const sigNeg = xd[i] >= 0 ? small : big;
        d[i] = sc(i) * wf(i) * ((1 - yd[i]) * sig - pwf(i) * yd[i] * sigNeg);
      }
      dx = new Tensor(d, logits.shape);
    }
    if (targets.requiresGrad) {
      const d = allocOut(n, logits.dtype);
      for (let i = 0; i < n; i++) d[i] = sc(i) * wf(i) * (pwf(i) * softplus(-xd[i]) - softplus(xd[i]));
      dy = new Tensor(d, targets.shape);
    }
    return [dx, dy];
  });
}
