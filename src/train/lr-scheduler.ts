/**
 * What every learning-rate scheduler builds on: the optimizer interface it needs, the shared
 * option checks, and LRScheduler, the base of the epoch-based schedules (schedules.ts).
 * ReduceLROnPlateau (reduce-lr-on-plateau.ts) reacts to a metric instead and has its own state.
 */
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

export function check(ok: boolean, where: string, what: string, got: unknown): void {
  if (!ok) throw new ConfigError(`${where}: ${what}, got ${JSON.stringify(got)}`);
}

export function checkOptimizer(optimizer: HasLrGroups, where: string): void {
  const ok =
    typeof optimizer === 'object' &&
    optimizer !== null &&
    Array.isArray(optimizer.paramGroups) &&
    optimizer.paramGroups.every((g) => typeof g.lr === 'number');
  if (!ok)
    throw new ConfigError(`${where}: optimizer must be an Optimizer (an object with paramGroups[].lr)`);
}

export function checkOptionNames(options: object, known: string[], where: string): void {
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
