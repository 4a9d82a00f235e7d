/**
 * The epoch-based learning-rate schedules with a closed form `lrAt(epoch, baseLr)`, after
 * torch.optim.lr_scheduler: StepLR, ExponentialLR, CosineAnnealingLR and LinearWarmup. Their base
 * class is in lr-scheduler.ts; the metric-driven ReduceLROnPlateau in reduce-lr-on-plateau.ts.
 */
import { ConfigError } from '../util/errors.js';
import { check, checkOptionNames, type HasLrGroups, LRScheduler } from './lr-scheduler.js';

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
