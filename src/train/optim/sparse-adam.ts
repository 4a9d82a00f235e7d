import { kernels } from '../../kernels/registry.js';
import type { AdamEntry } from '../../kernels/types.js';
import { rowRuns } from '../../tensor/sparse-rows.js';
import type { FloatArray, Tensor } from '../../tensor/tensor.js';
import { ConfigError } from '../../util/errors.js';
import { ADAM_SPEC } from './adam.js';
import {
  type BaseOptions,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type Params,
  type ParamUpdate,
  residentCopy,
  stateBuffer,
} from './optimizer.js';

export interface SparseAdamOptions extends BaseOptions {
  betas: [number, number];
  eps: number;
}

/** PyTorch's defaults (torch.optim.SparseAdam). */
export const SPARSE_ADAM_DEFAULTS: SparseAdamOptions = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  maximize: false,
};

const SPEC = {
  lr: ADAM_SPEC.lr,
  betas: ADAM_SPEC.betas,
  eps: ADAM_SPEC.eps,
  maximize: ADAM_SPEC.maximize,
};

/**
 * The lazy Adam of torch.optim.SparseAdam, for the gradients of sparse embeddings
 * (`Embedding(V, E, { sparse: true })`): only the rows the batch used (`grad.sparseRows`) are
 * updated, their moments included; other rows keep their values and moments. Per used row, with
 * t the parameter's step count:
 *
 * ```
 * m = m + (g - m)(1 - beta1);   v = v + (g^2 - v)(1 - beta2)
 * p = p - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)
 * ```
 *
 * (eps is added to sqrt(v) before the bias correction, as in SparseAdam, not after as in Adam).
 * Like PyTorch it refuses dense gradients: give the other parameters to Adam. One kernel call for
 * all rows of all parameters (`Kernels.adamStep`); on the wasm backend the parameters and moments
 * move into wasm memory on their first step, as with Adam.
 */
export class SparseAdam extends Optimizer<SparseAdamOptions> {
  constructor(params: Params<SparseAdamOptions>, options: Partial<SparseAdamOptions> = {}) {
    super('SparseAdam', params, SPARSE_ADAM_DEFAULTS, options, SPEC, ['expAvg', 'expAvgSq']);
  }

  protected override checkBatch(batch: readonly ParamUpdate<SparseAdamOptions>[]): void {
    for (const u of batch)
      if (!u.rows || u.p.rank === 0)
        throw new ConfigError(
          `SparseAdam.step: the gradient of parameter ${u.index} ${u.p.rank === 0 ? 'is a scalar' : 'is dense'}; SparseAdam takes the gradients of sparse embeddings (Embedding(..., { sparse: true })), use Adam for the other parameters`,
        );
  }

  protected update(
    p: Tensor,
    g: FloatArray,
    s: ParamState,
    group: ParamGroup<SparseAdamOptions>,
    rows: Int32Array | null = null,
  ): void {
    this.updateMany([{ p, g, rows, s, group, index: 0 }]);
  }

  protected override updateMany(batch: readonly ParamUpdate<SparseAdamOptions>[]): void {
    const K = kernels();
    const entries: AdamEntry[] = [];
    for (const { p, g, rows, s, group } of batch) {
      if (!rows || rows.length === 0) continue;
      p.data = residentCopy(K, p.data);
      const buf = (name: string) => (s.buffers[name] = residentCopy(K, stateBuffer(p, s, name)));
      const m = buf('expAvg');
      const v = buf('expAvgSq');
      const [beta1, beta2] = group.betas;
      const t = s.step;
      const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
      const width = p.size / p.shape[0];
      for (const [r0, r1] of rowRuns(rows)) {
        const a = r0 * width;
        const b = r1 * width;
        entries.push({
          p: p.data.subarray(a, b),
          g: g.subarray(a, b),
          m: m.subarray(a, b),
          v: v.subarray(a, b),
          vmax: null,
          // lr sqrt(bc2)/bc1 * m/(sqrt(v) + eps) = lr/bc1 * m/(sqrt(v)/sqrt(bc2) + eps/sqrt(bc2))
          stepSize: group.lr / (1 - beta1 ** t),
          bc2Sqrt,
          beta1,
          beta2,
          eps: group.eps / bc2Sqrt,
          decay: 1,
          l2: 0,
          sign: group.maximize ? -1 : 1,
        });
      }
    }
    if (entries.length > 0) K.adamStep(entries);
  }
}
