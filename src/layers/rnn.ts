/**
 * A multi-layer Elman RNN, as torch.nn.RNN. For every layer k and step t:
 *
 *   h_t = f(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh),   f = tanh (default) or relu
 *
 * x_t is the input for k = 0 and layer k-1's output (both directions concatenated) after that.
 *
 * Shapes (batchFirst = false; with batchFirst input and output swap their first two axes):
 * - input [seqLen, batch, inputSize] -> output [seqLen, batch, D * hiddenSize]
 * - h0 / h [numLayers * D, batch, hiddenSize]; the first axis is layer * D + direction
 * - weight_ih_l{k}[_reverse] [H, inputSize or D * H], weight_hh_l{k} [H, H], bias_* [H]
 *
 * `forward(input, { h0, lengths })` returns `{ output, h, c: null }`. Each layer and direction is
 * one fused tape node; see fused-rnn.ts. Deviations from PyTorch: variable lengths are a
 * `lengths` option instead of a PackedSequence; dropout with numLayers = 1 is an error rather than
 * a warning.
 */
import { ConfigError } from '../util/errors.js';
import type { RNNOptions } from './layer-options.js';
import { RNNBase } from './rnn-base.js';

export class RNN extends RNNBase {
  constructor(options: RNNOptions);
  constructor(inputSize: number, hiddenSize: number, options?: Omit<RNNOptions, 'inputSize' | 'hiddenSize'>);
  constructor(a: number | RNNOptions, b?: number, c?: Omit<RNNOptions, 'inputSize' | 'hiddenSize'>) {
    super('RNN', layerArgs('RNN', a, b, c));
  }
}

/** Resolves the `(inputSize, hiddenSize, options)` and `({ inputSize, hiddenSize, ... })` call forms. */
export function layerArgs(where: string, a: unknown, b: unknown, c: unknown): object {
  if (typeof a === 'object' && a !== null) {
    if (b !== undefined) {
      throw new ConfigError(`${where}: pass either an options object or (inputSize, hiddenSize, options)`);
    }
    return a;
  }
  return { ...((c as object | undefined) ?? {}), inputSize: a, hiddenSize: b };
}
