import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { ATTENTION_KINDS, Attention, paddingMask, selectMemoryRows } from './attention.js';

const f64 = (shape: number[], seed: number, requiresGrad = false) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad });

describe('Attention', () => {
  for (const kind of ATTENTION_KINDS) {
    it(`${kind}: padded encoder positions get exactly zero weight and do not change the context`, () => {
      const Hk = 4;
      const att = new Attention(kind, Hk, Hk, { rng: new Rng(1), dtype: 'float64', attentionSize: 3 });
      const lengths = [5, 2, 3];
      const values = f64([3, 5, Hk], 2);
      const q = f64([3, 2, Hk], 3);
      const r = att.forward(q, att.prepare(values, lengths));
      assert.deepEqual(r.weights.shape, [3, 2, 5]);
      assert.deepEqual(r.context.shape, [3, 2, Hk]);
      for (let b = 0; b < 3; b++)
        for (let t = 0; t < 2; t++) {
          let sum = 0;
          for (let s = 0; s < 5; s++) {
            const w = r.weights.data[(b * 2 + t) * 5 + s];
            if (s >= lengths[b]) assert.equal(w, 0);
            else assert.ok(w > 0);
            sum += w;
          }
          assert.ok(Math.abs(sum - 1) < 1e-12);
        }
      // Garbage at the padded positions (as a padded encoder output may hold) changes nothing.
      const noisy = values.clone();
      for (let b = 0; b < 3; b++)
        for (let s = lengths[b]; s < 5; s++)
          for (let h = 0; h < Hk; h++) noisy.data[(b * 5 + s) * Hk + h] = 100 + s;
      const r2 = att.forward(q, att.prepare(noisy, lengths));
      for (let i = 0; i < r.context.size; i++)
        assert.ok(Math.abs(r.context.data[i] - r2.context.data[i]) < 1e-12);
    });

    it(`${kind}: gradients of query, memory and parameters pass gradcheck in float64`, () => {
      const att = new Attention(kind, 3, kind === 'dot' ? 3 : 4, {
        rng: new Rng(4),
        dtype: 'float64',
        attentionSize: 2,
      });
      const q = f64([2, 2, 3], 5, true);
      const v = f64([2, 4, att.keySize], 6, true);
      const params = att.parameters();
      const report = gradcheck(
        (qq, vv) => {
          const r = att.forward(qq, att.prepare(vv, [4, 2]));
          return [r.context, r.weights];
        },
        [q, v, ...params],
      );
      assert.ok(report.ok, JSON.stringify(report));
      assert.ok(report.checked >= q.size + v.size);
    });
  }

  it('step() is forward() with one query per row', () => {
    const att = new Attention('general', 3, 4, { rng: new Rng(7), dtype: 'float64' });
    const mem = att.prepare(f64([2, 3, 4], 8), [3, 1]);
    const q = f64([2, 3], 9);
    const a = att.step(q, mem);
    assert.deepEqual(a.weights.shape, [2, 3]);
    assert.deepEqual(a.context.shape, [2, 4]);
    assert.deepEqual(Array.from(a.weights.data).slice(3), [1, 0, 0]);
  });

  it('selectMemoryRows repeats rows with their lengths and masks', () => {
    const att = new Attention('dot', 2, 2, { dtype: 'float64' });
    const mem = att.prepare(f64([2, 3, 2], 10), [3, 1]);
    const m2 = selectMemoryRows(mem, Int32Array.from([1, 1, 0]));
    assert.deepEqual(Array.from(m2.lengths), [1, 1, 3]);
    assert.deepEqual(Array.from(m2.padMask.data), [0, 1, 1, 0, 1, 1, 0, 0, 0]);
    assert.deepEqual(Array.from(m2.values.data.slice(0, 6)), Array.from(mem.values.data.slice(6, 12)));
  });

  it('checks its options and lengths', () => {
    assert.throws(() => new Attention('dot', 3, 4), ConfigError);
    assert.throws(() => new Attention('bogus' as 'dot', 3, 3), ConfigError);
    assert.throws(() => paddingMask([0, 2], 3), /lengths\[0\]/);
  });
});
