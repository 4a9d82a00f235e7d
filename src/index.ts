// The public surface of Recur: named exports only.
import './autograd/backward.js';

export { backward, backwardMany } from './autograd/backward.js';
export { isGradEnabled, noGrad } from './autograd/grad-mode.js';
export { type GradcheckOptions, type GradcheckReport, gradcheck } from './autograd/gradcheck.js';
export { type BackendName, getBackend, setBackend } from './kernels/registry.js';
export { add, div, mul, neg, sub } from './ops/elementwise.js';
export { type MatmulOptions, matmul } from './ops/matmul.js';
export { mean, type ReduceOptions, sum } from './ops/reduce.js';
export { permute, reshape, transpose } from './ops/shape.js';
export { abs, clamp, exp, log, pow, relu, sigmoid, sqrt, tanh } from './ops/unary.js';
export { rand, randn, uniform } from './tensor/random.js';
export { type DType, full, type NestedArray, ones, Tensor, tensor, zeros } from './tensor/tensor.js';
export {
  BackendError,
  CheckpointError,
  ConfigError,
  DataError,
  DTypeError,
  NumericError,
  RecurError,
  ShapeError,
} from './util/errors.js';
export { defaultRng, manualSeed, Rng } from './util/rng.js';
