import type { Tensor } from '../../tensor/tensor.js';
import { ConfigError, RecurError } from '../../util/errors.js';
import type { BaseOptions, Optimizer, OptimizerStateDict, ParamGroup } from './optimizer.js';

/** The state of a MultiOptimizer: one state dict per optimizer, in order. */
export interface MultiOptimizerStateDict {
  type: 'MultiOptimizer';
  optimizers: OptimizerStateDict[];
}

// biome-ignore lint/suspicious/noExplicitAny: any optimizer, whatever its options type.
type AnyOptimizer = Optimizer<any>;

/**
 * Several optimizers stepped as one, for parameters that need different update rules: the
 * PyTorch recipe of a sparse embedding under `SparseAdam` and the dense rest under `Adam` (two
 * optimizers stepped together), or TensorFlow Addons' `MultiOptimizer`. It has what `fit()` and
 * the schedulers use: `paramGroups` is the concatenation of the optimizers' groups (the same group
 * objects, so a scheduler's learning rates reach every optimizer), `step()`, `zeroGrad()`, and
 * `stateDict()`/`loadStateDict()` over all of them.
 *
 * ```ts
 * const opt = new MultiOptimizer([
 *   new SparseAdam([embedding.weight], { lr: 3e-3 }),
 *   new Adam(rest, { lr: 3e-3 }),
 * ]);
 * ```
 */
export class MultiOptimizer {
  readonly optimizers: readonly AnyOptimizer[];
  readonly paramGroups: ParamGroup<BaseOptions>[];

  constructor(optimizers: readonly AnyOptimizer[]) {
    const where = 'MultiOptimizer';
    if (!Array.isArray(optimizers) || optimizers.length === 0)
      throw new ConfigError(
        `${where}: optimizers must be a non-empty array of optimizers, got ${Array.isArray(optimizers) ? 'an empty array' : typeof optimizers}`,
      );
    const owner = new Map<Tensor, number>();
    optimizers.forEach((o, i) => {
      if (!o || typeof o.step !== 'function' || !Array.isArray(o.paramGroups))
        throw new ConfigError(
          `${where}: optimizers[${i}] must be an optimizer (SGD, Adam, ...), got ${o === null ? 'null' : typeof o === 'object' ? (o.constructor?.name ?? 'an object') : typeof o}`,
        );
      for (const g of o.paramGroups)
        for (const p of g.params) {
          const j = owner.get(p);
          if (j !== undefined)
            throw new ConfigError(
              `${where}: a parameter ${fmt(p)} is in optimizers[${j}] and optimizers[${i}]; give each parameter to one optimizer`,
            );
          owner.set(p, i);
        }
    });
    this.optimizers = optimizers.slice();
    this.paramGroups = this.optimizers.flatMap((o) => o.paramGroups);
  }

  /** Steps every optimizer, in order. */
  step(): void {
    for (const o of this.optimizers) o.step();
  }

  /** Resets the gradients of every optimizer's parameters (see Optimizer.zeroGrad). */
  zeroGrad(setToNone = true): void {
    for (const o of this.optimizers) o.zeroGrad(setToNone);
  }

  stateDict(): MultiOptimizerStateDict {
    return { type: 'MultiOptimizer', optimizers: this.optimizers.map((o) => o.stateDict()) };
  }

  /**
   * Restores every optimizer from `stateDict()`. All or nothing: when one optimizer refuses its
   * part, those restored before it are put back as they were and the error is rethrown.
   */
  loadStateDict(sd: MultiOptimizerStateDict): void {
    const where = 'MultiOptimizer.loadStateDict';
    const n = this.optimizers.length;
    if (
      typeof sd !== 'object' ||
      sd === null ||
      sd.type !== 'MultiOptimizer' ||
      !Array.isArray(sd.optimizers)
    )
      throw new ConfigError(
        `${where}: expected { type: 'MultiOptimizer', optimizers: [...] } from stateDict()`,
      );
    if (sd.optimizers.length !== n)
      throw new ConfigError(`${where}: the state has ${sd.optimizers.length} optimizers, this has ${n}`);
    const before = this.optimizers.map((o) => o.stateDict());
    let i = 0;
    try {
      for (; i < n; i++) this.optimizers[i].loadStateDict(sd.optimizers[i]);
    } catch (e) {
      for (let j = 0; j < i; j++) this.optimizers[j].loadStateDict(before[j]);
      if (!(e instanceof RecurError)) throw e;
      const Same = e.constructor as new (message: string) => RecurError;
      throw new Same(`${where}: optimizers[${i}]: ${e.message}`);
    }
  }

  toString(): string {
    return `MultiOptimizer(${this.optimizers.map((o) => o.name).join(', ')})`;
  }
}

function fmt(p: Tensor): string {
  return `[${p.shape.join(', ')}]`;
}
