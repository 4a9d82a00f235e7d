/**
 * The fused path of the recurrent layers: one tape node per layer and direction (see
 * fused-rnn.ts, fused-lstm.ts, fused-gru.ts). Same signature as the generic sequence path and the
 * composite twin (sequence-types.ts).
 */
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { fusedGru } from './fused-gru.js';
import { fusedLstm } from './fused-lstm.js';
import { fusedRnn } from './fused-rnn.js';
import type { SequenceMode, SequenceOptions, SequenceParams, SequenceResult } from './sequence-types.js';

/** Runs one layer in one direction over x [T, B, I] with the fused kernels. */
export function fusedSequence(
  mode: SequenceMode,
  x: Tensor,
  params: SequenceParams,
  h0: Tensor,
  c0: Tensor | null,
  opts: SequenceOptions,
): SequenceResult {
  switch (mode) {
    case 'RNN_TANH':
      return fusedRnn('tanh', x, params, h0, opts);
    case 'RNN_RELU':
      return fusedRnn('relu', x, params, h0, opts);
    case 'GRU':
      return fusedGru(x, params, h0, opts);
    case 'LSTM':
      if (!c0) throw new ConfigError('fusedSequence: an LSTM needs c0');
      return fusedLstm(x, params, h0, c0, opts);
    default:
      throw new ConfigError(
        `fusedSequence: mode must be RNN_TANH, RNN_RELU, LSTM or GRU, got ${JSON.stringify(mode)}`,
      );
  }
}
