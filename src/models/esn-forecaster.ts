/** The echo state network forecaster (see forecaster.ts for the inputs all forecasters share). */
import { ConfigError, DataError } from '../util/errors.js';
import { EchoStateNetwork, type EsnConfig } from './esn.js';
import {
  checkLags,
  checkScale,
  checkSeries,
  type ForecastSeries,
  type MultiStep,
  posInt,
  type Scale,
} from './forecast-common.js';

export interface EsnForecasterConfig {
  /** Outputs H (1 for a one-step readout used recursively). */
  horizon: number;
  covariates: number;
  /** As ForecasterConfig.covariateShift and .lags: the same step inputs as the other models. */
  covariateShift?: number;
  lags?: number[];
  /** Reservoir options; inputSize is 1 + lags + covariates. */
  esn: Omit<EsnConfig, 'inputSize'>;
  /** Steps at the start of the series whose states are not used for fitting (default 100). */
  washout?: number;
  scale: Scale;
}

/**
 * An echo state network forecaster: the reservoir is driven by the same step inputs as
 * Forecaster's windows, [(y_s - mean) / std, lagged values, c_{s+shift}], over the whole series
 * (teacher forcing: observed values; values before the series start read as the mean), and a
 * ridge readout on [x_t, u_t, c_{t+1..t+H}] gives the H normalized values after t.
 */
export class EsnForecaster {
  readonly config: Readonly<Required<EsnForecasterConfig>>;
  readonly esn: EchoStateNetwork;

  constructor(config: EsnForecasterConfig) {
    const where = 'EsnForecaster';
    this.config = Object.freeze({
      horizon: posInt(where, 'horizon', config.horizon),
      covariates: posInt(where, 'covariates', config.covariates, 0),
      covariateShift: posInt(where, 'covariateShift', config.covariateShift ?? 0, 0),
      lags: checkLags(where, config.lags),
      esn: { ...config.esn },
      washout: posInt(where, 'washout', config.washout ?? 100, 0),
      scale: checkScale(where, config.scale),
    });
    this.esn = new EchoStateNetwork({ ...config.esn, inputSize: this.inputSize });
  }

  get inputSize(): number {
    return 1 + this.config.lags.length + this.config.covariates;
  }

  /** The step input of step s into `u`, the (normalized) value at any step read through `valueAt`. */
  private stepInput(
    series: ForecastSeries,
    s: number,
    valueAt: (s: number) => number,
    u: Float64Array,
  ): void {
    const { covariates: C, lags, covariateShift: shift } = this.config;
    const N = series.values.length;
    u[0] = valueAt(s);
    for (let l = 0; l < lags.length; l++) u[1 + l] = valueAt(s + 1 - lags[l]);
    const c = Math.min(s + shift, N - 1);
    for (let j = 0; j < C; j++) u[1 + lags.length + j] = (series.covariates as ArrayLike<number>)[c * C + j];
  }

  private observed(series: ForecastSeries): (s: number) => number {
    const { mean, std } = this.config.scale;
    return (s) => (s < 0 ? 0 : (series.values[s] - mean) / std);
  }

  /** Reservoir states after every step of the series, [N, reservoirSize], and the inputs [N, inputSize]. */
  private drive(series: ForecastSeries): { states: Float64Array; inputs: Float64Array } {
    const N = checkSeries('EsnForecaster', series, this.config.covariates);
    const I = this.inputSize;
    const inputs = new Float64Array(N * I);
    const u = new Float64Array(I);
    const obs = this.observed(series);
    for (let s = 0; s < N; s++) {
      this.stepInput(series, s, obs, u);
      inputs.set(u, s * I);
    }
    return { states: this.esn.run(inputs, N), inputs };
  }

  private featureRows(
    series: ForecastSeries,
    states: ArrayLike<number>,
    inputs: ArrayLike<number>,
    origins: readonly number[],
    rowOffset = false,
  ): Float64Array {
    const { horizon: H, covariates: C } = this.config;
    const N = series.values.length;
    const R = this.esn.config.reservoirSize;
    const I = this.inputSize;
    const n = origins.length;
    const st = new Float64Array(n * R);
    const inp = new Float64Array(n * I);
    const extra = new Float64Array(n * H * C);
    origins.forEach((t, r) => {
      if (t < 0 || t + H >= N)
        throw new DataError(`EsnForecaster: origin ${t} needs covariates up to ${t + H} of a series of ${N}`);
      const at = rowOffset ? r : t;
      for (let i = 0; i < R; i++) st[r * R + i] = states[at * R + i];
      for (let i = 0; i < I; i++) inp[r * I + i] = inputs[at * I + i];
      for (let k = 0; k < H * C; k++)
        extra[r * H * C + k] = (series.covariates as ArrayLike<number>)[(t + 1) * C + k];
    });
    return this.esn.features(st, inp, n, extra);
  }

  /** Fits the readout on the training origins (each needs its H targets; origins < washout are dropped). */
  fit(series: ForecastSeries, origins: readonly number[], ridge?: number): void {
    const { horizon: H, covariates: C, scale, washout } = this.config;
    const use = origins.filter((t) => t >= washout);
    if (use.length === 0)
      throw new DataError(`EsnForecaster.fit: no origin at or after the washout (${washout})`);
    this.esn.extraSize = H * C;
    const { states, inputs } = this.drive(series);
    const x = this.featureRows(series, states, inputs, use);
    const y = new Float64Array(use.length * H);
    use.forEach((t, r) => {
      for (let k = 0; k < H; k++) y[r * H + k] = (series.values[t + 1 + k] - scale.mean) / scale.std;
    });
    this.esn.fitReadout(x, y, use.length, H, H * C, ridge);
  }

  /** As Forecaster.forecast: [origins, steps] in the series' units. */
  forecast(series: ForecastSeries, origins: readonly number[], steps: number, mode: MultiStep): Float64Array {
    const { horizon: H, scale } = this.config;
    posInt('EsnForecaster.forecast', 'steps', steps);
    const { states, inputs } = this.drive(series);
    const n = origins.length;
    const out = new Float64Array(n * steps);
    if (mode === 'direct') {
      if (steps > H)
        throw new ConfigError(
          `EsnForecaster.forecast: direct forecasts reach ${H} steps, asked for ${steps}`,
        );
      const p = this.esn.predict(this.featureRows(series, states, inputs, origins), n);
      for (let r = 0; r < n; r++)
        for (let k = 0; k < steps; k++) out[r * steps + k] = p[r * H + k] * scale.std + scale.mean;
      return out;
    }
    if (mode !== 'recursive')
      throw new ConfigError(
        `EsnForecaster.forecast: mode must be 'direct' or 'recursive', got ${JSON.stringify(mode)}`,
      );
    const R = this.esn.config.reservoirSize;
    const I = this.inputSize;
    const obs = this.observed(series);
    origins.forEach((t, r) => {
      const x = states.slice(t * R, (t + 1) * R);
      const u = inputs.slice(t * I, (t + 1) * I);
      const fed = new Float64Array(steps);
      const valueAt = (s: number) => (s <= t ? obs(s) : fed[s - t - 1]);
      for (let k = 0; k < steps; k++) {
        const p = this.esn.predict(this.featureRows(series, x, u, [t + k], true), 1)[0];
        fed[k] = p;
        out[r * steps + k] = p * scale.std + scale.mean;
        if (k + 1 < steps) {
          this.stepInput(series, t + k + 1, valueAt, u);
          this.esn.step(u, x);
        }
      }
    });
    return out;
  }

  toString(): string {
    return `EsnForecaster(horizon=${this.config.horizon}, covariates=${this.config.covariates}) with ${this.esn.toString()}`;
  }
}
