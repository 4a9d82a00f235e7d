import { dropout } from '../ops/dropout.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { defaultRng, Rng } from '../util/rng.js';
import { Module } from './module.js';

export interface DropoutModuleOptions {
  /** The generator that draws the masks (default: `defaultRng`). */
  rng?: Rng;
}

/**
 * Inverted dropout as a module, as `torch.nn.Dropout`: drops with probability p while
 * `this.training` (switch with `train()` / `eval()`), the identity otherwise. No parameters.
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly rng: Rng;

  constructor(p = 0.5, options: DropoutModuleOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
      throw new ConfigError(`Dropout: p must be a probability in [0, 1), got ${p}`);
    }
    const rng = options.rng ?? defaultRng;
    if (!(rng instanceof Rng)) throw new ConfigError('Dropout: options.rng must be an Rng');
    this.p = p;
    this.rng = rng;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, rng: this.rng });
  }

  protected describe(): string {
    return `Dropout(p=${this.p})`;
  }
}
