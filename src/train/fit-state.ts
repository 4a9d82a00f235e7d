/**
 * The state of a `fit` run that a checkpoint keeps, and how it is saved and restored exactly:
 * `LoopState` holds the loop's counters (step, epoch, position in the epoch, the RNG state at the
 * epoch's start, the carried recurrent state, the NaN-policy's learning-rate scale, the epoch's
 * running loss, ...); `FitSnapshot` is what `checkpoint.save` receives (the fields of io's
 * CheckpointData: the loop's counters go to `extra.fit` as JSON values); `ResumeState` is what
 * `resume` takes back (`loadCheckpoint`'s result fits).
 *
 * The carried state is stored as JSON numbers: a float64 or float32 value prints as the shortest
 * decimal that reads back to the same double, so it is restored bit for bit.
 */
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { CheckpointError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { EarlyStopping, EarlyStoppingState } from './callbacks.js';
import type { FitOptimizer, FitScheduler } from './fit-options.js';
import { fitError } from './fit-options.js';
import { RunningMean } from './metrics.js';

export type RngState = { s: number[]; spare: number | null };

/** The loop's own counters, saved as a snapshot's `extra.fit` (JSON values only). */
export interface FitProgress {
  version: 1;
  step: number;
  epoch: number;
  /** Batches consumed in the current epoch. */
  batch: number;
  /** The RNG state just before `trainBatches(epoch)` was called; null between epochs. */
  rngEpochStart: RngState | null;
  /** The carried recurrent state, each tensor as `{ tensor: { dtype, shape, data } }`. */
  carry: unknown;
  /** Product of the learning-rate cuts of the 'skip' NaN policy. */
  lrScale: number;
  nanStreak: number;
  skippedSteps: number;
  epochLoss: { sum: number; weight: number; count: number };
  early: EarlyStoppingState | null;
  lastEval: Record<string, number> | null;
  lastLoss: number | null;
  elapsedSeconds: number;
  stepsPerEpoch: number | null;
}

/** What `checkpoint.save` receives; it has the fields of io's CheckpointData. */
export interface FitSnapshot {
  step: number;
  model: Module;
  optimizer: unknown;
  scheduler: unknown;
  rng: RngState;
  metrics: Record<string, number>;
  extra: { fit: FitProgress };
}

/** A saved state to continue from; the result of `loadCheckpoint` fits. */
export interface ResumeState {
  step?: number;
  /** Parameters by name; loaded into the model when present. */
  model?: Map<string, Tensor> | null;
  optimizer?: unknown;
  scheduler?: unknown;
  rng?: RngState | null;
  extra?: unknown;
}

/** Applies `f` to every tensor of a state made of tensors, arrays, plain objects and scalars. */
export function mapState(v: unknown, f: (t: Tensor) => unknown, path = 'state'): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Tensor) return f(v);
  if (Array.isArray(v)) return v.map((x, i) => mapState(x, f, `${path}[${i}]`));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapState(x, f, `${path}.${k}`)]));
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return fitError(
    `the state returned by lossFn must hold Tensors, arrays, plain objects and numbers; ${path} is a ${typeof v}`,
  );
}

export function encodeCarry(v: unknown): unknown {
  return mapState(v, (t) => ({ tensor: { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data) } }));
}

export function decodeCarry(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decodeCarry);
  const t = (v as { tensor?: { dtype: string; shape: number[]; data: number[] } }).tensor;
  if (t && Object.keys(v).length === 1) {
    if (!Array.isArray(t.shape) || !Array.isArray(t.data))
      throw new CheckpointError('fit: resume: a carried tensor must be { dtype, shape, data }');
    return new Tensor(t.dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data), t.shape);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeCarry(x)]));
}

function checkProgress(p: unknown): FitProgress {
  const f = p as FitProgress;
  const nat = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  const ok =
    typeof f === 'object' &&
    f !== null &&
    f.version === 1 &&
    nat(f.step) &&
    nat(f.epoch) &&
    nat(f.batch) &&
    typeof f.lrScale === 'number' &&
    f.lrScale > 0 &&
    nat(f.nanStreak) &&
    nat(f.skippedSteps) &&
    typeof f.epochLoss === 'object' &&
    f.epochLoss !== null;
  if (!ok) {
    throw new CheckpointError(
      'fit: resume.extra.fit is missing or malformed (the state was not saved by fit; to start from saved weights only, load them into the model and omit resume)',
    );
  }
  return f;
}

/** The loop's counters (see FitProgress). */
export class LoopState<S> {
  step = 0;
  epoch = 0;
  batch = 0;
  rngEpochStart: RngState | null = null;
  carry: S | null = null;
  lrScale = 1;
  nanStreak = 0;
  skipped = 0;
  readonly epochLoss = new RunningMean();
  lastEval: Record<string, number> | null = null;
  lastLoss: number | null = null;
  elapsedBefore = 0;
  stepsPerEpoch: number | null = null;

  toProgress(elapsedSeconds: number, early: EarlyStopping | null): FitProgress {
    return {
      version: 1,
      step: this.step,
      epoch: this.epoch,
      batch: this.batch,
      rngEpochStart: this.rngEpochStart,
      carry: encodeCarry(this.carry),
      lrScale: this.lrScale,
      nanStreak: this.nanStreak,
      skippedSteps: this.skipped,
      epochLoss: this.epochLoss.stateDict(),
      early: early?.stateDict() ?? null,
      lastEval: this.lastEval,
      lastLoss: this.lastLoss,
      elapsedSeconds,
      stepsPerEpoch: this.stepsPerEpoch,
    };
  }

  /**
   * The iterator of the current epoch after a mid-epoch restore: the batch factory is called again
   * from the RNG state the epoch started with, the batches already consumed are skipped, and the
   * RNG is put back to the saved state.
   */
  replayEpoch<B>(rng: Rng, batchesOf: (epoch: number) => Iterator<B>): Iterator<B> {
    const now = rng.getState();
    rng.setState(this.rngEpochStart as RngState);
    const it = batchesOf(this.epoch);
    for (let k = 0; k < this.batch; k++) {
      if (it.next().done)
        throw new CheckpointError(
          `fit: resume: epoch ${this.epoch} now has ${k} batches, but the state was saved after batch ${this.batch} (the training data changed)`,
        );
    }
    rng.setState(now);
    return it;
  }

  /**
   * Restores a saved run: parameters (when given), optimizer, scheduler, RNG and the counters.
   * Returns true when the state was saved in the middle of an epoch.
   */
  restore(
    r: ResumeState,
    parts: {
      model: Module;
      optimizer: FitOptimizer;
      scheduler: FitScheduler | undefined;
      rng: Rng;
      early: EarlyStopping | null;
    },
  ): boolean {
    const p = checkProgress((r.extra as { fit?: unknown } | null)?.fit);
    if (r.step !== undefined && r.step !== p.step)
      throw new CheckpointError(`fit: resume.step ${r.step} disagrees with resume.extra.fit.step ${p.step}`);
    if (r.model instanceof Map) parts.model.loadStateDict(r.model);
    if (r.optimizer === null || r.optimizer === undefined)
      throw new CheckpointError('fit: resume has no optimizer state');
    parts.optimizer.loadStateDict(r.optimizer);
    const sched = parts.scheduler;
    if (sched) {
      if (r.scheduler === null || r.scheduler === undefined || typeof sched.loadStateDict !== 'function')
        throw new CheckpointError(
          'fit: resume has no scheduler state (or the scheduler has no loadStateDict)',
        );
      sched.loadStateDict(r.scheduler);
      // An absolute scheduler just rewrote the rates: apply the NaN policy's cuts again.
      if (typeof sched.lrAt === 'function' && p.lrScale !== 1)
        for (const g of parts.optimizer.paramGroups) g.lr *= p.lrScale;
    }
    if (r.rng) parts.rng.setState(r.rng);
    if (parts.early && p.early) parts.early.loadStateDict(p.early);
    this.epochLoss.loadStateDict(p.epochLoss);
    this.step = p.step;
    this.epoch = p.epoch;
    this.batch = p.batch;
    this.rngEpochStart = p.rngEpochStart ?? null;
    this.carry = decodeCarry(p.carry) as S | null;
    this.lrScale = p.lrScale;
    this.nanStreak = p.nanStreak;
    this.skipped = p.skippedSteps;
    this.lastEval = p.lastEval ?? null;
    this.lastLoss = p.lastLoss ?? null;
    this.elapsedBefore = p.elapsedSeconds ?? 0;
    this.stepsPerEpoch = this.stepsPerEpoch ?? p.stepsPerEpoch ?? null;
    return this.rngEpochStart !== null;
  }
}
