/**
 * One Elman RNN layer (tanh or ReLU) in one direction over a whole sequence as a single tape
 * node (DESIGN §2):
 *
 *   h_t = f(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh),   f = tanh or relu
 *
 * Forward: one GEMM for the input projection of all steps (both biases folded in), then per step
 * the recurrent GEMM (W_hh packed once) accumulated into that step's rows and the activation via
 * `kernels().unary`. Only the states are saved: tanh' = 1 - h², relu' = [h > 0]. Backward: BPTT
 * in the node, then the weight gradients as large GEMMs. State slots as in fused-lstm.ts.
 */

import { needsGrad, record } from '../autograd/record.js';
import { kernels } from '../kernels/registry.js';
import { copyInactive } from '../kernels/sequence.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import {
  addOutputGrad,
  biasGrads,
  checkSequenceInputs,
  effectiveLengths,
  fillBias,
  gatherOutput,
  gemmNew,
  packedWeight,
  secondBackwardError,
  slotTensor,
  versionGuard,
  Workspace,
  zeroInactive,
} from './fused-common.js';
import type { SequenceOptions, SequenceParams, SequenceResult } from './sequence-types.js';

/** The fused Elman RNN over x [T, B, I] from h0 [B, H]; see the file comment. */
export function fusedRnn(
  nonlinearity: 'tanh' | 'relu',
  x: Tensor,
  p: SequenceParams,
  h0: Tensor,
  opts: SequenceOptions,
): SequenceResult {
  const op = nonlinearity === 'tanh' ? 'fusedRnnTanh' : 'fusedRnnRelu';
  const mode = nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU';
  const { T, B, I, H, dtype } = checkSequenceInputs(op, mode, x, p, h0, null, opts);
  const reverse = opts.reverse;
  const lengths = effectiveLengths(opts.lengths, T);
  const K = kernels();
  const inputs: Tensor[] = [x, p.wIh, p.wHh];
  if (p.bIh) inputs.push(p.bIh);
  if (p.bHh) inputs.push(p.bHh);
  inputs.push(h0);
  const grad = needsGrad(...inputs);

  // Pre-activations are not needed by the backward (it uses the saved states), so they live in a
  // scratch workspace released right after the loop.
  const scratch = new Workspace(K, dtype);
  const pre = scratch.take(T * B * H, true);
  const ws = new Workspace(K, dtype);
  const hAll = ws.take((T + 1) * B * H, true);
  fillBias(pre, T * B, H, p.bIh?.data ?? null, p.bHh?.data ?? null);
  K.gemm(
    false,
    true,
    T * B,
    H,
    I,
    x.data,
    0,
    I,
    p.wIh.data,
    0,
    I,
    pre,
    0,
    H,
    p.bIh !== null || p.bHh !== null,
  );
  const whh = packedWeight(K, p.wHh, true, B);
  hAll.set(h0.data, (reverse ? T : 0) * B * H);
  try {
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const prev = reverse ? t + 1 : t;
      const cur = reverse ? t : t + 1;
      K.gemmPacked(B, hAll, prev * B * H, H, whh, pre, t * B * H, H, true);
      K.unary(nonlinearity, B * H, pre, t * B * H, hAll, cur * B * H);
      if (lengths) copyInactive(lengths, t, B, H, hAll, prev * B * H, hAll, cur * B * H);
    }
  } finally {
    scratch.release();
  }
  const output = new Tensor(gatherOutput(hAll, T, B, H, reverse, lengths, dtype), [T, B, H]);
  const hN = slotTensor(hAll, reverse ? 0 : T, B, H, dtype);
  if (!grad) {
    ws.release();
    return { output, h: hN, c: null };
  }

  const checkVersions = versionGuard(op, [p.wIh, p.wHh, x]);
  const backward = (gs: (Tensor | null)[]): (Tensor | null)[] => {
    if (ws.released) throw secondBackwardError(op);
    checkVersions();
    const [gOut, gH] = gs;
    const bw = new Workspace(K, dtype);
    try {
      const dPre = bw.take(T * B * H);
      let dh = bw.take(B * H);
      let dhNext = bw.take(B * H);
      if (gH) dh.set(gH.data);
      const whhB = packedWeight(K, p.wHh, false, B);
      const n = B * H;
      for (let s = T - 1; s >= 0; s--) {
        const t = reverse ? T - 1 - s : s;
        const cur = reverse ? t : t + 1;
        if (gOut) addOutputGrad(gOut.data, t, B, H, lengths, dh);
        const o = t * n;
        const ho = cur * n;
        if (nonlinearity === 'tanh') {
          for (let i = 0; i < n; i++) {
            const y = hAll[ho + i];
            dPre[o + i] = dh[i] * (1 - y * y);
          }
        } else {
          for (let i = 0; i < n; i++) dPre[o + i] = hAll[ho + i] > 0 ? dh[i] : 0;
        }
        if (lengths) zeroInactive(lengths, t, B, H, dPre, o);
        K.gemmPacked(B, dPre, o, H, whhB, dhNext, 0, H, false);
        if (lengths) copyInactive(lengths, t, B, H, dh, 0, dhNext, 0);
        const tmp = dh;
        dh = dhNext;
        dhNext = tmp;
      }
      const rows = T * B;
      const out: (Tensor | null)[] = [];
      out.push(x.requiresGrad ? gemmNew(K, false, rows, I, H, dPre, p.wIh.data, false, [T, B, I]) : null);
      out.push(p.wIh.requiresGrad ? gemmNew(K, true, H, I, rows, dPre, x.data, false, [H, I]) : null);
      if (p.wHh.requiresGrad) {
        const d = allocOut(H * H, dtype);
        K.gemm(true, false, H, H, rows, dPre, 0, H, hAll, reverse ? n : 0, H, d, 0, H, false);
        out.push(new Tensor(d, [H, H]));
      } else out.push(null);
      out.push(...biasGrads(K, dPre, rows, H, dtype, p.bIh, p.bHh));
      out.push(h0.requiresGrad ? slotTensor(dh, 0, B, H, dtype) : null);
      return out;
    } finally {
      bw.release();
      ws.release();
    }
  };
  ws.guard(backward);
  record(nonlinearity === 'tanh' ? 'rnnTanh' : 'rnnRelu', inputs, [output, hN], backward);
  return { output, h: hN, c: null };
}
