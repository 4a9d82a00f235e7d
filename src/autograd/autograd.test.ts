import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { add, mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { tanh } from '../ops/unary.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../util/errors.js';
import { backwardMany } from './backward.js';
import { isGradEnabled, noGrad } from './grad-mode.js';
import { gradcheck } from './gradcheck.js';
import { record } from './record.js';

describe('autograd', () => {
  it('computes d/dx of x*y + x', () => {
    const x = tensor([2, 3], { requiresGrad: true });
    const y = tensor([5, 7], { requiresGrad: true });
    sum(add(mul(x, y), x)).backward();
    assert.deepEqual(x.grad?.toArray(), [6, 8]);
    assert.deepEqual(y.grad?.toArray(), [2, 3]);
  });
  it('accumulates gradients across backward calls until cleared', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    sum(mul(x, 3)).backward();
    sum(mul(x, 3)).backward();
    assert.deepEqual(x.grad?.toArray(), [6, 6]);
    x.grad = null;
    sum(x).backward();
    assert.deepEqual((x as Tensor).grad?.toArray(), [1, 1]);
  });
  it('sums the gradients of a tensor used twice (diamond graph)', () => {
    const x = tensor([0.5], { dtype: 'float64', requiresGrad: true });
    const t = tanh(x);
    sum(add(mul(t, t), t)).backward();
    const th = Math.tanh(0.5);
    assert.ok(Math.abs(x.grad!.item() - (2 * th + 1) * (1 - th * th)) < 1e-15);
  });
  it('takes a seed gradient for non-scalar outputs and requires one otherwise', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = mul(x, 2);
    assert.throws(() => y.backward(), ShapeError);
    y.backward(tensor([1, 0, -1]));
    assert.deepEqual(x.grad?.toArray(), [2, 0, -2]);
  });
  it('noGrad records nothing and restores the mode after an exception', () => {
    const x = tensor([1], { requiresGrad: true });
    const y = noGrad(() => mul(x, 2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.throws(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(isGradEnabled(), true);
  });
  it('detach cuts the graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = mul(x, 2).detach();
    assert.equal(d.requiresGrad, false);
    const z = tensor([1, 1], { requiresGrad: true });
    sum(mul(d, z)).backward();
    assert.equal(x.grad, null);
    assert.deepEqual(z.grad?.toArray(), [2, 4]);
  });
  it('backward of a tensor that needs no grad is a clear error', () => {
    assert.throws(() => sum(tensor([1, 2])).backward(), ConfigError);
  });
  it('multi-output nodes receive null for outputs no gradient reached', () => {
    const x = tensor([1, 2], { requiresGrad: true, dtype: 'float64' });
    const a = tensor([0, 0], { dtype: 'float64' });
    const b = tensor([0, 0], { dtype: 'float64' });
    let seen: (unknown | null)[] = [];
    record('pair', [x], [a, b], (g) => {
      seen = g;
      return [g[0]];
    });
    backwardMany([a], [tensor([3, 4], { dtype: 'float64' })]);
    assert.equal(seen[1], null);
    assert.deepEqual(x.grad?.toArray(), [3, 4]);
  });
  it('gradcheck detects a wrong backward', () => {
    const wrong = (x: ReturnType<typeof tensor>) => {
      const y = tensor(
        Array.from(x.data, (v) => v * v),
        { dtype: 'float64' },
      );
      record('badSquare', [x], [y], (g) => [mul(g[0]!, x)]); // should be 2x
      return y;
    };
    const r = gradcheck(wrong, [tensor([0.3, -1.2], { dtype: 'float64', requiresGrad: true })]);
    assert.equal(r.ok, false);
    assert.ok(r.worst !== null && Math.abs(r.worst.analytic * 2 - r.worst.numeric) < 1e-6);
  });
  it('a long chain does not overflow the stack', () => {
    let x = tensor([1], { dtype: 'float64', requiresGrad: true });
    const x0 = x;
    for (let i = 0; i < 20000; i++) x = mul(x, 1);
    sum(x).backward();
    assert.equal(x0.grad?.item(), 1);
  });
});
