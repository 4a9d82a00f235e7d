/**
 * A multilayer perceptron: Linear layers with a nonlinearity between them (none after the last),
 * as `torch.nn.Sequential(Linear, Tanh, ..., Linear)`:
 *
 *   x [..., sizes[0]] -> Linear(sizes[0], sizes[1]) -> f -> ... -> Linear(sizes[n-2], sizes[n-1])
 *
 * f is tanh (default) or relu. Parameter names: `layers.0.weight`, `layers.0.bias`, ... With
 * `dropout` > 0, dropout follows every hidden activation in training mode.
 */
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { relu, tanh } from '../ops/unary.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

export interface MLPOptions {
  activation?: 'tanh' | 'relu';
  /** Dropout probability after each hidden activation (default 0). */
  dropout?: number;
  rng?: Rng;
}

class Layers extends Module {
  readonly list: Linear[] = [];
  add(l: Linear): void {
    this.list.push(this.registerModule(String(this.list.length), l));
  }
  protected describe(): string {
    return `Layers(${this.list.length})`;
  }
}

export class MLP extends Module {
  readonly sizes: readonly number[];
  readonly activation: 'tanh' | 'relu';
  readonly layers: Layers;
  readonly drop: Dropout | null;

  constructor(sizes: readonly number[], options: MLPOptions = {}) {
    super();
    if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
      throw new ConfigError(
        `MLP: sizes must list at least two positive integers (input, ..., output), got ${JSON.stringify(sizes)}`,
      );
    }
    const act = options.activation ?? 'tanh';
    if (act !== 'tanh' && act !== 'relu')
      throw new ConfigError(`MLP: activation must be 'tanh' or 'relu', got ${JSON.stringify(act)}`);
    const p = options.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p < 1))
      throw new ConfigError(`MLP: dropout must be in [0, 1), got ${JSON.stringify(p)}`);
    this.sizes = Object.freeze(sizes.slice());
    this.activation = act;
    this.layers = this.registerModule('layers', new Layers());
    for (let i = 0; i + 1 < sizes.length; i++)
      this.layers.add(new Linear(sizes[i], sizes[i + 1], { rng: options.rng }));
    this.drop = p > 0 ? this.registerModule('drop', new Dropout(p, { rng: options.rng })) : null;
  }

  /** x [..., sizes[0]] -> [..., sizes[last]]. */
  forward(x: Tensor): Tensor {
    let y = x;
    const n = this.layers.list.length;
    this.layers.list.forEach((l, i) => {
      y = l.forward(y);
      if (i < n - 1) {
        y = this.activation === 'tanh' ? tanh(y) : relu(y);
        if (this.drop) y = this.drop.forward(y);
      }
    });
    return y;
  }

  protected describe(): string {
    const extra = [
      this.activation !== 'tanh' ? `activation='${this.activation}'` : '',
      this.drop ? `dropout=${this.drop.p}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return `MLP([${this.sizes.join(', ')}]${extra ? `, ${extra}` : ''})`;
  }
}
