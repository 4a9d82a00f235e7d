/**
 * What the cells and layers share: option checks and PyTorch's default initialization of
 * recurrent weights, U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias.
 */
import type { DType } from '../kernels/types.js';
import { Module } from '../nn/module.js';
import { uniform } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError, DTypeError, fmtShape, ShapeError } from '../util/errors.js';
import { defaultRng, Rng } from '../util/rng.js';

/** Options every cell accepts. */
export interface CellOptions {
  /** Add the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one, see `manualSeed`). */
  rng?: Rng;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

/** Throws a ConfigError unless `v` is an integer >= min. */
export function checkInt(where: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ConfigError(`${where}: ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function checkBool(where: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean')
    throw new ConfigError(`${where}: ${name} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function checkDType(where: string, v: unknown): DType {
  if (v === undefined) return 'float32';
  if (v !== 'float32' && v !== 'float64') {
    throw new DTypeError(`${where}: dtype must be 'float32' or 'float64', got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Resolves the `(inputSize, hiddenSize, options)` or `({ inputSize, hiddenSize, ... })` call forms. */
export function sizeArgs<O extends object>(
  where: string,
  a: number | (O & { inputSize: number; hiddenSize: number }),
  b: number | undefined,
  c: O | undefined,
): O & { inputSize: number; hiddenSize: number } {
  if (typeof a === 'object' && a !== null) {
    if (b !== undefined)
      throw new ConfigError(`${where}: pass either an options object or (inputSize, hiddenSize, options)`);
    return a;
  }
  return { ...(c ?? ({} as O)), inputSize: a, hiddenSize: b as number };
}

/** Throws a ConfigError unless `v` is undefined or an Rng. */
export function checkRng(where: string, v: unknown): Rng | undefined {
  if (v !== undefined && !(v instanceof Rng)) {
    throw new ConfigError(
      `${where}: rng must be an Rng (new Rng(seed)), got ${v === null ? 'null' : typeof v}`,
    );
  }
  return v;
}

/** PyTorch's default for recurrent parameters: U(-1/sqrt(H), 1/sqrt(H)). */
export function initRecurrent(shape: number[], hidden: number, rng: Rng | undefined, dtype: DType): Tensor {
  const k = 1 / Math.sqrt(hidden);
  return uniform(shape, -k, k, { rng: rng ?? defaultRng, dtype });
}

/**
 * The fields and parameters every cell has, PyTorch's names and layout: weight_ih [G·H, inputSize],
 * weight_hh [G·H, H], bias_ih and bias_hh [G·H] (G = gates: 1 RNN, 3 GRU, 4 LSTM), drawn in that
 * order from `rng`.
 */
export abstract class CellModule extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly dtype: DType;
  readonly weight_ih: Tensor;
  readonly weight_hh: Tensor;
  readonly bias_ih: Tensor | null;
  readonly bias_hh: Tensor | null;

  protected constructor(
    where: string,
    gates: number,
    o: CellOptions & { inputSize: number; hiddenSize: number },
  ) {
    super();
    this.inputSize = checkInt(where, 'inputSize', o.inputSize);
    this.hiddenSize = checkInt(where, 'hiddenSize', o.hiddenSize);
    this.bias = checkBool(where, 'bias', o.bias, true);
    this.dtype = checkDType(where, o.dtype);
    checkRng(where, o.rng);
    const H = this.hiddenSize;
    const init = (shape: number[]) => initRecurrent(shape, H, o.rng, this.dtype);
    this.weight_ih = this.registerParameter('weight_ih', init([gates * H, this.inputSize])) as Tensor;
    this.weight_hh = this.registerParameter('weight_hh', init([gates * H, H])) as Tensor;
    this.bias_ih = this.registerParameter('bias_ih', this.bias ? init([gates * H]) : null);
    this.bias_hh = this.registerParameter('bias_hh', this.bias ? init([gates * H]) : null);
  }
}

/** Throws a ShapeError unless `t` has exactly `shape`; `what` describes the expected layout. */
export function expectShape(where: string, name: string, t: unknown, shape: number[], what: string): Tensor {
  const tt = t as Tensor;
  if (!tt || typeof tt !== 'object' || !Array.isArray(tt.shape)) {
    throw new ShapeError(`${where}: ${name} must be a Tensor ${what}, got ${t === null ? 'null' : typeof t}`);
  }
  if (tt.shape.length !== shape.length || tt.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${where}: ${name} must be ${what}, got ${fmtShape(tt.shape)}`);
  }
  return tt;
}

/** Throws a DTypeError when a tensor's dtype differs from the parameters'. */
export function expectDType(where: string, name: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype) {
    throw new DTypeError(
      `${where}: ${name} is ${t.dtype} but the parameters are ${dtype}; convert it or build the module with { dtype: '${t.dtype}' }`,
    );
  }
}
