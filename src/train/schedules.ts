import { CheckpointError, ConfigError } from '../util/errors.js';

/** What a scheduler needs of an optimizer: its groups' learning rates (every Optimizer fits). */
export interface HasLrGroups {
  readonly paramGroups: { lr: number; initialLr?: number }[];
}

/** Saved state of an epoch-based scheduler. */
export interface LRSchedulerState {
  type: string;
  lastEpoch: number;
  baseLrs: number[];
}

function check(ok: boolean, where: string, what: string, got: unknown): void {
  if (!ok) throw new ConfigError(`${where}: ${what}, got ${JSON.stringify(got)}`);
}

function checkOptimizer(optimizer: HasLrGroups, where: string): void {
  const ok =
    typeof optimizer === 'object' &&
    optimizer !== null &&
    Array.isArray(optimizer.paramGroups) &&
    optimizer.paramGroups.every((g) => typeof g.lr === 'number');
  if (!ok)
    throw new ConfigError(`${where}: optimizer must be an Optimizer (an object with paramGroups[].lr)`);
}

function checkOptionNames(options: object, known: string[], where: string): void {
  for (const k of Object.keys(options)) {
    if (!known.includes(k))
      throw new ConfigError(`${where}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

/**
 * Base of the epoch-based schedulers, after torch.optim.lr_scheduler.LRScheduler. The base
 * learning rates are the groups' `initialLr` (set from `lr` by the first scheduler attached, as
 * PyTorch's `initial_lr`). Construction performs the initial step (epoch 0); call `step()` once per
 * epoch (or per batch, as the schedule is meant) after `optimizer.step()`. Learning rates come from
 * the closed form `lrAt(epoch, baseLr)`, so a restored scheduler continues exactly.
 */
export abstract class LRScheduler {
  lastEpoch = -1;
  readonly baseLrs: number[];

  protected constructor(
    readonly optimizer: HasLrGroups,
    readonly name: string,
  ) {
    checkOptimizer(optimizer, name);
    for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
  }

  /** The learning rate at `epoch` for a group whose base rate is `baseLr`. */
  abstract lrAt(epoch: number, baseLr: number): number;

  /** Advances one epoch and writes the new learning rates into the optimizer's groups. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** The learning rates set by the last step, one per group. */
  getLastLr(): number[] {
    return this.baseLrs.map((b) => this.lrAt(this.lastEpoch, b));
  }

  stateDict(): LRSchedulerState {
    return { type: this.name, lastEpoch: this.lastEpoch, baseLrs: this.baseLrs.slice() };
  }

  /** Restores `stateDict()` output and sets the groups' learning rates to match. */
  loadStateDict(state: LRSchedulerState): void {
    const where = `${this.name}.loadStateDict`;
    const fail = (msg: string) => new CheckpointError(`${where}: ${msg}`);
    if (typeof state !== 'object' || state === null) throw fail('state must be an object from stateDict()');
    if (state.type !== this.name)
      throw fail(`the state was saved by ${JSON.stringify(state.type)}, not ${this.name}`);
    if (!Number.isSafeInteger(state.lastEpoch) || state.lastEpoch < -1) {
      throw fail(`lastEpoch must be an integer >= -1, got ${JSON.stringify(state.lastEpoch)}`);
    }
    const n = this.optimizer.paramGroups.length;
    if (
      !Array.isArray(state.baseLrs) ||
      state.baseLrs.length !== n ||
      !state.baseLrs.every((b) => typeof b === 'number' && Number.isFinite(b) && b >= 0)
    ) {
      throw fail(`baseLrs must be ${n} finite numbers >= 0, got ${JSON.stringify(state.baseLrs)}`);
    }
    this.lastEpoch = state.lastEpoch;
    state.baseLrs.forEach((b, i) => {
      this.baseLrs[i] = b;
      this.optimizer.paramGroups[i].initialLr = b;
    });
    if (this.lastEpoch >= 0) this.apply();
  }

  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]);
    });
  }
}

/** `lr = baseLr * gamma ^ floor(epoch / stepSize)`, as torch.optim.lr_scheduler.StepLR. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: HasLrGroups, options: { stepSize: number; gamma?: number }) {
    super(optimizer, 'StepLR');
    checkOptionNames(options, ['stepSize', 'gamma'], 'StepLR');
    const { stepSize, gamma = 0.1 } = options;
    check(
      Number.isSafeInteger(stepSize) && stepSize >= 1,
      'StepLR',
      'stepSize must be an integer >= 1',
      stepSize,
    );
    check(Number.isFinite(gamma) && gamma >= 0, 'StepLR', 'gamma must be a finite number >= 0', gamma);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.step();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** `lr = baseLr * gamma ^ epoch`, as torch.optim.lr_scheduler.ExponentialLR. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: HasLrGroups, options: { gamma: number }) {
    super(optimizer, 'ExponentialLR');
    checkOptionNames(options, ['gamma'], 'ExponentialLR');
    check(
      Number.isFinite(options.gamma) && options.gamma >= 0,
      'ExponentialLR',
      'gamma must be a finite number >= 0',
      options.gamma,
    );
    this.gamma = options.gamma;
    this.step();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** epoch;
  }
}

/**
 * `lr = etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`, the closed form of
 * torch.optim.lr_scheduler.CosineAnnealingLR (SGDR without restarts; past `tMax` the curve rises
 * again, as PyTorch's does).
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: HasLrGroups, options: { tMax: number; etaMin?: number }) {
    super(optimizer, 'CosineAnnealingLR');
    checkOptionNames(options, ['tMax', 'etaMin'], 'CosineAnnealingLR');
    const { tMax, etaMin = 0 } = options;
    check(Number.isSafeInteger(tMax) && tMax >= 1, 'CosineAnnealingLR', 'tMax must be an integer >= 1', tMax);
    check(
      Number.isFinite(etaMin) && etaMin >= 0,
      'CosineAnnealingLR',
      'etaMin must be a finite number >= 0',
      etaMin,
    );
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.step();
  }

  lrAt(epoch: number, baseLr: number): number {
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

export interface LinearWarmupOptions {
  /** Number of epochs (steps) of the ramp. */
  warmupSteps: number;
  /** Factor of the base rate at epoch 0 (default 1/3, PyTorch LinearLR's `start_factor`). */
  startFactor?: number;
  /** Factor at the end of the ramp (default 1). */
  endFactor?: number;
  /**
   * The schedule after the ramp, started at its epoch 0 when the ramp ends (as SequentialLR does):
   * `lr = after.lrAt(epoch - warmupSteps, baseLr)`. Without it the rate stays at `endFactor * baseLr`.
   * It must be built on the same optimizer; only this scheduler is stepped.
   */
  after?: LRScheduler;
}

/**
 * Linear warm-up, torch.optim.lr_scheduler.LinearLR's formula:
 * `lr = baseLr * (startFactor + (endFactor - startFactor) * min(epoch, warmupSteps) / warmupSteps)`,
 * optionally followed by another schedule (`after`), like SequentialLR([LinearLR, after], [warmupSteps]).
 */
export class LinearWarmup extends LRScheduler {
  readonly warmupSteps: number;
  readonly startFactor: number;
  readonly endFactor: number;
  readonly after: LRScheduler | null;

  constructor(optimizer: HasLrGroups, options: LinearWarmupOptions) {
    super(optimizer, 'LinearWarmup');
    const w = 'LinearWarmup';
    checkOptionNames(options, ['warmupSteps', 'startFactor', 'endFactor', 'after'], w);
    const { warmupSteps, startFactor = 1 / 3, endFactor = 1, after = null } = options;
    check(
      Number.isSafeInteger(warmupSteps) && warmupSteps >= 1,
      w,
      'warmupSteps must be an integer >= 1',
      warmupSteps,
    );
    check(
      Number.isFinite(startFactor) && startFactor > 0 && startFactor <= 1,
      w,
      'startFactor must be in (0, 1]',
      startFactor,
    );
    check(
      Number.isFinite(endFactor) && endFactor >= 0 && endFactor <= 1,
      w,
      'endFactor must be in [0, 1]',
      endFactor,
    );
    if (after !== null && (!(after instanceof LRScheduler) || after.optimizer !== optimizer)) {
      throw new ConfigError(
        `${w}: after must be a scheduler (StepLR, CosineAnnealingLR, ...) of the same optimizer`,
      );
    }
    this.warmupSteps = warmupSteps;
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.after = after;
    this.step();
  }

  lrAt(epoch: number, baseLr: number): number {
    if (this.after && epoch >= this.warmupSteps) return this.after.lrAt(epoch - this.warmupSteps, baseLr);
    const e = Math.min(epoch, this.warmupSteps);
    return baseLr * (this.startFactor + ((this.endFactor - this.startFactor) * e) / this.warmupSteps);
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min': lower metric is better (a loss); 'max': higher is better (an accuracy). */
  mode?: 'min' | 'max';
  /** Multiplier of the learning rate on a plateau (< 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement to tolerate before reducing. Default 10. */
  patience?: number;
  /** Minimal change counted as an improvement. Default 1e-4. */
  threshold?: number;
  /** 'rel': relative to the best value; 'abs': absolute. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. Default 0. */
  cooldown?: number;
  /** Lower bound of the learning rate, one for all groups or one per group. Default 0. */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped. Default 1e-8. */
  eps?: number;
}

export interface ReduceLROnPlateauState {
  type: 'ReduceLROnPlateau';
  lastEpoch: number;
  /** The best metric so far; null before the first step. */
  best: number | null;
  numBadEpochs: number;
  cooldownCounter: number;
}

/**
 * Reduces the learning rates by `factor` when a metric stopped improving for more than `patience`
 * epochs, torch.optim.lr_scheduler.ReduceLROnPlateau's rule exactly: `step(metric)` once per
 * epoch; improvement means `metric < best * (1 - threshold)` (min, rel), `< best - threshold`
 * (min, abs), `> best * (1 + threshold)` (max, rel), `> best + threshold` (max, abs).
 */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  lastEpoch = 0;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;

  constructor(
    readonly optimizer: HasLrGroups,
    options: ReduceLROnPlateauOptions = {},
  ) {
    const w = 'ReduceLROnPlateau';
    checkOptimizer(optimizer, w);
    checkOptionNames(
      options,
      ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'],
      w,
    );
    const {
      mode = 'min',
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = 'rel',
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = options;
    check(mode === 'min' || mode === 'max', w, "mode must be 'min' or 'max'", mode);
    check(
      thresholdMode === 'rel' || thresholdMode === 'abs',
      w,
      "thresholdMode must be 'rel' or 'abs'",
      thresholdMode,
    );
    check(Number.isFinite(factor) && factor >= 0 && factor < 1, w, 'factor must be in [0, 1)', factor);
    check(Number.isSafeInteger(patience) && patience >= 0, w, 'patience must be an integer >= 0', patience);
    check(
      Number.isFinite(threshold) && threshold >= 0,
      w,
      'threshold must be a finite number >= 0',
      threshold,
    );
    check(Number.isSafeInteger(cooldown) && cooldown >= 0, w, 'cooldown must be an integer >= 0', cooldown);
    check(Number.isFinite(eps) && eps >= 0, w, 'eps must be a finite number >= 0', eps);
    const n = optimizer.paramGroups.length;
    const mins = Array.isArray(minLr) ? minLr : new Array<number>(n).fill(minLr);
    check(mins.length === n, w, `minLr must be one number or ${n} numbers (one per group)`, minLr);
    check(
      mins.every((m) => typeof m === 'number' && Number.isFinite(m) && m >= 0),
      w,
      'minLr must be finite numbers >= 0',
      minLr,
    );
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.eps = eps;
    this.minLrs = mins.slice();
    this.best = this.worst();
  }

  private worst(): number {
    return this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  /** True when `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    const t = this.threshold;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - t) : a < best - t;
    return this.thresholdMode === 'rel' ? a > best * (t + 1) : a > best + t;
  }

  /** Records one epoch's metric; reduces the learning rates when the plateau is long enough. */
  step(metric: number): void {
    if (typeof metric !== 'number') {
      throw new ConfigError(`ReduceLROnPlateau.step: metric must be a number, got ${typeof metric}`);
    }
    this.lastEpoch++;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): ReduceLROnPlateauState {
    return {
      type: 'ReduceLROnPlateau',
      lastEpoch: this.lastEpoch,
      best: Number.isFinite(this.best) ? this.best : null,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
    };
  }

  loadStateDict(state: ReduceLROnPlateauState): void {
    const fail = (msg: string) => new CheckpointError(`ReduceLROnPlateau.loadStateDict: ${msg}`);
    if (typeof state !== 'object' || state === null || state.type !== 'ReduceLROnPlateau') {
      throw fail('state must be the output of ReduceLROnPlateau.stateDict()');
    }
    for (const k of ['lastEpoch', 'numBadEpochs', 'cooldownCounter'] as const) {
      if (!Number.isSafeInteger(state[k]) || state[k] < 0)
        throw fail(`${k} must be an integer >= 0, got ${JSON.stringify(state[k])}`);
    }
    if (state.best !== null && !(typeof state.best === 'number' && Number.isFinite(state.best))) {
      throw fail(`best must be a finite number or null, got ${JSON.stringify(state.best)}`);
    }
    this.lastEpoch = state.lastEpoch;
    this.best = state.best ?? this.worst();
    this.numBadEpochs = state.numBadEpochs;
    this.cooldownCounter = state.cooldownCounter;
  }
}
