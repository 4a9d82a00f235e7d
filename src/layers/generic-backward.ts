/**
 * BPTT for the generic sequence path: the backward of `forwardCore` inside one tape node.
 *
 * The gradient of the state after processing step s is accumulated in `dhs[s]` (and `dcs[s]`):
 * from the output at that step's time, from the final state (at the entry's last step) and from
 * step s + dilation, whose recurrence read it. Walking s from the last step down, each step turns
 * its state gradient into gate pre-activation gradients (zero where a gate was clipped), sends the
 * recurrent part back to step s - dilation (or to h0/c0) with one GEMM, and accumulates W_hh's
 * gradient with another. The input side (`dXW`, time-major) is reduced after the loop by two large
 * GEMMs: dW_ih = dXWᵀ · X and dX = dXW · W_ih.
 */
import { kernels } from '../kernels/registry.js';
import type { FloatArray } from '../kernels/types.js';
import { allocOut } from '../tensor/tensor.js';
import { derivative } from './generic-activations.js';
import { type Arrays, clipMask, clipValue, type Plan, type Saved, timeOf } from './generic-plan.js';

/** Which input gradients to produce. */
export interface Needs {
  x: boolean;
  wIh: boolean;
  wHh: boolean;
  bIh: boolean;
  bHh: boolean;
  wHr: boolean;
  peep: boolean;
  h0: boolean;
  c0: boolean;
}

export interface Grads {
  x: FloatArray | null;
  wIh: FloatArray | null;
  wHh: FloatArray | null;
  bIh: FloatArray | null;
  bHh: FloatArray | null;
  wHr: FloatArray | null;
  peep: FloatArray | null;
  h0: FloatArray | null;
  c0: FloatArray | null;
}

/** Gradients of the outputs; null where none arrived. */
export interface OutGrads {
  out: FloatArray | null;
  hT: FloatArray | null;
  cT: FloatArray | null;
}

export function backwardCore(p: Plan, w: Arrays, sv: Saved, g: OutGrads, need: Needs): Grads {
  const K = kernels();
  const { T, B, I, H, Hout, GH, L, dilation: d, dtype, clip } = p;
  const lstm = p.cell === 'lstm';
  const gru = p.cell === 'gru';
  const gruTextbook = gru && !p.lbr;
  const [fA, gA, hA] = p.acts;
  const { hs, pre, post } = sv;

  const dhs = allocOut(L * B * Hout, dtype);
  const dcs = lstm ? allocOut(L * B * H, dtype) : null;
  const dh0 = allocOut(B * Hout, dtype);
  const dc0 = lstm ? allocOut(B * H, dtype) : null;
  for (let b = 0; b < B; b++) {
    const len = p.lens[b];
    if (g.out) {
      for (let s = 0; s < len; s++) {
        const src = (timeOf(p, s, b) * B + b) * Hout;
        const dst = (s * B + b) * Hout;
        for (let j = 0; j < Hout; j++) dhs[dst + j] += g.out[src + j];
      }
    }
    const hDst = len > 0 ? dhs : dh0;
    const hOff = len > 0 ? ((len - 1) * B + b) * Hout : b * Hout;
    if (g.hT) for (let j = 0; j < Hout; j++) hDst[hOff + j] += g.hT[b * Hout + j];
    if (lstm && g.cT) {
      const cDst = len > 0 ? (dcs as FloatArray) : (dc0 as FloatArray);
      const cOff = len > 0 ? ((len - 1) * B + b) * H : b * H;
      for (let j = 0; j < H; j++) cDst[cOff + j] += g.cT[b * H + j];
    }
  }

  const dXW = allocOut(T * B * GH, dtype);
  const dA = allocOut(B * GH, dtype);
  const dWhh = allocOut(GH * Hout, dtype);
  const dbHh = allocOut(GH, dtype);
  const dWhr = w.wHr ? allocOut(Hout * H, dtype) : null;
  const dPeep = w.peep ? allocOut(3 * H, dtype) : null;
  const dhpre = w.wHr ? allocOut(B * H, dtype) : null;
  const q = gruTextbook ? allocOut(B * H, dtype) : null;
  const peep = w.peep;

  for (let s = L - 1; s >= 0; s--) {
    const hp = s >= d ? hs : w.h0;
    const hpOff = s >= d ? (s - d) * B * Hout : 0;
    const dHp = s >= d ? dhs : dh0;
    const dHpOff = s >= d ? (s - d) * B * Hout : 0;
    dA.fill(0);
    // dh of this step in `dh`, offset `dhOff` (row stride H): through the projection if any.
    let dh: FloatArray = dhs;
    let dhOff = s * B * Hout;
    if (w.wHr && dhpre && dWhr) {
      K.gemm(false, false, B, H, Hout, dhs, s * B * Hout, Hout, w.wHr, 0, H, dhpre, 0, H, false);
      K.gemm(
        true,
        false,
        Hout,
        H,
        B,
        dhs,
        s * B * Hout,
        Hout,
        sv.hpre as FloatArray,
        s * B * H,
        H,
        dWhr,
        0,
        H,
        true,
      );
      dh = dhpre;
      dhOff = 0;
    }

    for (let b = 0; b < B; b++) {
      if (s >= p.lens[b]) continue;
      const o = (s * B + b) * GH;
      const xo = (timeOf(p, s, b) * B + b) * GH;
      const ao = b * GH;
      const dr = dhOff + b * H;
      if (p.cell === 'rnn') {
        for (let j = 0; j < H; j++) {
          const a = pre[o + j];
          const v = dh[dr + j] * derivative(fA, clipValue(a, clip), post[o + j]) * clipMask(a, clip);
          dA[ao + j] = v;
          dXW[xo + j] = v;
        }
      } else if (lstm) {
        const cs = sv.cs as FloatArray;
        const tc = sv.tc as FloatArray;
        const dcsA = dcs as FloatArray;
        const cp = s >= d ? cs : (w.c0 as FloatArray);
        const cpOff = (s >= d ? (s - d) * B * H : 0) + b * H;
        const dCp = s >= d ? dcsA : (dc0 as FloatArray);
        const so = (s * B + b) * H;
        for (let j = 0; j < H; j++) {
          const ig = post[o + j];
          const fg = post[o + H + j];
          const gg = post[o + 2 * H + j];
          const og = post[o + 3 * H + j];
          const ai = pre[o + j];
          const af = pre[o + H + j];
          const ag = pre[o + 2 * H + j];
          const aoV = pre[o + 3 * H + j];
          const c = cs[so + j];
          const t = tc[so + j];
          const cpv = cp[cpOff + j];
          const dhv = dh[dr + j];
          const dAo = dhv * t * derivative(fA, clipValue(aoV, clip), og) * clipMask(aoV, clip);
          let dc = dcsA[so + j] + dhv * og * derivative(hA, c, t);
          if (peep) dc += dAo * peep[H + j];
          let dI = dc * gg;
          const dF = dc * cpv;
          const dG = dc * ig;
          let dAf = 0;
          if (p.inputForget) dI -= dF;
          else dAf = dF * derivative(fA, clipValue(af, clip), fg) * clipMask(af, clip);
          const dAi = dI * derivative(fA, clipValue(ai, clip), ig) * clipMask(ai, clip);
          const dAg = dG * derivative(gA, clipValue(ag, clip), gg) * clipMask(ag, clip);
          let dcp = dc * fg;
          if (peep && dPeep) {
            dcp += dAi * peep[j] + dAf * peep[2 * H + j];
            dPeep[j] += dAi * cpv;
            dPeep[H + j] += dAo * c;
            dPeep[2 * H + j] += dAf * cpv;
          }
          dCp[cpOff + j] += dcp;
          dA[ao + j] = dAi;
          dA[ao + H + j] = dAf;
          dA[ao + 2 * H + j] = dAg;
          dA[ao + 3 * H + j] = dAo;
          dXW[xo + j] = dAi;
          dXW[xo + H + j] = dAf;
          dXW[xo + 2 * H + j] = dAg;
          dXW[xo + 3 * H + j] = dAo;
        }
      } else {
        const gn = sv.gruN as FloatArray;
        const no = (s * B + b) * H;
        const hpr = hpOff + b * H;
        for (let j = 0; j < H; j++) {
          const r = post[o + j];
          const z = post[o + H + j];
          const n = post[o + 2 * H + j];
          const dhv = dh[dr + j];
          const hpv = hp[hpr + j];
          const an = pre[o + 2 * H + j];
          const az = pre[o + H + j];
          const dAn = dhv * (1 - z) * derivative(gA, clipValue(an, clip), n) * clipMask(an, clip);
          const dAz = dhv * (hpv - n) * derivative(fA, clipValue(az, clip), z) * clipMask(az, clip);
          dHp[dHpOff + b * Hout + j] += dhv * z;
          dA[ao + H + j] = dAz;
          dXW[xo + H + j] = dAz;
          dXW[xo + 2 * H + j] = dAn;
          if (gruTextbook) {
            dA[ao + 2 * H + j] = dAn;
          } else {
            const ar = pre[o + j];
            dA[ao + 2 * H + j] = dAn * r;
            const dAr = dAn * gn[no + j] * derivative(fA, clipValue(ar, clip), r) * clipMask(ar, clip);
            dA[ao + j] = dAr;
            dXW[xo + j] = dAr;
          }
        }
      }
    }

    if (gruTextbook && q) {
      // n = g(... + W_hn (r * h) + b_hn): q = dA_n · W_hn is the gradient of r * h.
      const gn = sv.gruN as FloatArray;
      K.gemm(false, false, B, H, H, dA, 2 * H, GH, w.wHh, 2 * H * H, H, q, 0, H, false);
      if (need.wHh) K.gemm(true, false, H, H, B, dA, 2 * H, GH, gn, s * B * H, H, dWhh, 2 * H * H, H, true);
      for (let b = 0; b < B; b++) {
        if (s >= p.lens[b]) continue;
        const o = (s * B + b) * GH;
        const xo = (timeOf(p, s, b) * B + b) * GH;
        const hpr = hpOff + b * H;
        for (let j = 0; j < H; j++) {
          const r = post[o + j];
          const ar = pre[o + j];
          const qv = q[b * H + j];
          const dAr = qv * hp[hpr + j] * derivative(fA, clipValue(ar, clip), r) * clipMask(ar, clip);
          dA[b * GH + j] = dAr;
          dXW[xo + j] = dAr;
          dHp[dHpOff + b * Hout + j] += qv * r;
        }
      }
    }
    const recCols = gruTextbook ? 2 * H : GH;
    K.gemm(false, false, B, Hout, recCols, dA, 0, GH, w.wHh, 0, Hout, dHp, dHpOff, Hout, true);
    if (need.wHh) K.gemm(true, false, recCols, Hout, B, dA, 0, GH, hp, hpOff, Hout, dWhh, 0, Hout, true);
    for (let b = 0; b < B; b++) for (let j = 0; j < GH; j++) dbHh[j] += dA[b * GH + j];
  }

  const TB = T * B;
  let dx: FloatArray | null = null;
  let dWih: FloatArray | null = null;
  let dbIh: FloatArray | null = null;
  if (need.x) {
    dx = allocOut(TB * I, dtype);
    if (TB > 0) K.gemm(false, false, TB, I, GH, dXW, 0, GH, w.wIh, 0, I, dx, 0, I, false);
  }
  if (need.wIh) {
    dWih = allocOut(GH * I, dtype);
    if (TB > 0) K.gemm(true, false, GH, I, TB, dXW, 0, GH, w.x, 0, I, dWih, 0, I, false);
  }
  if (need.bIh) {
    dbIh = allocOut(GH, dtype);
    for (let r = 0; r < TB; r++) for (let j = 0; j < GH; j++) dbIh[j] += dXW[r * GH + j];
  }
  return {
    x: dx,
    wIh: dWih,
    wHh: need.wHh ? dWhh : null,
    bIh: dbIh,
    bHh: need.bHh ? dbHh : null,
    wHr: need.wHr ? dWhr : null,
    peep: need.peep ? dPeep : null,
    h0: need.h0 ? dh0 : null,
    c0: need.c0 ? dc0 : null,
  };
}
