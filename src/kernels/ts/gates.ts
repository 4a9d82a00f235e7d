import type { FloatArray } from '../types.js';
import { sigmoid } from './pointwise.js';

/** See `Kernels.lstmGatesForward`. Gate order i, f, g, o as in PyTorch. */
export function lstmGatesForwardTs(
  rows: number,
  H: number,
  g: FloatArray,
  gOff: number,
  cPrev: FloatArray,
  cpOff: number,
  c: FloatArray,
  cOff: number,
  tc: FloatArray,
  tcOff: number,
  h: FloatArray,
  hOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const gr = gOff + r * 4 * H;
    const sr = r * H;
    for (let j = 0; j < H; j++) {
      const ig = sigmoid(g[gr + j]);
      const fg = sigmoid(g[gr + H + j]);
      const gg = Math.tanh(g[gr + 2 * H + j]);
      const og = sigmoid(g[gr + 3 * H + j]);
      g[gr + j] = ig;
      g[gr + H + j] = fg;
      g[gr + 2 * H + j] = gg;
      g[gr + 3 * H + j] = og;
      const cv = fg * cPrev[cpOff + sr + j] + ig * gg;
      const t = Math.tanh(cv);
      c[cOff + sr + j] = cv;
      tc[tcOff + sr + j] = t;
      h[hOff + sr + j] = og * t;
    }
  }
}

/** See `Kernels.lstmGatesBackward`. Uses the saved-output derivative forms σ' = y(1-y), tanh' = 1-y². */
export function lstmGatesBackwardTs(
  rows: number,
  H: number,
  g: FloatArray,
  gOff: number,
  cPrev: FloatArray,
  cpOff: number,
  tc: FloatArray,
  tcOff: number,
  dh: FloatArray,
  dhOff: number,
  dc: FloatArray,
  dcOff: number,
  dG: FloatArray,
  dgOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const gr = gOff + r * 4 * H;
    const dr = dgOff + r * 4 * H;
    const sr = r * H;
    for (let j = 0; j < H; j++) {
      const ig = g[gr + j];
      const fg = g[gr + H + j];
      const gg = g[gr + 2 * H + j];
      const og = g[gr + 3 * H + j];
      const t = tc[tcOff + sr + j];
      const dhv = dh[dhOff + sr + j];
      const dct = dc[dcOff + sr + j] + dhv * og * (1 - t * t);
      dG[dr + j] = dct * gg * ig * (1 - ig);
      dG[dr + H + j] = dct * cPrev[cpOff + sr + j] * fg * (1 - fg);
      dG[dr + 2 * H + j] = dct * ig * (1 - gg * gg);
      dG[dr + 3 * H + j] = dhv * t * og * (1 - og);
      dc[dcOff + sr + j] = dct * fg;
    }
  }
}

/** See `Kernels.gruGatesForward`. Gate order r, z, n; reset applied after the matmul (PyTorch). */
export function gruGatesForwardTs(
  rows: number,
  H: number,
  xg: FloatArray,
  xgOff: number,
  hg: FloatArray,
  hgOff: number,
  hPrev: FloatArray,
  hpOff: number,
  h: FloatArray,
  hOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const xr = xgOff + r * 3 * H;
    const hr = hgOff + r * 3 * H;
    const sr = r * H;
    for (let j = 0; j < H; j++) {
      const rg = sigmoid(xg[xr + j] + hg[hr + j]);
      const zg = sigmoid(xg[xr + H + j] + hg[hr + H + j]);
      const ng = Math.tanh(xg[xr + 2 * H + j] + rg * hg[hr + 2 * H + j]);
      xg[xr + j] = rg;
      xg[xr + H + j] = zg;
      xg[xr + 2 * H + j] = ng;
      h[hOff + sr + j] = (1 - zg) * ng + zg * hPrev[hpOff + sr + j];
    }
  }
}

/** See `Kernels.gruGatesBackward`. */
export function gruGatesBackwardTs(
  rows: number,
  H: number,
  xg: FloatArray,
  xgOff: number,
  hg: FloatArray,
  hgOff: number,
  hPrev: FloatArray,
  hpOff: number,
  dh: FloatArray,
  dhOff: number,
  dXg: FloatArray,
  dxOff: number,
  dHg: FloatArray,
  dhgOff: number,
  dhPrev: FloatArray,
  dhpOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const xr = xgOff + r * 3 * H;
    const hr = hgOff + r * 3 * H;
    const dxr = dxOff + r * 3 * H;
    const dhr = dhgOff + r * 3 * H;
    const sr = r * H;
    for (let j = 0; j < H; j++) {
      const rg = xg[xr + j];
      const zg = xg[xr + H + j];
      const ng = xg[xr + 2 * H + j];
      const hp = hPrev[hpOff + sr + j];
      const d = dh[dhOff + sr + j];
      const dnPre = d * (1 - zg) * (1 - ng * ng);
      const dzPre = d * (hp - ng) * zg * (1 - zg);
      const drPre = dnPre * hg[hr + 2 * H + j] * rg * (1 - rg);
      dXg[dxr + j] = drPre;
      dXg[dxr + H + j] = dzPre;
      dXg[dxr + 2 * H + j] = dnPre;
      dHg[dhr + j] = drPre;
      dHg[dhr + H + j] = dzPre;
      dHg[dhr + 2 * H + j] = dnPre * rg;
      dhPrev[dhpOff + sr + j] = d * zg;
    }
  }
}
