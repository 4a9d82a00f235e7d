import { kernels } from '../../kernels/registry.js';
import type { AdamEntry } from '../../kernels/types.js';
import type { FloatArray, Tensor } from '../../tensor/tensor.js';
import { ConfigError } from '../../util/errors.js';
import {
  type BaseOptions,
  isBoolean,
  numberIn,
  Optimizer,
  type OptionCheck,
  type ParamGroup,
  type ParamState,
  type Params,
  type ParamUpdate,
  residentCopy,
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
 * The Adam/AdamW step of a list of parameters, following torch/optim/adam.py `_single_tensor_adam`
 * (t counts from 1; the element formulas are in `Kernels.adamStep`):
 *
 * ```
 * p = p * (1 - lr * wd)                      (AdamW only: decoupled decay)
 * g = grad + wd * p                          (Adam only: L2 penalty; -grad first when maximize)
 * m = lerp(m, g, 1 - beta1)                  (= beta1 * m + (1 - beta1) * g)
 * v = beta2 * v + (1 - beta2) * g^2
 * vmax = max(vmax, v)                        (amsgrad: use vmax in place of v below)
 * p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * ```
 *
 * One kernel call for all parameters. On the wasm backend the float32 parameters and their
 * moment buffers move into the wasm memory on their first step (`residentCopy`; `p.data` is
 * replaced by a copy there), so the update, and the forward products with these weights, use
 * them in place; only the gradients are copied in.
 */
function adamStepAll(batch: readonly ParamUpdate<AdamOptions>[], decoupled: boolean): void {
  const K = kernels();
  const entries: AdamEntry[] = batch.map(({ p, g, s, group }) => {
    p.data = residentCopy(K, p.data);
    const buf = (name: string) => (s.buffers[name] = residentCopy(K, stateBuffer(p, s, name)));
    const m = buf('expAvg');
    const v = buf('expAvgSq');
    const vmax = group.amsgrad ? buf('maxExpAvgSq') : null;
    const t = s.step;
    const [beta1, beta2] = group.betas;
    const { lr, weightDecay } = group;
    return {
      p: p.data,
      g,
      m,
      v,
      vmax,
      stepSize: lr / (1 - beta1 ** t),
      bc2Sqrt: Math.sqrt(1 - beta2 ** t),
      beta1,
      beta2,
      eps: group.eps,
      decay: decoupled ? 1 - lr * weightDecay : 1,
      l2: decoupled ? 0 : weightDecay,
      sign: group.maximize ? -1 : 1,
    };
  });
  K.adamStep(entries);
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
    adamStepAll([{ p, g, rows: null, s, group, index: 0 }], false);
  }

  protected override updateMany(batch: readonly ParamUpdate<AdamOptions>[]): void {
    adamStepAll(batch, false);
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
    adamStepAll([{ p, g, rows: null, s, group, index: 0 }], true);
  }

  protected override updateMany(batch: readonly ParamUpdate<AdamOptions>[]): void {
    adamStepAll(batch, true);
  }
}
