/**
 * Vanishing gradients, measured: the norm of ∂Loss/∂h_t for every step t of a recurrent layer.
 *
 * The fused layers are one tape node for the whole sequence, so their intermediate hidden states
 * are not tensors on the tape and have no gradient to read. `gradientFlow` therefore runs the same
 * layer step by step with the cell equations (rnnStep, lstmStep, gruStep of src/cells), on the
 * layer's own parameter tensors (no copy: same numbers, and the weight gradients equal the fused
 * layer's), and passes every h_t (and an LSTM's c_t) through a probe: an identity op whose
 * backward records the gradient flowing through it and hands it on unchanged. The tape sums the
 * gradients of all consumers of a tensor before its node's backward runs, so the probe sees the
 * total ∂Loss/∂h_t — through the next step and through any readout at step t — in one backward
 * pass, with nothing detached.
 *
 * Norms are per sequence: with a loss that is the sum of per-sequence losses, row b of ∂Loss/∂h_t
 * is that sequence's own gradient, and the reported value is the mean over the batch of its L2
 * norm. For an LSTM, ∂Loss/∂h_t is the gradient with respect to h_t alone, c_t held as a separate
 * state variable (what `retain_grad()` on h_t gives in PyTorch); ∂Loss/∂c_t is reported beside it.
 */
import { record1 } from '../autograd/record.js';
import { gruStep } from '../cells/gru-cell.js';
import { lstmStep } from '../cells/lstm-cell.js';
import { rnnStep } from '../cells/rnn-cell.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import type { RNN } from '../layers/rnn.js';
import { select } from '../ops/join.js';
import { Tensor, zeros } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../util/errors.js';

export interface GradFlow {
  /** 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'. */
  mode: string;
  steps: number;
  /** [steps]: mean over the batch of ‖∂Loss/∂h_t‖ for t = 1..steps (index t - 1). */
  hNorm: Float64Array;
  /** [steps]: the same for the LSTM cell state c_t; null for RNN and GRU. */
  cNorm: Float64Array | null;
  /** The loss value. */
  loss: number;
}

/** An identity op that passes `x` on and reports the gradient that flows back through it. */
export function gradientProbe(x: Tensor, sink: (grad: Tensor) => void): Tensor {
  const out = new Tensor(x.data, x.shape);
  return record1('gradientProbe', [x], out, (g) => {
    sink(g);
    return [g];
  });
}

function rowNormMean(g: Tensor | null, B: number): number {
  if (g === null) return 0;
  const H = g.size / B;
  let total = 0;
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += g.data[b * H + j] ** 2;
    total += Math.sqrt(s);
  }
  return total / B;
}

/**
 * Runs `layer` (one layer, one direction, no projection) over `input` [L, B, inputSize] step by
 * step, calls `lossOf` with the hidden states h_1..h_L (each [B, H], probed), back-propagates the
 * loss it returns and measures ‖∂Loss/∂h_t‖. `lossOf` should sum per-sequence losses (see the file
 * comment). The layer's parameter gradients are left as they were before the call.
 */
export function gradientFlow(
  layer: RNN | LSTM | GRU,
  input: Tensor,
  lossOf: (hs: Tensor[]) => Tensor,
): GradFlow {
  const where = 'gradientFlow';
  if (layer.numLayers !== 1 || layer.bidirectional || layer.projSize > 0 || layer.batchFirst) {
    throw new ConfigError(
      `${where}: the layer must have one layer, one direction, no projection and batchFirst false, got ${layer.toString()}`,
    );
  }
  if (!(input instanceof Tensor) || input.rank !== 3 || input.shape[2] !== layer.inputSize) {
    throw new ShapeError(
      `${where}: input must be [seqLen, batch, ${layer.inputSize}], got ${input instanceof Tensor ? `[${input.shape.join(', ')}]` : typeof input}`,
    );
  }
  const [L, B] = input.shape;
  const p = layer.layerParams(0);
  const H = layer.hiddenSize;
  const isLstm = layer instanceof LSTM;
  const hGrads: (Tensor | null)[] = new Array(L).fill(null);
  const cGrads: (Tensor | null)[] = new Array(L).fill(null);
  const params = layer.parameters();
  const saved = params.map((t) => t.grad);
  for (const t of params) t.grad = null;
  let h = zeros([B, H], { dtype: layer.dtype });
  let c = zeros([B, H], { dtype: layer.dtype });
  const hs: Tensor[] = [];
  let loss: Tensor;
  try {
    for (let t = 0; t < L; t++) {
      const x = select(input, 0, t);
      if (isLstm) {
        const s = lstmStep(x, h, c, p.wIh, p.wHh, p.bIh, p.bHh);
        h = s.h;
        c = gradientProbe(s.c, (g) => {
          cGrads[t] = g;
        });
      } else if (layer instanceof GRU) {
        h = gruStep(x, h, p.wIh, p.wHh, p.bIh, p.bHh);
      } else {
        h = rnnStep(layer.mode === 'RNN_RELU' ? 'relu' : 'tanh', x, h, p.wIh, p.wHh, p.bIh, p.bHh);
      }
      h = gradientProbe(h, (g) => {
        hGrads[t] = g;
      });
      hs.push(h);
    }
    loss = lossOf(hs);
    if (!(loss instanceof Tensor) || loss.size !== 1)
      throw new ShapeError(`${where}: lossOf must return a one-element tensor`);
    loss.backward();
  } finally {
    params.forEach((t, i) => {
      t.grad = saved[i];
    });
  }
  return {
    mode: layer.mode,
    steps: L,
    hNorm: Float64Array.from(hGrads, (g) => rowNormMean(g, B)),
    cNorm: isLstm ? Float64Array.from(cGrads, (g) => rowNormMean(g, B)) : null,
    loss: loss.item(),
  };
}
