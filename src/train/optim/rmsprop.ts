import { lerp } from '../../kernels/ts/optim.js';
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

export interface RMSpropOptions extends BaseOptions {
  /** Smoothing constant of the running average of squared gradients. */
  alpha: number;
  eps: number;
  /** L2 penalty added to the gradient. */
  weightDecay: number;
  momentum: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment. */
  centered: boolean;
}

/** PyTorch's defaults (torch.optim.RMSprop). */
export const RMSPROP_DEFAULTS: RMSpropOptions = {
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  weightDecay: 0,
  momentum: 0,
  centered: false,
  maximize: false,
};

/**
 * RMSprop (Hinton, Coursera lecture 6.5) with PyTorch's rule (torch/optim/rmsprop.py):
 *
 * ```
 * g = grad + weightDecay * p                  (-grad first when maximize)
 * sq = alpha * sq + (1 - alpha) * g^2
 * avg = sqrt(sq) + eps                        (not centered)
 * ga = lerp(ga, g, 1 - alpha);  avg = sqrt(sq - ga^2) + eps      (centered)
 * buf = momentum * buf + g / avg;  p = p - lr * buf              (momentum > 0)
 * p = p - lr * g / avg                                           (momentum = 0)
 * ```
 *
 * Note eps is added after the square root (TensorFlow adds it inside). State buffers:
 * `squareAvg`, `momentumBuffer` (momentum > 0), `gradAvg` (centered).
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(
      'RMSprop',
      params,
      RMSPROP_DEFAULTS,
      options,
      {
        lr: numberIn(0),
        alpha: numberIn(0),
        eps: numberIn(0),
        weightDecay: numberIn(0),
        momentum: numberIn(0),
        centered: isBoolean,
        maximize: isBoolean,
      },
      ['squareAvg', 'momentumBuffer', 'gradAvg'],
    );
  }

  protected update(p: Tensor, g: FloatArray, s: ParamState, group: ParamGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    const pd = p.data;
    const sq = stateBuffer(p, s, 'squareAvg');
    const ga = centered ? stateBuffer(p, s, 'gradAvg') : null;
    const buf = momentum > 0 ? stateBuffer(p, s, 'momentumBuffer') : null;
    const w = 1 - alpha;
    const sign = maximize ? -1 : 1;
    const n = pd.length;
    for (let i = 0; i < n; i++) {
      const pi = pd[i];
      let gi = sign * g[i];
      if (weightDecay !== 0) gi += weightDecay * pi;
      sq[i] = sq[i] * alpha + w * gi * gi;
      let avg: number;
      if (ga) {
        ga[i] = lerp(ga[i], gi, w);
        avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + eps;
      } else {
        avg = Math.sqrt(sq[i]) + eps;
      }
      if (buf) {
        buf[i] = buf[i] * momentum + gi / avg;
        pd[i] = pi - lr * buf[i];
      } else {
        pd[i] = pi + (-lr * gi) / avg;
      }
    }
  }
}
