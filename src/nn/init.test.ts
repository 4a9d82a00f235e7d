import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zeros } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import {
  calculateGain,
  kaimingUniform_,
  normal_,
  ones_,
  orthogonal_,
  orthogonalBlocks_,
  uniform_,
  xavierNormal_,
  xavierUniform_,
  zeros_,
} from './init.js';

/** Max |AᵀA - g²I| (columns orthonormal) of a row-major rows x cols block starting at `off`. */
function gramError(
  d: ArrayLike<number>,
  off: number,
  rows: number,
  cols: number,
  byRows: boolean,
  g = 1,
): number {
  const n = byRows ? rows : cols;
  const len = byRows ? cols : rows;
  const at = (v: number, k: number) => (byRows ? d[off + v * cols + k] : d[off + k * cols + v]);
  let err = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += at(i, k) * at(j, k);
      err = Math.max(err, Math.abs(dot - (i === j ? g * g : 0)));
    }
  }
  return err;
}

const stats = (d: ArrayLike<number>) => {
  let s = 0;
  let s2 = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < d.length; i++) {
    s += d[i];
    s2 += d[i] * d[i];
    min = Math.min(min, d[i]);
    max = Math.max(max, d[i]);
  }
  const mean = s / d.length;
  return { mean, std: Math.sqrt(s2 / d.length - mean * mean), min, max };
};

describe('nn.init', () => {
  it('uniform_, normal_, zeros_, ones_ fill in place, bump the version and follow the seed', () => {
    const t = zeros([200, 100]);
    uniform_(t, -2, 3, new Rng(1));
    const u = stats(t.data);
    assert.ok(u.min >= -2 && u.max < 3 && Math.abs(u.mean - 0.5) < 0.05);
    assert.equal(t.version, 1);
    normal_(t, 1, 2, new Rng(2));
    const n = stats(t.data);
    assert.ok(Math.abs(n.mean - 1) < 0.05 && Math.abs(n.std - 2) < 0.05);
    const again = normal_(zeros([200, 100]), 1, 2, new Rng(2));
    assert.deepEqual(again.data, t.data);
    assert.deepEqual(Array.from(ones_(zeros([3])).data), [1, 1, 1]);
    assert.deepEqual(Array.from(zeros_(ones_(zeros([2]))).data), [0, 0]);
    assert.throws(() => uniform_(t, 1, 0), ConfigError);
  });
  it('xavierUniform_ stays within gain * sqrt(6 / (fanIn + fanOut)); xavierNormal_ has that std / sqrt(3)', () => {
    const t = zeros([300, 200]);
    xavierUniform_(t, 2, new Rng(3));
    const bound = 2 * Math.sqrt(6 / 500);
    const s = stats(t.data);
    assert.ok(s.min >= -bound && s.max <= bound && s.max > 0.99 * bound);
    xavierNormal_(t, 1, new Rng(3));
    assert.ok(Math.abs(stats(t.data).std - Math.sqrt(2 / 500)) < 0.002);
    assert.throws(() => xavierUniform_(zeros([5])), ShapeError);
  });
  it('kaimingUniform_ bound = gain * sqrt(3 / fanIn); PyTorch Linear default a = sqrt(5) gives 1 / sqrt(fanIn)', () => {
    const t = zeros([64, 400]);
    kaimingUniform_(t, Math.sqrt(5), 'fan_in', 'leaky_relu', new Rng(4));
    const s = stats(t.data);
    assert.ok(s.max <= 1 / 20 + 1e-9 && s.max > 0.049 && s.min >= -1 / 20 - 1e-9);
    assert.equal(calculateGain('tanh'), 5 / 3);
    assert.equal(calculateGain('relu'), Math.SQRT2);
  });
  it('orthogonal_: WᵀW = I for tall, WWᵀ = I for wide matrices, gain scales; seeded', () => {
    const tall = orthogonal_(zeros([40, 12], { dtype: 'float64' }), 1, new Rng(5));
    assert.ok(gramError(tall.data, 0, 40, 12, false) < 1e-12);
    const wide = orthogonal_(zeros([8, 30], { dtype: 'float64' }), 1.5, new Rng(6));
    assert.ok(gramError(wide.data, 0, 8, 30, true, 1.5) < 1e-12);
    const sq = orthogonal_(zeros([16, 16]), 1, new Rng(7));
    assert.ok(gramError(sq.data, 0, 16, 16, false) < 1e-5);
    assert.ok(gramError(sq.data, 0, 16, 16, true) < 1e-5);
    assert.deepEqual(orthogonal_(zeros([16, 16]), 1, new Rng(7)).data, sq.data);
    assert.notDeepEqual(orthogonal_(zeros([16, 16]), 1, new Rng(8)).data, sq.data);
  });
  it('orthogonalBlocks_ makes every gate block of a [4H, H] recurrent weight orthogonal', () => {
    const H = 10;
    const w = orthogonalBlocks_(zeros([4 * H, H], { dtype: 'float64' }), 4, 1, new Rng(9));
    for (let b = 0; b < 4; b++) {
      assert.ok(gramError(w.data, b * H * H, H, H, false) < 1e-12);
      assert.ok(gramError(w.data, b * H * H, H, H, true) < 1e-12);
    }
    assert.throws(
      () => orthogonalBlocks_(zeros([30, 10]), 4),
      /numBlocks must be a positive integer dividing/,
    );
  });
});
