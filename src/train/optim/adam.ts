import type { FloatArray, Tensor } from '../../tensor/tensor.js';
import { ConfigError } from '../../util/errors.js';
import {
  type BaseOptions,
  isBoolean,
  lerp,
  numberIn,
  Optimizer,
  type OptionCheck,
  type ParamGroup,
  type ParamState,
  type Params,
  stateBuffer,
} from './optimizer.js';

export interface AdamOptions extends BaseOptions {
  betas: [number, number];
  eps: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay `p *= 1 - lr * weightDecay`. */
  weightDecay: number;
  /** Use the maximum of all second-moment estimates so far (Reddi et al., 2018). */
  amsgrad: boolean;
}

/** PyTorch's defaults (torch.optim.Adam). */
export const ADAM_DEFAULTS: AdamOptions = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
};

const isBetas: OptionCheck = (v, where, name) => {
  if (!Array.isArray(v) || v.length !== 2) {
    throw new ConfigError(`${where}: ${name} must be [beta1, beta2], got ${JSON.stringify(v)}`);
  }
  v.forEach((b, i) => {
    numberIn(0, 1, false, true)(b, where, `${name}[${i}]`);
  });
};

export const ADAM_SPEC = {
  lr: numberIn(0),
  betas: isBetas,
  eps: numberIn(0),
  weightDecay: numberIn(0),
  amsgrad: isBoolean,
  maximize: isBoolean,
};

const ADAM_BUFFERS = ['expAvg', 'expAvgSq', 'maxExpAvgSq'];

/**
 * One fused Adam/AdamW step over a parameter, following torch/optim/adam.py `_single_tensor_adam`
 * (t counts from 1):
 *
 * ```
 * p = p * (1 - lr * wd)                      (AdamW only: decoupled decay)
 * g = grad + wd * p                          (Adam only: L2 penalty; -grad first when maximize)
 * m = lerp(m, g, 1 - beta1)                  (= beta1 * m + (1 - beta1) * g)
 * v = beta2 * v + (1 - beta2) * g^2
 * vmax = max(vmax, v)                        (amsgrad: use vmax in place of v below)
 * p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * ```
 */
function adamUpdate(p: Tensor, g: FloatArray, s: ParamState, group: AdamOptions, decoupled: boolean): void {
  const { lr, eps, weightDecay, maximize } = group;
  const pd = p.data;
  const m = stateBuffer(p, s, 'expAvg');
  const v = stateBuffer(p, s, 'expAvgSq');
  const vmax = group.amsgrad ? stateBuffer(p, s, 'maxExpAvgSq') : null;
  const t = s.step;
  const [beta1, beta2] = group.betas;
  const stepSize = lr / (1 - beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  const w1 = 1 - beta1;
  const w2 = 1 - beta2;
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  const l2 = decoupled ? 0 : weightDecay;
  const sign = maximize ? -1 : 1;
  const n = pd.length;
  for (let i = 0; i < n; i++) {
    const pi = pd[i] * decay;
    let gi = sign * g[i];
    if (l2 !== 0) gi += l2 * pi;
    m[i] = lerp(m[i], gi, w1);
    v[i] = v[i] * beta2 + w2 * gi * gi;
    let vi = v[i];
    if (vmax) vi = vmax[i] = Math.max(vmax[i], vi);
    const denom = Math.sqrt(vi) / bc2Sqrt + eps;
    pd[i] = pi + (-stepSize * m[i]) / denom;
  }
}

/**
 * Adam (Kingma and Ba, 2015) with PyTorch's update rule and defaults; `weightDecay` is the L2
 * penalty added to the gradient (use AdamW for decoupled decay). State buffers: `expAvg`,
 * `expAvgSq`, and `maxExpAvgSq` with amsgrad.
 *
 * `new Adam([{ params: encoder, lr: 1e-3 }, { params: head, weightDecay: 0 }], { weightDecay: 1e-5 })`
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('Adam', params, ADAM_DEFAULTS, options, ADAM_SPEC, ADAM_BUFFERS);
  }

  protected update(p: Tensor, g: FloatArray, s: ParamState, group: ParamGroup<AdamOptions>): void {
    adamUpdate(p, g, s, group, false);
  }
}

/** PyTorch's defaults (torch.optim.AdamW): as Adam, but weightDecay 1e-2. */
export const ADAMW_DEFAULTS: AdamOptions = { ...ADAM_DEFAULTS, weightDecay: 1e-2 };

/**
 * AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay, `p *= 1 - lr * weightDecay`
 * before the Adam step, as torch.optim.AdamW. Same buffers as Adam.
 */
export class AdamW extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('AdamW', params, ADAMW_DEFAULTS, options, ADAM_SPEC, ADAM_BUFFERS);
  }

  protected update(p: Tensor, g: FloatArray, s: ParamState, group: ParamGroup<AdamOptions>): void {
    adamUpdate(p, g, s, group, true);
  }
}
