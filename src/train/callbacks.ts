/**
 * The events `fit` emits, the callback interface, and ready-made callbacks: a progress line for
 * terminals (`progressLogger`), a JSON-lines metrics log (`jsonLinesLogger`), and the early-stopping
 * rule (`EarlyStopping`, used by fit's `earlyStopping` option). Events are plain JSON-friendly
 * objects, so a CLI can print them and a library user can collect them.
 *
 * Conventions: `step` counts the training steps completed so far (1 after the first step; a step
 * skipped by the NaN policy counts too), `epoch` is 0-based, `batch` counts the batches consumed in
 * the current epoch, times are seconds.
 */
import { CheckpointError, ConfigError } from '../util/errors.js';

/** Why fit stopped. */
export type StopReason = 'epochs' | 'maxSteps' | 'maxMinutes' | 'earlyStopping' | 'callback' | 'aborted';

/** What fit does when a loss or gradient is NaN or infinite. */
export type NanPolicy = 'stop' | 'skip';

interface EventBase {
  step: number;
  epoch: number;
  /** Seconds spent in fit so far (in this run and the runs it resumed). */
  elapsedSeconds: number;
}

export interface StartEvent extends EventBase {
  type: 'start';
  /** True when fit continued from a saved state. */
  resumed: boolean;
  /** The step at which training will stop, when known in advance. */
  totalSteps: number | null;
}

export interface EpochStartEvent extends EventBase {
  type: 'epochStart';
}

export interface StepEvent extends EventBase {
  type: 'step';
  /** Batches consumed in this epoch, this one included. */
  batch: number;
  /** This step's loss. */
  loss: number;
  /** Mean loss of the epoch so far (weighted by tokens when the loss function reports them). */
  lossAvg: number;
  /** The learning rate this step used (of the first parameter group). */
  lr: number;
  /** Total gradient norm before clipping (only with `gradClip`). */
  gradNorm: number | null;
  /** Tokens of this step, as reported by the loss function. */
  tokens: number | null;
  /** Over the last few steps, training time only. */
  tokensPerSec: number | null;
  stepsPerSec: number | null;
  /** Seconds to the end of training at the current speed, when the end is known. */
  etaSeconds: number | null;
  totalSteps: number | null;
}

export interface EvalEvent extends EventBase {
  type: 'eval';
  metrics: Record<string, number>;
  /** The early-stopping metric, its best value so far and whether this evaluation improved it. */
  monitor: string | null;
  best: number | null;
  improved: boolean | null;
}

export interface EpochEndEvent extends EventBase {
  type: 'epochEnd';
  /** Mean training loss of the epoch. */
  loss: number;
  batches: number;
}

export interface NanEvent extends EventBase {
  type: 'nan';
  kind: 'loss' | 'gradient';
  /** The first parameter whose gradient is not finite (kind 'gradient'). */
  parameter: string | null;
  /** The op that produced the first non-finite value, when it could be found. */
  op: string | null;
  /** The first non-finite value (NaN, Infinity, -Infinity). */
  value: number;
  /** 'stop': fit throws a NumericError next; 'skip': the step was skipped and the lr lowered to `lr`. */
  action: NanPolicy;
  lr: number;
  message: string;
}

export interface CheckpointEvent extends EventBase {
  type: 'checkpoint';
}

export interface EndEvent extends EventBase {
  type: 'end';
  reason: StopReason;
  /** Mean training loss of the last (possibly partial) epoch. */
  loss: number | null;
}

export type FitEvent =
  | StartEvent
  | EpochStartEvent
  | StepEvent
  | EvalEvent
  | EpochEndEvent
  | NanEvent
  | CheckpointEvent
  | EndEvent;

/** Passed to callbacks with every event. */
export interface FitControl {
  /** Ends training after the current event (reason 'callback'). */
  stop(): void;
}

/** A function of each event, or an object with `onEvent`. May return a promise (fit waits for it). */
export type FitCallback =
  | ((event: FitEvent, control: FitControl) => void | Promise<void>)
  | { onEvent(event: FitEvent, control: FitControl): void | Promise<void> };

/** Calls a callback of either form. */
export function invokeCallback(cb: FitCallback, event: FitEvent, control: FitControl): void | Promise<void> {
  return typeof cb === 'function' ? cb(event, control) : cb.onEvent(event, control);
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** `42s`, `3m05s`, `2h07m`, or `?` for an unknown or infinite duration. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `950`, `12.3k`, `4.56M`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return a >= 100 ? n.toFixed(0) : n.toPrecision(3);
}

const num = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

/** One human-readable line for an event (null for events not worth a line). */
export function formatEvent(e: FitEvent): string | null {
  const ep = `epoch ${e.epoch + 1}`;
  switch (e.type) {
    case 'start':
      return `${e.resumed ? 'resuming' : 'training'} at step ${e.step}${e.totalSteps !== null ? ` of ${e.totalSteps}` : ''}`;
    case 'step': {
      const parts = [
        ep,
        `step ${e.step}${e.totalSteps !== null ? `/${e.totalSteps}` : ''}`,
        `loss ${num(e.loss)} (avg ${num(e.lossAvg)})`,
        `lr ${e.lr.toExponential(2)}`,
      ];
      if (e.gradNorm !== null) parts.push(`|g| ${e.gradNorm.toPrecision(3)}`);
      if (e.tokensPerSec !== null) parts.push(`${formatCount(e.tokensPerSec)} tok/s`);
      else if (e.stepsPerSec !== null) parts.push(`${formatCount(e.stepsPerSec)} steps/s`);
      if (e.etaSeconds !== null) parts.push(`eta ${formatDuration(e.etaSeconds)}`);
      return parts.join(' | ');
    }
    case 'eval': {
      const m = Object.entries(e.metrics).map(([k, v]) => `${k} ${num(v)}`);
      const tag = e.improved === true ? ' (best)' : '';
      return `${ep} step ${e.step} | eval ${m.join(', ')}${tag}`;
    }
    case 'epochEnd':
      return `${ep} done | ${e.batches} batches | mean loss ${num(e.loss)} | ${formatDuration(e.elapsedSeconds)} elapsed`;
    case 'nan':
      return `${ep} step ${e.step} | ${e.message}`;
    case 'checkpoint':
      return `${ep} step ${e.step} | checkpoint saved`;
    case 'end':
      return `stopped at step ${e.step} (${e.reason}) after ${formatDuration(e.elapsedSeconds)}`;
    default:
      return null;
  }
}

export interface ProgressLoggerOptions {
  /** Where lines go (default console.log). */
  write?: (line: string) => void;
  /** Print a step line every this many steps (default 10); other events always print. */
  every?: number;
}

function checkEvery(every: unknown, where: string): number {
  if (!Number.isSafeInteger(every) || (every as number) < 1) {
    throw new ConfigError(`${where}: every must be an integer >= 1, got ${JSON.stringify(every)}`);
  }
  return every as number;
}

/** Human-readable progress: `epoch 1 | step 120/1000 | loss 1.2345 (avg 1.3012) | lr 2.00e-3 | 12.3k tok/s | eta 1m23s`. */
export function progressLogger(options: ProgressLoggerOptions = {}): FitCallback {
  const write = options.write ?? ((line: string) => console.log(line));
  const every = checkEvery(options.every ?? 10, 'progressLogger');
  return (e) => {
    if (e.type === 'epochStart' || (e.type === 'step' && e.step % every !== 0)) return;
    const line = formatEvent(e);
    if (line !== null) write(line);
  };
}

export interface JsonLinesLoggerOptions {
  /** Log every this many step events (default 1); other events are always logged. */
  every?: number;
  /** Event types to log (default: all). */
  types?: FitEvent['type'][];
}

/**
 * A JSON-lines metrics log: one `JSON.stringify(event)` per line (non-finite numbers become null).
 * `write` appends a line, e.g. to a file opened by the CLI.
 */
export function jsonLinesLogger(
  write: (line: string) => void,
  options: JsonLinesLoggerOptions = {},
): FitCallback {
  if (typeof write !== 'function') throw new ConfigError('jsonLinesLogger: write must be a function');
  const every = checkEvery(options.every ?? 1, 'jsonLinesLogger');
  const types = options.types ? new Set(options.types) : null;
  return (e) => {
    if (types && !types.has(e.type)) return;
    if (e.type === 'step' && e.step % every !== 0) return;
    write(JSON.stringify(e));
  };
}

// ---------------------------------------------------------------------------------------------
// Early stopping

export interface EarlyStoppingOptions {
  /** Evaluations without improvement to tolerate; training stops at the `patience`-th one. */
  patience: number;
  /** The smallest change counted as an improvement (default 0). */
  minDelta?: number;
  /** The metric to watch (default 'val_loss' with an evalFn, else 'loss', the epoch's mean training loss). */
  monitor?: string;
  /** 'min' (default): lower is better; 'max': higher is better (accuracy). */
  mode?: 'min' | 'max';
}

export interface EarlyStoppingState {
  best: number | null;
  bestStep: number | null;
  wait: number;
}

/**
 * Keras' EarlyStopping rule: a value improves when it is below `best - minDelta` ('min') or above
 * `best + minDelta` ('max'); otherwise `wait` grows, and training stops when it reaches `patience`.
 */
export class EarlyStopping {
  readonly patience: number;
  readonly minDelta: number;
  readonly monitor: string | undefined;
  readonly mode: 'min' | 'max';
  best: number | null = null;
  bestStep: number | null = null;
  wait = 0;

  constructor(options: EarlyStoppingOptions) {
    const w = 'EarlyStopping';
    if (typeof options !== 'object' || options === null)
      throw new ConfigError(`${w}: options must be an object`);
    for (const k of Object.keys(options))
      if (!['patience', 'minDelta', 'monitor', 'mode'].includes(k))
        throw new ConfigError(`${w}: unknown option '${k}' (known: patience, minDelta, monitor, mode)`);
    const { patience, minDelta = 0, monitor, mode = 'min' } = options;
    if (!Number.isSafeInteger(patience) || patience < 1)
      throw new ConfigError(`${w}: patience must be an integer >= 1, got ${JSON.stringify(patience)}`);
    if (typeof minDelta !== 'number' || !(minDelta >= 0) || !Number.isFinite(minDelta))
      throw new ConfigError(`${w}: minDelta must be a finite number >= 0, got ${JSON.stringify(minDelta)}`);
    if (monitor !== undefined && (typeof monitor !== 'string' || monitor === ''))
      throw new ConfigError(`${w}: monitor must be a metric name, got ${JSON.stringify(monitor)}`);
    if (mode !== 'min' && mode !== 'max')
      throw new ConfigError(`${w}: mode must be 'min' or 'max', got ${JSON.stringify(mode)}`);
    this.patience = patience;
    this.minDelta = minDelta;
    this.monitor = monitor;
    this.mode = mode;
  }

  /** Records one value; `improved` when it beats the best, `stop` when patience ran out. */
  update(value: number, step: number): { improved: boolean; stop: boolean } {
    const b = this.best;
    const improved =
      Number.isFinite(value) &&
      (b === null || (this.mode === 'min' ? value < b - this.minDelta : value > b + this.minDelta));
    if (improved) {
      this.best = value;
      this.bestStep = step;
      this.wait = 0;
    } else {
      this.wait++;
    }
    return { improved, stop: this.wait >= this.patience };
  }

  stateDict(): EarlyStoppingState {
    return { best: this.best, bestStep: this.bestStep, wait: this.wait };
  }

  loadStateDict(s: EarlyStoppingState): void {
    const ok =
      typeof s === 'object' &&
      s !== null &&
      (s.best === null || typeof s.best === 'number') &&
      (s.bestStep === null || Number.isSafeInteger(s.bestStep)) &&
      Number.isSafeInteger(s.wait) &&
      s.wait >= 0;
    if (!ok)
      throw new CheckpointError(
        `EarlyStopping.loadStateDict: expected { best, bestStep, wait }, got ${JSON.stringify(s)}`,
      );
    this.best = s.best;
    this.bestStep = s.bestStep;
    this.wait = s.wait;
  }
}
