/**
 * The LSTM and GRU gate steps of the wasm backend (forward and backward), added to WasmGemm: the
 * fused pointwise kernels of the recurrent layers, split with the worker thread by hidden units
 * when large. Also the work per element of every pointwise kernel (`COST`), by which each call
 * decides whether to split.
 */
import { tsKernels } from '../ts/index.js';
import type { FloatArray, Kernels } from '../types.js';
import type { Operand } from './core.js';
import { WasmGemm } from './gemm.js';
import { JOB, setJobArgs } from './jobs.js';
import { unitsPerChunk } from './tuning.js';

/**
 * Work per element in FLOP-equivalents (one-thread time x GEMM FLOP rate, measured with
 * bench/kernels.ts), so one threshold decides for GEMMs and pointwise kernels alike.
 */
export const COST = {
  unary: [43, 110, 57, 15],
  lstmFwd: 300,
  lstmBwd: 30,
  gruFwd: 290,
  gruBwd: 30,
} as const;

export class WasmGates
  extends WasmGemm
  implements Pick<Kernels, 'lstmGatesForward' | 'lstmGatesBackward' | 'gruGatesForward' | 'gruGatesBackward'>
{
  /** Chunking of a pointwise job over `units` columns, or 0 when it runs on one thread. */
  protected splitUnits(units: number, cost: number, align: number): number {
    if (!this.par(cost)) return 0;
    const per = unitsPerChunk(units, cost, align);
    return per < units ? per : 0;
  }

  private lstmFwdAt(rows: number, H: number, g: number, cp: number, c: number, tc: number, h: number): void {
    const per = this.splitUnits(H, COST.lstmFwd * rows * H, 4);
    if (per === 0) {
      this.ex.lstmGatesForward(rows, H, 0, H, g, cp, c, tc, h);
      return;
    }
    const team = this.workerTeam!;
    setJobArgs(team.ctrl, rows, H, g, cp, c, tc, h);
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
    setJobArgs(team.ctrl, rows, H, g, cp, tc, dh, dc, dg);
    team.run(this.ex, this.tile, JOB.LSTM_BWD, Math.ceil(H / per), per);
  }

  private gruFwdAt(rows: number, H: number, xg: number, hg: number, hp: number, h: number): void {
    const per = this.splitUnits(H, COST.gruFwd * rows * H, 4);
    if (per === 0) {
      this.ex.gruGatesForward(rows, H, 0, H, xg, hg, hp, h);
      return;
    }
    const team = this.workerTeam!;
    setJobArgs(team.ctrl, rows, H, xg, hg, hp, h);
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
    setJobArgs(team.ctrl, rows, H, xg, hg, hp, dh, dx, dhg, dhp);
    team.run(this.ex, this.tile, JOB.GRU_BWD, Math.ceil(H / per), per);
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
