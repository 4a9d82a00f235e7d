import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Comparer } from './golden-compare.js';

const want = {
  dtype: 'float64',
  shape: [2, 2],
  data: [
    [1, 2],
    [3, -4],
  ],
};

describe('golden Comparer', () => {
  it('passes values within the tolerance relative to 1 + |want| and records the worst errors', () => {
    const c = new Comparer(1e-5);
    c.check('w', [1, 2, 3 + 4e-5, -4], want, [2, 2]);
    assert.equal(c.result('case', 'f.json').status, 'pass');
    assert.ok(Math.abs(c.errors.w.maxAbs - 4e-5) < 1e-12);
    assert.ok(Math.abs(c.errors.w.maxRel - 1e-5) < 1e-12);
  });

  it('fails beyond the tolerance, on NaN, on a shape or length mismatch, naming the tensor', () => {
    for (const [got, shape, why] of [
      [[1, 2, 3.1, -4], [2, 2], /w: max error 2\.50e-2 > 0\.00001/],
      [[1, Number.NaN, 3, -4], [2, 2], /w: max error Infinity/],
      [[1, 2, 3, -4], [4], /w: shape \[4\] differs from the expected \[2, 2\]/],
      [[1, 2, 3], undefined, /w: 3 values, expected 4/],
    ] as const) {
      const c = new Comparer(1e-5);
      c.check('w', got as readonly number[] as number[], want, shape as readonly number[] | undefined);
      const r = c.result('case', 'f.json');
      assert.equal(r.status, 'fail');
      assert.match(r.reason ?? '', why);
    }
  });

  it('a value not computed compares as zeros by default, and fails when missingIsZero is false', () => {
    const zeros = { dtype: 'float64', shape: [3], data: [0, 0, 0] };
    const lax = new Comparer(1e-5);
    lax.check('g', null, zeros);
    assert.equal(lax.result('c', 'f').status, 'pass');
    const strict = new Comparer(1e-5, false);
    strict.check('g', null, zeros);
    assert.match(strict.result('c', 'f').reason ?? '', /g: no value was computed/);
  });
});
