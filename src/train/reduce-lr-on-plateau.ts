/**
 * ReduceLROnPlateau: lowers the learning rates when a monitored metric stops improving, as
 * torch.optim.lr_scheduler.ReduceLROnPlateau. Unlike the closed-form schedules (schedules.ts) it
 * is driven by the metric passed to each `step`, so its state is the best value and the counters.
 */
import { CheckpointError, ConfigError } from '../util/errors.js';
import { check, checkOptimizer, checkOptionNames, type HasLrGroups } from './lr-scheduler.js';

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
