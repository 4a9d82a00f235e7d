import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ones } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { Dropout } from './dropout.js';

describe('Dropout', () => {
  it('drops in training mode and is the identity after eval()', () => {
    const d = new Dropout(0.5, { rng: new Rng(1) });
    const x = ones([100]);
    const y = d.forward(x);
    assert.ok(y.data.some((v) => v === 0) && y.data.some((v) => v === 2));
    d.eval();
    assert.equal(d.forward(x), x);
    d.train();
    assert.notEqual(d.forward(x), x);
  });
  it('prints p, has no parameters, and rejects a bad p', () => {
    assert.equal(String(new Dropout(0.25)), 'Dropout(p=0.25)  # 0 parameters');
    assert.equal(new Dropout().p, 0.5);
    assert.throws(() => new Dropout(1), ConfigError);
  });
});
