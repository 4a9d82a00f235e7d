/**
 * Forecasting a univariate series with known-in-advance covariates (calendar features):
 * windowing, normalization kept with the model, and multi-step prediction, recursive or direct.
 *
 * Inputs, the same for every learned model so that comparisons are fair. For a forecast made at
 * origin t (the last observed step) of the values at t+1 .. t+H:
 *   - the window: for s = t-W+1 .. t, the step input [ (y_s - mean) / std, c_s ] (1 + C numbers);
 *   - the future covariates c_{t+1} .. c_{t+H} (H·C numbers), which are known in advance.
 * Targets are (y_{t+k} - mean) / std; the mean and std are fitted on the training part only and
 * saved with the model (`config.scale`), predictions are denormalized with them.
 *
 * Models (`kind`):
 *   - 'lstm' | 'gru' | 'rnn': the window runs through a recurrent layer; a head (linear, or
 *     with `headHidden` tanh units) maps [h_t, c_{t+1..t+H}] to the H outputs.
 *   - 'mlp': the textbook fixed-window network: the flattened window and the future covariates
 *     go through an MLP with `mlpLayers` hidden layers of `hiddenSize` tanh units.
 *   - EsnForecaster (esn-forecaster.ts): an echo state network driven by the same step inputs over the whole
 *     history, its readout on [x_t, u_t, c_{t+1..t+H}].
 *
 * Multi-step prediction:
 *   - 'direct': one model with H outputs; the k-step forecast is output k (k <= H).
 *   - 'recursive': a model's first output is the one-step forecast; it is fed back as the newest
 *     value of the window (y_{t+1} := ŷ_{t+1}) to predict t+2, and so on.
 *
 * Layouts: forecasts and targets are [origins, steps] row-major, in the series' own units. The
 * shared types, baselines and error measures are in forecast-common.ts; the config and its
 * validation in forecaster-config.ts.
 */

import { noGrad } from '../autograd/grad-mode.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import { Dropout } from '../nn/dropout.js';
import { Module } from '../nn/module.js';
import { add } from '../ops/elementwise.js';
import { concat, narrow, select } from '../ops/join.js';
import { reshape } from '../ops/shape.js';
import { tidy } from '../tensor/scope.js';
import { fromTyped, type Tensor } from '../tensor/tensor.js';
import { ConfigError, DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { checkSeries, type ForecastSeries, type MultiStep, posInt } from './forecast-common.js';
import {
  type ForecasterConfig,
  type ResolvedForecasterConfig,
  resolveForecasterConfig,
} from './forecaster-config.js';
import { MLP } from './mlp.js';

/** Inputs of a batch of origins; `target` is null when the values after the origins are unknown. */
export interface ForecastBatch {
  /** [W, B, 1 + C] (recurrent) or [B, W·(1 + C)] (MLP). */
  window: Tensor;
  /** [B, H·C] (a [B, 1] zero column when C = 0, so the shapes stay fixed). */
  future: Tensor;
  /** [B, H], normalized ([K·B, H] for a sequence batch). */
  target: Tensor | null;
  /**
   * Recurrent models: the number K of final window steps that are forecast origins (default 1,
   * the last step only). With K > 1 `future` and `target` have K·B rows, time-major (k·B + b),
   * and `forward` returns K·B rows (see `sequenceBatch`).
   */
  steps?: number;
  /** [rows, H]: the normalized seasonal-naive base added to the outputs (seasonalResidual > 0), else null. */
  base?: Tensor | null;
}

/**
 * The value at `s` as the model sees it: observed up to the origin, and for s > origin the
 * forecasts fed back so far (recursive mode), all normalized.
 */
type ValueAt = (row: number, s: number) => number;

export class Forecaster extends Module {
  readonly config: Readonly<ResolvedForecasterConfig>;
  readonly rnn: RNN | LSTM | GRU | null;
  readonly head: MLP | null;
  readonly mlp: MLP | null;
  readonly drop: Dropout | null;

  constructor(config: ForecasterConfig, options: { rng?: Rng } = {}) {
    super();
    const c = resolveForecasterConfig(config);
    this.config = Object.freeze(c);
    const rng = options.rng ?? new Rng(0);
    const F = 1 + c.lags.length + c.covariates;
    const futureSize = Math.max(1, c.horizon * c.covariates);
    if (c.kind === 'mlp') {
      const sizes = [c.window * F + futureSize, ...Array(c.mlpLayers).fill(c.hiddenSize), c.horizon];
      this.mlp = this.registerModule('mlp', new MLP(sizes, { rng, dropout: c.dropout }));
      this.rnn = null;
      this.head = null;
      this.drop = null;
    } else {
      const o = { inputSize: F, hiddenSize: c.hiddenSize, numLayers: c.numLayers, rng };
      this.rnn = this.registerModule(
        'rnn',
        c.kind === 'lstm' ? new LSTM(o) : c.kind === 'gru' ? new GRU(o) : new RNN(o),
      );
      this.drop = c.dropout > 0 ? this.registerModule('drop', new Dropout(c.dropout, { rng })) : null;
      const headSizes = [c.hiddenSize + futureSize, ...(c.headHidden > 0 ? [c.headHidden] : []), c.horizon];
      this.head = this.registerModule('head', new MLP(headSizes, { rng }));
      this.mlp = null;
    }
  }

  /** Predictions [B, H] (normalized) for a batch. */
  forward(batch: ForecastBatch): Tensor {
    const out = this.forwardRaw(batch);
    return batch.base ? add(out, batch.base) : out;
  }

  private forwardRaw(batch: ForecastBatch): Tensor {
    if (this.mlp) return this.mlp.forward(concat([batch.window, batch.future], 1));
    const rnn = this.rnn as RNN | LSTM | GRU;
    const K = batch.steps ?? 1;
    let h: Tensor;
    if (K === 1) h = select(rnn.forward(batch.window).h, 0, this.config.numLayers - 1);
    else {
      const [W, B] = batch.window.shape;
      h = reshape(narrow(rnn.forward(batch.window).output, 0, W - K, K), [K * B, this.config.hiddenSize]);
    }
    if (this.drop) h = this.drop.forward(h);
    return (this.head as MLP).forward(concat([h, batch.future], 1));
  }

  /**
   * A training batch for a recurrent model in which each of the last `steps` (K) steps of every
   * window is a forecast origin (the loss at every step, as char-rnn or DeepAR train): the step at
   * window position W - K + k forecasts its H next values from the state it reached, with
   * W - K + k + 1 steps of context. The windows end at `origins`; every origin needs its H targets.
   */
  sequenceBatch(series: ForecastSeries, origins: readonly number[], steps: number): ForecastBatch {
    const where = 'Forecaster.sequenceBatch';
    const { window: W, horizon: H, covariates: C } = this.config;
    if (this.mlp) throw new ConfigError(`${where}: only recurrent models forecast from every step`);
    posInt(where, 'steps', steps);
    if (steps > W) throw new ConfigError(`${where}: steps must be at most the window (${W}), got ${steps}`);
    const last = this.batch(series, origins);
    if (steps === 1) return last;
    const B = origins.length;
    const Fh = Math.max(1, H * C);
    const fut = new Float32Array(steps * B * Fh);
    const tgt = new Float32Array(steps * B * H);
    const base = this.config.seasonalResidual > 0 ? new Float32Array(steps * B * H) : null;
    for (let k = 0; k < steps; k++) {
      this.fillFuture(
        series,
        origins.map((t) => t - (steps - 1 - k)),
        fut.subarray(k * B * Fh),
        tgt.subarray(k * B * H),
        base ? base.subarray(k * B * H) : null,
      );
    }
    return {
      window: last.window,
      future: fromTyped(fut, [steps * B, Fh]),
      target: fromTyped(tgt, [steps * B, H]),
      steps,
      base: base ? fromTyped(base, [steps * B, H]) : null,
    };
  }

  /** Builds the batch for `origins`; with `withTarget` the H values after each origin must exist. */
  batch(
    series: ForecastSeries,
    origins: readonly number[],
    withTarget = true,
    valueAt?: ValueAt,
  ): ForecastBatch {
    const where = 'Forecaster.batch';
    const { window: W, horizon: H, covariates: C, scale, covariateShift: shift, lags } = this.config;
    const N = checkSeries(where, series, C);
    const B = origins.length;
    if (B === 0) throw new DataError(`${where}: origins must not be empty`);
    const L = lags.length;
    const back = L > 0 ? Math.max(...lags) - 1 : 0;
    const F = 1 + L + C;
    const isMlp = this.mlp !== null;
    const win = new Float32Array(W * B * F);
    const fut = new Float32Array(B * Math.max(1, H * C));
    const tgt = withTarget ? new Float32Array(B * H) : null;
    const y = series.values;
    const cov = series.covariates;
    const norm = (v: number) => (v - scale.mean) / scale.std;
    origins.forEach((t, b) => {
      const lastNeeded = withTarget ? t + H : t;
      if (
        !Number.isInteger(t) ||
        t - W + 1 - back < 0 ||
        lastNeeded >= N ||
        (C > 0 && t + Math.max(H, shift) >= N)
      )
        throw new DataError(
          `${where}: origin ${t} needs steps ${t - W + 1 - back}..${t + H} of a series of ${N}`,
        );
      for (let k = 0; k < W; k++) {
        const s = t - W + 1 + k;
        const at = isMlp ? b * W * F + k * F : (k * B + b) * F;
        win[at] = valueAt ? valueAt(b, s) : norm(y[s]);
        for (let l = 0; l < L; l++) {
          const r = s + 1 - lags[l];
          win[at + 1 + l] = valueAt ? valueAt(b, r) : norm(y[r]);
        }
        for (let j = 0; j < C; j++) win[at + 1 + L + j] = (cov as ArrayLike<number>)[(s + shift) * C + j];
      }
    });
    const base = this.config.seasonalResidual > 0 ? new Float32Array(B * H) : null;
    this.fillFuture(series, origins, fut, tgt, base, valueAt);
    return {
      window: fromTyped(win, isMlp ? [B, W * F] : [W, B, F]),
      future: fromTyped(fut, [B, Math.max(1, H * C)]),
      target: tgt ? fromTyped(tgt, [B, H]) : null,
      base: base ? fromTyped(base, [B, H]) : null,
    };
  }

  /**
   * Writes the future covariates [B, H·C], and when given the normalized targets [B, H] and the
   * seasonal-naive base [B, H] (read through `valueAt` when given) of each origin.
   */
  private fillFuture(
    series: ForecastSeries,
    origins: readonly number[],
    fut: Float32Array,
    tgt: Float32Array | null,
    base: Float32Array | null = null,
    valueAt?: ValueAt,
  ): void {
    const { horizon: H, covariates: C, scale, seasonalResidual: m } = this.config;
    const y = series.values;
    const cov = series.covariates;
    const norm = (v: number) => (v - scale.mean) / scale.std;
    origins.forEach((t, b) => {
      for (let k = 0; k < H; k++) {
        for (let j = 0; j < C; j++)
          fut[b * H * C + k * C + j] = (cov as ArrayLike<number>)[(t + 1 + k) * C + j];
        if (tgt) tgt[b * H + k] = norm(y[t + 1 + k]);
        if (base) {
          const s = t + 1 + k - m * Math.ceil((k + 1) / m);
          base[b * H + k] = valueAt ? valueAt(b, s) : norm(y[s]);
        }
      }
    });
  }

  /**
   * Forecasts `steps` values after each origin, in the series' units: [origins, steps]. 'direct'
   * reads outputs 1..steps (steps <= horizon); 'recursive' feeds the first output back.
   */
  forecast(series: ForecastSeries, origins: readonly number[], steps: number, mode: MultiStep): Float64Array {
    const where = 'Forecaster.forecast';
    posInt(where, 'steps', steps);
    const { horizon: H, scale } = this.config;
    const n = origins.length;
    const out = new Float64Array(n * steps);
    const wasTraining = this.training;
    this.eval();
    try {
      // One tidy() scope for the whole forecast (its results are copied into `out`).
      noGrad(() =>
        tidy(() => {
          if (mode === 'direct') {
            if (steps > H)
              throw new ConfigError(
                `${where}: direct forecasts reach ${H} steps (the model's horizon), asked for ${steps}`,
              );
            const p = this.forward(this.batch(series, origins, false)).data;
            for (let r = 0; r < n; r++)
              for (let k = 0; k < steps; k++) out[r * steps + k] = p[r * H + k] * scale.std + scale.mean;
            return;
          }
          if (mode !== 'recursive')
            throw new ConfigError(
              `${where}: mode must be 'direct' or 'recursive', got ${JSON.stringify(mode)}`,
            );
          const fed = new Float64Array(n * steps);
          const y = series.values;
          const valueAt: ValueAt = (row, s) => {
            const t = origins[row];
            return s <= t ? (y[s] - scale.mean) / scale.std : fed[row * steps + (s - t - 1)];
          };
          for (let k = 0; k < steps; k++) {
            const shifted = origins.map((t) => t + k);
            const p = this.forward(this.batch(series, shifted, false, valueAt)).data;
            for (let r = 0; r < n; r++) {
              fed[r * steps + k] = p[r * H];
              out[r * steps + k] = p[r * H] * scale.std + scale.mean;
            }
          }
        }),
      );
    } finally {
      this.train(wasTraining);
    }
    return out;
  }

  toJSON(): { type: 'forecaster' } & ResolvedForecasterConfig {
    return { type: 'forecaster', ...this.config, scale: { ...this.config.scale } };
  }

  static fromJSON(json: unknown, options: { rng?: Rng } = {}): Forecaster {
    const j = json as ({ type?: string } & ForecasterConfig) | null;
    if (typeof j !== 'object' || j === null || j.type !== 'forecaster')
      throw new ConfigError("Forecaster.fromJSON: expected an object with type 'forecaster'");
    const { type: _t, ...config } = j;
    return new Forecaster(config, options);
  }

  protected describe(): string {
    const c = this.config;
    const head = c.kind !== 'mlp' && c.headHidden > 0 ? `, headHidden=${c.headHidden}` : '';
    const layers =
      c.kind === 'mlp'
        ? c.mlpLayers > 1
          ? `, mlpLayers=${c.mlpLayers}`
          : ''
        : c.numLayers > 1
          ? `, numLayers=${c.numLayers}`
          : '';
    const extra = [
      c.covariateShift ? `covariateShift=${c.covariateShift}` : '',
      c.lags.length ? `lags=[${c.lags.join(', ')}]` : '',
      c.seasonalResidual ? `seasonalResidual=${c.seasonalResidual}` : '',
      c.dropout ? `dropout=${c.dropout}` : '',
    ]
      .filter(Boolean)
      .map((x) => `, ${x}`)
      .join('');
    return `Forecaster(${c.kind}, window=${c.window}, horizon=${c.horizon}, covariates=${c.covariates}, hidden=${c.hiddenSize}${layers}${head}${extra})`;
  }
}
