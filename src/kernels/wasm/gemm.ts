/**
 * The GEMM entry points of the wasm backend (`gemm`, `packB`, `gemmPacked`), added to WasmCore,
 * and the packed matrix they share. Every GEMM first packs A into row groups (`packA`, in the
 * staging scratch; large ones split by row blocks), then runs the kernel over B's panels. Large
 * products are split with the worker thread by panels (`panelWidth` = 8 columns) of the output,
 * matrix-vector products by 8-column blocks.
 */
import { tsKernels } from '../ts/index.js';
import type { DType, FloatArray, Kernels, PackedMatrix } from '../types.js';
import { type Operand, roundUp64, WasmCore } from './core.js';
import { JOB, setJobArgs } from './jobs.js';
import { unitsPerChunk } from './tuning.js';

/**
 * A packed op(B) living in wasm memory: panels of `panelWidth` columns, k rows each, for GEMMs (see
 * assembly/gemm.ts); or the row-block layout for matrix-vector products (`packB` with the hint
 * rows = 1; see assembly/gemv.ts).
 */
export class WasmPacked implements PackedMatrix {
  readonly dtype: DType = 'float32';
  ptr: number;
  constructor(
    readonly owner: WasmGemm,
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

export class WasmGemm extends WasmCore implements Pick<Kernels, 'gemm' | 'packB' | 'gemmPacked'> {
  /** Columns per packed panel (assembly/gemm.ts). */
  protected readonly panelWidth = this.ex.panelWidth();
  /** Rows per block of the packed A: packA is split by multiples of it. */
  private readonly rowBlock = this.ex.rowBlock();

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
    setJobArgs(team.ctrl, n, k, pa, bp, pc, acc);
    team.run(this.ex, this.tile, JOB.GEMV, chunks, per);
  }

  /**
   * C = (acc ? C : 0) + op(A) · packed panels, all byte addresses: packs A into `ap` (m * k floats
   * of working space), then multiplies; each step split with the worker when large.
   */
  protected gemmPackedAt(
    transA: boolean,
    m: number,
    n: number,
    k: number,
    pa: number,
    lda: number,
    ap: number,
    bp: number,
    pc: number,
    ldc: number,
    acc: number,
  ): void {
    this.packAAt(transA, m, k, pa, lda, ap);
    const cost = 2 * m * n * k;
    const team = this.par(cost);
    const panels = Math.ceil(n / this.panelWidth);
    const per = team ? unitsPerChunk(panels, cost, 1) : panels;
    const chunks = Math.ceil(panels / per);
    if (!team || chunks < 2) {
      this.ex.gemmPacked(m, n, k, ap, bp, pc, ldc, acc, this.tile);
      return;
    }
    setJobArgs(team.ctrl, m, n, k, ap, bp, pc, ldc, acc);
    team.run(this.ex, this.tile, JOB.GEMM_PACKED, chunks, per);
  }

  /** Packs op(A) ([m, k] at byte address src) for the kernel into dst; split by row blocks when large. */
  private packAAt(transA: boolean, m: number, k: number, src: number, lda: number, dst: number): void {
    // ~1 ns per element on one thread (memory-bound): ~50 FLOP-equivalents.
    const cost = 50 * m * k;
    const team = this.par(cost);
    const per = team ? unitsPerChunk(m, cost, this.rowBlock) : m;
    const chunks = Math.ceil(m / per);
    const tA = transA ? 1 : 0;
    if (!team || chunks < 2) {
      this.ex.packA(tA, m, k, src, lda, dst, 0, m);
      return;
    }
    setJobArgs(team.ctrl, tA, m, k, src, lda, dst);
    team.run(this.ex, this.tile, JOB.PACK_A, chunks, per);
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
    const pw = this.panelWidth;
    const packBytes = roundUp64(k * Math.ceil(n / pw) * pw * 4);
    const ops: Operand[] = [
      { a, off: aOff, len: transA ? (k - 1) * lda + m : (m - 1) * lda + k, mode: 0 },
      { a: b, off: bOff, len: transB ? (n - 1) * ldb + k : (k - 1) * ldb + n, mode: 0 },
      { a: c, off: cOff, len: (m - 1) * ldc + n, mode: 2, rows: { rows: m, cols: n, ld: ldc } },
    ];
    this.staged(ops, packBytes + m * k * 4, ([pa, pb, pc], work) => {
      const ex = this.ex;
      const ap = work + packBytes;
      this.packAAt(transA, m, k, pa, lda, ap);
      const acc = accumulate ? 1 : 0;
      const cost = 2 * m * n * k;
      const team = this.par(cost);
      const panels = Math.ceil(n / pw);
      const per = team ? unitsPerChunk(panels, cost, 1) : panels;
      const chunks = Math.ceil(panels / per);
      if (!team || chunks < 2) {
        ex.packB(transB ? 1 : 0, k, n, pb, ldb, work);
        ex.gemmPacked(m, n, k, ap, work, pc, ldc, acc, this.tile);
        return;
      }
      // Each chunk packs its own panels of B into `work`, then multiplies them.
      setJobArgs(team.ctrl, m, n, k, ap, pb, ldb, transB ? 1 : 0, work, pc, ldc, acc);
      team.run(ex, this.tile, JOB.GEMM, chunks, per);
    });
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
    const pw = this.panelWidth;
    const bytes =
      layout === 'rows' ? Math.ceil(n / 8) * Math.ceil(k / 4) * 128 : k * Math.ceil(n / pw) * pw * 4;
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
    const rows = packed.layout === 'rows';
    const pa = this.addr(a, aOff, aLen);
    const pc = this.addr(c, cOff, cLen);
    if (pa >= 0 && pc >= 0) {
      // In place (the per-step path): nothing allocated; the panel kernel packs A into scratch.
      if (rows) this.gemvAt(m, n, k, pa, lda, packed.ptr, pc, ldc, acc);
      else
        this.gemmPackedAt(
          false,
          m,
          n,
          k,
          pa,
          lda,
          this.ensureScratch(Math.max(64, m * k * 4)),
          packed.ptr,
          pc,
          ldc,
          acc,
        );
      return;
    }
    const ops: Operand[] = [
      { a, off: aOff, len: aLen, mode: 0 },
      { a: c, off: cOff, len: cLen, mode: 2, rows: { rows: m, cols: n, ld: ldc } },
    ];
    // The panel kernel needs A packed (m * k floats of working space).
    this.staged(ops, rows ? 0 : m * k * 4, ([sa, sc], work) => {
      if (rows) this.gemvAt(m, n, k, sa, lda, packed.ptr, sc, ldc, acc);
      else this.gemmPackedAt(false, m, n, k, sa, lda, work, packed.ptr, sc, ldc, acc);
    });
  }
}
