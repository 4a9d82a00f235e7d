/**
 * A multi-layer LSTM, as torch.nn.LSTM (gate order i, f, g, o). For every layer k and step t:
 *
 *   i = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      f = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
 *   g = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   o = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
 *   c_t = f * c_{t-1} + i * g
 *   h_t = o * tanh(c_t)                  (projSize = 0)
 *   h_t = W_hr (o * tanh(c_t))           (projSize > 0: h has projSize entries)
 *
 * Shapes, with D = 2 if bidirectional else 1 and Hout = projSize || hiddenSize
 * (batchFirst swaps the first two axes of input and output):
 * - input [seqLen, batch, inputSize] -> output [seqLen, batch, D * Hout]
 * - h0 / h [numLayers * D, batch, Hout]; c0 / c [numLayers * D, batch, hiddenSize]
 * - weight_ih_l{k}[_reverse] [4H, inputSize or D * Hout], weight_hh_l{k} [4H, Hout],
 *   bias_ih_l{k}, bias_hh_l{k} [4H], weight_hr_l{k} [projSize, H]
 *
 * `forward(input, { h0, c0, lengths })` returns `{ output, h, c }`. Each layer and direction is
 * one fused tape node (fused-lstm.ts). The variant options peepholes, inputForget, forgetBias,
 * clip, activations and dilation run on the generic sequence path. Deviations from PyTorch:
 * `lengths` instead of a PackedSequence; dropout with numLayers = 1 is an error.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { LSTMOptions } from './layer-options.js';
import { layerArgs } from './rnn.js';
import { type RecurrentForwardOptions, RNNBase } from './rnn-base.js';

export class LSTM extends RNNBase {
  constructor(options: LSTMOptions);
  constructor(inputSize: number, hiddenSize: number, options?: Omit<LSTMOptions, 'inputSize' | 'hiddenSize'>);
  constructor(a: number | LSTMOptions, b?: number, c?: Omit<LSTMOptions, 'inputSize' | 'hiddenSize'>) {
    super('LSTM', layerArgs('LSTM', a, b, c));
  }

  /** Runs the LSTM; `c` is always present. */
  override forward(
    input: Tensor,
    options: RecurrentForwardOptions = {},
  ): { output: Tensor; h: Tensor; c: Tensor } {
    const r = super.forward(input, options);
    return { output: r.output, h: r.h, c: r.c as Tensor };
  }
}
