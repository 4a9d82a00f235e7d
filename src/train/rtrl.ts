/**
 * Real-time recurrent learning (Williams & Zipser, 1989, "A Learning Algorithm for Continually
 * Running Fully Recurrent Neural Networks"): the exact gradient of a loss accumulated over time,
 * computed online by carrying the forward-mode sensitivities S_t = dh_t/dθ (and dc_t/dθ for an
 * LSTM) along with the state, so the gradient is available after every step and the parameters
 * can be updated online, with no stored history and no backward pass.
 *
 *   const r = new RTRL(lstm);            // or new RTRL({ weight_ih, weight_hh, ... }, { mode: 'GRU' })
 *   r.reset(h0, c0);
 *   for (const x of xs) { const h = r.step(x); r.accumulate(dLoss_dh(h)); }
 *   r.gradients();                        // { weight_ih_l0: Tensor, weight_hh_l0: ..., bias_ih_l0, bias_hh_l0 }
 *
 * Recurrences (PyTorch layouts and gate orders, one layer, one direction): RNN h = f(a) with
 * f = tanh or relu; GRU r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); LSTM i, f, g, o.
 * For a = W_ih x + b_ih + W_hh h_{t-1} + b_hh the sensitivity update is
 *   dA/dθ = W_hh · S_{t-1} + (direct terms: x and h_{t-1} in row j of W_ih / W_hh, 1 for the biases)
 * followed by the pointwise chain rule of the cell (see `step`). Given dL/dh_t, the gradient
 * grows by dL/dh_t · S_t. With a loss at every step this equals BPTT's gradient over the same
 * sequence (tested to 1e-9 in float64).
 *
 * Cost, for n hidden units, m inputs and |θ| = G·n·(m + n + 2) parameters (G gates): the
 * W_hh · S product is G·n·n·|θ| = O(n^4) multiply-adds per step and batch entry (BPTT: O(n^2)
 * per step, plus a backward pass of the same order), and the sensitivities take
 * O(n·|θ|) = O(n^3) memory per batch entry, independent of the sequence length (BPTT: O(T·n)
 * activations plus the parameters). RTRL pays off only for small networks, long or unbounded
 * streams, and online updates. When the parameters change between steps (online learning), the
 * carried sensitivities refer to the earlier parameters: this is the usual approximation of
 * online RTRL; `resetSensitivities()` drops them. The mode and parameters of the source are found
 * and checked in rtrl-params.ts.
 */
import { kernels } from '../kernels/registry.js';
import type { DType, FloatArray } from '../kernels/types.js';
import type { Module } from '../nn/module.js';
import { allocData, Tensor } from '../tensor/tensor.js';
import { ConfigError, DTypeError, fmtShape, ShapeError } from '../util/errors.js';
import { GATES, type RTRLMode, type RTRLOptions, type RTRLParams, resolveSource } from './rtrl-params.js';

interface Slot {
  name: string;
  tensor: Tensor;
  off: number;
}

const W = 'RTRL';

/** Exact online gradients for a one-layer RNN, GRU or LSTM (see the module comment). */
export class RTRL {
  readonly mode: RTRLMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;
  /** |θ|: the number of parameter values whose sensitivities are carried. */
  readonly numParams: number;
  private readonly wIh: Tensor;
  private readonly wHh: Tensor;
  private readonly bIh: Tensor | null;
  private readonly bHh: Tensor | null;
  private readonly slots: Slot[];
  private readonly offWhh: number;
  private readonly offBih: number;
  private readonly offBhh: number;
  private readonly grad: FloatArray;
  private batch = 0;
  private h: FloatArray = new Float64Array(0);
  private c: FloatArray | null = null;
  private sh: FloatArray = new Float64Array(0);
  private sc: FloatArray | null = null;
  private shw: FloatArray;
  private started = false;

  constructor(source: Module | RTRLParams, options: RTRLOptions = {}) {
    const { mode, inputSize: I, hiddenSize: H, dtype, wih, whh, bih, bhh } = resolveSource(source, options);
    this.mode = mode;
    this.dtype = dtype;
    const GH = GATES[mode] * H;
    this.inputSize = I;
    this.hiddenSize = H;
    this.wIh = wih[1];
    this.wHh = whh[1];
    this.bIh = bih ? bih[1] : null;
    this.bHh = bhh ? bhh[1] : null;
    this.slots = [];
    let off = 0;
    for (const e of [wih, whh, bih, bhh]) {
      if (!e) continue;
      this.slots.push({ name: e[0], tensor: e[1], off });
      off += e[1].size;
    }
    this.numParams = off;
    this.offWhh = GH * I;
    this.offBih = bih ? GH * (I + H) : -1;
    this.offBhh = bhh ? GH * (I + H) + (bih ? GH : 0) : -1;
    this.grad = allocData(off, this.dtype);
    this.shw = allocData(GH * off, this.dtype);
  }

  /**
   * Starts a new sequence from h0 [batch, H] (and c0 for an LSTM; zeros when omitted, batch
   * then taken from the first step). The sensitivities restart at zero (h0 is a constant);
   * accumulated gradients are kept (see `zeroGrad`).
   */
  reset(h0: Tensor | null = null, c0: Tensor | null = null): void {
    const H = this.hiddenSize;
    const lstm = this.mode === 'LSTM';
    if (c0 && !lstm) throw new ConfigError(`${W}.reset: c0 is only for LSTM, got mode ${this.mode}`);
    const ref = h0 ?? c0;
    this.started = false;
    if (!ref) return;
    for (const [name, t] of [
      ['h0', h0],
      ['c0', c0],
    ] as const) {
      if (!t) continue;
      if (t.dtype !== this.dtype)
        throw new DTypeError(`${W}.reset: ${name} must be ${this.dtype}, got ${t.dtype}`);
      if (t.rank !== 2 || t.shape[1] !== H || t.shape[0] !== ref.shape[0]) {
        throw new ShapeError(`${W}.reset: ${name} must be [batch, ${H}], got ${fmtShape(t.shape)}`);
      }
    }
    this.start(ref.shape[0]);
    if (h0) this.h.set(h0.data);
    if (c0 && this.c) this.c.set(c0.data);
  }

  private start(batch: number): void {
    const H = this.hiddenSize;
    this.batch = batch;
    this.h = allocData(batch * H, this.dtype);
    this.c = this.mode === 'LSTM' ? allocData(batch * H, this.dtype) : null;
    this.sh = allocData(batch * H * this.numParams, this.dtype);
    this.sc = this.mode === 'LSTM' ? allocData(batch * H * this.numParams, this.dtype) : null;
    this.started = true;
  }

  /** Zeroes the carried sensitivities but keeps the state (truncates the gradient's memory). */
  resetSensitivities(): void {
    this.sh.fill(0);
    this.sc?.fill(0);
  }

  /** The current state (copies): h [batch, H], c [batch, H] or null. */
  state(): { h: Tensor; c: Tensor | null } {
    const H = this.hiddenSize;
    return {
      h: new Tensor(this.h.slice(), [this.batch, H]),
      c: this.c ? new Tensor(this.c.slice(), [this.batch, H]) : null,
    };
  }

  /**
   * Advances one time step with x [batch, inputSize] and returns the new h [batch, H] (a copy,
   * not on the autograd tape). Reads the parameters' current values.
   */
  step(x: Tensor): Tensor {
    const I = this.inputSize;
    if (!(x instanceof Tensor) || x.rank !== 2 || x.shape[1] !== I) {
      throw new ShapeError(
        `${W}.step: x must be [batch, ${I}], got ${x instanceof Tensor ? fmtShape(x.shape) : typeof x}`,
      );
    }
    if (x.dtype !== this.dtype) throw new DTypeError(`${W}.step: x must be ${this.dtype}, got ${x.dtype}`);
    if (!this.started) this.start(x.shape[0]);
    if (x.shape[0] !== this.batch) {
      throw new ShapeError(
        `${W}.step: x must have batch ${this.batch} (as the state), got ${fmtShape(x.shape)}`,
      );
    }
    const K = kernels();
    const { hiddenSize: H, numParams: P, batch: B } = this;
    const GH = GATES[this.mode] * H;
    const wIh = this.wIh.data;
    const wHh = this.wHh.data;
    const xw = allocData(B * GH, this.dtype);
    const hw = allocData(B * GH, this.dtype);
    K.gemm(false, true, B, GH, I, x.data, 0, I, wIh, 0, I, xw, 0, GH, false);
    K.gemm(false, true, B, GH, H, this.h, 0, H, wHh, 0, H, hw, 0, GH, false);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < GH; j++) {
        if (this.bIh) xw[b * GH + j] += this.bIh.data[j];
        if (this.bHh) hw[b * GH + j] += this.bHh.data[j];
      }
    }
    const hNew = allocData(B * H, this.dtype);
    const shw = this.shw;
    for (let b = 0; b < B; b++) {
      // dA_hh/dθ = W_hh · S_{t-1} + direct terms (h_{t-1} in row j of W_hh, 1 for b_hh).
      K.gemm(false, false, GH, P, H, wHh, 0, H, this.sh, b * H * P, P, shw, 0, P, false);
      for (let r = 0; r < GH; r++) {
        const o = r * P + this.offWhh + r * H;
        for (let k = 0; k < H; k++) shw[o + k] += this.h[b * H + k];
        if (this.offBhh >= 0) shw[r * P + this.offBhh + r] += 1;
      }
      if (this.mode === 'LSTM') this.lstmRows(b, x.data, xw, hw, hNew);
      else if (this.mode === 'GRU') this.gruRows(b, x.data, xw, hw, hNew);
      else this.rnnRows(b, x.data, xw, hw, hNew);
    }
    this.h = hNew;
    return new Tensor(hNew.slice(), [B, H]);
  }

  /** Adds the direct input terms of gate row r (x in row r of W_ih, 1 for b_ih) to shw row r. */
  private addInput(r: number, x: FloatArray, xOff: number): void {
    const P = this.numParams;
    const I = this.inputSize;
    const o = r * P + r * I;
    for (let k = 0; k < I; k++) this.shw[o + k] += x[xOff + k];
    if (this.offBih >= 0) this.shw[r * P + this.offBih + r] += 1;
  }

  /** shw row r *= s. */
  private scaleRow(r: number, s: number): void {
    const P = this.numParams;
    for (let q = r * P; q < (r + 1) * P; q++) this.shw[q] *= s;
  }

  private rnnRows(b: number, x: FloatArray, xw: FloatArray, hw: FloatArray, hNew: FloatArray): void {
    const { hiddenSize: H, numParams: P } = this;
    const relu = this.mode === 'RNN_RELU';
    for (let j = 0; j < H; j++) {
      const a = xw[b * H + j] + hw[b * H + j];
      const y = relu ? Math.max(a, 0) : Math.tanh(a);
      hNew[b * H + j] = y;
      this.addInput(j, x, b * this.inputSize);
      const d = relu ? (a > 0 ? 1 : 0) : 1 - y * y;
      const so = (b * H + j) * P;
      for (let q = 0; q < P; q++) this.sh[so + q] = d * this.shw[j * P + q];
    }
  }

  private gruRows(b: number, x: FloatArray, xw: FloatArray, hw: FloatArray, hNew: FloatArray): void {
    const { hiddenSize: H, numParams: P } = this;
    const GH = 3 * H;
    const shw = this.shw;
    const xo = b * this.inputSize;
    for (let j = 0; j < H; j++) {
      const g = b * GH;
      const r = sigmoid(xw[g + j] + hw[g + j]);
      const z = sigmoid(xw[g + H + j] + hw[g + H + j]);
      const hn = hw[g + 2 * H + j];
      const n = Math.tanh(xw[g + 2 * H + j] + r * hn);
      const hp = this.h[b * H + j];
      hNew[b * H + j] = (1 - z) * n + z * hp;
      this.addInput(j, x, xo);
      this.scaleRow(j, r * (1 - r));
      this.addInput(H + j, x, xo);
      this.scaleRow(H + j, z * (1 - z));
      // dn_pre = dx_n + r * d(W_hn h + b_hn) + (W_hn h + b_hn) * dr
      const rn = (2 * H + j) * P;
      const rr = j * P;
      for (let q = 0; q < P; q++) shw[rn + q] = r * shw[rn + q] + hn * shw[rr + q];
      this.addInput(2 * H + j, x, xo);
      this.scaleRow(2 * H + j, 1 - n * n);
      const so = (b * H + j) * P;
      const rz = (H + j) * P;
      for (let q = 0; q < P; q++)
        this.sh[so + q] = (1 - z) * shw[rn + q] + (hp - n) * shw[rz + q] + z * this.sh[so + q];
    }
  }

  private lstmRows(b: number, x: FloatArray, xw: FloatArray, hw: FloatArray, hNew: FloatArray): void {
    const { hiddenSize: H, numParams: P } = this;
    const GH = 4 * H;
    const shw = this.shw;
    const c = this.c as FloatArray;
    const sc = this.sc as FloatArray;
    const xo = b * this.inputSize;
    for (let j = 0; j < H; j++) {
      const g = b * GH;
      const ig = sigmoid(xw[g + j] + hw[g + j]);
      const fg = sigmoid(xw[g + H + j] + hw[g + H + j]);
      const gg = Math.tanh(xw[g + 2 * H + j] + hw[g + 2 * H + j]);
      const og = sigmoid(xw[g + 3 * H + j] + hw[g + 3 * H + j]);
      const cp = c[b * H + j];
      const cv = fg * cp + ig * gg;
      const tc = Math.tanh(cv);
      c[b * H + j] = cv;
      hNew[b * H + j] = og * tc;
      const ds = [ig * (1 - ig), fg * (1 - fg), 1 - gg * gg, og * (1 - og)];
      for (let k = 0; k < 4; k++) {
        this.addInput(k * H + j, x, xo);
        this.scaleRow(k * H + j, ds[k]);
      }
      const so = (b * H + j) * P;
      const [ri, rf, rg, ro] = [j * P, (H + j) * P, (2 * H + j) * P, (3 * H + j) * P];
      const dtc = og * (1 - tc * tc);
      for (let q = 0; q < P; q++) {
        const scv = fg * sc[so + q] + cp * shw[rf + q] + ig * shw[rg + q] + gg * shw[ri + q];
        sc[so + q] = scv;
        this.sh[so + q] = tc * shw[ro + q] + dtc * scv;
      }
    }
  }

  /**
   * Adds dL/dh_t · dh_t/dθ (and dL/dc_t · dc_t/dθ) to the gradient, for the loss terms that
   * depend on the state after the latest step. dh, dc: [batch, H].
   */
  accumulate(dh: Tensor | null, dc: Tensor | null = null): void {
    if (!this.started) throw new ConfigError(`${W}.accumulate: call step() first`);
    const { hiddenSize: H, numParams: P, batch: B } = this;
    if (dc && this.mode !== 'LSTM')
      throw new ConfigError(`${W}.accumulate: dc is only for LSTM, got mode ${this.mode}`);
    const K = kernels();
    for (const [name, t, s] of [
      ['dh', dh, this.sh],
      ['dc', dc, this.sc],
    ] as const) {
      if (!t || !s) continue;
      if (t.dtype !== this.dtype)
        throw new DTypeError(`${W}.accumulate: ${name} must be ${this.dtype}, got ${t.dtype}`);
      if (t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== H) {
        throw new ShapeError(
          `${W}.accumulate: ${name} must be [${B}, ${H}] (batch, hiddenSize), got ${fmtShape(t.shape)}`,
        );
      }
      for (let b = 0; b < B; b++)
        K.gemm(false, false, 1, P, H, t.data, b * H, H, s, b * H * P, P, this.grad, 0, P, true);
    }
  }

  /** The accumulated gradient per parameter, by the source's parameter names (copies). */
  gradients(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const s of this.slots)
      out[s.name] = new Tensor(this.grad.slice(s.off, s.off + s.tensor.size), s.tensor.shape);
    return out;
  }

  /** Adds the accumulated gradient to each parameter's `.grad` (as `backward` does), for optimizers. */
  applyToGrads(): void {
    for (const s of this.slots) {
      const g = this.grad.subarray(s.off, s.off + s.tensor.size);
      if (s.tensor.grad === null) s.tensor.grad = new Tensor(g.slice(), s.tensor.shape);
      else for (let i = 0; i < g.length; i++) s.tensor.grad.data[i] += g[i];
    }
  }

  /** Clears the accumulated gradient (not the sensitivities). */
  zeroGrad(): void {
    this.grad.fill(0);
  }
}

function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
