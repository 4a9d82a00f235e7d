/**
 * The Elman RNN cell, as torch.nn.RNNCell:
 *
 *   h' = f(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh),   f = tanh (default) or relu
 *
 * Shapes: x [B, inputSize], h [B, hiddenSize]; weight_ih [H, inputSize], weight_hh [H, H],
 * bias_ih, bias_hh [H]. Built from primitive ops (matmul, add, tanh/relu), so it is
 * differentiable through the tape and serves custom loops; the layers use fused kernels instead.
 */

import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { relu, tanh } from '../ops/unary.js';
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { CellModule, type CellOptions, checkInt, expectDType, expectShape, sizeArgs } from './cell-base.js';

/** h' = f(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) from primitive ops (biases may be null). */
export function rnnStep(
  nonlinearity: 'tanh' | 'relu',
  x: Tensor,
  h: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
): Tensor {
  let a = matmul(x, wIh, { transB: true });
  if (bIh) a = add(a, bIh);
  let r = matmul(h, wHh, { transB: true });
  if (bHh) r = add(r, bHh);
  const pre = add(a, r);
  return nonlinearity === 'tanh' ? tanh(pre) : relu(pre);
}

export interface RNNCellOptions extends CellOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

export interface HiddenState {
  h: Tensor;
}

/** One step of an Elman RNN; see the file comment for the equations and shapes. */
export class RNNCell extends CellModule {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(options: RNNCellOptions & { inputSize: number; hiddenSize: number });
  constructor(inputSize: number, hiddenSize: number, options?: RNNCellOptions);
  constructor(
    a: number | (RNNCellOptions & { inputSize: number; hiddenSize: number }),
    b?: number,
    c?: RNNCellOptions,
  ) {
    const o = sizeArgs<RNNCellOptions>('RNNCell', a, b, c);
    const nl = o.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') {
      throw new ConfigError(`RNNCell: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    }
    super('RNNCell', 1, o);
    this.nonlinearity = nl;
  }

  /** The zero state for a batch of `batch` rows. */
  initialState(batch: number): HiddenState {
    checkInt('RNNCell.initialState', 'batch', batch);
    return { h: zeros([batch, this.hiddenSize], { dtype: this.dtype }) };
  }

  /** One step: x [B, inputSize], state.h [B, hiddenSize] (zero when omitted) -> the new state. */
  step(x: Tensor, state?: HiddenState): HiddenState {
    const B = checkCellInput('RNNCell.step', x, this.inputSize, this.dtype);
    const h = state
      ? checkCellState('RNNCell.step', 'state.h', state.h, B, this.hiddenSize, this.dtype)
      : null;
    const h0 = h ?? this.initialState(B).h;
    return {
      h: rnnStep(this.nonlinearity, x, h0, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh),
    };
  }

  override describe(): string {
    return cellDescribe(
      'RNNCell',
      this.inputSize,
      this.hiddenSize,
      this.bias,
      this.nonlinearity === 'relu' ? "nonlinearity='relu'" : '',
    );
  }
}

/** Validates a cell input x [B, inputSize] and returns B. */
export function checkCellInput(
  where: string,
  x: Tensor,
  inputSize: number,
  dtype: 'float32' | 'float64',
): number {
  const B = x && Array.isArray(x.shape) && x.shape.length === 2 ? x.shape[0] : -1;
  expectShape(where, 'x', x, [B, inputSize], `[batch, ${inputSize}] (inputSize ${inputSize})`);
  expectDType(where, 'x', x, dtype);
  return B;
}

/** Validates one state tensor [B, n]. */
export function checkCellState(
  where: string,
  name: string,
  t: Tensor,
  B: number,
  n: number,
  dtype: 'float32' | 'float64',
): Tensor {
  expectShape(where, name, t, [B, n], `[${B}, ${n}] ([batch, hiddenSize])`);
  expectDType(where, name, t, dtype);
  return t;
}

export function cellDescribe(name: string, i: number, h: number, bias: boolean, extra: string): string {
  const opts = [bias ? '' : 'bias=false', extra].filter((s) => s !== '');
  return `${name}(${[i, h, ...opts].join(', ')})`;
}
