/**
 * Base of the wasm `Kernels` object: argument marshalling around the module exports, memory,
 * the worker team (threads.ts) and the GEMM entry points (the pointwise kernels are added in
 * backend.ts).
 *
 * Arrays that are views into this instance's memory (from `alloc`) are passed to wasm in place
 * as byte addresses; the per-step hot path (`gemmPacked`, the gate kernels) then costs a few
 * comparisons in JavaScript. Any other Float32Array is copied into a reusable scratch block and
 * its outputs copied back (correctness first; it is the slow path). Calls where an operand is a
 * Float64Array go to the TypeScript kernels, which are the float64 implementation.
 *
 * Large calls are split with the instance's worker thread by output columns (`par`, jobs.ts);
 * a split call returns exactly what the one-thread call returns.
 */
import { tsKernels } from '../ts/index.js';
import type { DType, FloatArray, Kernels, PackedMatrix } from '../types.js';
import { WasmArena, type WasmHeap } from './allocator.js';
import { CTRL, JOB } from './jobs.js';
import type { KernelExports } from './kernel-exports.js';
import { getThreads, Team, tuning, unitsPerChunk } from './threads.js';
import type { WasmModule } from './wasm-api.js';

/** An operand of a staged (slow path) call: `len` elements from `off`; `rows` for row-wise copy out. */
export interface Operand {
  a: FloatArray;
  off: number;
  len: number;
  /** 0 input, 1 output (fully overwritten), 2 input and output. */
  mode: 0 | 1 | 2;
  /** For a strided output (GEMM C): copy back only `rows` rows of `cols` elements, `ld` apart. */
  rows?: { rows: number; cols: number; ld: number };
}

/** Stops the worker of a backend instance that was garbage-collected (it would live forever). */
const teamReaper = new FinalizationRegistry<Team>((team) => team.terminate());

function roundUp64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/**
 * A packed op(B) living in wasm memory (see assembly/gemm.ts): 16-column panels, k rows each, for
 * GEMMs; or the row-block layout for matrix-vector products (`packB` with the hint rows = 1).
 */
export class WasmPacked implements PackedMatrix {
  readonly dtype: DType = 'float32';
  ptr: number;
  constructor(
    readonly owner: WasmCore,
    readonly k: number,
    readonly n: number,
    ptr: number,
    readonly layout: 'panels' | 'rows' = 'panels',
  ) {
    this.ptr = ptr;
  }
  dispose(): void {
    if (this.ptr < 0) return;
    this.owner.heap.freeBytes(this.ptr);
    this.ptr = -1;
  }
}

export class WasmCore implements Pick<Kernels, 'name' | 'alloc' | 'free' | 'gemm' | 'packB' | 'gemmPacked'> {
  readonly name = 'wasm' as const;
  /** 64-byte-aligned 2x16 float tile for the GEMM column tail (the worker has its own). */
  protected readonly tile: number;
  private scratch = -1;
  private scratchBytes = 0;
  /** The worker team: undefined until first needed (a failed team stays, for its stats). */
  private team: Team | undefined;
  private scopeArena: WasmArena | undefined;

  constructor(
    readonly ex: KernelExports,
    readonly heap: WasmHeap,
    readonly relaxed: boolean,
    /** The compiled module, for the worker thread's own instance (null: one thread only). */
    readonly module: WasmModule | null = null,
  ) {
    this.tile = heap.allocBytes(128);
  }

  /**
   * The team when a call costing `cost` FLOP should be split between the two threads now, else
   * null. The worker is started by the first call big enough to wake it (it becomes usable a few
   * tens of milliseconds later; until then calls run on one thread).
   */
  protected par(cost: number): Team | null {
    if (cost < tuning.minFlopHot || getThreads() !== 2) return null;
    let t: Team | null | undefined = this.team;
    if (t === undefined) {
      if (cost < tuning.minFlopCold) return null;
      t = this.startTeam();
    }
    return t?.usable(cost) ? t : null;
  }

  /**
   * Creates the worker team, once per instance (null with 1 thread or without a module). A
   * worker that fails to start or fails later leaves the instance on one thread for good (its
   * team reports why in `stats().error`); it is not restarted.
   */
  startTeam(): Team | null {
    if (this.team) return this.team;
    if (!this.module || getThreads() !== 2) return null;
    const t = new Team(this.module, this.heap.memory, this.heap.allocBytes(128));
    this.team = t;
    if (!t.failed) teamReaper.register(this, t);
    return t;
  }

  /** The team if one was started (for stats). */
  get workerTeam(): Team | null {
    return this.team ?? null;
  }

  /**
   * c = (acc ? c : 0) + a · op(B) in row-block layout, for each of m rows of a and c (byte
   * addresses); a single row is split between the threads by blocks of 8 columns when large.
   */
  protected gemvAt(
    m: number,
    n: number,
    k: number,
    pa: number,
    lda: number,
    bp: number,
    pc: number,
    ldc: number,
    acc: number,
  ): void {
    const cost = 2 * n * k;
    const team = m === 1 ? this.par(cost) : null;
    const blocks = (n + 7) >> 3;
    const per = team ? unitsPerChunk(blocks, cost, 1) : blocks;
    const chunks = Math.ceil(blocks / per);
    if (!team || chunks < 2) {
      for (let i = 0; i < m; i++)
        this.ex.gemvRows(n, k, pa + i * lda * 4, bp, pc + i * ldc * 4, acc, this.tile);
      return;
    }
    const a = team.ctrl;
    const o = CTRL.ARGS + 3;
    a[o] = n;
    a[o + 1] = k;
    a[o + 2] = pa;
    a[o + 3] = bp;
    a[o + 4] = pc;
    a[o + 5] = acc;
    team.run(this.ex, this.tile, JOB.GEMV, chunks, per);
  }

  /** C = (acc ? C : 0) + A · packed panels, all byte addresses; split when large. */
  protected gemmPackedAt(
    m: number,
    n: number,
    k: number,
    pa: number,
    lda: number,
    bp: number,
    pc: number,
    ldc: number,
    acc: number,
  ): void {
    const cost = 2 * m * n * k;
    const team = this.par(cost);
    const panels = (n + 15) >> 4;
    const per = team ? unitsPerChunk(panels, cost, 1) : panels;
    const chunks = Math.ceil(panels / per);
    if (!team || chunks < 2) {
      this.ex.gemmPacked(m, n, k, pa, lda, bp, pc, ldc, acc, this.tile);
      return;
    }
    const a = team.ctrl;
    const o = CTRL.ARGS + 3;
    a[o] = m;
    a[o + 1] = n;
    a[o + 2] = k;
    a[o + 3] = pa;
    a[o + 4] = lda;
    a[o + 5] = bp;
    a[o + 6] = pc;
    a[o + 7] = ldc;
    a[o + 8] = acc;
    team.run(this.ex, this.tile, JOB.GEMM_PACKED, chunks, per);
  }

  /**
   * Byte address of a[off] when `a` is a Float32Array in this memory, else -1. Also checks that
   * `len` elements fit inside the view: wasm would otherwise silently read or write whatever
   * allocation lies next to it.
   */
  protected addr(a: FloatArray, off: number, len: number): number {
    if (off < 0 || off + len > a.length) {
      throw new RangeError(`wasm kernels: ${len} elements at offset ${off} exceed an array of ${a.length}`);
    }
    if (a.BYTES_PER_ELEMENT !== 4 || !this.heap.owns(a)) return -1;
    return a.byteOffset + off * 4;
  }

  /** Returns a scratch block of at least `bytes`, reallocated (doubling) when too small. */
  private ensureScratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratch >= 0) this.heap.freeBytes(this.scratch);
      const size = Math.max(roundUp64(bytes), this.scratchBytes * 2);
      this.scratch = this.heap.allocBytes(size);
      this.scratchBytes = size;
    }
    return this.scratch;
  }

  /**
   * Slow path: stages operands that are not in wasm memory into scratch (after `extra` bytes of
   * working space), runs `body` with every operand's byte address, then copies outputs back.
   */
  protected staged(ops: Operand[], extra: number, body: (p: number[], work: number) => void): void {
    const ptrs: number[] = [];
    const rel: number[] = [];
    let need = roundUp64(extra);
    for (const op of ops) {
      const p = this.addr(op.a, op.off, op.len);
      ptrs.push(p);
      rel.push(p >= 0 ? -1 : need);
      if (p < 0) need += roundUp64(op.len * 4);
    }
    const base = this.ensureScratch(need);
    const f32 = this.heap.f32;
    for (let i = 0; i < ops.length; i++) {
      if (rel[i] < 0) continue;
      ptrs[i] = base + rel[i];
      const op = ops[i];
      if (op.mode !== 1) f32.set(op.a.subarray(op.off, op.off + op.len), ptrs[i] >> 2);
    }
    body(ptrs, base);
    const out = this.heap.f32;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (rel[i] < 0 || op.mode === 0) continue;
      const e = ptrs[i] >> 2;
      if (op.rows) {
        const { rows, cols, ld } = op.rows;
        for (let r = 0; r < rows; r++) op.a.set(out.subarray(e + r * ld, e + r * ld + cols), op.off + r * ld);
      } else {
        op.a.set(out.subarray(e, e + op.len), op.off);
      }
    }
  }

  alloc(n: number, dtype: DType, zeroed = true): FloatArray {
    return dtype === 'float64' ? new Float64Array(n) : this.heap.allocView(n, zeroed);
  }

  free(a: FloatArray): void {
    if (a instanceof Float32Array && this.heap.owns(a)) this.heap.freeView(a);
  }

  allocResident(n: number): Float32Array {
    return this.heap.allocManaged(n);
  }

  /** The arena of `tidy()` scopes, created on first use. */
  arena(): WasmArena {
    this.scopeArena ??= new WasmArena(this.heap);
    return this.scopeArena;
  }

  resident(a: FloatArray): boolean {
    return a instanceof Float32Array && this.heap.owns(a);
  }

  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    aOff: number,
    lda: number,
    b: FloatArray,
    bOff: number,
    ldb: number,
    c: FloatArray,
    cOff: number,
    ldc: number,
    accumulate: boolean,
  ): void {
    if (a instanceof Float64Array || b instanceof Float64Array || c instanceof Float64Array || k <= 0) {
      tsKernels.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    if (m <= 0 || n <= 0) return;
    const packBytes = k * Math.ceil(n / 16) * 64;
    const atBytes = transA ? m * k * 4 : 0;
    const ops: Operand[] = [
      { a, off: aOff, len: transA ? (k - 1) * lda + m : (m - 1) * lda + k, mode: 0 },
      { a: b, off: bOff, len: transB ? (n - 1) * ldb + k : (k - 1) * ldb + n, mode: 0 },
      { a: c, off: cOff, len: (m - 1) * ldc + n, mode: 2, rows: { rows: m, cols: n, ld: ldc } },
    ];
    this.staged(ops, packBytes + atBytes, ([pa, pb, pc], work) => {
      const ex = this.ex;
      let aPtr = pa;
      let aLd = lda;
      if (transA) {
        aPtr = work + roundUp64(packBytes);
        this.transposeAt(m, k, pa, lda, aPtr);
        aLd = k;
      }
      const acc = accumulate ? 1 : 0;
      const cost = 2 * m * n * k;
      const team = this.par(cost);
      const panels = (n + 15) >> 4;
      const per = team ? unitsPerChunk(panels, cost, 1) : panels;
      const chunks = Math.ceil(panels / per);
      if (!team || chunks < 2) {
        ex.packB(transB ? 1 : 0, k, n, pb, ldb, work);
        ex.gemmPacked(m, n, k, aPtr, aLd, work, pc, ldc, acc, this.tile);
        return;
      }
      // Each chunk packs its own panels of B into `work`, then multiplies them.
      const a = team.ctrl;
      const o = CTRL.ARGS + 3;
      a[o] = m;
      a[o + 1] = n;
      a[o + 2] = k;
      a[o + 3] = aPtr;
      a[o + 4] = aLd;
      a[o + 5] = pb;
      a[o + 6] = ldb;
      a[o + 7] = transB ? 1 : 0;
      a[o + 8] = work;
      a[o + 9] = pc;
      a[o + 10] = ldc;
      a[o + 11] = acc;
      team.run(ex, this.tile, JOB.GEMM, chunks, per);
    });
  }

  /** dst [m, k] = transpose of src ([k, m] with stride lda); split by row ranges of dst when large. */
  private transposeAt(m: number, k: number, src: number, lda: number, dst: number): void {
    // ~1.5 ns per element on one thread (memory-bound): ~80 FLOP-equivalents.
    const cost = 80 * m * k;
    const team = this.par(cost);
    const per = team ? unitsPerChunk(m, cost, 16) : m;
    const chunks = Math.ceil(m / per);
    if (!team || chunks < 2) {
      this.ex.transposeA(m, k, src, lda, dst);
      return;
    }
    const a = team.ctrl;
    const o = CTRL.ARGS + 3;
    a[o] = m;
    a[o + 1] = k;
    a[o + 2] = src;
    a[o + 3] = lda;
    a[o + 4] = dst;
    team.run(this.ex, this.tile, JOB.TRANSPOSE, chunks, per);
  }

  packB(
    transB: boolean,
    k: number,
    n: number,
    b: FloatArray,
    bOff: number,
    ldb: number,
    rows?: number,
  ): PackedMatrix {
    if (b instanceof Float64Array) return tsKernels.packB(transB, k, n, b, bOff, ldb);
    const layout = rows === 1 && k > 0 ? 'rows' : 'panels';
    const bytes = layout === 'rows' ? Math.ceil(n / 8) * Math.ceil(k / 4) * 128 : k * Math.ceil(n / 16) * 64;
    const ptr = this.heap.allocBytes(Math.max(64, bytes));
    const len = n > 0 && k > 0 ? (transB ? (n - 1) * ldb + k : (k - 1) * ldb + n) : 0;
    this.staged([{ a: b, off: bOff, len, mode: 0 }], 0, ([pb]) => {
      if (len === 0) return;
      if (layout === 'rows') this.ex.packRows(transB ? 1 : 0, k, n, pb, ldb, ptr);
      else this.ex.packB(transB ? 1 : 0, k, n, pb, ldb, ptr);
    });
    return new WasmPacked(this, k, n, ptr, layout);
  }

  gemmPacked(
    m: number,
    a: FloatArray,
    aOff: number,
    lda: number,
    packed: PackedMatrix,
    c: FloatArray,
    cOff: number,
    ldc: number,
    accumulate: boolean,
  ): void {
    if (!(packed instanceof WasmPacked)) {
      tsKernels.gemmPacked(m, a, aOff, lda, packed, c, cOff, ldc, accumulate);
      return;
    }
    if (packed.owner !== this) {
      // Packed by another wasm instance (another memory): let that instance run it.
      packed.owner.gemmPacked(m, a, aOff, lda, packed, c, cOff, ldc, accumulate);
      return;
    }
    if (packed.ptr < 0) throw new Error('gemmPacked: the packed matrix was disposed');
    const { k, n } = packed;
    if (m <= 0 || n <= 0) return;
    const acc = accumulate ? 1 : 0;
    const aLen = (m - 1) * lda + k;
    const cLen = (m - 1) * ldc + n;
    const pa = this.addr(a, aOff, aLen);
    const pc = this.addr(c, cOff, cLen);
    const run = packed.layout === 'rows' ? this.gemvAt : this.gemmPackedAt;
    if (pa >= 0 && pc >= 0) {
      run.call(this, m, n, k, pa, lda, packed.ptr, pc, ldc, acc);
      return;
    }
    const ops: Operand[] = [
      { a, off: aOff, len: aLen, mode: 0 },
      { a: c, off: cOff, len: cLen, mode: 2, rows: { rows: m, cols: n, ld: ldc } },
    ];
    this.staged(ops, 0, ([sa, sc]) => run.call(this, m, n, k, sa, lda, packed.ptr, sc, ldc, acc));
  }
}
