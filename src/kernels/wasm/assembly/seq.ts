// Whole-sequence recurrences at batch 1, where one step is too small to pay for a call from
// JavaScript per kernel: the LSTM forward over T steps in one call (GEMV against W_hh in
// row-block layout, then the gate step), shared by the two threads step by step.
//
// Work sharing: a step is cut into `nch` chunks of hidden units (multiples of 8, so each gate's
// columns are whole row blocks; the caller passes nch > 1 only when H is a multiple of 8). The
// chunks of all steps are numbered q = step * nch + part and handed out by one atomic counter at
// `sync`; a thread that draws a chunk of step s first waits
// until every chunk of the steps before s is done (the counter at `sync + 64`), since step s reads
// h_{s-1}. Whichever threads take part, and however many, each unit's arithmetic is the same, so
// the result does not depend on the split. A thread that is descheduled holding no chunk simply
// takes none: the other one draws them all.

import { gemvRows } from './gemv';
import { lstmGatesForward } from './gates';

/** Spins of a wait for the other thread before giving up (about a second or more). */
const SPIN_LIMIT: i32 = 1 << 30;

// @ts-ignore: decorator
@inline function waitDone(sync: usize, need: i32): bool {
  let spins = 0;
  while (atomic.load<i32>(sync, 64) < need) {
    if (++spins > SPIN_LIMIT) return false;
  }
  return true;
}

/**
 * LSTM forward at batch 1 over T steps, no projection. `g` [T, 4H] holds x_t W_ihᵀ + biases and
 * receives the post-activation gates; `cAll`, `hAll` [T + 1, H] hold the states in the slots of
 * src/layers/fused-lstm.ts (the initial state in slot 0, or slot T when `reverse`); `tcAll` [T, H]
 * receives tanh(c_t); `bp` is W_hhᵀ ([H, 4H]) in row-block layout; `tile` is this thread's
 * 32-byte scratch. The two sync words must be 0 before the first thread enters. Returns 0 when
 * every chunk is done, -1 when a wait for the other thread timed out.
 */
export function lstmSeqForward(
  T: i32,
  H: i32,
  nch: i32,
  reverse: bool,
  g: usize,
  cAll: usize,
  tcAll: usize,
  hAll: usize,
  bp: usize,
  sync: usize,
  tile: usize,
): i32 {
  const total = T * nch;
  const G = H << 2;
  const hb = <usize>H << 2;
  const blockBytes = <usize>((H + 3) >> 2) << 7;
  const per = nch > 1 ? (((H + nch - 1) / nch + 7) & ~7) : H;
  for (;;) {
    const q = atomic.add<i32>(sync, 1);
    if (q >= total) break;
    const s = q / nch;
    if (!waitDone(sync, s * nch)) return -1;
    const t = reverse ? T - 1 - s : s;
    const prev = reverse ? t + 1 : t;
    const cur = reverse ? t : t + 1;
    const gt = g + <usize>t * (<usize>G << 2);
    const hp = hAll + <usize>prev * hb;
    const u0 = (q - s * nch) * per;
    const u1 = min(H, u0 + per);
    if (u0 < u1) {
      if (nch === 1) gemvRows(G, H, hp, bp, gt, true, tile);
      else {
        for (let gate = 0; gate < 4; gate++) {
          const col = gate * H + u0;
          gemvRows(u1 - u0, H, hp, bp + <usize>(col >> 3) * blockBytes, gt + (<usize>col << 2), true, tile);
        }
      }
      lstmGatesForward(1, H, u0, u1, gt, cAll + <usize>prev * hb, cAll + <usize>cur * hb, tcAll + <usize>t * hb, hAll + <usize>cur * hb);
    }
    atomic.add<i32>(sync, 1, 64);
  }
  return waitDone(sync, total) ? 0 : -1;
}
