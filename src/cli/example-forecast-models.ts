/**
 * The rows of `recur example forecast-births`: each model trained on 2000-2012 (validated on 2013)
 * and its 1-day, 7-day recursive and 7-day direct forecasts of every day of 2014, with its time
 * and parameter count. Learned models: MLP, RNN, LSTM, GRU (Forecaster, Adam, early stopping) and
 * the echo state network (ridge readout); baselines: persistence and seasonal naive.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { batchIndices } from '../data/batches.js';
import { Normalizer } from '../data/time-series.js';
import { EsnForecaster } from '../models/esn-forecaster.js';
import {
  column,
  type ForecastSeries,
  forecastTargets,
  persistenceForecast,
  rmse,
  seasonalNaiveForecast,
} from '../models/forecast-common.js';
import { Forecaster } from '../models/forecaster.js';
import { mse } from '../ops/loss.js';
import { fit } from '../train/fit.js';
import { Adam } from '../train/optim/adam.js';
import { ReduceLROnPlateau } from '../train/reduce-lr-on-plateau.js';
import { Rng } from '../util/rng.js';
import { COVARIATES } from './births-data.js';
import type { Progress } from './progress.js';

export const NEURAL = ['mlp', 'rnn', 'lstm', 'gru'] as const;
export type Neural = (typeof NEURAL)[number];

export const range = (a: number, b: number) =>
  Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);

export interface Forecasts {
  h1: Float64Array;
  h7rec: Float64Array;
  h7dir: Float64Array;
  seconds: number;
  cpuSeconds: number;
  params: number;
  note: string;
}

export interface Split {
  series: ForecastSeries;
  /** First index of 2013 (validation) and of 2014 (test). */
  valStart: number;
  /** --lags. */
  lags: number[];
  testStart: number;
  N: number;
}

async function trainNeural(
  kind: Neural,
  horizon: number,
  split: Split,
  opts: Record<string, number>,
  seed: number,
  progress: Progress,
) {
  const { series, valStart, testStart } = split;
  const scale = Normalizer.fit(Array.from(series.values).slice(0, valStart)).toJSON();
  const model = new Forecaster(
    {
      kind,
      window: opts.window,
      horizon,
      covariates: COVARIATES,
      hiddenSize: opts.hiddenSize,
      headHidden: opts.headHidden,
      covariateShift: opts.covariateShift,
      lags: split.lags,
      seasonalResidual: opts.seasonalResidual,
      scale,
    },
    { rng: new Rng(seed) },
  );
  // The first origin whose window (and its lags) starts inside the data.
  const back = split.lags.length > 0 ? Math.max(...split.lags) - 1 : 0;
  const trainOrigins = range(opts.window - 1 + back, valStart - 1 - horizon);
  const valOrigins = range(valStart - 1, testStart - 1 - horizon);
  const valBatch = model.batch(series, valOrigins);
  const rng = new Rng(seed + 1);
  const best = { loss: Number.POSITIVE_INFINITY, weights: [] as Float32Array[] };
  const params = model.parameters();
  const optimizer = new Adam(params, { lr: opts.lr });
  const result = await fit({
    model,
    optimizer,
    scheduler: new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 8 }),
    trainBatches: () =>
      batchIndices(trainOrigins.length, { batchSize: opts.batchSize, shuffle: true, rng }).map((ix) =>
        ix.map((i) => trainOrigins[i]),
      ),
    rng,
    epochs: opts.maxEpochs,
    gradClip: 1,
    lossFn: (m, origins) => {
      const b =
        kind === 'mlp' || opts.trainSteps === 1
          ? m.batch(series, origins)
          : m.sequenceBatch(series, origins, opts.trainSteps);
      return mse(m.forward(b), b.target as NonNullable<typeof b.target>);
    },
    evalFn: (m) => {
      const loss = noGrad(() =>
        mse(m.forward(valBatch), valBatch.target as NonNullable<typeof valBatch.target>).item(),
      );
      if (loss < best.loss) {
        best.loss = loss;
        best.weights = params.map((p) => Float32Array.from(p.data));
      }
      return loss;
    },
    earlyStopping: { patience: opts.patience },
    callbacks: [
      (e) => {
        if (e.type === 'eval')
          progress.status(
            () =>
              `${kind} (horizon ${horizon}, seed ${seed}): epoch ${e.epoch + 1}, validation MSE ${e.metrics.val_loss.toFixed(4)} (best ${best.loss.toFixed(4)})`,
          );
      },
    ],
  });
  params.forEach((p, i) => {
    p.data.set(best.weights[i]);
    p.markChanged();
  });
  return { model, epochs: result.epoch, bestVal: best.loss };
}

export async function runNeural(
  kind: Neural,
  split: Split,
  opts: Record<string, number>,
  seed: number,
  progress: Progress,
): Promise<Forecasts> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const days = range(split.testStart, split.N - 1);
  const one = await trainNeural(kind, 1, split, opts, seed, progress);
  const seven = await trainNeural(kind, 7, split, opts, seed, progress);
  const h1 = one.model.forecast(
    split.series,
    days.map((d) => d - 1),
    1,
    'direct',
  );
  const h7rec = column(
    one.model.forecast(
      split.series,
      days.map((d) => d - 7),
      7,
      'recursive',
    ),
    7,
    6,
  );
  const h7dir = column(
    seven.model.forecast(
      split.series,
      days.map((d) => d - 7),
      7,
      'direct',
    ),
    7,
    6,
  );
  progress.clear();
  return {
    h1,
    h7rec,
    h7dir,
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: cpuSince(cpu0),
    params: one.model.numParameters(),
    note: `${one.model.toString().replace(/ {2}#.*/, '')}; epochs ${one.epochs}/${seven.epochs} (1-step/7-output)`,
  };
}

export function runEsn(split: Split, opts: Record<string, number>, seed: number): Forecasts {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { series, valStart, testStart, N } = split;
  const scale = Normalizer.fit(Array.from(series.values).slice(0, valStart)).toJSON();
  const days = range(testStart, N - 1);
  const fitOne = (horizon: number) => {
    // The ridge penalty is chosen on 2013, then the readout is refitted with it.
    let bestLambda = 1;
    let bestErr = Number.POSITIVE_INFINITY;
    let model: EsnForecaster | null = null;
    for (const lambda of [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100]) {
      const m = new EsnForecaster({
        horizon,
        covariates: COVARIATES,
        covariateShift: opts.covariateShift,
        lags: split.lags,
        scale,
        esn: {
          reservoirSize: opts.reservoir,
          spectralRadius: opts.spectralRadius,
          leakRate: opts.leakRate,
          inputScaling: 0.5,
          biasScaling: 0.2,
          sparsity: 0.95,
          seed,
        },
      });
      m.fit(series, range(0, valStart - 1 - horizon), lambda);
      const vo = range(valStart - 1, testStart - 1 - horizon);
      const err = rmse(
        m.forecast(series, vo, horizon, 'direct'),
        forecastTargets(series.values, vo, horizon),
      );
      if (err < bestErr) {
        bestErr = err;
        bestLambda = lambda;
        model = m;
      }
    }
    return { model: model as EsnForecaster, lambda: bestLambda };
  };
  const one = fitOne(1);
  const seven = fitOne(7);
  return {
    h1: one.model.forecast(
      series,
      days.map((d) => d - 1),
      1,
      'direct',
    ),
    h7rec: column(
      one.model.forecast(
        series,
        days.map((d) => d - 7),
        7,
        'recursive',
      ),
      7,
      6,
    ),
    h7dir: column(
      seven.model.forecast(
        series,
        days.map((d) => d - 7),
        7,
        'direct',
      ),
      7,
      6,
    ),
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: cpuSince(cpu0),
    params: (one.model.esn.readout?.weight.length ?? 0) + 1,
    note: `reservoir ${opts.reservoir}, spectral radius ${opts.spectralRadius}, leak ${opts.leakRate}; ridge λ ${one.lambda}/${seven.lambda} (1-step/7-output, chosen on 2013)`,
  };
}

export function baseline(name: string, split: Split): Forecasts {
  const y = split.series.values;
  const days = range(split.testStart, split.N - 1);
  const f = (origins: number[], steps: number) =>
    name === 'persistence'
      ? persistenceForecast(y, origins, steps)
      : seasonalNaiveForecast(y, origins, steps, 7);
  const h7 = column(
    f(
      days.map((d) => d - 7),
      7,
    ),
    7,
    6,
  );
  return {
    h1: f(
      days.map((d) => d - 1),
      1,
    ),
    h7rec: h7,
    h7dir: h7,
    seconds: 0,
    cpuSeconds: 0,
    params: 0,
    note: name === 'persistence' ? 'ŷ(t+k) = y(t)' : 'ŷ(t+k) = y(t+k-7) for k <= 7',
  };
}

const cpuSince = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};
