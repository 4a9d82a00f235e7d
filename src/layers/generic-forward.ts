/**
 * Forward of the generic sequence path over raw arrays (see generic-sequence.ts for the
 * equations). One GEMM projects the inputs of all time steps; each step then runs the recurrent
 * GEMM on the state `dilation` steps back and a pointwise loop over the active batch rows.
 * Everything the backward needs is saved per processing step (see `Saved`).
 */
import { kernels } from '../kernels/registry.js';
import type { FloatArray } from '../kernels/types.js';
import { allocOut } from '../tensor/tensor.js';
import { activate } from './generic-activations.js';
import { type Arrays, clipValue, type Plan, type Saved, timeOf } from './generic-plan.js';

export interface ForwardResult {
  /** [T, B, Hout], zero past each entry's length. */
  readonly out: FloatArray;
  /** Final states [B, Hout] and [B, H] (LSTM). */
  readonly hT: FloatArray;
  readonly cT: FloatArray | null;
  readonly saved: Saved;
}

/** Adds bias[j] to columns [c0, c0 + n) of every row of a [rows, ld] matrix. */
export function addBias(
  m: FloatArray,
  rows: number,
  ld: number,
  bias: FloatArray,
  c0: number,
  n: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * ld + c0;
    for (let j = 0; j < n; j++) m[o + j] += bias[c0 + j];
  }
}

export function forwardCore(p: Plan, w: Arrays): ForwardResult {
  const K = kernels();
  const { T, B, I, H, Hout, GH, L, dilation: d, dtype } = p;
  const clip = p.clip;
  const xw = allocOut(T * B * GH, dtype);
  if (T * B > 0) K.gemm(false, true, T * B, GH, I, w.x, 0, I, w.wIh, 0, I, xw, 0, GH, false);
  if (w.bIh) addBias(xw, T * B, GH, w.bIh, 0, GH);

  const lstm = p.cell === 'lstm';
  const gru = p.cell === 'gru';
  const proj = w.wHr !== null;
  const hs = allocOut(L * B * Hout, dtype);
  const pre = allocOut(L * B * GH, dtype);
  const post = allocOut(L * B * GH, dtype);
  const cs = lstm ? allocOut(L * B * H, dtype) : null;
  const tc = lstm ? allocOut(L * B * H, dtype) : null;
  const hpre = lstm && proj ? allocOut(L * B * H, dtype) : null;
  const gruN = gru ? allocOut(L * B * H, dtype) : null;
  const hw = allocOut(B * GH, dtype);
  // GRU without linear-before-reset: the n block of the recurrent product needs r first.
  const gruTextbook = gru && !p.lbr;
  const recCols = gruTextbook ? 2 * H : GH;
  const [fA, gA, hA] = p.acts;
  const peep = w.peep;

  for (let s = 0; s < L; s++) {
    const hp = s >= d ? hs : w.h0;
    const hpOff = s >= d ? (s - d) * B * Hout : 0;
    K.gemm(false, true, B, recCols, Hout, hp, hpOff, Hout, w.wHh, 0, Hout, hw, 0, GH, false);
    if (w.bHh) addBias(hw, B, GH, w.bHh, 0, recCols);
    const cp = lstm ? (s >= d ? (cs as FloatArray) : (w.c0 as FloatArray)) : null;
    const cpOff = s >= d ? (s - d) * B * H : 0;

    if (p.cell === 'rnn') {
      for (let b = 0; b < B; b++) {
        if (s >= p.lens[b]) continue;
        const xr = (timeOf(p, s, b) * B + b) * GH;
        const hr = b * GH;
        const o = (s * B + b) * GH;
        const so = (s * B + b) * Hout;
        for (let j = 0; j < H; j++) {
          const a = xw[xr + j] + hw[hr + j];
          pre[o + j] = a;
          const y = activate(fA, clipValue(a, clip));
          post[o + j] = y;
          hs[so + j] = y;
        }
      }
    } else if (lstm) {
      const c = cs as FloatArray;
      const tcv = tc as FloatArray;
      const hDst = hpre ?? hs;
      for (let b = 0; b < B; b++) {
        if (s >= p.lens[b]) continue;
        const xr = (timeOf(p, s, b) * B + b) * GH;
        const hr = b * GH;
        const o = (s * B + b) * GH;
        const so = (s * B + b) * H;
        const cpr = cpOff + b * H;
        for (let j = 0; j < H; j++) {
          const cpv = (cp as FloatArray)[cpr + j];
          let ai = xw[xr + j] + hw[hr + j];
          let af = xw[xr + H + j] + hw[hr + H + j] + p.forgetBias;
          const ag = xw[xr + 2 * H + j] + hw[hr + 2 * H + j];
          if (peep) {
            ai += peep[j] * cpv;
            af += peep[2 * H + j] * cpv;
          }
          const ig = activate(fA, clipValue(ai, clip));
          const fg = p.inputForget ? 1 - ig : activate(fA, clipValue(af, clip));
          const gg = activate(gA, clipValue(ag, clip));
          const cv = fg * cpv + ig * gg;
          c[so + j] = cv;
          const cStored = c[so + j];
          let ao = xw[xr + 3 * H + j] + hw[hr + 3 * H + j];
          if (peep) ao += peep[H + j] * cStored;
          const og = activate(fA, clipValue(ao, clip));
          const t = activate(hA, cStored);
          tcv[so + j] = t;
          pre[o + j] = ai;
          pre[o + H + j] = af;
          pre[o + 2 * H + j] = ag;
          pre[o + 3 * H + j] = ao;
          post[o + j] = ig;
          post[o + H + j] = fg;
          post[o + 2 * H + j] = gg;
          post[o + 3 * H + j] = og;
          hDst[so + j] = og * tcv[so + j];
        }
      }
      if (hpre) {
        // h = (o * h(c)) · W_hrᵀ; rows past their length stay zero (their hpre rows are zero).
        K.gemm(
          false,
          true,
          B,
          Hout,
          H,
          hpre,
          s * B * H,
          H,
          w.wHr as FloatArray,
          0,
          H,
          hs,
          s * B * Hout,
          Hout,
          false,
        );
      }
    } else {
      const gn = gruN as FloatArray;
      // r and z for every active row.
      for (let b = 0; b < B; b++) {
        if (s >= p.lens[b]) continue;
        const xr = (timeOf(p, s, b) * B + b) * GH;
        const hr = b * GH;
        const o = (s * B + b) * GH;
        for (let j = 0; j < 2 * H; j++) {
          const a = xw[xr + j] + hw[hr + j];
          pre[o + j] = a;
          post[o + j] = activate(fA, clipValue(a, clip));
        }
        const no = (s * B + b) * H;
        const hpr = hpOff + b * H;
        for (let j = 0; j < H; j++) {
          gn[no + j] = gruTextbook ? post[o + j] * hp[hpr + j] : hw[hr + 2 * H + j];
        }
      }
      if (gruTextbook) {
        // W_hn (r * h) + b_hn into the n block of hw.
        K.gemm(false, true, B, H, H, gn, s * B * H, H, w.wHh, 2 * H * H, H, hw, 2 * H, GH, false);
        if (w.bHh) addBias(hw, B, GH, w.bHh, 2 * H, H);
      }
      for (let b = 0; b < B; b++) {
        if (s >= p.lens[b]) continue;
        const xr = (timeOf(p, s, b) * B + b) * GH;
        const hr = b * GH;
        const o = (s * B + b) * GH;
        const so = (s * B + b) * H;
        const hpr = hpOff + b * H;
        for (let j = 0; j < H; j++) {
          const r = post[o + j];
          const z = post[o + H + j];
          const a = gruTextbook
            ? xw[xr + 2 * H + j] + hw[hr + 2 * H + j]
            : xw[xr + 2 * H + j] + r * hw[hr + 2 * H + j];
          pre[o + 2 * H + j] = a;
          const n = activate(gA, clipValue(a, clip));
          post[o + 2 * H + j] = n;
          hs[so + j] = (1 - z) * post[o + 2 * H + j] + z * hp[hpr + j];
        }
      }
    }
  }

  const out = allocOut(T * B * Hout, dtype);
  const hT = allocOut(B * Hout, dtype);
  const cT = lstm ? allocOut(B * H, dtype) : null;
  for (let b = 0; b < B; b++) {
    const len = p.lens[b];
    for (let s = 0; s < len; s++) {
      const src = (s * B + b) * Hout;
      const dst = (timeOf(p, s, b) * B + b) * Hout;
      for (let j = 0; j < Hout; j++) out[dst + j] = hs[src + j];
    }
    // The final state is the one after the entry's last processed step (with dilation d, the end
    // of the chain that step belongs to); an entry of length 0 keeps its initial state.
    const hSrc = len > 0 ? hs : w.h0;
    const hOff = len > 0 ? ((len - 1) * B + b) * Hout : b * Hout;
    for (let j = 0; j < Hout; j++) hT[b * Hout + j] = hSrc[hOff + j];
    if (cT) {
      const cSrc = len > 0 ? (cs as FloatArray) : (w.c0 as FloatArray);
      const cOff = len > 0 ? ((len - 1) * B + b) * H : b * H;
      for (let j = 0; j < H; j++) cT[b * H + j] = cSrc[cOff + j];
    }
  }
  return { out, hT, cT, saved: { hs, pre, post, cs, tc, hpre, gruN } };
}
