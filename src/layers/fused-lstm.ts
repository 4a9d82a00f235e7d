/**
 * One LSTM layer in one direction over a whole sequence as a single tape node (DESIGN §2).
 *
 *   gates_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh          [B, 4H], blocks i, f, g, o
 *   i, f, o = σ(.), g = tanh(.);  c_t = f c_{t-1} + i g;  m_t = o tanh(c_t)
 *   h_t = m_t                    (no projection)
 *   h_t = m_t W_hrᵀ              (projection, PyTorch proj_size: h is [B, P])
 *
 * Forward: one GEMM X[T*B, I]·W_ihᵀ (+ both biases) for all steps, then per step the recurrent
 * GEMM against W_hh packed once and the fused gate kernel. Saved for the backward (in workspaces
 * allocated once per call): post-activation gates, every c and tanh(c), every h (and m with a
 * projection). Backward: BPTT inside the node stores dGates for all steps, then
 * dW_ih = dGᵀ·X, dW_hh = dGᵀ·H_prev, dX = dG·W_ih as single large GEMMs.
 *
 * State slots: slot s of `hAll`/`cAll` holds the state before the step at time s for the forward
 * direction (slot 0 = h0), and after the step at time s for the reverse direction (slot T = h0).
 * Either way the previous states of times 0..T-1 are contiguous, so dW_hh is one GEMM.
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

const OP = 'fusedLstm';

/** The fused LSTM over x [T, B, I] from (h0 [B, Hout], c0 [B, H]); see the file comment. */
export function fusedLstm(
  x: Tensor,
  p: SequenceParams,
  h0: Tensor,
  c0: Tensor,
  opts: SequenceOptions,
): SequenceResult {
  const { T, B, I, H, P, dtype } = checkSequenceInputs(OP, 'LSTM', x, p, h0, c0, opts);
  const wHr = p.wHr ?? null;
  const proj = wHr !== null;
  const reverse = opts.reverse;
  const lengths = effectiveLengths(opts.lengths, T);
  const G = 4 * H;
  const K = kernels();
  const inputs: Tensor[] = [x, p.wIh, p.wHh];
  if (p.bIh) inputs.push(p.bIh);
  if (p.bHh) inputs.push(p.bHh);
  inputs.push(h0, c0);
  if (wHr) inputs.push(wHr);
  const grad = needsGrad(...inputs);

  const ws = new Workspace(K, dtype);
  const gates = ws.take(T * B * G, true);
  const cAll = ws.take((T + 1) * B * H, true);
  const tcAll = ws.take(T * B * H, true);
  const hAll = ws.take((T + 1) * B * P, true);
  const mAll = proj ? ws.take(T * B * H, true) : null;

  const hasBias = p.bIh !== null || p.bHh !== null;
  fillBias(gates, T * B, G, p.bIh?.data ?? null, p.bHh?.data ?? null);
  // Inference reuses W_ih packed with the tensor (it does not change between calls); training
  // packs it inside the GEMM, which the two threads share.
  if (grad) K.gemm(false, true, T * B, G, I, x.data, 0, I, p.wIh.data, 0, I, gates, 0, G, hasBias);
  else K.gemmPacked(T * B, x.data, 0, I, packedWeight(K, p.wIh, true, T * B), gates, 0, G, hasBias);
  const whh = packedWeight(K, p.wHh, true, B);
  const whr = wHr ? packedWeight(K, wHr, true, B) : null;
  const first = reverse ? T : 0;
  hAll.set(h0.data, first * B * P);
  cAll.set(c0.data, first * B * H);
  // Full-length sequences without a projection run in one wasm call at batch 1.
  const projection = whr && mAll ? { whr, mAll, P } : undefined;
  K.lstmSequenceForward(T, B, H, gates, cAll, tcAll, hAll, whh, reverse, { proj: projection, lengths });
  const last = reverse ? 0 : T;
  const output = new Tensor(gatherOutput(hAll, T, B, P, reverse, lengths, dtype), [T, B, P]);
  const hN = slotTensor(hAll, last, B, P, dtype);
  const cN = slotTensor(cAll, last, B, H, dtype);
  if (!grad) {
    ws.release();
    return { output, h: hN, c: cN };
  }

  const checkVersions = versionGuard(OP, [x, p.wIh, p.wHh, ...(wHr ? [wHr] : [])]);
  const backward = (gs: (Tensor | null)[]): (Tensor | null)[] => {
    if (ws.released) throw secondBackwardError(OP);
    checkVersions();
    const [gOut, gH, gC] = gs;
    const bw = new Workspace(K, dtype);
    try {
      const dG = bw.take(T * B * G, true);
      let dh = bw.take(B * P);
      let dhNext = bw.take(B * P);
      const dc = bw.take(B * H);
      const dm = proj ? bw.take(B * H) : null;
      const dhAll = proj ? bw.take(T * B * P) : null;
      const saved = lengths ? bw.take(B * H) : null;
      if (gH) dh.set(gH.data);
      if (gC) dc.set(gC.data);
      const whhB = packedWeight(K, p.wHh, false, B);
      const whrB = wHr ? packedWeight(K, wHr, false, B) : null;
      for (let s = T - 1; s >= 0; s--) {
        const t = reverse ? T - 1 - s : s;
        const prev = reverse ? t + 1 : t;
        if (gOut) addOutputGrad(gOut.data, t, B, P, lengths, dh);
        let dIn = dh;
        if (dm && dhAll && whrB) {
          dhAll.set(dh, t * B * P);
          if (lengths) zeroInactive(lengths, t, B, P, dhAll, t * B * P);
          K.gemmPacked(B, dhAll, t * B * P, P, whrB, dm, 0, H, false);
          dIn = dm;
        }
        if (saved && lengths) copyInactive(lengths, t, B, H, dc, 0, saved, 0);
        K.lstmGatesBackward(
          B,
          H,
          gates,
          t * B * G,
          cAll,
          prev * B * H,
          tcAll,
          t * B * H,
          dIn,
          0,
          dc,
          0,
          dG,
          t * B * G,
        );
        if (saved && lengths) {
          zeroInactive(lengths, t, B, G, dG, t * B * G);
          copyInactive(lengths, t, B, H, saved, 0, dc, 0);
        }
        K.gemmPacked(B, dG, t * B * G, G, whhB, dhNext, 0, P, false);
        if (lengths) copyInactive(lengths, t, B, P, dh, 0, dhNext, 0);
        const tmp = dh;
        dh = dhNext;
        dhNext = tmp;
      }
      const out: (Tensor | null)[] = [];
      const rows = T * B;
      out.push(x.requiresGrad ? gemmNew(K, false, rows, I, G, dG, p.wIh.data, false, [T, B, I]) : null);
      out.push(p.wIh.requiresGrad ? gemmNew(K, true, G, I, rows, dG, x.data, false, [G, I]) : null);
      if (p.wHh.requiresGrad) {
        const d = allocOut(G * P, dtype);
        K.gemm(true, false, G, P, rows, dG, 0, G, hAll, reverse ? B * P : 0, P, d, 0, P, false);
        out.push(new Tensor(d, [G, P]));
      } else out.push(null);
      out.push(...biasGrads(K, dG, rows, G, dtype, p.bIh, p.bHh));
      out.push(h0.requiresGrad ? slotTensor(dh, 0, B, P, dtype) : null);
      out.push(c0.requiresGrad ? slotTensor(dc, 0, B, H, dtype) : null);
      if (wHr && dhAll && mAll) {
        if (wHr.requiresGrad) {
          const d = allocOut(P * H, dtype);
          K.gemm(true, false, P, H, rows, dhAll, 0, P, mAll, 0, H, d, 0, H, false);
          out.push(new Tensor(d, [P, H]));
        } else out.push(null);
      }
      return out;
    } finally {
      bw.release();
      ws.release();
    }
  };
  ws.guard(backward);
  record('lstm', inputs, [output, hN, cN], backward);
  return { output, h: hN, c: cN };
}
