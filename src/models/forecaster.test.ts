import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mse } from '../ops/loss.js';
import { Adam } from '../train/optim/adam.js';
import { Rng } from '../util/rng.js';
import { EsnForecaster } from './esn-forecaster.js';
import {
  column,
  type ForecastSeries,
  forecastTargets,
  mape,
  persistenceForecast,
  rmse,
  seasonalNaiveForecast,
} from './forecast-common.js';
import { Forecaster } from './forecaster.js';

/** A weekly pattern plus level noise, with a 'holiday' covariate that cuts the value by 40%. */
function toySeries(n: number, seed = 1): ForecastSeries {
  const rng = new Rng(seed);
  const week = [10, 12, 12, 11, 12, 7, 6];
  const values = new Float64Array(n);
  const covariates = new Float64Array(n * 2);
  for (let t = 0; t < n; t++) {
    const hol = rng.uniform() < 0.05 ? 1 : 0;
    covariates[t * 2] = hol;
    covariates[t * 2 + 1] = t % 7 >= 5 ? 1 : 0;
    values[t] = week[t % 7] * (hol ? 0.6 : 1) + 0.1 * rng.normal();
  }
  return { values, covariates };
}

describe('baselines and metrics', () => {
  const y = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  it('persistence repeats the last observed value', () => {
    assert.deepEqual(Array.from(persistenceForecast(y, [3, 10], 3)), [4, 4, 4, 11, 11, 11]);
  });

  it('seasonal naive takes the same season one period back (two periods past the first)', () => {
    // origin 9 (value 10), season 7: k = 1..7 -> y[3..9]; k = 8 -> y[3] again (two weeks back).
    const f = seasonalNaiveForecast(y, [9], 8, 7);
    assert.deepEqual(Array.from(f), [4, 5, 6, 7, 8, 9, 10, 4]);
    assert.throws(() => seasonalNaiveForecast(y, [2], 1, 7), /needs step -4/);
  });

  it('rmse, mape, targets and columns on known numbers', () => {
    assert.equal(rmse([1, 2, 3], [1, 2, 5]), Math.sqrt(4 / 3));
    assert.ok(Math.abs(mape([110, 90], [100, 100]) - 10) < 1e-12);
    assert.deepEqual(Array.from(forecastTargets(y, [0, 5], 2)), [2, 3, 7, 8]);
    assert.deepEqual(Array.from(column([1, 2, 3, 4, 5, 6], 3, 1)), [2, 5]);
  });
});

describe('Forecaster', () => {
  const scale = { mean: 10, std: 2 };

  it('builds windows [(y - mean)/std, covariates], future covariates and normalized targets', () => {
    const s: ForecastSeries = {
      values: [10, 12, 14, 16, 18, 20],
      covariates: [0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0],
    };
    const rnn = new Forecaster({ kind: 'lstm', window: 3, horizon: 2, covariates: 2, hiddenSize: 4, scale });
    const b = rnn.batch(s, [2, 3]);
    assert.deepEqual(b.window.shape, [3, 2, 3]);
    // step 0 of origin 2 is day 0: [0, 0, 1]; of origin 3 is day 1: [1, 0, 1].
    assert.deepEqual(Array.from(b.window.data.subarray(0, 6)), [0, 0, 1, 1, 0, 1]);
    assert.deepEqual(b.future.shape, [2, 4]);
    assert.deepEqual(Array.from(b.future.data.subarray(0, 4)), [1, 0, 1, 0]);
    assert.deepEqual(Array.from(b.target?.data ?? []), [3, 4, 4, 5]);
    const mlp = new Forecaster({ kind: 'mlp', window: 3, horizon: 2, covariates: 2, hiddenSize: 4, scale });
    const m = mlp.batch(s, [2]);
    assert.deepEqual(m.window.shape, [1, 9]);
    assert.deepEqual(Array.from(m.window.data), [0, 0, 1, 1, 0, 1, 2, 0, 1]);
    assert.throws(() => rnn.batch(s, [1]), /origin 1 needs steps -1/);
    assert.deepEqual(rnn.forward(b).shape, [2, 2]);
    assert.deepEqual(mlp.forward(m).shape, [1, 2]);
  });

  it('recursive forecasts feed the one-step forecast back as the newest value', () => {
    const s = toySeries(60);
    const model = new Forecaster(
      { kind: 'gru', window: 5, horizon: 1, covariates: 2, hiddenSize: 6, scale },
      { rng: new Rng(3) },
    );
    const origins = [20, 30];
    const rec = model.forecast(s, origins, 3, 'recursive');
    const direct = model.forecast(s, origins, 1, 'direct');
    assert.deepEqual([rec[0], rec[3]], [direct[0], direct[1]]);
    // Step 2 = the one-step forecast at origin t + 1 on a series whose y[t + 1] is the step-1 forecast.
    const patched = { values: Float64Array.from(s.values), covariates: s.covariates };
    patched.values[21] = rec[0];
    const again = model.forecast(patched, [21], 1, 'direct');
    assert.ok(Math.abs(again[0] - rec[1]) < 1e-4, `${again[0]} vs ${rec[1]}`);
    assert.throws(() => model.forecast(s, origins, 2, 'direct'), /reach 1 steps/);
  });

  it('LSTM and MLP learn a weekly series with holidays better than seasonal naive', () => {
    const s = toySeries(400);
    const mean = 10;
    const train = Array.from({ length: 300 - 14 }, (_, i) => i + 13);
    const test = Array.from({ length: 80 }, (_, i) => 310 + i);
    const actual = forecastTargets(s.values, test, 1);
    const naive = rmse(seasonalNaiveForecast(s.values, test, 1, 7), actual);
    for (const kind of ['lstm', 'mlp'] as const) {
      const model = new Forecaster(
        { kind, window: 14, horizon: 1, covariates: 2, hiddenSize: 16, scale: { mean, std: 2 } },
        { rng: new Rng(1) },
      );
      const opt = new Adam(model.parameters(), { lr: 1e-2 });
      const rng = new Rng(2);
      for (let step = 0; step < 150; step++) {
        const origins = Array.from({ length: 32 }, () => train[rng.int(train.length)]);
        const b = model.batch(s, origins);
        opt.zeroGrad();
        mse(model.forward(b), b.target as NonNullable<typeof b.target>).backward();
        opt.step();
      }
      const err = rmse(model.forecast(s, test, 1, 'direct'), actual);
      assert.ok(err < 0.6 * naive, `${kind}: rmse ${err} vs seasonal naive ${naive}`);
    }
  });

  it('keeps its normalization with it (toJSON / fromJSON)', () => {
    const model = new Forecaster({
      kind: 'rnn',
      window: 4,
      horizon: 2,
      covariates: 0,
      hiddenSize: 3,
      scale: { mean: 5, std: 3 },
    });
    const again = Forecaster.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    assert.deepEqual(again.config, model.config);
    again.loadStateDict(model.stateDict());
    const s: ForecastSeries = { values: [1, 4, 2, 8, 5, 7, 1, 3], covariates: null };
    assert.deepEqual(again.forecast(s, [4, 5], 2, 'direct'), model.forecast(s, [4, 5], 2, 'direct'));
    assert.match(model.toString(), /^Forecaster\(rnn, window=4, horizon=2/);
  });
});

describe('EsnForecaster', () => {
  it('fits a ridge readout that beats seasonal naive, directly and recursively', () => {
    const s = toySeries(500);
    const esn = new EsnForecaster({
      horizon: 1,
      covariates: 2,
      scale: { mean: 10, std: 2 },
      washout: 50,
      esn: { reservoirSize: 60, spectralRadius: 0.9, leakRate: 0.5, sparsity: 0.8, seed: 1 },
    });
    esn.fit(
      s,
      Array.from({ length: 398 }, (_, i) => i),
      1e-3,
    );
    const test = Array.from({ length: 90 }, (_, i) => 400 + i);
    const actual = forecastTargets(s.values, test, 1);
    const naive = rmse(seasonalNaiveForecast(s.values, test, 1, 7), actual);
    const err = rmse(esn.forecast(s, test, 1, 'direct'), actual);
    assert.ok(err < 0.6 * naive, `esn ${err} vs naive ${naive}`);
    const rec = esn.forecast(s, test, 2, 'recursive');
    assert.deepEqual(column(rec, 2, 0), esn.forecast(s, test, 1, 'direct'));
  });
});
