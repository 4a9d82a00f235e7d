/**
 * The GRU cell, as torch.nn.GRUCell (gate order r, z, n; the reset gate multiplies the recurrent
 * term after the matmul and after b_hn):
 *
 *   [xr, xz, xn] = x W_ihᵀ + b_ih,   [hr, hz, hn] = h W_hhᵀ + b_hh
 *   r = σ(xr + hr),  z = σ(xz + hz),  n = tanh(xn + r * hn)
 *   h' = (1 - z) * n + z * h
 *
 * Shapes: x [B, inputSize], h [B, hiddenSize]; weight_ih [3H, inputSize], weight_hh [3H, H],
 * bias_ih, bias_hh [3H]. Built from primitive ops; the GRU layer uses fused kernels.
 */

import { add, mul, sub } from '../ops/elementwise.js';
import { split } from '../ops/join.js';
import { matmul } from '../ops/matmul.js';
import { sigmoid, tanh } from '../ops/unary.js';
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/tensor.js';
import { CellModule, type CellOptions, checkInt, sizeArgs } from './cell-base.js';
import { cellDescribe, checkCellInput, checkCellState, type HiddenState } from './rnn-cell.js';

/** One GRU step from primitive ops (PyTorch form); biases may be null. */
export function gruStep(
  x: Tensor,
  h: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
): Tensor {
  let a = matmul(x, wIh, { transB: true });
  if (bIh) a = add(a, bIh);
  let hg = matmul(h, wHh, { transB: true });
  if (bHh) hg = add(hg, bHh);
  const [xr, xz, xn] = split(a, 3, -1);
  const [hr, hz, hn] = split(hg, 3, -1);
  const r = sigmoid(add(xr, hr));
  const z = sigmoid(add(xz, hz));
  const n = tanh(add(xn, mul(r, hn)));
  return add(mul(sub(1, z), n), mul(z, h));
}

/** One step of a GRU; see the file comment for the equations and shapes. */
export class GRUCell extends CellModule {
  constructor(options: CellOptions & { inputSize: number; hiddenSize: number });
  constructor(inputSize: number, hiddenSize: number, options?: CellOptions);
  constructor(
    a: number | (CellOptions & { inputSize: number; hiddenSize: number }),
    b?: number,
    c?: CellOptions,
  ) {
    super('GRUCell', 3, sizeArgs<CellOptions>('GRUCell', a, b, c));
  }

  /** The zero state for a batch of `batch` rows. */
  initialState(batch: number): HiddenState {
    checkInt('GRUCell.initialState', 'batch', batch);
    return { h: zeros([batch, this.hiddenSize], { dtype: this.dtype }) };
  }

  /** One step: x [B, inputSize], state.h [B, hiddenSize] (zero when omitted) -> the new state. */
  step(x: Tensor, state?: HiddenState): HiddenState {
    const B = checkCellInput('GRUCell.step', x, this.inputSize, this.dtype);
    const h = state
      ? checkCellState('GRUCell.step', 'state.h', state.h, B, this.hiddenSize, this.dtype)
      : null;
    return {
      h: gruStep(x, h ?? this.initialState(B).h, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh),
    };
  }

  override describe(): string {
    return cellDescribe('GRUCell', this.inputSize, this.hiddenSize, this.bias, '');
  }
}
