import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../autograd/backward.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { DTypeError } from '../util/errors.js';
import { toDType } from './cast.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';

describe('toDType', () => {
  it('converts values (rounding to float32) and returns x itself for its own dtype', () => {
    const x = tensor([0.1, 2], { dtype: 'float64' });
    const y = toDType(x, 'float32');
    assert.equal(y.dtype, 'float32');
    assert.equal(y.data[0], Math.fround(0.1));
    assert.equal(toDType(x, 'float64'), x);
    assert.equal(toDType(y, 'float64').data[0], Math.fround(0.1));
  });
  it('casts the gradient back to the input dtype', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    sum(mul(toDType(x, 'float32'), tensor([0.5, 1, 2]))).backward();
    const g = x.grad as Tensor;
    assert.equal(g.dtype, 'float64');
    assert.deepEqual(g.toArray(), [0.5, 1, 2]);
    const z = tensor([1, 2], { requiresGrad: true });
    sum(toDType(z, 'float64')).backward();
    assert.equal((z.grad as Tensor).dtype, 'float32');
  });
  it('rejects an unknown dtype', () => {
    assert.throws(
      () => toDType(tensor([1]), 'int32' as 'float32'),
      (e: Error) => e instanceof DTypeError && /toDType: dtype/.test(e.message),
    );
  });
});
