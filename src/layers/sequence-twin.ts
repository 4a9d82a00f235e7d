/**
 * The composite twin of the fused sequence ops: the same computation (same signature, same
 * packed-sequence semantics) built from primitive ops, one cell step per time step. It records
 * dozens of tape nodes per step, so it is slow; it exists as the reference the fused ops are
 * tested against (forward, gradients, and finite differences in float64).
 */

import { gruStep } from '../cells/gru-cell.js';
import { lstmStep } from '../cells/lstm-cell.js';
import { rnnStep } from '../cells/rnn-cell.js';
import { add, mul } from '../ops/elementwise.js';
import { select, stack } from '../ops/join.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import type { SequenceMode, SequenceOptions, SequenceParams, SequenceResult } from './sequence-types.js';

/** m ? a : b per batch row, as a differentiable blend a*m + b*(1-m) with a constant 0/1 mask. */
function blend(a: Tensor, b: Tensor, mask: Tensor, inv: Tensor): Tensor {
  return add(mul(a, mask), mul(b, inv));
}

/** Runs one layer in one direction over x [T, B, I] from primitive ops (see sequence-types.ts). */
export function compositeSequence(
  mode: SequenceMode,
  x: Tensor,
  params: SequenceParams,
  h0: Tensor,
  c0: Tensor | null,
  opts: SequenceOptions,
): SequenceResult {
  const T = x.shape[0];
  const B = x.shape[1];
  const outs: Tensor[] = new Array(T);
  let h = h0;
  let c = c0;
  const { wIh, wHh, bIh, bHh } = params;
  for (let s = 0; s < T; s++) {
    const t = opts.reverse ? T - 1 - s : s;
    const xt = select(x, 0, t);
    let hNew: Tensor;
    let cNew: Tensor | null = null;
    if (mode === 'LSTM') {
      const st = lstmStep(xt, h, c as Tensor, wIh, wHh, bIh, bHh, params.wHr ?? null);
      hNew = st.h;
      cNew = st.c;
    } else if (mode === 'GRU') {
      hNew = gruStep(xt, h, wIh, wHh, bIh, bHh);
    } else {
      hNew = rnnStep(mode === 'RNN_TANH' ? 'tanh' : 'relu', xt, h, wIh, wHh, bIh, bHh);
    }
    if (opts.lengths) {
      const m = allocOut(B, x.dtype);
      const inv = allocOut(B, x.dtype);
      for (let b = 0; b < B; b++) {
        const on = t < opts.lengths[b] ? 1 : 0;
        m[b] = on;
        inv[b] = 1 - on;
      }
      const mask = new Tensor(m, [B, 1]);
      const invMask = new Tensor(inv, [B, 1]);
      outs[t] = mul(hNew, mask);
      h = blend(hNew, h, mask, invMask);
      if (cNew && c) c = blend(cNew, c, mask, invMask);
    } else {
      outs[t] = hNew;
      h = hNew;
      c = cNew;
    }
  }
  return { output: stack(outs, 0), h, c: mode === 'LSTM' ? c : null };
}
