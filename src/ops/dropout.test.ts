import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { ones, type Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { defaultRng, manualSeed, Rng } from '../util/rng.js';
import { dropout } from './dropout.js';
import { sum } from './reduce.js';

describe('dropout', () => {
  it('keeps about 1 - p of the values, scaled by 1/(1-p)', () => {
    const y = dropout(ones([20000]), 0.3, { rng: new Rng(1) });
    let kept = 0;
    for (const v of y.data) {
      if (v !== 0) {
        kept++;
        assert.ok(Math.abs(v - 1 / 0.7) < 1e-6);
      }
    }
    assert.ok(Math.abs(kept / 20000 - 0.7) < 0.02, `kept ${kept}`);
  });
  it('is the identity (the same tensor) for p = 0 or when not training', () => {
    const x = ones([3]);
    assert.equal(dropout(x, 0), x);
    assert.equal(dropout(x, 0.5, { training: false }), x);
  });
  it('draws the same mask from the same seed, including through defaultRng', () => {
    const x = ones([50]);
    assert.deepEqual(dropout(x, 0.5, { rng: new Rng(7) }).data, dropout(x, 0.5, { rng: new Rng(7) }).data);
    manualSeed(3);
    const a = dropout(x, 0.5).data;
    manualSeed(3);
    assert.deepEqual(dropout(x, 0.5).data, a);
    assert.notDeepEqual(dropout(x, 0.5, { rng: defaultRng }).data, a);
  });
  it('routes the gradient through the kept elements only', () => {
    const x = randn([40], { dtype: 'float64', requiresGrad: true, rng: new Rng(2) });
    const y = dropout(x, 0.4, { rng: new Rng(9) });
    sum(y).backward();
    const g = (x.grad as Tensor).data;
    y.data.forEach((v, i) => {
      assert.equal(g[i], v === 0 ? 0 : 1 / 0.6);
    });
    const r = gradcheck(
      (t) => dropout(t, 0.4, { rng: new Rng(4) }),
      [randn([3, 5], { dtype: 'float64', requiresGrad: true })],
    );
    assert.ok(r.ok, JSON.stringify(r));
  });
  it('float32 and float64 draw the same mask', () => {
    const a = dropout(ones([30], { dtype: 'float32' }), 0.5, { rng: new Rng(5) }).data;
    const b = dropout(ones([30], { dtype: 'float64' }), 0.5, { rng: new Rng(5) }).data;
    assert.deepEqual(Array.from(a), Array.from(b));
  });
  it('rejects p outside [0, 1)', () => {
    for (const p of [1, -0.1, Number.NaN, 2]) {
      assert.throws(
        () => dropout(ones([2]), p),
        (e: Error) =>
          e instanceof ConfigError && /dropout: p must be a probability in \[0, 1\)/.test(e.message),
      );
    }
  });
});
