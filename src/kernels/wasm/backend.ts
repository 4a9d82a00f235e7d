/**
 * The `Kernels` object of one wasm module instance: WasmGemm (marshalling, memory, GEMM) plus
 * the pointwise kernels, which large calls split with the worker thread by hidden units. Each kernel has a fast path, taken when every operand is a view into this
 * instance's memory (a few comparisons, no allocation, one wasm call), and the staged slow path.
 * Calls with a Float64Array operand go to the TypeScript kernels (the float64 implementation).
 */

import { ShapeError } from '../../util/errors.js';
import { lstmSequenceLoop } from '../sequence.js';
import { tsKernels } from '../ts/index.js';
import { adamStepTs } from '../ts/optim.js';
import type { AdamEntry, FloatArray, Kernels, LstmSequenceExtras, PackedMatrix } from '../types.js';
import type { Operand } from './core.js';
import { WasmGemm, WasmPacked } from './gemm.js';
import { CTRL, JOB } from './jobs.js';
import { unitsPerChunk } from './threads.js';

const UNARY_OP = { exp: 0, tanh: 1, sigmoid: 2, relu: 3 } as const;

/**
 * Work per element in FLOP-equivalents (one-thread time x GEMM FLOP rate, measured with
 * bench/kernels.ts), so one threshold decides for GEMMs and pointwise kernels alike.
 */
const COST = {
  unary: [43, 110, 57, 15],
  lstmFwd: 300,
  lstmBwd: 30,
  gruFwd: 290,
  gruBwd: 30,
} as const;

export class WasmBackend extends WasmGemm implements Kernels {
  /** Two 64-byte-apart sync words of the sequence kernels (assembly/seq.ts), and a view of them. */
  private seqSync = -1;
  private seqSyncView: Int32Array | null = null;

  /**
   * The batch-1 LSTM recurrence in one wasm call (assembly/seq.ts), shared step by step with the
   * worker when that pays: each thread's L2 then holds half of W_hh. Two chunks per step only when
   * every gate's half is whole 8-column row blocks.
   */
  private lstmSeqAt(
    T: number,
    H: number,
    reverse: boolean,
    g: number,
    c: number,
    tc: number,
    h: number,
    bp: number,
  ): void {
    if (this.seqSync < 0) {
      this.seqSync = this.heap.allocBytes(128);
      this.seqSyncView = new Int32Array(this.heap.memory.buffer, this.seqSync, 32);
    }
    const sync = this.seqSync;
    const view = this.seqSyncView!;
    Atomics.store(view, 0, 0);
    Atomics.store(view, 16, 0);
    const team = H >= 16 && H % 8 === 0 ? this.par(T * (8 * H * H + COST.lstmFwd * H)) : null;
    const rev = reverse ? 1 : 0;
    if (!team) {
      if (this.ex.lstmSeqForward(T, H, 1, rev, g, c, tc, h, bp, sync, this.tile) < 0)
        throw new Error(
          'lstmSequenceForward: the batch-1 LSTM kernel waited over a second for its own earlier steps (expected them done); the wasm state is inconsistent',
        );
      return;
    }
    const a = team.ctrl;
    const o = CTRL.ARGS + 3;
    a[o] = T;
    a[o + 1] = H;
    a[o + 2] = 2;
    a[o + 3] = rev;
    a[o + 4] = g;
    a[o + 5] = c;
    a[o + 6] = tc;
    a[o + 7] = h;
    a[o + 8] = bp;
    a[o + 9] = sync;
    team.run(this.ex, this.tile, JOB.LSTM_SEQ, 2, 1);
  }

  lstmSequenceForward(
    T: number,
    B: number,
    H: number,
    gates: FloatArray,
    cAll: FloatArray,
    tcAll: FloatArray,
    hAll: FloatArray,
    whh: PackedMatrix,
    reverse: boolean,
    extras: LstmSequenceExtras = {},
  ): void {
    if (T <= 0 || H <= 0) return;
    const plain = !extras.proj && !extras.lengths;
    if (
      plain &&
      B === 1 &&
      whh instanceof WasmPacked &&
      whh.owner === this &&
      whh.layout === 'rows' &&
      whh.ptr >= 0
    ) {
      const pg = this.addr(gates, 0, T * 4 * H);
      const pc = this.addr(cAll, 0, (T + 1) * H);
      const ptc = this.addr(tcAll, 0, T * H);
      const ph = this.addr(hAll, 0, (T + 1) * H);
      if (pg >= 0 && pc >= 0 && ptc >= 0 && ph >= 0 && whh.k === H && whh.n === 4 * H) {
        this.lstmSeqAt(T, H, reverse, pg, pc, ptc, ph, whh.ptr);
        return;
      }
    }
    lstmSequenceLoop(this, T, B, H, gates, cAll, tcAll, hAll, whh, reverse, extras);
  }

  /**
   * One wasm call over every float32 entry (float64 entries go to the TypeScript loop). Arrays
   * in this memory are used in place; others (typically the gradients) are staged.
   */
  adamStep(entries: readonly AdamEntry[]): void {
    const f32 = entries.filter((e) => e.p instanceof Float32Array && e.p.length > 0);
    if (f32.length < entries.length) adamStepTs(entries.filter((e) => !f32.includes(e)));
    if (f32.length === 0) return;
    const ops: Operand[] = [];
    f32.forEach((e, i) => {
      const n = e.p.length;
      for (const [name, a] of [
        ['g', e.g],
        ['m', e.m],
        ['v', e.v],
        ['vmax', e.vmax],
      ] as const)
        if (a && (a.length !== n || !(a instanceof Float32Array)))
          throw new ShapeError(
            `adamStep: entry ${i}: ${name} must be a Float32Array of ${n} values (as p), got a ${a.constructor.name} of ${a.length}`,
          );
    });
    for (const e of f32) {
      const n = e.p.length;
      ops.push({ a: e.p, off: 0, len: n, mode: 2 }, { a: e.g, off: 0, len: n, mode: 0 });
      ops.push({ a: e.m, off: 0, len: n, mode: 2 }, { a: e.v, off: 0, len: n, mode: 2 });
      if (e.vmax) ops.push({ a: e.vmax, off: 0, len: n, mode: 2 });
    }
    this.staged(ops, f32.length * 64, (ptr, table) => {
      const i32 = new Int32Array(this.heap.memory.buffer, table, f32.length * 16);
      const f = new Float32Array(this.heap.memory.buffer, table, f32.length * 16);
      let k = 0;
      f32.forEach((e, j) => {
        const o = j * 16;
        i32[o] = ptr[k];
        i32[o + 1] = ptr[k + 1];
        i32[o + 2] = ptr[k + 2];
        i32[o + 3] = ptr[k + 3];
        i32[o + 4] = e.vmax ? ptr[k + 4] : 0;
        i32[o + 5] = e.p.length;
        k += e.vmax ? 5 : 4;
        f.set(
          [e.stepSize, e.bc2Sqrt, e.beta1, e.beta2, 1 - e.beta1, 1 - e.beta2, e.eps, e.decay, e.l2, e.sign],
          o + 6,
        );
      });
      this.ex.adamMulti(table, f32.length);
    });
  }

  /** Chunking of a pointwise job over `units` columns, or 0 when it runs on one thread. */
  private splitUnits(units: number, cost: number, align: number): number {
    if (!this.par(cost)) return 0;
    const per = unitsPerChunk(units, cost, align);
    return per < units ? per : 0;
  }

  private unaryAt(code: number, n: number, x: number, y: number): void {
    const per = this.splitUnits(n, COST.unary[code] * n, 16);
    if (per === 0) {
      this.ex.unary(code, n, x, y);
      return;
    }
    const team = this.workerTeam!;
    const a = team.ctrl;
    const o = CTRL.ARGS + 3;
    a[o] = code;
    a[o + 1] = n;
    a[o + 2] = x;
    a[o + 3] = y;
    team.run(this.ex, this.tile, JOB.UNARY, Math.ceil(n / per), per);
  }

  private lstmFwdAt(rows: number, H: number, g: number, cp: number, c: number, tc: number, h: number): void {
    const per = this.splitUnits(H, COST.lstmFwd * rows * H, 4);
    if (per === 0) {
      this.ex.lstmGatesForward(rows, H, 0, H, g, cp, c, tc, h);
      return;
    }
    const team = this.workerTeam!;
    const a = team.ctrl;
    const o = CTRL.ARGS + 3;
    a[o] = rows;
    a[o + 1] = H;
    a[o + 2] = g;
    a[o + 3] = cp;
    a[o + 4] = c;
    a[o + 5] = tc;
    a[o + 6] = h;
    team.run(this.ex, this.tile, JOB.LSTM_FWD, Math.ceil(H / per), per);
  }

  private lstmBwdAt(
    rows: number,
    H: number,
    g: number,
    cp: number,
    tc: number,
    dh: number,
    dc: number,
    dg: number,
  ): void {
    const per = this.splitUnits(H, COST.lstmBwd * rows * H, 4);
    if (per === 0) {
      this.ex.lstmGatesBackward(rows, H, 0, H, g, cp, tc, dh, dc, dg);
      return;
    }
    const team = this.workerTeam!;
    const a = team.ctrl;
    const o = CTRL.ARGS + 3;
    a[o] = rows;
    a[o + 1] = H;
    a[o + 2] = g;
    a[o + 3] = cp;
    a[o + 4] = tc;
    a[o + 5] = dh;
    a[o + 6] = dc;
    a[o + 7] = dg;
    team.run(this.ex, this.tile, JOB.LSTM_BWD, Math.ceil(H / per), per);
  }

  private gruFwdAt(rows: number, H: number, xg: number, hg: number, hp: number, h: number): void {
    const per = this.splitUnits(H, COST.gruFwd * rows * H, 4);
    if (per === 0) {
      this.ex.gruGatesForward(rows, H, 0, H, xg, hg, hp, h);
      return;
    }
    const team = this.workerTeam!;
    const a = team.ctrl;
    const o = CTRL.ARGS + 3;
    a[o] = rows;
    a[o + 1] = H;
    a[o + 2] = xg;
    a[o + 3] = hg;
    a[o + 4] = hp;
    a[o + 5] = h;
    team.run(this.ex, this.tile, JOB.GRU_FWD, Math.ceil(H / per), per);
  }

  private gruBwdAt(
    rows: number,
    H: number,
    xg: number,
    hg: number,
    hp: number,
    dh: number,
    dx: number,
    dhg: number,
    dhp: number,
  ): void {
    const per = this.splitUnits(H, COST.gruBwd * rows * H, 4);
    if (per === 0) {
      this.ex.gruGatesBackward(rows, H, 0, H, xg, hg, hp, dh, dx, dhg, dhp);
      return;
    }
    const team = this.workerTeam!;
    const a = team.ctrl;
    const o = CTRL.ARGS + 3;
    a[o] = rows;
    a[o + 1] = H;
    a[o + 2] = xg;
    a[o + 3] = hg;
    a[o + 4] = hp;
    a[o + 5] = dh;
    a[o + 6] = dx;
    a[o + 7] = dhg;
    a[o + 8] = dhp;
    team.run(this.ex, this.tile, JOB.GRU_BWD, Math.ceil(H / per), per);
  }

  sumRows(rows: number, n: number, src: FloatArray, srcOff: number, dst: FloatArray, dstOff: number): void {
    if (src instanceof Float64Array || dst instanceof Float64Array || rows <= 0 || n <= 0) {
      tsKernels.sumRows(rows, n, src, srcOff, dst, dstOff);
      return;
    }
    const ps = this.addr(src, srcOff, rows * n);
    const pd = this.addr(dst, dstOff, n);
    if (ps >= 0 && pd >= 0) {
      this.ex.sumRows(rows, n, ps, pd);
      return;
    }
    const ops: Operand[] = [
      { a: src, off: srcOff, len: rows * n, mode: 0 },
      { a: dst, off: dstOff, len: n, mode: 1 },
    ];
    this.staged(ops, 0, ([s, d]) => this.ex.sumRows(rows, n, s, d));
  }

  unary(
    op: 'exp' | 'log' | 'tanh' | 'sigmoid' | 'relu',
    n: number,
    x: FloatArray,
    xOff: number,
    y: FloatArray,
    yOff: number,
  ): void {
    if (op === 'log' || x instanceof Float64Array || y instanceof Float64Array) {
      tsKernels.unary(op, n, x, xOff, y, yOff);
      return;
    }
    if (n <= 0) return;
    const code = UNARY_OP[op];
    const px = this.addr(x, xOff, n);
    const py = this.addr(y, yOff, n);
    if (px >= 0 && py >= 0) {
      this.unaryAt(code, n, px, py);
      return;
    }
    const ops: Operand[] = [
      { a: x, off: xOff, len: n, mode: 0 },
      { a: y, off: yOff, len: n, mode: 1 },
    ];
    this.staged(ops, 0, ([sx, sy]) => this.unaryAt(code, n, sx, sy));
  }

  lstmGatesForward(
    rows: number,
    H: number,
    gates: FloatArray,
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
    if (
      gates instanceof Float64Array ||
      cPrev instanceof Float64Array ||
      c instanceof Float64Array ||
      tc instanceof Float64Array ||
      h instanceof Float64Array
    ) {
      tsKernels.lstmGatesForward(rows, H, gates, gOff, cPrev, cpOff, c, cOff, tc, tcOff, h, hOff);
      return;
    }
    const len = rows * H;
    if (len <= 0) return;
    const pg = this.addr(gates, gOff, 4 * len);
    const pcp = this.addr(cPrev, cpOff, len);
    const pc = this.addr(c, cOff, len);
    const ptc = this.addr(tc, tcOff, len);
    const ph = this.addr(h, hOff, len);
    if (pg >= 0 && pcp >= 0 && pc >= 0 && ptc >= 0 && ph >= 0) {
      this.lstmFwdAt(rows, H, pg, pcp, pc, ptc, ph);
      return;
    }
    const ops: Operand[] = [
      { a: gates, off: gOff, len: 4 * len, mode: 2 },
      { a: cPrev, off: cpOff, len, mode: 0 },
      { a: c, off: cOff, len, mode: 1 },
      { a: tc, off: tcOff, len, mode: 1 },
      { a: h, off: hOff, len, mode: 1 },
    ];
    this.staged(ops, 0, (p) => this.lstmFwdAt(rows, H, p[0], p[1], p[2], p[3], p[4]));
  }

  lstmGatesBackward(
    rows: number,
    H: number,
    gates: FloatArray,
    gOff: number,
    cPrev: FloatArray,
    cpOff: number,
    tc: FloatArray,
    tcOff: number,
    dh: FloatArray,
    dhOff: number,
    dc: FloatArray,
    dcOff: number,
    dGates: FloatArray,
    dgOff: number,
  ): void {
    if (
      gates instanceof Float64Array ||
      cPrev instanceof Float64Array ||
      tc instanceof Float64Array ||
      dh instanceof Float64Array ||
      dc instanceof Float64Array ||
      dGates instanceof Float64Array
    ) {
      tsKernels.lstmGatesBackward(
        rows,
        H,
        gates,
        gOff,
        cPrev,
        cpOff,
        tc,
        tcOff,
        dh,
        dhOff,
        dc,
        dcOff,
        dGates,
        dgOff,
      );
      return;
    }
    const len = rows * H;
    if (len <= 0) return;
    const pg = this.addr(gates, gOff, 4 * len);
    const pcp = this.addr(cPrev, cpOff, len);
    const ptc = this.addr(tc, tcOff, len);
    const pdh = this.addr(dh, dhOff, len);
    const pdc = this.addr(dc, dcOff, len);
    const pdg = this.addr(dGates, dgOff, 4 * len);
    if (pg >= 0 && pcp >= 0 && ptc >= 0 && pdh >= 0 && pdc >= 0 && pdg >= 0) {
      this.lstmBwdAt(rows, H, pg, pcp, ptc, pdh, pdc, pdg);
      return;
    }
    const ops: Operand[] = [
      { a: gates, off: gOff, len: 4 * len, mode: 0 },
      { a: cPrev, off: cpOff, len, mode: 0 },
      { a: tc, off: tcOff, len, mode: 0 },
      { a: dh, off: dhOff, len, mode: 0 },
      { a: dc, off: dcOff, len, mode: 2 },
      { a: dGates, off: dgOff, len: 4 * len, mode: 1 },
    ];
    this.staged(ops, 0, (p) => this.lstmBwdAt(rows, H, p[0], p[1], p[2], p[3], p[4], p[5]));
  }

  gruGatesForward(
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
    if (
      xg instanceof Float64Array ||
      hg instanceof Float64Array ||
      hPrev instanceof Float64Array ||
      h instanceof Float64Array
    ) {
      tsKernels.gruGatesForward(rows, H, xg, xgOff, hg, hgOff, hPrev, hpOff, h, hOff);
      return;
    }
    const len = rows * H;
    if (len <= 0) return;
    const px = this.addr(xg, xgOff, 3 * len);
    const phg = this.addr(hg, hgOff, 3 * len);
    const php = this.addr(hPrev, hpOff, len);
    const ph = this.addr(h, hOff, len);
    if (px >= 0 && phg >= 0 && php >= 0 && ph >= 0) {
      this.gruFwdAt(rows, H, px, phg, php, ph);
      return;
    }
    const ops: Operand[] = [
      { a: xg, off: xgOff, len: 3 * len, mode: 2 },
      { a: hg, off: hgOff, len: 3 * len, mode: 0 },
      { a: hPrev, off: hpOff, len, mode: 0 },
      { a: h, off: hOff, len, mode: 1 },
    ];
    this.staged(ops, 0, (p) => this.gruFwdAt(rows, H, p[0], p[1], p[2], p[3]));
  }

  gruGatesBackward(
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
    if (
      xg instanceof Float64Array ||
      hg instanceof Float64Array ||
      hPrev instanceof Float64Array ||
      dh instanceof Float64Array ||
      dXg instanceof Float64Array ||
      dHg instanceof Float64Array ||
      dhPrev instanceof Float64Array
    ) {
      const t = tsKernels;
      t.gruGatesBackward(
        rows,
        H,
        xg,
        xgOff,
        hg,
        hgOff,
        hPrev,
        hpOff,
        dh,
        dhOff,
        dXg,
        dxOff,
        dHg,
        dhgOff,
        dhPrev,
        dhpOff,
      );
      return;
    }
    const len = rows * H;
    if (len <= 0) return;
    const px = this.addr(xg, xgOff, 3 * len);
    const phg = this.addr(hg, hgOff, 3 * len);
    const php = this.addr(hPrev, hpOff, len);
    const pdh = this.addr(dh, dhOff, len);
    const pdx = this.addr(dXg, dxOff, 3 * len);
    const pdhg = this.addr(dHg, dhgOff, 3 * len);
    const pdhp = this.addr(dhPrev, dhpOff, len);
    if (px >= 0 && phg >= 0 && php >= 0 && pdh >= 0 && pdx >= 0 && pdhg >= 0 && pdhp >= 0) {
      this.gruBwdAt(rows, H, px, phg, php, pdh, pdx, pdhg, pdhp);
      return;
    }
    const ops: Operand[] = [
      { a: xg, off: xgOff, len: 3 * len, mode: 0 },
      { a: hg, off: hgOff, len: 3 * len, mode: 0 },
      { a: hPrev, off: hpOff, len, mode: 0 },
      { a: dh, off: dhOff, len, mode: 0 },
      { a: dXg, off: dxOff, len: 3 * len, mode: 1 },
      { a: dHg, off: dhgOff, len: 3 * len, mode: 1 },
      { a: dhPrev, off: dhpOff, len, mode: 1 },
    ];
    this.staged(ops, 0, (p) => this.gruBwdAt(rows, H, p[0], p[1], p[2], p[3], p[4], p[5], p[6]));
  }
}
