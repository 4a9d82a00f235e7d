import type { FloatArray, Tensor } from '../../tensor/tensor.js';
import {
  type BaseOptions,
  isBoolean,
  numberIn,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type Params,
  stateBuffer,
} from './optimizer.js';

export interface AdagradOptions extends BaseOptions {
  /** The step size decays as `lr / (1 + (t - 1) * lrDecay)`. */
  lrDecay: number;
  /** L2 penalty added to the gradient. */
  weightDecay: number;
  /** Starting value of the sum of squared gradients. */
  initialAccumulatorValue: number;
  eps: number;
}

/** PyTorch's defaults (torch.optim.Adagrad). */
export const ADAGRAD_DEFAULTS: AdagradOptions = {
  lr: 1e-2,
  lrDecay: 0,
  weightDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  maximize: false,
};

/**
 * Adagrad (Duchi et al., 2011) with PyTorch's rule (torch/optim/adagrad.py), t counting from 1:
 *
 * ```
 * g = grad + weightDecay * p                  (-grad first when maximize)
 * clr = lr / (1 + (t - 1) * lrDecay)
 * sum = sum + g^2                             (sum starts at initialAccumulatorValue)
 * p = p - clr * g / (sqrt(sum) + eps)
 * ```
 *
 * State buffer: `sum`. PyTorch creates it for every parameter in the constructor; here it appears
 * on a parameter's first step, which gives the same numbers.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(
      'Adagrad',
      params,
      ADAGRAD_DEFAULTS,
      options,
      {
        lr: numberIn(0),
        lrDecay: numberIn(0),
        weightDecay: numberIn(0),
        initialAccumulatorValue: numberIn(0),
        eps: numberIn(0),
        maximize: isBoolean,
      },
      ['sum'],
    );
  }

  protected update(p: Tensor, g: FloatArray, s: ParamState, group: ParamGroup<AdagradOptions>): void {
    const { lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize } = group;
    const pd = p.data;
    const sum = stateBuffer(p, s, 'sum', initialAccumulatorValue);
    const clr = lr / (1 + (s.step - 1) * lrDecay);
    const sign = maximize ? -1 : 1;
    const n = pd.length;
    for (let i = 0; i < n; i++) {
      const pi = pd[i];
      let gi = sign * g[i];
      if (weightDecay !== 0) gi += weightDecay * pi;
      sum[i] += gi * gi;
      pd[i] = pi + (-clr * gi) / (Math.sqrt(sum[i]) + eps);
    }
  }
}
