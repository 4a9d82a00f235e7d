/**
 * The options and result of `fit` (src/train/fit.ts), and their eager validation: every option is
 * checked before training starts, and an unknown option name is an error.
 */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { EarlyStoppingOptions, FitCallback, NanPolicy, StopReason } from './callbacks.js';
import type { FitSnapshot, ResumeState } from './fit-state.js';

/** What fit needs of an optimizer (every Optimizer of src/train/optim fits). */
export interface FitOptimizer {
  readonly paramGroups: { lr: number }[];
  step(): unknown;
  zeroGrad(): void;
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
}

/** What fit needs of a scheduler. One with `lrAt` (StepLR, CosineAnnealingLR, ...) sets learning rates absolutely. */
export interface FitScheduler {
  step(metric?: number): void;
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
  lrAt?(epoch: number, baseLr: number): number;
}

/** Where the loop is, passed to lossFn and evalFn. `batch` counts the batches consumed in the epoch before this one. */
export interface FitContext {
  step: number;
  epoch: number;
  batch: number;
}

/** A loss (one-element tensor), or the loss with the next recurrent state and the number of tokens. */
export type LossOutput<S> = Tensor | { loss: Tensor; state?: S | null; tokens?: number };

export type EvalResult = number | Record<string, number>;

export interface CheckpointHook {
  /** Save every this many steps. */
  every?: number;
  /** Save at the end of every epoch (default false). */
  atEpochEnd?: boolean;
  /** Save when training stops, unless this step was just saved (default true). */
  atEnd?: boolean;
  /** Writes the snapshot, e.g. `(s) => saveCheckpoint(dir, { ...s, config })`. fit waits for it. */
  save: (snapshot: FitSnapshot) => void | Promise<void>;
}

export interface FitOptions<M extends Module, B, S> {
  model: M;
  optimizer: FitOptimizer;
  /** The batches of one epoch: an iterable (re-iterated every epoch) or a function of the epoch. */
  trainBatches: Iterable<B> | ((epoch: number) => Iterable<B>);
  /** Forward and loss of one batch (synchronous, as the tape). `state`: the detached state the previous batch returned. */
  lossFn: (model: M, batch: B, state: S | null, ctx: FitContext) => LossOutput<S>;
  /** Validation, run in eval mode: a number (reported as `val_loss`) or named metrics. */
  evalFn?: (model: M, ctx: FitContext) => EvalResult | Promise<EvalResult>;
  /** Stop after this many epochs, steps or minutes, whichever comes first (default: 1 epoch when none is given). */
  epochs?: number;
  maxSteps?: number;
  maxMinutes?: number;
  /** Clip the total gradient norm (L2, or `normType`) before every step. */
  gradClip?: number | { maxNorm: number; normType?: number };
  scheduler?: FitScheduler;
  /**
   * When the scheduler steps: 'step', 'epoch', or 'eval' (with the monitored metric). Default
   * 'eval' when its `step` takes an argument (ReduceLROnPlateau), else 'epoch'.
   */
  schedulerInterval?: 'step' | 'epoch' | 'eval';
  /** Evaluate every this many steps (default: at the end of every epoch). */
  evalEvery?: number;
  /**
   * Evaluate once more when training stops at a step that was not evaluated (a step or time
   * limit, a callback's stop, the last epoch with `evalEvery`), so `lastEval`, the 'end' event and
   * the last checkpoint describe the final weights. Not after an abort. Default true.
   */
  evalAtEnd?: boolean;
  /** The metric early stopping and 'eval' schedulers watch (default 'val_loss' with evalFn, else the epoch's mean 'loss'). */
  monitor?: string;
  callbacks?: FitCallback[];
  earlyStopping?: EarlyStoppingOptions;
  /** The recurrent state at the start of every epoch (and after a skipped step); default null. */
  resetState?: (epoch: number) => S | null;
  /** 'stop' (default): throw a NumericError; 'skip': skip the step and multiply the lr by `nanLrFactor` (default 0.5). */
  nanPolicy?: NanPolicy;
  nanLrFactor?: number;
  /** With 'skip': give up (NumericError) after more than this many non-finite steps in a row (default 5). */
  maxNanSkips?: number;
  /** On a non-finite gradient, run the batch once more with the backward watched, to name the op (default true). */
  locateNanOp?: boolean;
  checkpoint?: CheckpointHook;
  /** A saved state to continue from (e.g. `loadCheckpoint(dir, { model })`). */
  resume?: ResumeState | null;
  /** The generator whose state is saved and restored (default: defaultRng). */
  rng?: Rng;
  /** Steps per epoch, for the ETA when `trainBatches` is a function (otherwise learnt after the first epoch). */
  stepsPerEpoch?: number;
  /** Stops at the next step boundary (reason 'aborted'), e.g. on Ctrl-C. */
  signal?: AbortSignal;
  /** Milliseconds (default performance.now). */
  clock?: () => number;
}

export interface FitResult {
  step: number;
  epoch: number;
  reason: StopReason;
  /** The last completed step's loss. */
  loss: number | null;
  lastEval: Record<string, number> | null;
  /** The best value of the early-stopping metric and its step. */
  best: { monitor: string; value: number; step: number | null } | null;
  skippedSteps: number;
  elapsedSeconds: number;
}

const KNOWN = [
  'model',
  'optimizer',
  'trainBatches',
  'lossFn',
  'evalFn',
  'epochs',
  'maxSteps',
  'maxMinutes',
  'gradClip',
  'scheduler',
  'schedulerInterval',
  'evalEvery',
  'evalAtEnd',
  'monitor',
  'callbacks',
  'earlyStopping',
  'resetState',
  'nanPolicy',
  'nanLrFactor',
  'maxNanSkips',
  'locateNanOp',
  'checkpoint',
  'resume',
  'rng',
  'stepsPerEpoch',
  'signal',
  'clock',
];

export function fitError(msg: string): never {
  throw new ConfigError(`fit: ${msg}`);
}

function posInt(v: unknown, name: string): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || (v as number) < 1))
    fitError(`${name} must be an integer >= 1, got ${JSON.stringify(v)}`);
}

const isFn = (f: unknown): boolean => typeof f === 'function';

/** Checks every option; returns the resolved scheduler interval and monitored metric. */
export function checkFitOptions<M extends Module, B, S>(
  o: FitOptions<M, B, S>,
): {
  schedulerInterval: 'step' | 'epoch' | 'eval';
  monitor: string;
  clip: { maxNorm: number; normType: number } | null;
} {
  if (typeof o !== 'object' || o === null) fitError('options must be an object');
  for (const k of Object.keys(o))
    if (!KNOWN.includes(k)) fitError(`unknown option '${k}' (known: ${KNOWN.join(', ')})`);
  if (!o.model || !isFn(o.model.namedParameters)) fitError('model must be a Module');
  const opt = o.optimizer;
  if (!opt || !isFn(opt.step) || !isFn(opt.zeroGrad) || !Array.isArray(opt.paramGroups))
    fitError('optimizer must be an Optimizer (SGD, Adam, ...)');
  if (!isFn(o.lossFn)) fitError('lossFn must be a function (model, batch, state, ctx) => loss');
  const tb = o.trainBatches as unknown;
  if (!isFn(tb) && !(tb && isFn((tb as Iterable<B>)[Symbol.iterator])))
    fitError('trainBatches must be an iterable or a function of the epoch returning one');
  if (o.evalFn !== undefined && !isFn(o.evalFn)) fitError('evalFn must be a function');
  for (const k of ['epochs', 'maxSteps', 'stepsPerEpoch', 'maxNanSkips', 'evalEvery'] as const)
    posInt(o[k], k);
  if (o.maxMinutes !== undefined && !(typeof o.maxMinutes === 'number' && o.maxMinutes > 0))
    fitError(`maxMinutes must be a number > 0, got ${JSON.stringify(o.maxMinutes)}`);
  if (o.evalEvery !== undefined && !o.evalFn) fitError('evalEvery needs an evalFn');
  if (o.evalAtEnd !== undefined && typeof o.evalAtEnd !== 'boolean')
    fitError(`evalAtEnd must be true or false, got ${JSON.stringify(o.evalAtEnd)}`);
  if (o.nanPolicy !== undefined && o.nanPolicy !== 'stop' && o.nanPolicy !== 'skip')
    fitError(`nanPolicy must be 'stop' or 'skip', got ${JSON.stringify(o.nanPolicy)}`);
  const f = o.nanLrFactor;
  if (f !== undefined && !(typeof f === 'number' && f > 0 && f <= 1))
    fitError(`nanLrFactor must be a number in (0, 1], got ${JSON.stringify(f)}`);
  const clip = o.gradClip;
  const maxNorm = typeof clip === 'number' ? clip : clip?.maxNorm;
  if (clip !== undefined && !(typeof maxNorm === 'number' && maxNorm > 0))
    fitError(`gradClip must be a number > 0 or { maxNorm, normType }, got ${JSON.stringify(clip)}`);
  const ck = o.checkpoint;
  if (ck !== undefined) {
    if (typeof ck !== 'object' || ck === null || !isFn(ck.save))
      fitError('checkpoint must be { save(snapshot), every?, atEpochEnd?, atEnd? }');
    posInt(ck.every, 'checkpoint.every');
  }
  if (o.rng !== undefined && !(o.rng instanceof Rng)) fitError('rng must be an Rng');
  if (o.callbacks !== undefined && !Array.isArray(o.callbacks)) fitError('callbacks must be an array');
  if (o.resetState !== undefined && !isFn(o.resetState))
    fitError('resetState must be a function of the epoch');
  const s = o.scheduler;
  if (s !== undefined && (!s || !isFn(s.step))) fitError('scheduler must have a step() method');
  const si = o.schedulerInterval ?? (s && s.step.length >= 1 ? 'eval' : 'epoch');
  if (!['step', 'epoch', 'eval'].includes(si))
    fitError(`schedulerInterval must be 'step', 'epoch' or 'eval', got ${JSON.stringify(si)}`);
  if (o.monitor !== undefined && (typeof o.monitor !== 'string' || o.monitor === ''))
    fitError(`monitor must be a metric name, got ${JSON.stringify(o.monitor)}`);
  return {
    schedulerInterval: si,
    monitor: o.earlyStopping?.monitor ?? o.monitor ?? (o.evalFn ? 'val_loss' : 'loss'),
    clip:
      clip === undefined
        ? null
        : typeof clip === 'number'
          ? { maxNorm: clip, normType: 2 }
          : { maxNorm: clip.maxNorm, normType: clip.normType ?? 2 },
  };
}
