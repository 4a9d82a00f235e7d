import { rowRuns } from '../../tensor/sparse-rows.js';
import type { FloatArray, Tensor } from '../../tensor/tensor.js';
import { ConfigError } from '../../util/errors.js';
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

export interface SGDOptions extends BaseOptions {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  /** L2 penalty added to the gradient: `g + weightDecay * p`. */
  weightDecay: number;
}

/** PyTorch's defaults (torch.optim.SGD, lr default 1e-3 since PyTorch 2.2). */
export const SGD_DEFAULTS: SGDOptions = {
  lr: 1e-3,
  momentum: 0,
  dampening: 0,
  nesterov: false,
  weightDecay: 0,
  maximize: false,
};

/**
 * Stochastic gradient descent with momentum, PyTorch's rule exactly (torch/optim/sgd.py):
 *
 * ```
 * g = grad (+ weightDecay * p)                      (-grad when maximize)
 * buf = g                                            on the first step with momentum
 * buf = momentum * buf + (1 - dampening) * g         afterwards
 * g = nesterov ? g + momentum * buf : buf            (when momentum != 0)
 * p = p - lr * g
 * ```
 *
 * `new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })`. State buffer: `momentumBuffer`.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(
      'SGD',
      params,
      SGD_DEFAULTS,
      options,
      {
        lr: numberIn(0),
        momentum: numberIn(0),
        dampening: numberIn(Number.NEGATIVE_INFINITY),
        nesterov: isBoolean,
        weightDecay: numberIn(0),
        maximize: isBoolean,
      },
      ['momentumBuffer'],
    );
  }

  protected override checkGroup(g: SGDOptions, where: string): void {
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ConfigError(
        `${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${g.momentum}, dampening ${g.dampening}`,
      );
    }
  }

  protected update(
    p: Tensor,
    g: FloatArray,
    s: ParamState,
    group: ParamGroup<SGDOptions>,
    rows: Int32Array | null = null,
  ): void {
    const { lr, momentum, dampening, nesterov, weightDecay, maximize } = group;
    const pd = p.data;
    const n = pd.length;
    const sign = maximize ? -1 : 1;
    if (momentum === 0 && weightDecay === 0 && rows && p.rank > 0 && p.shape[0] > 0) {
      // A sparse embedding's gradient: the other rows are zero and would not move.
      const width = n / p.shape[0];
      for (const [r0, r1] of rowRuns(rows))
        for (let i = r0 * width; i < r1 * width; i++) pd[i] = pd[i] - lr * (sign * g[i]);
      return;
    }
    if (momentum === 0) {
      for (let i = 0; i < n; i++) {
        const pi = pd[i];
        let gi = sign * g[i];
        if (weightDecay !== 0) gi += weightDecay * pi;
        pd[i] = pi - lr * gi;
      }
      return;
    }
    const first = s.buffers.momentumBuffer === undefined;
    const buf = stateBuffer(p, s, 'momentumBuffer');
    const keep = 1 - dampening;
    for (let i = 0; i < n; i++) {
      const pi = pd[i];
      let gi = sign * g[i];
      if (weightDecay !== 0) gi += weightDecay * pi;
      buf[i] = first ? gi : buf[i] * momentum + keep * gi;
      const b = buf[i]; // read back: a float32 buffer rounds, as PyTorch's does
      gi = nesterov ? gi + momentum * b : b;
      pd[i] = pi - lr * gi;
    }
  }
}
