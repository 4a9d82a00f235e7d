import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { CheckpointError, ConfigError, fmtShape } from '../util/errors.js';
import { sameShape } from '../util/shape.js';

/**
 * Base class of layers and models, after torch.nn.Module: parameters and sub-modules are
 * registered under names, `namedParameters()` walks them with dotted names
 * (`lstm.weight_ih_l0`), `stateDict()`/`loadStateDict()` use those names, and `train()`/`eval()`
 * switch the mode that dropout reads.
 */
export abstract class Module {
  /** True in training mode (the default), false after `eval()`. */
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter (requiresGrad is switched on). `null` keeps the name reserved (no bias). */
  protected registerParameter(name: string, t: Tensor | null): Tensor | null {
    if (this.params.has(name) || this.children.has(name)) {
      throw new ConfigError(`${this.constructor.name}.registerParameter: the name '${name}' is already used`);
    }
    if (t) {
      t.requiresGrad = true;
      keep(t); // a parameter outlives any tidy() scope it is made in
    }
    this.params.set(name, t);
    return t;
  }

  /** Registers a sub-module under `name`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    if (this.params.has(name) || this.children.has(name)) {
      throw new ConfigError(`${this.constructor.name}.registerModule: the name '${name}' is already used`);
    }
    this.children.set(name, m);
    return m;
  }

  /** [name, tensor] for every parameter, in registration order, sub-modules depth-first. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) if (p) out.push([prefix + n, p]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of parameter values. */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, m] of this.children) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }

  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Sets every parameter's gradient to null. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** The parameters by name (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Copies values into the parameters by name. With `strict` (default) every parameter must be
   * present and no unknown name may appear; shapes must match exactly.
   */
  loadStateDict(state: Map<string, Tensor> | Record<string, Tensor>, strict = true): void {
    const src = state instanceof Map ? state : new Map(Object.entries(state));
    const mine = new Map(this.namedParameters());
    const where = `${this.constructor.name}.loadStateDict`;
    if (strict) {
      const missing = [...mine.keys()].filter((k) => !src.has(k));
      const unexpected = [...src.keys()].filter((k) => !mine.has(k));
      if (missing.length || unexpected.length) {
        throw new CheckpointError(
          `${where}: parameter names do not match (missing: ${missing.join(', ') || 'none'}; unexpected: ${unexpected.join(', ') || 'none'})`,
        );
      }
    }
    for (const [name, p] of mine) {
      const t = src.get(name);
      if (!t) continue;
      if (!sameShape(t.shape, p.shape)) {
        throw new CheckpointError(
          `${where}: ${name} must have shape ${fmtShape(p.shape)}, got ${fmtShape(t.shape)}`,
        );
      }
      const d = p.data;
      const s = t.data;
      for (let i = 0; i < d.length; i++) d[i] = s[i];
      p.markChanged();
    }
  }

  /** One line with the sizes and parameter count, e.g. `Linear(256, 65)  # 16,705 parameters`. */
  toString(): string {
    return `${this.describe()}  # ${this.numParameters().toLocaleString('en-US')} parameters`;
  }

  /** The constructor call that would rebuild this module, e.g. `LSTM(64, 256, numLayers=2)`. */
  protected abstract describe(): string;
}
