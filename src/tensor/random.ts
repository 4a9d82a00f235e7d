import { defaultRng, type Rng } from '../util/rng.js';
import { checkShape, numel } from '../util/shape.js';
import { allocData, Tensor, type TensorOptions } from './tensor.js';

export interface RandomOptions extends TensorOptions {
  /** The generator to draw from; the default one (see `manualSeed`) otherwise. */
  rng?: Rng;
}

function make(shape: readonly number[], o: RandomOptions, draw: (rng: Rng) => number, where: string): Tensor {
  checkShape(shape, where);
  const data = allocData(numel(shape), o.dtype ?? 'float32');
  const rng = o.rng ?? defaultRng;
  for (let i = 0; i < data.length; i++) data[i] = draw(rng);
  return new Tensor(data, shape, o.requiresGrad ?? false);
}

/** Standard normal values. */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return make(shape, options, (r) => r.normal(), 'randn');
}

/** Uniform values in [low, high). */
export function uniform(
  shape: readonly number[],
  low: number,
  high: number,
  options: RandomOptions = {},
): Tensor {
  return make(shape, options, (r) => low + (high - low) * r.uniform(), 'uniform');
}

/** Uniform values in [0, 1). */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return uniform(shape, 0, 1, options);
}
