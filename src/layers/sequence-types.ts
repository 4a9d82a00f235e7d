/**
 * Types shared by every implementation of "one layer, one direction, over a whole sequence"
 * (the fused ops in fused-*.ts, the generic variant path, the composite twin used in tests), and
 * the registry through which the generic path plugs into the layers.
 *
 * Tensor conventions (all implementations):
 * - x [T, B, I]; h0 [B, Hout]; c0 [B, H] (LSTM only, else null).
 * - output [T, B, Hout]; h [B, Hout]; c [B, H] (LSTM) or null.
 * - Hout = projSize when an LSTM has a projection (wHr [projSize, H]), else H.
 * - Weights in PyTorch layout: wIh [G*H, I], wHh [G*H, Hout], biases [G*H]; G = 1 (RNN),
 *   3 (GRU, gates r, z, n), 4 (LSTM, gates i, f, g, o).
 * - `reverse` runs from the last step to the first. With `lengths` (one per batch element,
 *   1 <= len <= T, any order) the semantics are PyTorch's packed sequences: output[t, b] = 0 for
 *   t >= len[b], the returned state is the state at each sequence's own last step, the reverse
 *   direction starts at step len[b] - 1, and padding positions get zero gradient.
 */
import type { ActivationKind } from '../kernels/types.js';
import type { Tensor } from '../tensor/tensor.js';

export type { ActivationKind };

/** The recurrence of a layer, as PyTorch's `mode` string. */
export type SequenceMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** One activation function with its parameters, e.g. `{ kind: 'hardsigmoid', alpha: 0.2, beta: 0.5 }`. */
export interface ActivationSpec {
  kind: ActivationKind;
  alpha?: number;
  beta?: number;
}

/** The parameters of one layer and direction. */
export interface SequenceParams {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  /** LSTM projection [projSize, H] (PyTorch `weight_hr_l{k}`). */
  wHr?: Tensor | null;
  /** LSTM peephole weights [3H] in ONNX order (i, o, f); generic path only. */
  peep?: Tensor | null;
}

export interface SequenceOptions {
  reverse: boolean;
  /** Valid length of every batch element (1..T), or null when every sequence has length T. */
  lengths: Int32Array | null;
  /**
   * Activations of this direction, in ONNX order: RNN [f], GRU [f, g], LSTM [f, g, h]
   * (generic path only; the fused ops use PyTorch's sigmoid/tanh).
   */
  activations?: ActivationSpec[];
  /** Cell clip: pre-activations are clamped to [-clip, clip] (ONNX `clip`). */
  clip?: number;
  /** LSTM with a coupled input-forget gate, f = 1 - i (ONNX `input_forget`). */
  inputForget?: boolean;
  /** GRU: true applies the reset gate after the recurrent matmul (PyTorch, ONNX 1), false before. */
  linearBeforeReset?: boolean;
  /** Dilated recurrence: h_t depends on h_{t - dilation}. */
  dilation?: number;
  /** A constant added to the LSTM forget-gate pre-activation at every step (TensorFlow's `forget_bias`). */
  forgetBias?: number;
}

export interface SequenceResult {
  /** [T, B, Hout] */
  output: Tensor;
  /** [B, Hout] */
  h: Tensor;
  /** [B, H] for LSTM, else null */
  c: Tensor | null;
}

/** The signature shared by `fusedSequence`, the generic sequence path and the composite twin. */
export type SequenceFn = (
  mode: SequenceMode,
  x: Tensor,
  params: SequenceParams,
  h0: Tensor,
  c0: Tensor | null,
  opts: SequenceOptions,
) => SequenceResult;
