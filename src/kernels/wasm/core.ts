/**
 * Base of the wasm `Kernels` object: argument marshalling around the module exports, memory and
 * the worker team (threads.ts). The GEMM entry points are added in gemm.ts, the pointwise kernels
 * in backend.ts.
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
import type { DType, FloatArray, Kernels } from '../types.js';
import { WasmArena, type WasmHeap } from './allocator.js';
import type { KernelExports } from './kernel-exports.js';
import { getThreads } from './thread-setting.js';
import { Team } from './threads.js';
import { tuning } from './tuning.js';
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

/** Scratch tile of one thread for the GEMM and GEMV column tails: up to 6 rows of 8 floats. */
const TILE_BYTES = 192;

export function roundUp64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

export class WasmCore implements Pick<Kernels, 'name' | 'alloc' | 'free'> {
  readonly name = 'wasm' as const;
  /** 64-byte-aligned 6x8 float tile for the GEMM column tail (the worker has its own). */
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
    this.tile = heap.allocBytes(TILE_BYTES);
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
    const t = new Team(this.module, this.heap.memory, this.heap.allocBytes(TILE_BYTES));
    this.team = t;
    if (!t.failed) teamReaper.register(this, t);
    return t;
  }

  /** The team if one was started (for stats). */
  get workerTeam(): Team | null {
    return this.team ?? null;
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

  /**
   * Returns a scratch block of at least `bytes`, reallocated (doubling) when too small. One block
   * per instance: valid until the next call that takes it (`staged` does).
   */
  protected ensureScratch(bytes: number): number {
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
}
