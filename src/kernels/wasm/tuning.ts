/**
 * The knobs of the splitting policy of the wasm worker team (threads.ts): which calls are worth
 * splitting, how they are cut into chunks, how long each thread spins, when splitting is switched
 * off. Read on every kernel call; `tuneThreads` changes them (tests, benchmarks).
 */
import type { Team } from './threads.js';

/** Knobs of the splitting policy (measured defaults; see docs/performance.md, "Two cores"). */
export interface ThreadTuning {
  /** Smallest call (FLOP, or FLOP-equivalent for pointwise kernels) split while the worker spins. */
  minFlopHot: number;
  /** Smallest call split when the worker is asleep (the call also wakes it up). */
  minFlopCold: number;
  /** Target work per chunk; chunks are at most maxChunks. */
  chunkFlop: number;
  maxChunks: number;
  /** How long the worker polls for the next job before it blocks in Atomics.wait. */
  workerSpinUs: number;
  /** How long the main thread polls for the worker's last chunk before it blocks. */
  mainSpinUs: number;
  /** A joined job is late when main waits longer than 2 chunk times + this. */
  lateSlackUs: number;
  /** First and longest period without splitting after the worker was found late. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** false: never switch splitting off, however late the worker is (tests, benchmarks). */
  fallback: boolean;
  /** Test hook: false makes the main thread leave every chunk to the worker. */
  mainClaims: boolean;
  /** Test hook: the worker busy-waits this long before each chunk (simulates a busy core). */
  workerDelayUs: number;
}

const DEFAULT_TUNING: ThreadTuning = {
  minFlopHot: 400_000,
  minFlopCold: 4_000_000,
  chunkFlop: 400_000,
  maxChunks: 64,
  workerSpinUs: 300,
  mainSpinUs: 50,
  lateSlackUs: 30,
  backoffMinMs: 50,
  backoffMaxMs: 2000,
  fallback: true,
  mainClaims: true,
  workerDelayUs: 0,
};

/** The policy in force (read on every kernel call; change it with `tuneThreads`). */
export const tuning: ThreadTuning = { ...DEFAULT_TUNING };

/** Live teams, so tuneThreads can update their control blocks. */
export const teams = new Set<Team>();

/**
 * Changes the splitting policy (tests and benchmarks); `tuneThreads()` restores the defaults.
 * Returns the previous settings.
 */
export function tuneThreads(t?: Partial<ThreadTuning>): ThreadTuning {
  const prev = { ...tuning };
  Object.assign(tuning, t ?? DEFAULT_TUNING);
  for (const team of teams) team.applyTuning();
  return prev;
}

/**
 * Units per chunk for a job over `units` columns (panels, hidden units, elements) costing `cost`
 * FLOP: about cost / chunkFlop chunks, at least 2 and at most maxChunks, `align` units apart.
 */
export function unitsPerChunk(units: number, cost: number, align: number): number {
  const want = Math.min(tuning.maxChunks, Math.max(2, Math.round(cost / tuning.chunkFlop)));
  const per = Math.ceil(units / want);
  return Math.ceil(per / align) * align;
}
