/**
 * The steps the task examples (`recur example spam | names-gender | space-restore`) run alike:
 * flags and run folder at the start, the seeded train/validation/test split and the recurrent
 * classifier's flags and training (spam and names-gender), the stopwatch of the phases,
 * results.json and the last lines at the end. example-tasks.ts holds the pieces below them (run
 * folder, training loop).
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { batches } from '../data/batches.js';
import type { SequenceDataset } from '../data/sequence-dataset.js';
import { splitFraction } from '../data/split.js';
import { argmaxRows, classificationReport } from '../models/classification-metrics.js';
import { SequenceClassifier } from '../models/classifier.js';
import {
  balancedClassWeights,
  POOLING_KINDS,
  type PoolingKind,
  type RecurrentKind,
} from '../models/classifier-config.js';
import type { Module } from '../nn/module.js';
import type { FitOptimizer } from '../train/fit-options.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, type FlagValue, parseFlags } from './args.js';
import {
  meanNll,
  prepareRunDir,
  type TrainResult,
  timestamp,
  trainWithValidation,
  writeResults,
} from './example-tasks.js';
import { boolFlag, choiceFlag } from './flag-specs.js';
import { Progress } from './progress.js';

/** Wall-clock seconds since construction, per named phase, and the machine's load around them. */
export class Stopwatch {
  private readonly t0 = performance.now();
  private last = this.t0;
  readonly phases: Record<string, number> = {};
  /** The 1-minute load average when the run started. */
  readonly loadAtStart = +loadavg()[0].toFixed(2);

  /** The load averages (1, 5, 15 minutes) now, with the one at the start: the machine is shared. */
  machine(): { cpus: number; loadAverageAtStart: number; loadAverageAtEnd: number[] } {
    return {
      cpus: availableParallelism(),
      loadAverageAtStart: this.loadAtStart,
      loadAverageAtEnd: loadavg().map((v) => +v.toFixed(2)),
    };
  }

  /** Ends the current phase under `name`; returns its seconds. */
  lap(name: string): number {
    const t = performance.now();
    const s = (t - this.last) / 1000;
    this.phases[name] = +(s + (this.phases[name] ?? 0)).toFixed(2);
    this.last = t;
    return s;
  }

  get total(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /**
   * The report's line of the phases' seconds (`train` written out as training), the total and the
   * load: the machine is shared, so a slow run may be a busy machine.
   */
  timeLine(): string {
    const phases = Object.entries(this.phases).map(([k, s]) => `${k === 'train' ? 'training' : k} ${s}s`);
    return `time: ${phases.join(', ')}, total ${this.total.toFixed(1)}s (shared machine: load average ${this.loadAtStart} at the start, ${this.machine().loadAverageAtEnd.join(' / ')} over 1 / 5 / 15 minutes at the end)`;
  }
}

/** One run of a task example: its parsed flags, run folder, progress output and stopwatch. */
export interface ExampleRun {
  /** The example's name, as in `recur example NAME` (also the task tag of its results). */
  task: string;
  argv: string[];
  v: Record<string, FlagValue | undefined>;
  outDir: string;
  progress: Progress;
  watch: Stopwatch;
}

/**
 * Parses the flags and prepares the run folder (--out, or runs/TASK-DATE-TIME). With --help it
 * prints `help` and returns null: the example has nothing to run then.
 */
export function startExample(
  task: string,
  argv: string[],
  flags: FlagSpec[],
  help: string,
): ExampleRun | null {
  const cmd = `example ${task}`;
  const { values: v } = parseFlags(cmd, argv, flags);
  if (v.help) {
    console.log(help);
    return null;
  }
  const outDir = (v.out as string | undefined) ?? join('runs', `${task}-${timestamp()}`);
  prepareRunDir(cmd, outDir, v.overwrite === true);
  return { task, argv, v, outDir, progress: new Progress(process.stdout), watch: new Stopwatch() };
}

/**
 * Writes results.json (the task, the command line, `results`, then the time of every phase and
 * the machine's load) and report.txt (`text`), and prints the report with where the run went and
 * how to try its model (`tryInput`: what to write after `recur classify RUN`).
 */
export function finishExample(
  run: ExampleRun,
  results: Record<string, unknown>,
  text: string,
  tryInput: string,
): void {
  writeResults(
    run.outDir,
    {
      task: run.task,
      command: `recur example ${run.task} ${run.argv.join(' ')}`.trim(),
      ...results,
      seconds: { ...run.watch.phases, total: +run.watch.total.toFixed(1) },
      machine: run.watch.machine(),
    },
    text,
  );
  run.progress.line(
    `\n${text}\n\nsaved to ${run.outDir} (model/, results.json, report.txt); try: recur classify ${run.outDir} ${tryInput}`,
  );
}

/**
 * A seeded random 20% of n items tests; of the rest, a random 10% (seed + 1) validates and the rest
 * trains. Indices into the n items.
 */
export function splitTrainValTest(
  n: number,
  seed: number,
): { train: number[]; valid: number[]; test: number[] } {
  const { train: trainAll, valid: test } = splitFraction(n, 0.8, new Rng(seed));
  const { train, valid } = splitFraction(trainAll.length, 0.9, new Rng(seed + 1));
  return {
    train: Array.from(train, (i) => trainAll[i]),
    valid: Array.from(valid, (i) => trainAll[i]),
    test: Array.from(test),
  };
}

/** How many of the items `idx` have label 0 and label 1. */
export function countClasses(labels: ArrayLike<number>, idx: number[]): number[] {
  return [0, 1].map((c) => idx.filter((i) => labels[i] === c).length);
}

/** Balanced weights of the two classes of the training items, or null with --no-class-weights. */
export function classWeightsOf(
  run: ExampleRun,
  labels: ArrayLike<number>,
  trainIdx: number[],
): number[] | null {
  return run.v.noClassWeights
    ? null
    : balancedClassWeights(
        trainIdx.map((i) => labels[i]),
        2,
      );
}

// Flags of the classifier that classifierFromFlags builds, besides the shared ones of flag-specs.ts.

/** How a classifier pools its steps into one vector. */
export const poolingFlag = (dflt: PoolingKind, help: string): FlagSpec =>
  choiceFlag('pooling', POOLING_KINDS, dflt, help, 'model');

/** A bidirectional model by default; `items`: what it reads (letters, words). */
export const unidirectionalFlag = (items: string): FlagSpec =>
  boolFlag('unidirectional', `read the ${items} forward only`, 'model');

export const noClassWeightsFlag = (): FlagSpec =>
  boolFlag(
    'no-class-weights',
    'weight both classes equally in the loss (default: balanced weights N / (2 n_c))',
    'model',
  );

/** The two-class recurrent classifier the flags of the example describe. */
export function classifierFromFlags(
  run: ExampleRun,
  vocabSize: number,
  classWeights: number[] | null,
  rng: Rng,
  paddingIdx?: number,
): SequenceClassifier {
  const v = run.v;
  const sparseEmbedding = v.sparseEmbedding === true;
  return new SequenceClassifier(
    {
      vocabSize,
      numClasses: 2,
      cell: v.cell as RecurrentKind,
      embedSize: v.embedSize as number,
      hiddenSize: v.hiddenSize as number,
      bidirectional: v.unidirectional !== true,
      pooling: v.pooling as PoolingKind,
      dropout: v.dropout as number,
      embedDropout: v.embedDropout as number,
      ...(paddingIdx !== undefined ? { paddingIdx } : {}),
      classWeights,
    },
    { rng, sparseEmbedding },
  );
}

/**
 * How a two-class model is validated and its best epoch picked: accuracy on the validation items,
 * ties broken by the lower mean cross-entropy. `proba` gives the model's probabilities of them.
 */
export function byValidationAccuracy<M>(proba: (model: M) => ArrayLike<number>, labels: ArrayLike<number>) {
  return {
    validate: (m: M) => {
      const p = proba(m);
      return {
        val_accuracy: classificationReport(labels, argmaxRows(p, 2), 2).accuracy,
        val_loss: meanNll(p, labels, 2),
      };
    },
    monitor: 'val_accuracy',
    tieBreak: 'val_loss',
    describe: (m: Record<string, number>) =>
      `validation accuracy ${(100 * m.val_accuracy).toFixed(2)}%, loss ${m.val_loss.toFixed(4)}`,
  };
}

export interface ClassifierTraining {
  model: SequenceClassifier;
  optimizer: FitOptimizer;
  /** The training sequences and labels. */
  data: SequenceDataset;
  rng: Rng;
  /** The validation sequences, their labels, and how many predictProba runs at once. */
  valSeqs: Int32Array[];
  valLabels: number[];
  valBatchSize?: number;
  /** Changes a batch's padded ids before the model reads them (word dropout). */
  inputs?: (ids: Int32Array) => Int32Array;
  emaDecay?: number;
}

/**
 * Trains the recurrent classifier by the example's flags (--epochs, --batch-size, --max-minutes,
 * --patience, --lr-decay) on batches of similar length, keeping the best validation epoch.
 */
export function trainClassifier(run: ExampleRun, o: ClassifierTraining): Promise<TrainResult> {
  const v = run.v;
  const bs = v.batchSize as number;
  const rng = o.rng;
  return trainWithValidation({
    label: v.cell as string,
    model: o.model,
    optimizer: o.optimizer,
    trainBatches: () => batches(o.data, { batchSize: bs, shuffle: true, rng, bucketByLength: true }),
    stepsPerEpoch: Math.ceil(o.data.length / bs),
    lossFn: (m, b) => {
      const B = b.labels.length;
      const ids = b.input.data as Int32Array;
      const logits = m.forward(o.inputs ? o.inputs(ids) : ids, b.input.maxLen, B, b.input.lengths);
      return { loss: m.loss(logits, b.labels), tokens: b.input.lengths.reduce((s, l) => s + l, 0) };
    },
    ...byValidationAccuracy(
      (m: SequenceClassifier) => m.predictProba(o.valSeqs, { batchSize: o.valBatchSize }),
      o.valLabels,
    ),
    epochs: v.epochs as number,
    maxMinutes: v.maxMinutes as number,
    patience: v.patience as number,
    gradClip: 5,
    lrDecay: v.lrDecay as number,
    emaDecay: o.emaDecay,
    rng,
    progress: run.progress,
  });
}

/** The line of the report that names a trained model and the epoch that was kept. */
export function trainedLine(label: string, model: Module, res: TrainResult): string {
  return `${label}: ${model.toString()}, best epoch ${res.bestEpoch} of ${res.history.length} (${res.reason})`;
}

/** What results.json says of a trained model before its test metrics. */
export function modelInfo(model: Module, res: TrainResult) {
  return { description: model.toString(), parameters: model.numParameters(), bestEpoch: res.bestEpoch };
}
