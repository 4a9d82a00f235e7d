/**
 * The `Kernels` object of one wasm module instance: WasmGates (marshalling, memory, GEMM and the
 * gate steps: core.ts, gemm.ts, gates.ts) plus the other pointwise kernels, the batch-1 LSTM
 * sequence kernel and Adam; large calls are split with the worker thread. Each kernel has a fast
 * path, taken when every operand is a view into this instance's memory (a few comparisons, no
 * allocation, one wasm call), and the staged slow path. Calls with a Float64Array operand go to
 * the TypeScript kernels (the float64 implementation).
 */

import { ShapeError } from '../../util/errors.js';
import { lstmSequenceLoop } from '../sequence.js';
import { tsKernels } from '../ts/index.js';
import { adamStepTs } from '../ts/optim.js';
import type { AdamEntry, FloatArray, Kernels, LstmSequenceExtras, PackedMatrix } from '../types.js';
import type { Operand } from './core.js';
import { COST, WasmGates } from './gates.js';
import { WasmPacked } from './gemm.js';
import { JOB, setJobArgs } from './jobs.js';

const UNARY_OP = { exp: 0, tanh: 1, sigmoid: 2, relu: 3 } as const;

export class WasmBackend extends WasmGates implements Kernels {
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
    setJobArgs(team.ctrl, T, H, 2, rev, g, c, tc, h, bp, sync);
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

  private unaryAt(code: number, n: number, x: number, y: number): void {
    const per = this.splitUnits(n, COST.unary[code] * n, 16);
    if (per === 0) {
      this.ex.unary(code, n, x, y);
      return;
    }
    const team = this.workerTeam!;
    setJobArgs(team.ctrl, code, n, x, y);
    team.run(this.ex, this.tile, JOB.UNARY, Math.ceil(n / per), per);
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
}
