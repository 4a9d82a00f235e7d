/**
 * The ABI of the kernel module: the functions the compiled AssemblyScript (assembly/index.ts)
 * exports, as the main thread (core.ts and the backend classes on it), the job runner (jobs.ts)
 * and the worker thread (worker.ts) call them.
 */

/** The functions exported by build/wasm/*.wasm (src/kernels/wasm/assembly). Pointers are bytes. */
export interface KernelExports {
  heapBase(): number;
  isRelaxed(): number;
  /** Columns per packed panel of `packB`/`gemmPacked` (8). */
  panelWidth(): number;
  /** Rows per block of `packA`: a split of packA by rows uses multiples of it. */
  rowBlock(): number;
  packB(transB: number, k: number, n: number, b: number, ldb: number, dst: number): void;
  packRows(transB: number, k: number, n: number, b: number, ldb: number, dst: number): void;
  gemvRows(n: number, k: number, a: number, bp: number, c: number, accumulate: number, tile: number): void;
  /** Packs rows [i0, i1) of op(A) ([m, k]) into the m * k floats at `dst` (layout: assembly/pack.ts). */
  packA(
    transA: number,
    m: number,
    k: number,
    a: number,
    lda: number,
    dst: number,
    i0: number,
    i1: number,
  ): void;
  gemmPacked(
    m: number,
    n: number,
    k: number,
    ap: number,
    bp: number,
    c: number,
    ldc: number,
    accumulate: number,
    tile: number,
  ): void;
  adamMulti(table: number, count: number): void;
  /** `iters` steps of 12 independent vector multiply-adds (benchmark calibration, assembly/peak.ts). */
  fmaPeak(iters: number): number;
  lstmSeqForward(
    T: number,
    H: number,
    nch: number,
    reverse: number,
    g: number,
    cAll: number,
    tcAll: number,
    hAll: number,
    bp: number,
    sync: number,
    tile: number,
  ): number;
  unary(op: number, n: number, x: number, y: number): void;
  sumRows(rows: number, n: number, src: number, dst: number): void;
  lstmGatesForward(
    rows: number,
    H: number,
    j0: number,
    j1: number,
    g: number,
    cp: number,
    c: number,
    tc: number,
    h: number,
  ): void;
  lstmGatesBackward(
    rows: number,
    H: number,
    j0: number,
    j1: number,
    g: number,
    cp: number,
    tc: number,
    dh: number,
    dc: number,
    dg: number,
  ): void;
  gruGatesForward(
    rows: number,
    H: number,
    j0: number,
    j1: number,
    xg: number,
    hg: number,
    hp: number,
    h: number,
  ): void;
  gruGatesBackward(
    rows: number,
    H: number,
    j0: number,
    j1: number,
    xg: number,
    hg: number,
    hp: number,
    dh: number,
    dx: number,
    dhg: number,
    dhp: number,
  ): void;
}
