/**
 * The resolved problem of one `genericSequence` call (sizes, options, per-entry lengths) and the
 * raw arrays it reads, shared by the forward (generic-forward.ts) and the BPTT backward
 * (generic-backward.ts). Nothing here touches Tensors or the tape.
 */
import type { DType, FloatArray } from '../kernels/types.js';
import type { ResolvedActivation } from './generic-activations.js';

export type GenericMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

export interface Plan {
  readonly mode: GenericMode;
  readonly cell: 'rnn' | 'lstm' | 'gru';
  readonly dtype: DType;
  /** Sequence length (rows of x), batch, input size, hidden size, state size (P with a projection, else H). */
  readonly T: number;
  readonly B: number;
  readonly I: number;
  readonly H: number;
  readonly Hout: number;
  /** Gates (1, 3, 4) and G*H. */
  readonly G: number;
  readonly GH: number;
  /** f [, g [, h]]. */
  readonly acts: readonly ResolvedActivation[];
  /** Bound on the gate pre-activations; Infinity when there is no clipping. */
  readonly clip: number;
  readonly inputForget: boolean;
  /** Constant added to the LSTM forget-gate pre-activation (before clipping); 0 when unused. */
  readonly forgetBias: number;
  /** GRU: true = PyTorch (reset applied to W_hn h + b_hn), false = ONNX default / textbook. */
  readonly lbr: boolean;
  readonly dilation: number;
  readonly reverse: boolean;
  /** Length of every batch entry (T when no lengths were given). */
  readonly lens: Int32Array;
  /** The longest length: the number of processing steps. */
  readonly L: number;
}

/** Raw arrays of one call. h0 and c0 are always present (zeros when the caller gave none). */
export interface Arrays {
  readonly x: FloatArray;
  readonly wIh: FloatArray;
  readonly wHh: FloatArray;
  readonly bIh: FloatArray | null;
  readonly bHh: FloatArray | null;
  readonly wHr: FloatArray | null;
  /** Peephole weights [3H] in ONNX order i, o, f. */
  readonly peep: FloatArray | null;
  readonly h0: FloatArray;
  readonly c0: FloatArray | null;
}

/** What the forward keeps for the backward, indexed by processing step s (not time). */
export interface Saved {
  /** State after each step [L, B, Hout]; rows of entries past their length are zero. */
  readonly hs: FloatArray;
  /** Gate pre-activations before clipping [L, B, GH] (LSTM: peephole terms included). */
  readonly pre: FloatArray;
  /** Gate post-activations [L, B, GH] (LSTM with inputForget: the f block holds 1 - i). */
  readonly post: FloatArray;
  /** LSTM: cell state [L, B, H] and h(c) [L, B, H]; h before the projection [L, B, H] (projection only). */
  readonly cs: FloatArray | null;
  readonly tc: FloatArray | null;
  readonly hpre: FloatArray | null;
  /** GRU, linearBeforeReset: W_hn h + b_hn [L, B, H]; otherwise r * h_prev [L, B, H]. */
  readonly gruN: FloatArray | null;
}

/** Time index of processing step s of batch entry b (packed-sequence semantics). */
export function timeOf(p: Plan, s: number, b: number): number {
  return p.reverse ? p.lens[b] - 1 - s : s;
}

/** clip(v) for a bound c (Infinity: identity). */
export function clipValue(v: number, c: number): number {
  return Math.min(Math.max(v, -c), c);
}

/** d clip(v) / dv: 1 inside [-c, c], 0 where clipped. */
export function clipMask(v: number, c: number): number {
  return v >= -c && v <= c ? 1 : 0;
}
