import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { tensor } from '../tensor/tensor.js';
import { ConfigError, DTypeError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { Linear } from './linear.js';

describe('Linear', () => {
  it('has PyTorch parameter names, shapes and init bound 1/sqrt(inFeatures)', () => {
    const lin = new Linear(16, 5, { rng: new Rng(1) });
    assert.deepEqual(
      lin.namedParameters().map(([n, p]) => [n, p.shape]),
      [
        ['weight', [5, 16]],
        ['bias', [5]],
      ],
    );
    for (const p of lin.parameters()) {
      assert.ok(p.requiresGrad);
      for (const v of p.data) assert.ok(Math.abs(v) <= 0.25);
    }
    assert.ok(Math.max(...Array.from(lin.weight.data, Math.abs)) > 0.2, 'spread over the whole range');
  });
  it('is reproducible from a seed', () => {
    const a = new Linear(4, 3, { rng: new Rng(9) });
    const b = new Linear(4, 3, { rng: new Rng(9) });
    assert.deepEqual(a.weight.data, b.weight.data);
  });
  it('computes x·Wᵀ + b for [..., in] and 1-D inputs', () => {
    const lin = new Linear(2, 3);
    lin.loadStateDict({
      weight: tensor([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
      bias: tensor([0.5, -1, 2]),
    });
    assert.deepEqual(lin.forward(tensor([[1, 2]])).toArray(), [[1.5, 1, 5]]);
    assert.deepEqual(lin.forward(tensor([1, 2])).toArray(), [1.5, 1, 5]);
    assert.deepEqual(lin.forward(tensor([[[1, 2]], [[0, 0]]])).shape, [2, 1, 3]);
    const nb = new Linear(2, 3, { bias: false });
    assert.equal(nb.bias, null);
    assert.deepEqual(
      nb.namedParameters().map(([n]) => n),
      ['weight'],
    );
  });
  it('passes gradcheck for input, weight and bias (float64)', () => {
    const lin = new Linear(4, 3, { dtype: 'float64', rng: new Rng(2) });
    const x = randn([2, 5, 4], { dtype: 'float64', requiresGrad: true, rng: new Rng(3) });
    const r = gradcheck((t) => lin.forward(t), [x, lin.weight, lin.bias ?? x]);
    assert.ok(r.ok, JSON.stringify(r));
  });
  it('prints its sizes and parameter count', () => {
    assert.equal(String(new Linear(256, 65)), 'Linear(256, 65)  # 16,705 parameters');
    assert.equal(String(new Linear(3, 2, { bias: false })), 'Linear(3, 2, bias=false)  # 6 parameters');
  });
  it('names the expected input width, and validates options', () => {
    const lin = new Linear(8, 2);
    assert.throws(
      () => lin.forward(tensor(new Float32Array(21), { shape: [3, 7] })),
      (e: Error) =>
        e instanceof ShapeError &&
        e.message === 'Linear.forward: input must be [..., 8] (inFeatures 8), got [3, 7]',
    );
    assert.throws(() => new Linear(0, 2), ConfigError);
    assert.throws(() => new Linear(2.5, 2), ConfigError);
    assert.throws(() => new Linear(2, 2, { dtype: 'int8' as 'float32' }), DTypeError);
    assert.throws(
      () => lin.forward(tensor([[1, 2, 3, 4, 5, 6, 7, 8]], { dtype: 'float64' })),
      (e: Error) =>
        e instanceof DTypeError &&
        /Linear.forward: input is float64 but the parameters are float32/.test(e.message),
    );
  });
});
