import type { Kernels } from '../../kernels/types.js';
import { liveRanges } from '../../tensor/sparse-rows.js';
import { allocData, type FloatArray, Tensor } from '../../tensor/tensor.js';
import { CheckpointError, ConfigError, fmtShape, ShapeError } from '../../util/errors.js';

/** Options every optimizer has. `initialLr` is set by the first LR scheduler attached (PyTorch's `initial_lr`). */
export interface BaseOptions {
  lr: number;
  /** Maximize the objective instead of minimizing it (the gradient's sign is flipped). */
  maximize: boolean;
}

/**
 * A parameter group: its parameters plus its own copy of every option, as PyTorch's
 * `param_groups` dicts. Schedulers write `lr`; changing an option here takes effect on the next step.
 */
export type ParamGroup<O> = O & { params: Tensor[]; initialLr?: number };

/** A group as given to a constructor: parameters plus any options that differ from the defaults. */
export type ParamGroupSpec<O> = Partial<O> & { params: Tensor | Iterable<Tensor> };

/** What a constructor accepts: a list of tensors (one group) or a list of groups. */
export type Params<O> = Iterable<Tensor> | ParamGroupSpec<O>[];

/** Per-parameter state: the number of steps taken and named buffers the size of the parameter. */
export interface ParamState {
  step: number;
  buffers: Record<string, FloatArray>;
}

/**
 * The serializable state of an optimizer, after PyTorch's `state_dict()`: parameters are
 * identified by their index, counted across groups in order; options are JSON values and the
 * buffers typed arrays (copies), so `saveCheckpoint` can put them in a safetensors file.
 */
export interface OptimizerStateDict {
  type: string;
  paramGroups: (Record<string, number | boolean | number[]> & { params: number[] })[];
  state: Record<string, ParamState>;
}

/**
 * One parameter's part of a step: its gradient's values (and, for a sparse embedding's gradient,
 * the only rows that may be nonzero), its state, its group and its index across groups.
 */
export interface ParamUpdate<O> {
  p: Tensor;
  g: FloatArray;
  rows: Int32Array | null;
  s: ParamState;
  group: ParamGroup<O>;
  index: number;
}

/**
 * `a` itself when it is not float32 or already in the backend's memory, else a copy there
 * (`Kernels.allocResident`), so that kernels use it in place from then on; on a backend without
 * its own memory, `a` itself.
 */
export function residentCopy(K: Kernels, a: FloatArray): FloatArray {
  if (!(a instanceof Float32Array) || K.resident(a)) return a;
  const r = K.allocResident(a.length);
  if (!K.resident(r)) return a;
  r.set(a);
  return r;
}

/** Validates one option value; throws ConfigError naming `where` and the option. */
export type OptionCheck = (value: unknown, where: string, name: string) => void;

const optName = (where: string, name: string) => `${where}: ${name}`;

/** A finite number in [min, max] (or (min, max] when `openMin`, [min, max) when `openMax`). */
export function numberIn(
  min: number,
  max = Number.POSITIVE_INFINITY,
  openMin = false,
  openMax = false,
): OptionCheck {
  return (v, where, name) => {
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (openMin ? v > min : v >= min) &&
      (openMax ? v < max : v <= max);
    if (!ok) {
      const range = `${openMin ? '(' : '['}${min}, ${max === Number.POSITIVE_INFINITY ? 'inf' : max}${openMax ? ')' : ']'}`;
      throw new ConfigError(
        `${optName(where, name)} must be a finite number in ${range}, got ${JSON.stringify(v)}`,
      );
    }
  };
}

export const isBoolean: OptionCheck = (v, where, name) => {
  if (typeof v !== 'boolean')
    throw new ConfigError(`${optName(where, name)} must be true or false, got ${JSON.stringify(v)}`);
};

/** The buffer `name` of parameter `p`'s state, created zero-filled (or `fill`-filled) on first use. */
export function stateBuffer(p: Tensor, s: ParamState, name: string, fill = 0): FloatArray {
  let b = s.buffers[name];
  if (!b) {
    b = allocData(p.size, p.dtype);
    if (fill !== 0) b.fill(fill);
    s.buffers[name] = b;
  }
  return b;
}

const isTypedFloat = (x: unknown): x is FloatArray => x instanceof Float32Array || x instanceof Float64Array;

/**
 * Base class of the optimizers: parameter groups with per-group options, per-parameter state,
 * `step()`, `zeroGrad()` and `stateDict()`/`loadStateDict()`. Subclasses give the defaults, the
 * option checks, the buffer names and the fused per-parameter update. Updates write the parameters'
 * typed arrays in place (nothing is recorded on the tape) and call `markChanged()`.
 */
export abstract class Optimizer<O extends BaseOptions> {
  readonly paramGroups: ParamGroup<O>[] = [];
  protected readonly state = new Map<Tensor, ParamState>();
  private readonly defaults: O;

  protected constructor(
    /** The class name, used in messages and saved in the state dict. */
    readonly name: string,
    params: Params<O>,
    defaults: O,
    options: Partial<O>,
    private readonly spec: { readonly [K in keyof O]: OptionCheck },
    /** Names of the buffers a parameter's state may hold. */
    private readonly bufferNames: readonly string[],
  ) {
    this.checkOptions(options, name);
    this.defaults = { ...defaults, ...copyOptions(options) };
    const list = Array.isArray(params) ? params : [...(params as Iterable<Tensor>)];
    if (list.length === 0) throw new ConfigError(`${name}: got an empty parameter list`);
    const groups: ParamGroupSpec<O>[] = list.every((x) => x instanceof Tensor)
      ? [{ params: list as Tensor[] } as unknown as ParamGroupSpec<O>]
      : (list as ParamGroupSpec<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group (e.g. layers unfrozen later); options default to the constructor's. */
  addParamGroup(spec: ParamGroupSpec<O>): void {
    const where = `${this.name}.addParamGroup`;
    if (typeof spec !== 'object' || spec === null || !('params' in spec)) {
      throw new ConfigError(`${where}: a group must be a Tensor or an object { params, ...options }`);
    }
    const { params, ...rest } = spec;
    const opts = rest as unknown as Partial<O>;
    this.checkOptions(opts, where);
    const iterable = typeof (params as Iterable<Tensor>)?.[Symbol.iterator] === 'function';
    if (!(params instanceof Tensor) && !iterable) {
      throw new ConfigError(`${where}: params must be a Tensor or a list of Tensors`);
    }
    const list: Tensor[] = params instanceof Tensor ? [params] : [...params];
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ConfigError(`${where}: params[${i}] is not a Tensor`);
      if (seen.has(p))
        throw new ConfigError(`${where}: params[${i}] appears in more than one group (or twice)`);
      seen.add(p);
    });
    const group = { ...this.defaults, ...copyOptions(opts), params: list } as ParamGroup<O>;
    this.checkGroup(group, where);
    this.paramGroups.push(group);
  }

  /** Checks that concern several options together (e.g. SGD's nesterov needs momentum); ConfigError. */
  protected checkGroup(_group: O, _where: string): void {}

  /**
   * Updates every parameter that has a gradient (parameters with `grad === null` are skipped).
   * With `closure`, calls it first (it should recompute the loss and gradients) and returns its value.
   */
  step(closure?: () => number): number | undefined {
    const loss = closure ? closure() : undefined;
    const batch: ParamUpdate<O>[] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (g) {
          if (g.size !== p.size) {
            throw new ShapeError(
              `${this.name}.step: the gradient of parameter ${index} has shape ${fmtShape(g.shape)}, the parameter ${fmtShape(p.shape)}`,
            );
          }
          const s = this.state.get(p) ?? { step: 0, buffers: {} };
          batch.push({ p, g: g.data, rows: g.sparseRows, s, group, index });
        }
        index++;
      }
    }
    this.checkBatch(batch);
    for (const u of batch) {
      this.state.set(u.p, u.s);
      u.s.step++;
    }
    this.updateMany(batch);
    for (const u of batch) u.p.markChanged();
    return loss;
  }

  /**
   * Fused update of one parameter (`s.step` already counts this step). Creates buffers on first
   * use. `rows`: for a sparse embedding's gradient, the only rows that may be nonzero.
   */
  protected abstract update(
    p: Tensor,
    g: FloatArray,
    s: ParamState,
    group: ParamGroup<O>,
    rows?: Int32Array | null,
  ): void;

  /** Rejects gradients this optimizer cannot take, before anything changes (ConfigError). */
  protected checkBatch(_batch: readonly ParamUpdate<O>[]): void {}

  /**
   * The update of every parameter that has a gradient, in order. The default calls `update` per
   * parameter; an optimizer with a multi-parameter kernel (Adam) overrides it.
   */
  protected updateMany(batch: readonly ParamUpdate<O>[]): void {
    for (const u of batch) this.update(u.p, u.g, u.s, u.group, u.rows);
  }

  /** Sets every gradient to null (PyTorch's default `set_to_none=True`), or fills them with zeros. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (setToNone || !p.grad) p.grad = null;
        else if (p.grad.sparseRows) {
          // A row-sparse gradient keeps no rows (as a zeroed sparse tensor in PyTorch), so the
          // next backward marks only the rows it uses.
          for (const [s, e] of liveRanges(p.grad)) p.grad.data.fill(0, s, e);
          p.grad.sparseRows = new Int32Array(0);
        } else p.grad.data.fill(0);
      }
    }
  }

  /** The state as plain data (copies of the buffers); see OptimizerStateDict. */
  stateDict(): OptimizerStateDict {
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    const state: Record<string, ParamState> = {};
    let index = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s) {
          const buffers: Record<string, FloatArray> = {};
          for (const [k, v] of Object.entries(s.buffers)) buffers[k] = v.slice();
          state[String(index)] = { step: s.step, buffers };
        }
        ids.push(index++);
      }
      const { params: _params, ...opts } = group;
      paramGroups.push({
        ...(copyOptions(opts) as Record<string, number | boolean | number[]>),
        params: ids,
      });
    }
    return { type: this.name, paramGroups, state };
  }

  /**
   * Restores a state from `stateDict()` (possibly of another optimizer instance over parameters of
   * the same shapes, in the same group structure). Options are taken from the saved groups, as
   * PyTorch does. Everything is checked before anything is changed; problems throw CheckpointError.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    const fail: (msg: string) => never = (msg) => {
      throw new CheckpointError(`${where}: ${msg}`);
    };
    if (typeof sd !== 'object' || sd === null) fail('state must be an object from stateDict()');
    if (sd.type !== this.name) fail(`the state was saved by ${JSON.stringify(sd.type)}, not ${this.name}`);
    if (!Array.isArray(sd.paramGroups) || sd.paramGroups.length !== this.paramGroups.length) {
      fail(
        `the state has ${Array.isArray(sd.paramGroups) ? sd.paramGroups.length : 'no'} parameter groups, this optimizer ${this.paramGroups.length}`,
      );
    }
    const byId = new Map<number, Tensor>();
    const newOpts: Partial<O>[] = [];
    sd.paramGroups.forEach((saved, gi) => {
      const mine = this.paramGroups[gi];
      if (typeof saved !== 'object' || saved === null || !Array.isArray(saved.params)) {
        fail(`paramGroups[${gi}] must be an object with a params list`);
      }
      if (saved.params.length !== mine.params.length) {
        fail(
          `paramGroups[${gi}] has ${saved.params.length} parameters, this optimizer's group ${mine.params.length}`,
        );
      }
      const { params: ids, ...opts } = saved;
      try {
        this.checkOptions(opts as Partial<O>, `${where}: paramGroups[${gi}]`);
        this.checkGroup({ ...mine, ...opts } as O, `${where}: paramGroups[${gi}]`);
      } catch (e) {
        fail((e as Error).message.replace(`${where}: `, ''));
      }
      newOpts.push(opts as Partial<O>);
      ids.forEach((id, k) => {
        if (!Number.isSafeInteger(id) || id < 0 || byId.has(id)) {
          fail(
            `paramGroups[${gi}].params[${k}] must be a new non-negative integer id, got ${JSON.stringify(id)}`,
          );
        }
        byId.set(id, mine.params[k]);
      });
    });
    const newState = new Map<Tensor, ParamState>();
    if (typeof sd.state !== 'object' || sd.state === null) fail('state.state must be an object');
    for (const [key, s] of Object.entries(sd.state)) {
      const p = byId.get(Number(key));
      if (!/^\d+$/.test(key) || !p) fail(`state[${JSON.stringify(key)}] names no parameter`);
      const tp = p as Tensor;
      if (typeof s !== 'object' || s === null || !Number.isSafeInteger(s.step) || s.step < 0) {
        fail(`state[${key}].step must be a non-negative integer`);
      }
      if (typeof s.buffers !== 'object' || s.buffers === null)
        fail(`state[${key}].buffers must be an object`);
      const buffers: Record<string, FloatArray> = {};
      for (const [name, b] of Object.entries(s.buffers)) {
        if (!this.bufferNames.includes(name)) {
          fail(`state[${key}] has an unknown buffer '${name}' (expected ${this.bufferNames.join(', ')})`);
        }
        const raw: unknown = b;
        if (!isTypedFloat(raw) && !(Array.isArray(raw) && raw.every((x) => typeof x === 'number'))) {
          fail(`state[${key}].buffers.${name} must be a Float32Array, Float64Array or number[]`);
        }
        if (b.length !== tp.size) {
          fail(
            `state[${key}].buffers.${name} has ${b.length} values, but parameter ${key} ${fmtShape(tp.shape)} has ${tp.size}`,
          );
        }
        const copy = allocData(tp.size, tp.dtype);
        for (let i = 0; i < copy.length; i++) copy[i] = b[i];
        buffers[name] = copy;
      }
      newState.set(tp, { step: s.step, buffers });
    }
    // Commit.
    this.paramGroups.forEach((g, i) => {
      Object.assign(g, copyOptions(newOpts[i]));
      if (!('initialLr' in newOpts[i])) delete g.initialLr;
    });
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
  }

  /** Unknown option names and invalid values throw ConfigError. */
  private checkOptions(opts: Partial<O>, where: string): void {
    if (typeof opts !== 'object' || opts === null)
      throw new ConfigError(`${where}: options must be an object`);
    for (const [k, v] of Object.entries(opts)) {
      if (k === 'initialLr') {
        if (v !== undefined) numberIn(0)(v, where, k);
        continue;
      }
      const check = (this.spec as Record<string, OptionCheck>)[k];
      if (!check) {
        throw new ConfigError(
          `${where}: unknown option '${k}' (known: ${Object.keys(this.spec).join(', ')})`,
        );
      }
      if (v !== undefined) check(v, where, k);
    }
  }
}

/** Copies option values (arrays are copied, undefined values dropped). */
function copyOptions<T extends object>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = Array.isArray(v) ? v.slice() : v;
  return out as Partial<T>;
}
