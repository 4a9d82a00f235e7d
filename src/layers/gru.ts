/**
 * A multi-layer GRU, as torch.nn.GRU (gate order r, z, n; the reset gate is applied after the
 * recurrent matmul and b_hn). For every layer k and step t:
 *
 *   r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
 *   z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
 *   n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))
 *   h_t = (1 - z) * n + z * h_{t-1}
 *
 * Shapes (D = 2 if bidirectional; batchFirst swaps the first two axes of input and output):
 * - input [seqLen, batch, inputSize] -> output [seqLen, batch, D * hiddenSize]
 * - h0 / h [numLayers * D, batch, hiddenSize]
 * - weight_ih_l{k}[_reverse] [3H, inputSize or D * H], weight_hh_l{k} [3H, H], bias_* [3H]
 *
 * `forward(input, { h0, lengths })` returns `{ output, h, c: null }`. Each layer and direction is
 * one fused tape node (fused-gru.ts). `linearBeforeReset: false` (reset before the matmul, as the
 * original paper and ONNX's default), clip, activations and dilation run on the generic sequence
 * path. Deviations from PyTorch: `lengths` instead of a PackedSequence; dropout with
 * numLayers = 1 is an error.
 */
import type { GRUOptions } from './layer-options.js';
import { layerArgs } from './rnn.js';
import { RNNBase } from './rnn-base.js';

export class GRU extends RNNBase {
  constructor(options: GRUOptions);
  constructor(inputSize: number, hiddenSize: number, options?: Omit<GRUOptions, 'inputSize' | 'hiddenSize'>);
  constructor(a: number | GRUOptions, b?: number, c?: Omit<GRUOptions, 'inputSize' | 'hiddenSize'>) {
    super('GRU', layerArgs('GRU', a, b, c));
  }
}
