/**
 * The LSTM cell, as torch.nn.LSTMCell (gate order i, f, g, o):
 *
 *   [i, f, g, o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh          (split into four [B, H] blocks)
 *   i, f, o = σ(.),  g = tanh(.)
 *   c' = f * c + i * g,   h' = o * tanh(c')
 *
 * Shapes: x [B, inputSize], h and c [B, hiddenSize]; weight_ih [4H, inputSize],
 * weight_hh [4H, H], bias_ih, bias_hh [4H]. Built from primitive ops (differentiable, for custom
 * loops); the LSTM layer runs the same equations with fused kernels.
 */

import { add, mul } from '../ops/elementwise.js';
import { split } from '../ops/join.js';
import { matmul } from '../ops/matmul.js';
import { sigmoid, tanh } from '../ops/unary.js';
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/tensor.js';
import { CellModule, type CellOptions, checkInt, sizeArgs } from './cell-base.js';
import { cellDescribe, checkCellInput, checkCellState } from './rnn-cell.js';

export interface LSTMState {
  h: Tensor;
  c: Tensor;
}

/**
 * One LSTM step from primitive ops. With `wHr` ([P, H], PyTorch proj_size) the new h is
 * projected: h' = (o * tanh(c')) W_hrᵀ, and h is [B, P].
 */
export function lstmStep(
  x: Tensor,
  h: Tensor,
  c: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  wHr: Tensor | null = null,
): LSTMState {
  let a = matmul(x, wIh, { transB: true });
  if (bIh) a = add(a, bIh);
  let r = matmul(h, wHh, { transB: true });
  if (bHh) r = add(r, bHh);
  const [gi, gf, gg, go] = split(add(a, r), 4, -1);
  const i = sigmoid(gi);
  const f = sigmoid(gf);
  const g = tanh(gg);
  const o = sigmoid(go);
  const c2 = add(mul(f, c), mul(i, g));
  const m = mul(o, tanh(c2));
  return { h: wHr ? matmul(m, wHr, { transB: true }) : m, c: c2 };
}

/** One step of an LSTM; see the file comment for the equations and shapes. */
export class LSTMCell extends CellModule {
  constructor(options: CellOptions & { inputSize: number; hiddenSize: number });
  constructor(inputSize: number, hiddenSize: number, options?: CellOptions);
  constructor(
    a: number | (CellOptions & { inputSize: number; hiddenSize: number }),
    b?: number,
    c?: CellOptions,
  ) {
    super('LSTMCell', 4, sizeArgs<CellOptions>('LSTMCell', a, b, c));
  }

  /** The zero state (h and c) for a batch of `batch` rows. */
  initialState(batch: number): LSTMState {
    checkInt('LSTMCell.initialState', 'batch', batch);
    const shape = [batch, this.hiddenSize];
    return { h: zeros(shape, { dtype: this.dtype }), c: zeros(shape, { dtype: this.dtype }) };
  }

  /** One step: x [B, inputSize], state {h, c} each [B, hiddenSize] (zero when omitted). */
  step(x: Tensor, state?: LSTMState): LSTMState {
    const B = checkCellInput('LSTMCell.step', x, this.inputSize, this.dtype);
    const s = state ?? this.initialState(B);
    checkCellState('LSTMCell.step', 'state.h', s.h, B, this.hiddenSize, this.dtype);
    checkCellState('LSTMCell.step', 'state.c', s.c, B, this.hiddenSize, this.dtype);
    return lstmStep(x, s.h, s.c, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
  }

  override describe(): string {
    return cellDescribe('LSTMCell', this.inputSize, this.hiddenSize, this.bias, '');
  }
}
