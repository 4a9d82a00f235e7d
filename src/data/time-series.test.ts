import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DataError } from '../util/errors.js';
import { batches } from './batches.js';
import { Normalizer, TimeSeriesWindows } from './time-series.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('Normalizer', () => {
  it('fits mean and population std, and denormalize inverts normalize', () => {
    const n = Normalizer.fit([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.equal(n.mean, 5);
    assert.equal(n.std, 2);
    assert.equal(n.normalize(9), 2);
    assert.deepEqual(n.normalize([3, 5]), [-1, 0]);
    const x = Float32Array.of(1.5, -3, 10);
    const y = n.denormalize(n.normalize(x));
    assert.ok(y instanceof Float32Array);
    for (let i = 0; i < x.length; i++) close(y[i], x[i], 1e-6);
  });

  it('gives a constant series std 1 instead of dividing by zero', () => {
    assert.equal(Normalizer.fit([3, 3, 3]).std, 1);
  });

  it('round-trips through JSON and validates it', () => {
    const n = Normalizer.fit(Float64Array.of(1, 2, 3, 10));
    const m = Normalizer.fromJSON(JSON.parse(JSON.stringify(n)));
    assert.equal(m.mean, n.mean);
    assert.equal(m.std, n.std);
    assert.throws(
      () => Normalizer.fromJSON({ kind: 'standard', mean: 0, std: 0 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /Normalizer: std must be a positive finite number, got 0/.test((e as Error).message),
    );
    assert.throws(() => Normalizer.fromJSON({ kind: 'minmax' }), DataError);
  });

  it('rejects NaN with its index', () => {
    assert.throws(
      () => Normalizer.fit([1, Number.NaN]),
      (e: unknown) =>
        e instanceof DataError &&
        /Normalizer\.fit: values\[1\] must be a finite number, got NaN/.test((e as Error).message),
    );
  });
});

describe('TimeSeriesWindows', () => {
  const series = Float64Array.from({ length: 10 }, (_, i) => i * 10); // 0, 10, ..., 90

  it('cuts windows of input length, horizon and stride', () => {
    const ds = new TimeSeriesWindows(series, { window: 3, horizon: 2, stride: 2 });
    // starts 0, 2, 4 (4 + 3 + 2 = 9 <= 10); 6 + 5 > 10
    assert.equal(ds.length, 3);
    const w = ds.get(2);
    assert.deepEqual([...w.input], [40, 50, 60]);
    assert.deepEqual([...w.target], [70, 80]);
  });

  it('collates to time-major input [window, batch, 1] and target [batch, horizon]', () => {
    const ds = new TimeSeriesWindows([...series], { window: 2, horizon: 1 });
    const b = ds.collate([0, 3]);
    assert.deepEqual(b.inputShape, [2, 2, 1]);
    assert.deepEqual([...b.input], [0, 30, 10, 40]);
    assert.deepEqual(b.targetShape, [2, 1]);
    assert.deepEqual([...b.target], [20, 50]);
    assert.ok(b.input instanceof Float32Array);
    const bf = new TimeSeriesWindows(series, { window: 2, batchFirst: true, dtype: 'float64' }).collate([
      0, 3,
    ]);
    assert.deepEqual(bf.inputShape, [2, 2, 1]);
    assert.deepEqual([...bf.input], [0, 10, 30, 40]);
    assert.ok(bf.input instanceof Float64Array);
  });

  it('split fits normalization statistics on the training part only', () => {
    const s = Float64Array.from({ length: 100 }, (_, i) => (i < 80 ? i % 5 : 1000 + i));
    const { train, test, normalizer } = TimeSeriesWindows.split(s, {
      window: 4,
      horizon: 2,
      trainFraction: 0.8,
    });
    assert.ok(normalizer !== null);
    const ref = Normalizer.fit(s.subarray(0, 80));
    assert.equal(normalizer.mean, ref.mean);
    assert.equal(normalizer.std, ref.std);
    close(normalizer.mean, 2);
    // training windows never see the test period
    assert.equal(train.end, 80);
    assert.equal(train.length, 80 - 6 + 1);
    // test windows predict only values after the split, using the same statistics
    assert.equal(test.startOf(0) + test.window, 80);
    assert.equal(test.length, 100 - 76 - 6 + 1);
    const first = test.get(0);
    close(first.target[0], normalizer.normalize(1080), 1e-3);
    close(normalizer.denormalize(first.target[0]), 1080, 1e-3);
    assert.equal(train.normalizer, normalizer);
    assert.equal(test.normalizer, normalizer);
  });

  it('works with batches()', () => {
    const ds = new TimeSeriesWindows(series, { window: 3 });
    const all = [...batches(ds, { batchSize: 4 })];
    assert.deepEqual(
      all.map((b) => b.targetShape),
      [
        [4, 1],
        [3, 1],
      ],
    );
  });

  it('rejects impossible windows and bad values with named errors', () => {
    assert.throws(
      () => new TimeSeriesWindows(series, { window: 9, horizon: 2 }),
      (e: unknown) =>
        e instanceof DataError &&
        /TimeSeriesWindows: the range \[0, 10\) has 10 values, fewer than window 9 \+ horizon 2 = 11/.test(
          (e as Error).message,
        ),
    );
    assert.throws(
      () => new TimeSeriesWindows([1, 2, Number.POSITIVE_INFINITY, 4], { window: 2 }),
      (e: unknown) =>
        e instanceof DataError &&
        /series\[2\] must be a finite number, got Infinity/.test((e as Error).message),
    );
    assert.throws(
      () => new TimeSeriesWindows(series, { window: 0 }),
      (e: unknown) =>
        e instanceof ConfigError && /window must be a positive integer, got 0/.test((e as Error).message),
    );
    assert.throws(() => new TimeSeriesWindows(series, { window: 2, end: 11 }), ConfigError);
    assert.throws(
      () => TimeSeriesWindows.split(series, { window: 3, trainFraction: 0.2 }),
      (e: unknown) => e instanceof DataError && /training part has 2 values/.test((e as Error).message),
    );
  });
});
