import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('has the moments of U(0,1) and N(0,1)', () => {
    const r = new Rng(7);
    let s = 0;
    let s2 = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      s += v;
      s2 += v * v;
    }
    assert.ok(Math.abs(s / n) < 0.01);
    assert.ok(Math.abs(s2 / n - 1) < 0.01);
    let u = 0;
    for (let i = 0; i < n; i++) u += r.uniform();
    assert.ok(Math.abs(u / n - 0.5) < 0.005);
  });
  it('restores a saved state exactly, including the spare normal', () => {
    const r = new Rng(3);
    r.normal();
    const st = r.getState();
    const a = [r.normal(), r.normal(), r.uniform()];
    r.setState(st);
    assert.deepEqual([r.normal(), r.normal(), r.uniform()], a);
  });
  it('shuffles reproducibly', () => {
    const a = new Rng(5).shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    const b = new Rng(5).shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(a, b);
    assert.deepEqual([...a].sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
