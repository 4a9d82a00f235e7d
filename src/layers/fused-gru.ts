/**
 * One GRU layer in one direction over a whole sequence as a single tape node (DESIGN §2),
 * PyTorch's form with the reset gate applied after the recurrent matmul:
 *
 *   xg_t = x_t W_ihᵀ + b_ih,  hg_t = h_{t-1} W_hhᵀ + b_hh              [B, 3H], blocks r, z, n
 *   r = σ(xr + hr),  z = σ(xz + hz),  n = tanh(xn + r * hn)
 *   h_t = (1 - z) * n + z * h_{t-1}
 *
 * Forward: one GEMM for xg over all steps; per step the recurrent GEMM (W_hh packed once) into
 * hg and the fused gate kernel. Saved: post-activation gates (in xg), hg (its n block is needed),
 * every h. Backward: BPTT in the node, then dW_ih = dXgᵀ·X, dW_hh = dHgᵀ·H_prev, dX = dXg·W_ih.
 * State slots as in fused-lstm.ts.
 */

import { needsGrad, record } from '../autograd/record.js';
import { kernels } from '../kernels/registry.js';
import { copyInactive } from '../kernels/sequence.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import {
  addOutputGrad,
  checkSequenceInputs,
  colSums,
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

const OP = 'fusedGru';

/** The fused GRU over x [T, B, I] from h0 [B, H]; see the file comment. */
export function fusedGru(x: Tensor, p: SequenceParams, h0: Tensor, opts: SequenceOptions): SequenceResult {
  const { T, B, I, H, dtype } = checkSequenceInputs(OP, 'GRU', x, p, h0, null, opts);
  const reverse = opts.reverse;
  const lengths = effectiveLengths(opts.lengths, T);
  const G = 3 * H;
  const K = kernels();
  const inputs: Tensor[] = [x, p.wIh, p.wHh];
  if (p.bIh) inputs.push(p.bIh);
  if (p.bHh) inputs.push(p.bHh);
  inputs.push(h0);
  const grad = needsGrad(...inputs);

  const ws = new Workspace(K, dtype);
  const xg = ws.take(T * B * G, true);
  const hg = ws.take(T * B * G, true);
  const hAll = ws.take((T + 1) * B * H, true);
  fillBias(xg, T * B, G, p.bIh?.data ?? null, null);
  fillBias(hg, T * B, G, p.bHh?.data ?? null, null);
  K.gemm(false, true, T * B, G, I, x.data, 0, I, p.wIh.data, 0, I, xg, 0, G, p.bIh !== null);
  const whh = packedWeight(K, p.wHh, true, B);
  hAll.set(h0.data, (reverse ? T : 0) * B * H);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = reverse ? t + 1 : t;
    const cur = reverse ? t : t + 1;
    K.gemmPacked(B, hAll, prev * B * H, H, whh, hg, t * B * G, G, p.bHh !== null);
    K.gruGatesForward(B, H, xg, t * B * G, hg, t * B * G, hAll, prev * B * H, hAll, cur * B * H);
    if (lengths) copyInactive(lengths, t, B, H, hAll, prev * B * H, hAll, cur * B * H);
  }
  const output = new Tensor(gatherOutput(hAll, T, B, H, reverse, lengths, dtype), [T, B, H]);
  const hN = slotTensor(hAll, reverse ? 0 : T, B, H, dtype);
  if (!grad) {
    ws.release();
    return { output, h: hN, c: null };
  }

  const checkVersions = versionGuard(OP, [x, p.wIh, p.wHh]);
  const backward = (gs: (Tensor | null)[]): (Tensor | null)[] => {
    if (ws.released) throw secondBackwardError(OP);
    checkVersions();
    const [gOut, gH] = gs;
    const bw = new Workspace(K, dtype);
    try {
      const dXg = bw.take(T * B * G);
      const dHg = bw.take(T * B * G);
      let dh = bw.take(B * H);
      let dhNext = bw.take(B * H);
      if (gH) dh.set(gH.data);
      const whhB = packedWeight(K, p.wHh, false, B);
      for (let s = T - 1; s >= 0; s--) {
        const t = reverse ? T - 1 - s : s;
        const prev = reverse ? t + 1 : t;
        if (gOut) addOutputGrad(gOut.data, t, B, H, lengths, dh);
        const o = t * B * G;
        K.gruGatesBackward(B, H, xg, o, hg, o, hAll, prev * B * H, dh, 0, dXg, o, dHg, o, dhNext, 0);
        if (lengths) {
          zeroInactive(lengths, t, B, G, dXg, o);
          zeroInactive(lengths, t, B, G, dHg, o);
          copyInactive(lengths, t, B, H, dh, 0, dhNext, 0);
        }
        K.gemmPacked(B, dHg, o, G, whhB, dhNext, 0, H, true);
        const tmp = dh;
        dh = dhNext;
        dhNext = tmp;
      }
      const rows = T * B;
      const out: (Tensor | null)[] = [];
      out.push(x.requiresGrad ? gemmNew(K, false, rows, I, G, dXg, p.wIh.data, false, [T, B, I]) : null);
      out.push(p.wIh.requiresGrad ? gemmNew(K, true, G, I, rows, dXg, x.data, false, [G, I]) : null);
      if (p.wHh.requiresGrad) {
        const d = allocOut(G * H, dtype);
        K.gemm(true, false, G, H, rows, dHg, 0, G, hAll, reverse ? B * H : 0, H, d, 0, H, false);
        out.push(new Tensor(d, [G, H]));
      } else out.push(null);
      if (p.bIh) out.push(p.bIh.requiresGrad ? new Tensor(colSums(K, dXg, rows, G, dtype), [G]) : null);
      if (p.bHh) out.push(p.bHh.requiresGrad ? new Tensor(colSums(K, dHg, rows, G, dtype), [G]) : null);
      out.push(h0.requiresGrad ? slotTensor(dh, 0, B, H, dtype) : null);
      return out;
    } finally {
      bw.release();
      ws.release();
    }
  };
  ws.guard(backward);
  record('gru', inputs, [output, hN], backward);
  return { output, h: hN, c: null };
}
