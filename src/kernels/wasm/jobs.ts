/**
 * The work both threads run: the control-block layout shared by the main thread
 * (src/kernels/wasm/threads.ts) and the worker (worker.ts), and `runChunk`, which runs one chunk
 * of a posted job. Both threads call the very same function on the same module, so which thread
 * computes a chunk never changes a result.
 *
 * A job is one kernel call cut into `chunks` pieces of `per` units each, along the output columns:
 * panels for GEMM (the packed B layout, `panelWidth()` columns), hidden units for the gate steps, elements for
 * unary. Every output element is then computed by exactly one thread with the same arithmetic in
 * the same order as the one-thread call, so the split result equals the unsplit one bit for bit.
 *
 * No Node-specific code here: it is imported by the main library, which must load in browsers.
 */
import type { KernelExports } from './kernel-exports.js';

/** Int32 indices into the control block (a SharedArrayBuffer); hot words on separate cache lines. */
export const CTRL = {
  /** Job state: IDLE -> POSTED (main) -> TAKEN (worker) -> DONE (worker) -> IDLE (main). */
  STATE: 0,
  /** Chunk claims: low 16 bits the next chunk from the front (main), high 16 bits the end (worker). */
  CLAIM: 16,
  /** 1 while the worker is blocked in Atomics.wait (then a post must notify it). */
  WORKER_SLEEPING: 32,
  /** 1 while the main thread is blocked in Atomics.wait for DONE. */
  MAIN_SLEEPING: 48,
  /** Written by the worker: 1 once its instance is ready, counters, error flag. */
  READY: 64,
  WORKER_JOBS: 65,
  WORKER_CHUNKS: 66,
  ERROR: 67,
  /** Test hook: the worker busy-waits this many microseconds before each chunk (0: off). */
  DELAY_US: 68,
  /** Worker's idle spin before Atomics.wait, in microseconds. */
  SPIN_US: 69,
  /** Job description: kind, chunk count, units per chunk, then the kernel's arguments. */
  ARGS: 80,
  /** Int32 length of the block. */
  LENGTH: 112,
} as const;

/** Number of argument words after kind, chunks and per. */
export const MAX_ARGS = CTRL.LENGTH - CTRL.ARGS - 3;

/**
 * Writes a job's kernel arguments (int32 words: sizes, flags, byte addresses) after its kind,
 * chunk count and units per chunk. Fixed parameters rather than an array, so the per-step calls
 * that post jobs allocate nothing; the words a job does not use are written as 0.
 */
export function setJobArgs(
  ctrl: Int32Array,
  a0: number,
  a1 = 0,
  a2 = 0,
  a3 = 0,
  a4 = 0,
  a5 = 0,
  a6 = 0,
  a7 = 0,
  a8 = 0,
  a9 = 0,
  a10 = 0,
  a11 = 0,
): void {
  const o = CTRL.ARGS + 3;
  ctrl[o] = a0;
  ctrl[o + 1] = a1;
  ctrl[o + 2] = a2;
  ctrl[o + 3] = a3;
  ctrl[o + 4] = a4;
  ctrl[o + 5] = a5;
  ctrl[o + 6] = a6;
  ctrl[o + 7] = a7;
  ctrl[o + 8] = a8;
  ctrl[o + 9] = a9;
  ctrl[o + 10] = a10;
  ctrl[o + 11] = a11;
}

export const STATE = { IDLE: 0, POSTED: 1, TAKEN: 2, DONE: 3 } as const;

export const JOB = {
  /** [m, n, k, ap, bp, c, ldc, acc]: A packed by packA; chunks of `per` panels. */
  GEMM_PACKED: 1,
  /** [m, n, k, ap, b, ldb, transB, work, c, ldc, acc]: pack the chunk's panels of B into work, then multiply. */
  GEMM: 2,
  /** [transA, m, k, a, lda, dst]: packA by ranges of `per` rows (a multiple of rowBlock()). */
  PACK_A: 3,
  /** [op, n, x, y]: unary over element ranges. */
  UNARY: 4,
  /** [rows, H, g, cp, c, tc, h]: LSTM forward gate step by unit ranges. */
  LSTM_FWD: 5,
  /** [rows, H, g, cp, tc, dh, dc, dg] */
  LSTM_BWD: 6,
  /** [rows, H, xg, hg, hp, h] */
  GRU_FWD: 7,
  /** [rows, H, xg, hg, hp, dh, dx, dhg, dhp] */
  GRU_BWD: 8,
  /** [n, k, a, bp, c, acc]: one-row product over row-block packed B, chunks of `per` 8-column blocks. */
  GEMV: 9,
  /**
   * [T, H, nch, reverse, g, c, tc, h, bp, sync]: a whole batch-1 LSTM forward (assembly/seq.ts).
   * The job's chunks only let both threads in; the work is shared inside wasm, step by step,
   * through the two sync words, and a thread entering after it is all taken returns at once.
   */
  LSTM_SEQ: 10,
} as const;

/**
 * Runs chunk `c` of the job described in `ctrl` (kind and arguments from CTRL.ARGS). `tile` is
 * this thread's own scratch for the GEMM column tail; every other memory a chunk writes belongs to
 * that chunk alone (its columns of C, its panels of the packed B, its row blocks of the packed A).
 */
export function runChunk(ex: KernelExports, ctrl: Int32Array, c: number, tile: number): void {
  const o = CTRL.ARGS;
  const kind = ctrl[o];
  const per = ctrl[o + 2];
  const a = o + 3;
  switch (kind) {
    case JOB.GEMM_PACKED:
    case JOB.GEMM: {
      const m = ctrl[a];
      const n = ctrl[a + 1];
      const k = ctrl[a + 2];
      const pw = ex.panelWidth();
      const q0 = c * per;
      const j0 = q0 * pw;
      const nn = Math.min(n, j0 + per * pw) - j0;
      if (kind === JOB.GEMM_PACKED) {
        const bp = (ctrl[a + 4] >>> 0) + q0 * k * pw * 4;
        const cp = (ctrl[a + 5] >>> 0) + j0 * 4;
        ex.gemmPacked(m, nn, k, ctrl[a + 3], bp, cp, ctrl[a + 6], ctrl[a + 7], tile);
      } else {
        const ldb = ctrl[a + 5];
        const transB = ctrl[a + 6];
        const b = (ctrl[a + 4] >>> 0) + (transB ? j0 * ldb : j0) * 4;
        const bp = (ctrl[a + 7] >>> 0) + q0 * k * pw * 4;
        const cp = (ctrl[a + 8] >>> 0) + j0 * 4;
        ex.packB(transB, k, nn, b, ldb, bp);
        ex.gemmPacked(m, nn, k, ctrl[a + 3], bp, cp, ctrl[a + 9], ctrl[a + 10], tile);
      }
      return;
    }
    case JOB.GEMV: {
      const n = ctrl[a];
      const k = ctrl[a + 1];
      const j0 = c * per * 8;
      const nn = Math.min(n, j0 + per * 8) - j0;
      const bp = (ctrl[a + 3] >>> 0) + (j0 >> 3) * ((k + 3) >> 2) * 128;
      ex.gemvRows(nn, k, ctrl[a + 2], bp, (ctrl[a + 4] >>> 0) + j0 * 4, ctrl[a + 5], tile);
      return;
    }
    case JOB.LSTM_SEQ: {
      const p = ctrl;
      const rc = ex.lstmSeqForward(
        p[a],
        p[a + 1],
        p[a + 2],
        p[a + 3],
        p[a + 4],
        p[a + 5],
        p[a + 6],
        p[a + 7],
        p[a + 8],
        p[a + 9],
        tile,
      );
      if (rc < 0)
        throw new Error(
          'wasm threads: lstmSequenceForward waited over a second for the other thread to finish a step (expected microseconds); run with RECUR_THREADS=1 to avoid the worker',
        );
      return;
    }
    case JOB.PACK_A: {
      const m = ctrl[a + 1];
      const i0 = c * per;
      ex.packA(
        ctrl[a],
        m,
        ctrl[a + 2],
        ctrl[a + 3] >>> 0,
        ctrl[a + 4],
        ctrl[a + 5] >>> 0,
        i0,
        Math.min(m, i0 + per),
      );
      return;
    }
    case JOB.UNARY: {
      const i0 = c * per;
      const nn = Math.min(ctrl[a + 1] - i0, per);
      ex.unary(ctrl[a], nn, (ctrl[a + 2] >>> 0) + i0 * 4, (ctrl[a + 3] >>> 0) + i0 * 4);
      return;
    }
    default: {
      const H = ctrl[a + 1];
      const j0 = c * per;
      const j1 = Math.min(H, j0 + per);
      const r = ctrl[a];
      if (kind === JOB.LSTM_FWD) {
        ex.lstmGatesForward(r, H, j0, j1, ctrl[a + 2], ctrl[a + 3], ctrl[a + 4], ctrl[a + 5], ctrl[a + 6]);
      } else if (kind === JOB.LSTM_BWD) {
        const p = ctrl;
        ex.lstmGatesBackward(r, H, j0, j1, p[a + 2], p[a + 3], p[a + 4], p[a + 5], p[a + 6], p[a + 7]);
      } else if (kind === JOB.GRU_FWD) {
        ex.gruGatesForward(r, H, j0, j1, ctrl[a + 2], ctrl[a + 3], ctrl[a + 4], ctrl[a + 5]);
      } else if (kind === JOB.GRU_BWD) {
        const p = ctrl;
        ex.gruGatesBackward(
          r,
          H,
          j0,
          j1,
          p[a + 2],
          p[a + 3],
          p[a + 4],
          p[a + 5],
          p[a + 6],
          p[a + 7],
          p[a + 8],
        );
      } else {
        throw new Error(`wasm threads: unknown job kind ${kind}`);
      }
    }
  }
}
