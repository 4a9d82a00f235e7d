/**
 * The configuration of a Forecaster (forecaster.ts): the model kind, sizes and input options, and
 * their eager validation with the defaults filled in.
 */
import { ConfigError } from '../util/errors.js';
import { checkLags, checkScale, posInt, type Scale } from './forecast-common.js';

export type ForecastKind = 'lstm' | 'gru' | 'rnn' | 'mlp';
export const FORECAST_KINDS: readonly ForecastKind[] = ['lstm', 'gru', 'rnn', 'mlp'];
export interface ForecasterConfig {
  kind: ForecastKind;
  /** Input steps W. */
  window: number;
  /** Outputs H: steps ahead predicted at once (1 for a one-step model used recursively). */
  horizon: number;
  /** Covariates per step C (0 for none). */
  covariates: number;
  hiddenSize: number;
  /** Recurrent layers (default 1). */
  numLayers?: number;
  /** MLP hidden layers (default 1). */
  mlpLayers?: number;
  /** Dropout before the head (recurrent) or after each hidden layer (MLP), default 0. */
  dropout?: number;
  /**
   * Recurrent models: hidden tanh units of the head on [h_t, c_{t+1..t+H}] (default 0: a linear
   * head). A hidden layer lets the head combine the state with the calendar of the days to
   * predict non-linearly, as the MLP does with its whole input.
   */
  headHidden?: number;
  /**
   * Step s of the window carries the covariates of step s + covariateShift (default 0). With 1,
   * the last step already sees the calendar of the first day to predict, as DeepAR feeds the
   * covariates of the target step with the previous value (Salinas et al., 2020), so the recurrence
   * itself, not only the head, knows which day comes next. It needs no data the model lacks:
   * covariates are known in advance.
   */
  covariateShift?: number;
  /**
   * Lagged values added to every step's input, as DeepAR does (Salinas et al., 2020; GluonTS's
   * `lags_seq`): for lag l, step s also carries y_{s+1-l}, the value l steps before the value that
   * step s + 1 will show (lag 1 is y_s itself, always present). E.g. [7, 364] on daily data: the
   * same weekday one week and 52 weeks back. Default none. The window then reaches max(lags) - 1
   * steps further back.
   */
  lags?: number[];
  /**
   * Season length m for residual forecasting (default 0: off). With m > 0 every model predicts
   * the change from the seasonal-naive forecast: ŷ_{t+k} = y_{t+k-m⌈k/m⌉} + f(inputs)_k, the base
   * value read from the window (so window >= m). The inputs are unchanged.
   */
  seasonalResidual?: number;
  scale: Scale;
}

export type ResolvedForecasterConfig = Required<ForecasterConfig>;

/** Checks every option of `config` and fills in the defaults. */
export function resolveForecasterConfig(config: ForecasterConfig): ResolvedForecasterConfig {
  const where = 'Forecaster';
  if (!FORECAST_KINDS.includes(config.kind))
    throw new ConfigError(
      `${where}: kind must be one of ${FORECAST_KINDS.join(', ')}, got ${JSON.stringify(config.kind)}`,
    );
  const c: ResolvedForecasterConfig = {
    kind: config.kind,
    window: posInt(where, 'window', config.window),
    horizon: posInt(where, 'horizon', config.horizon),
    covariates: posInt(where, 'covariates', config.covariates, 0),
    hiddenSize: posInt(where, 'hiddenSize', config.hiddenSize),
    numLayers: posInt(where, 'numLayers', config.numLayers ?? 1),
    mlpLayers: posInt(where, 'mlpLayers', config.mlpLayers ?? 1),
    dropout: config.dropout ?? 0,
    headHidden: posInt(where, 'headHidden', config.headHidden ?? 0, 0),
    covariateShift: posInt(where, 'covariateShift', config.covariateShift ?? 0, 0),
    lags: checkLags(where, config.lags),
    seasonalResidual: posInt(where, 'seasonalResidual', config.seasonalResidual ?? 0, 0),
    scale: checkScale(where, config.scale),
  };
  if (c.seasonalResidual > c.window)
    throw new ConfigError(
      `${where}: seasonalResidual (${c.seasonalResidual}) must be at most the window (${c.window}): the base value is read from it`,
    );
  if (!(c.dropout >= 0 && c.dropout < 1))
    throw new ConfigError(`${where}: dropout must be in [0, 1), got ${c.dropout}`);
  return c;
}
