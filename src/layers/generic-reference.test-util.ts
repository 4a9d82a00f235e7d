/**
 * A plain-JavaScript reference of the generic sequence semantics for tests: one batch entry at a
 * time, time step by time step, numbers in float64, no kernels. Written independently of
 * generic-forward.ts so that the two can be compared.
 */
import type { ActivationSpec, SequenceMode } from './sequence-types.js';

export interface RefParams {
  wIh: ArrayLike<number>;
  wHh: ArrayLike<number>;
  bIh: ArrayLike<number> | null;
  bHh: ArrayLike<number> | null;
  wHr: ArrayLike<number> | null;
  /** [Pi, Po, Pf] */
  peep: ArrayLike<number> | null;
}

export interface RefOptions {
  reverse: boolean;
  lengths: ArrayLike<number> | null;
  activations?: ActivationSpec[];
  clip?: number;
  inputForget?: boolean;
  linearBeforeReset?: boolean;
  dilation?: number;
  forgetBias?: number;
}

function fn(spec: ActivationSpec): (x: number) => number {
  const a = spec.alpha;
  const b = spec.beta;
  switch (spec.kind) {
    case 'sigmoid':
      return (x) => 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh;
    case 'relu':
      return (x) => Math.max(x, 0);
    case 'affine':
      return (x) => (a ?? 1) * x + (b ?? 0);
    case 'leakyrelu':
      return (x) => (x >= 0 ? x : (a ?? 0.01) * x);
    case 'thresholdedrelu':
      return (x) => (x >= (a ?? 1) ? x : 0);
    case 'scaledtanh':
      return (x) => (a ?? 1) * Math.tanh((b ?? 1) * x);
    case 'hardsigmoid':
      return (x) => Math.min(Math.max((a ?? 0.2) * x + (b ?? 0.5), 0), 1);
    case 'elu':
      return (x) => (x >= 0 ? x : (a ?? 1) * (Math.exp(x) - 1));
    case 'softsign':
      return (x) => x / (1 + Math.abs(x));
    case 'softplus':
      return (x) => Math.log(1 + Math.exp(x));
  }
}

/** Returns output [T*B*Hout], h [B*Hout], c [B*H] (flat, row-major) as number arrays. */
export function referenceSequence(
  mode: SequenceMode,
  x: ArrayLike<number>,
  [T, B, I]: readonly number[],
  p: RefParams,
  h0: ArrayLike<number> | null,
  c0: ArrayLike<number> | null,
  o: RefOptions,
): { output: number[]; h: number[]; c: number[] | null } {
  const G = mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
  const H = p.wIh.length / (G * I);
  const Hout = p.wHr ? p.wHr.length / H : H;
  const defaults: Record<SequenceMode, ActivationSpec[]> = {
    RNN_TANH: [{ kind: 'tanh' }],
    RNN_RELU: [{ kind: 'relu' }],
    GRU: [{ kind: 'sigmoid' }, { kind: 'tanh' }],
    LSTM: [{ kind: 'sigmoid' }, { kind: 'tanh' }, { kind: 'tanh' }],
  };
  const [f, g, hf] = (o.activations ?? defaults[mode]).map(fn);
  const clip = (v: number) => (o.clip === undefined ? v : Math.min(Math.max(v, -o.clip), o.clip));
  const d = o.dilation ?? 1;
  const lbr = o.linearBeforeReset ?? true;
  const fb = o.forgetBias ?? 0;
  // (W v)[row] for a row block of W [rows, cols].
  const mv = (W: ArrayLike<number>, cols: number, row: number, v: ArrayLike<number>, vOff = 0) => {
    let s = 0;
    for (let k = 0; k < cols; k++) s += W[row * cols + k] * v[vOff + k];
    return s;
  };
  const bias = (bv: ArrayLike<number> | null, j: number) => (bv ? bv[j] : 0);
  const output = new Array<number>(T * B * Hout).fill(0);
  const hOut: number[] = [];
  const cOut: number[] = [];
  for (let b = 0; b < B; b++) {
    const len = o.lengths ? o.lengths[b] : T;
    const hInit = Array.from({ length: Hout }, (_, j) => (h0 ? h0[b * Hout + j] : 0));
    const cInit = Array.from({ length: H }, (_, j) => (c0 ? c0[b * H + j] : 0));
    const hsArr: number[][] = [];
    const csArr: number[][] = [];
    for (let s = 0; s < len; s++) {
      const t = o.reverse ? len - 1 - s : s;
      const xo = (t * B + b) * I;
      const hp = s >= d ? hsArr[s - d] : hInit;
      const cp = s >= d ? csArr[s - d] : cInit;
      const xg = (gate: number, j: number) => mv(p.wIh, I, gate * H + j, x, xo) + bias(p.bIh, gate * H + j);
      const hg = (gate: number, j: number) => mv(p.wHh, Hout, gate * H + j, hp) + bias(p.bHh, gate * H + j);
      let hNew: number[];
      let cNew: number[] = [];
      if (G === 1) {
        hNew = Array.from({ length: H }, (_, j) => f(clip(xg(0, j) + hg(0, j))));
      } else if (G === 3) {
        const r = Array.from({ length: H }, (_, j) => f(clip(xg(0, j) + hg(0, j))));
        const z = Array.from({ length: H }, (_, j) => f(clip(xg(1, j) + hg(1, j))));
        const rh = hp.map((v, k) => v * r[k]);
        const n = Array.from({ length: H }, (_, j) =>
          g(
            clip(
              lbr
                ? xg(2, j) + r[j] * hg(2, j)
                : xg(2, j) + mv(p.wHh, H, 2 * H + j, rh) + bias(p.bHh, 2 * H + j),
            ),
          ),
        );
        hNew = n.map((nv, j) => (1 - z[j]) * nv + z[j] * hp[j]);
      } else {
        const P = p.peep;
        const hpre: number[] = [];
        for (let j = 0; j < H; j++) {
          const i = f(clip(xg(0, j) + hg(0, j) + (P ? P[j] * cp[j] : 0)));
          const fg = o.inputForget
            ? 1 - i
            : f(clip(xg(1, j) + hg(1, j) + fb + (P ? P[2 * H + j] * cp[j] : 0)));
          const cc = g(clip(xg(2, j) + hg(2, j)));
          const c = fg * cp[j] + i * cc;
          const og = f(clip(xg(3, j) + hg(3, j) + (P ? P[H + j] * c : 0)));
          cNew.push(c);
          hpre.push(og * hf(c));
        }
        hNew = p.wHr
          ? Array.from({ length: Hout }, (_, k) => mv(p.wHr as ArrayLike<number>, H, k, hpre))
          : hpre;
      }
      if (G !== 4) cNew = [];
      hsArr.push(hNew);
      csArr.push(cNew);
      for (let j = 0; j < Hout; j++) output[(t * B + b) * Hout + j] = hNew[j];
    }
    hOut.push(...(len > 0 ? hsArr[len - 1] : hInit));
    cOut.push(...(len > 0 ? csArr[len - 1] : cInit));
  }
  return { output, h: hOut, c: G === 4 ? cOut : null };
}
