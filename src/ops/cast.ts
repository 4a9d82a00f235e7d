import { record1 } from '../autograd/record.js';
import { allocOut, type DType, Tensor } from '../tensor/tensor.js';
import { DTypeError } from '../util/errors.js';
import { checkTensor } from './_util.js';

/**
 * The values of `x` as `dtype` ('float32' | 'float64'). Differentiable: the gradient is cast back
 * to x's dtype. When x already has that dtype, x itself is returned (as `Tensor.to` in PyTorch).
 */
export function toDType(xIn: Tensor, dtype: DType): Tensor {
  const x = checkTensor(xIn, 'toDType', 'x');
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`toDType: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  if (x.dtype === dtype) return x;
  const d = allocOut(x.size, dtype);
  d.set(x.data);
  return record1('toDType', [x], new Tensor(d, x.shape), (g) => {
    const gx = allocOut(x.size, x.dtype);
    gx.set(g.data);
    return [new Tensor(gx, x.shape)];
  });
}
