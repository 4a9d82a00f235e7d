import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../autograd/backward.js';
import { sum } from '../ops/reduce.js';
import { tensor } from '../tensor/tensor.js';
import { ConfigError, DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { Embedding } from './embedding.js';

describe('Embedding', () => {
  it('initializes N(0, 1) with the padding row zeroed, named weight [num, dim]', () => {
    const e = new Embedding(500, 8, { paddingIdx: -1, rng: new Rng(1) });
    assert.equal(e.paddingIdx, 499);
    assert.deepEqual(
      e.namedParameters().map(([n, p]) => [n, p.shape]),
      [['weight', [500, 8]]],
    );
    const d = e.weight.data;
    assert.deepEqual(Array.from(d.subarray(499 * 8)), new Array(8).fill(0));
    let m = 0;
    let v = 0;
    for (let i = 0; i < 499 * 8; i++) m += d[i] / (499 * 8);
    for (let i = 0; i < 499 * 8; i++) v += (d[i] - m) ** 2 / (499 * 8);
    assert.ok(Math.abs(m) < 0.05 && Math.abs(v - 1) < 0.1, `mean ${m} var ${v}`);
  });
  it('looks up [T, B] ids and keeps the padding row free of gradient', () => {
    const e = new Embedding(4, 2, { paddingIdx: 0, rng: new Rng(2) });
    const y = e.forward(Int32Array.from([1, 0, 3, 1]), [2, 2]);
    assert.deepEqual(y.shape, [2, 2, 2]);
    assert.deepEqual(Array.from(y.data.subarray(2, 4)), [0, 0]);
    sum(y).backward();
    assert.deepEqual(e.weight.grad?.toArray(), [
      [0, 0],
      [2, 2],
      [0, 0],
      [1, 1],
    ]);
    assert.deepEqual(e.forward(tensor([[2, 3, 1]])).shape, [1, 3, 2]);
  });
  it('prints its sizes and validates options', () => {
    assert.equal(String(new Embedding(65, 32)), 'Embedding(65, 32)  # 2,080 parameters');
    assert.equal(
      String(new Embedding(10, 2, { paddingIdx: 0 })),
      'Embedding(10, 2, paddingIdx=0)  # 20 parameters',
    );
    assert.throws(() => new Embedding(10, 2, { paddingIdx: 10 }), ConfigError);
    assert.throws(() => new Embedding(0, 2), ConfigError);
    assert.throws(() => new Embedding(3, 2).forward([3]), DataError);
  });
});
