import { checkTensor } from '../ops/_util.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/shape.js';
import { uniform } from '../tensor/random.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { ConfigError, DTypeError, fmtShape, ShapeError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { Module } from './module.js';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** The generator for the initial values (default: `defaultRng`). */
  rng?: Rng;
  /** Parameter dtype (default 'float32'). */
  dtype?: DType;
}

/** Throws a ConfigError unless `v` is a positive integer. */
export function checkPositiveInt(v: unknown, where: string, arg: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ConfigError(
      `${where}: ${arg} must be a positive integer, got ${typeof v === 'number' ? v : typeof v}`,
    );
  }
  return v;
}

/** Validates a dtype option (undefined means float32). */
export function checkDTypeOption(dtype: unknown, where: string): DType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`${where}: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  return dtype;
}

/**
 * y = x·Wᵀ + b, as `torch.nn.Linear`: x [..., inFeatures] -> y [..., outFeatures].
 * Parameters `weight` [outFeatures, inFeatures] and `bias` [outFeatures], both initialized from
 * U(-1/√inFeatures, 1/√inFeatures) (PyTorch's kaiming_uniform_(a=√5) bound; weight drawn first).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = checkPositiveInt(inFeatures, 'Linear', 'inFeatures');
    this.outFeatures = checkPositiveInt(outFeatures, 'Linear', 'outFeatures');
    const hasBias = options.bias ?? true;
    if (typeof hasBias !== 'boolean')
      throw new ConfigError(`Linear: options.bias must be a boolean, got ${typeof hasBias}`);
    const dtype = checkDTypeOption(options.dtype, 'Linear');
    const bound = 1 / Math.sqrt(inFeatures);
    const o = { dtype, rng: options.rng };
    this.weight = this.registerParameter(
      'weight',
      uniform([outFeatures, inFeatures], -bound, bound, o),
    ) as Tensor;
    this.bias = this.registerParameter('bias', hasBias ? uniform([outFeatures], -bound, bound, o) : null);
  }

  /** x [..., inFeatures] (a 1-D x gives a 1-D y) -> [..., outFeatures]. */
  forward(xIn: Tensor): Tensor {
    const x = checkTensor(xIn, 'Linear.forward', 'x');
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(
        `Linear.forward: input must be [..., ${this.inFeatures}] (inFeatures ${this.inFeatures}), got ${fmtShape(x.shape)}`,
      );
    }
    if (x.dtype !== this.weight.dtype) {
      throw new DTypeError(
        `Linear.forward: input is ${x.dtype} but the parameters are ${this.weight.dtype}; convert with toDType(x, '${this.weight.dtype}') or build Linear with { dtype: '${x.dtype}' }`,
      );
    }
    const x2 = x.rank === 1 ? reshape(x, [1, this.inFeatures]) : x;
    let y = matmul(x2, this.weight, { transB: true });
    if (this.bias) y = add(y, this.bias);
    return x.rank === 1 ? reshape(y, [this.outFeatures]) : y;
  }

  protected describe(): string {
    return `Linear(${this.inFeatures}, ${this.outFeatures}${this.bias ? '' : ', bias=false'})`;
  }
}
