/**
 * The configuration of a SequenceClassifier (classifier.ts): its options, their eager validation
 * (`checkConfig`, shared by the constructor and `fromJSON`), and scikit-learn's balanced class
 * weights for the `classWeights` option.
 */
import { booleanOption, dropRate, oneOf, positiveInt } from '../util/checks.js';
import { ConfigError, DataError } from '../util/errors.js';

export type RecurrentKind = 'lstm' | 'gru';
export type PoolingKind = 'mean' | 'max' | 'last';
export const RECURRENT_KINDS: readonly RecurrentKind[] = ['lstm', 'gru'];
export const POOLING_KINDS: readonly PoolingKind[] = ['mean', 'max', 'last'];

/** Everything needed to rebuild a SequenceClassifier (saved with its checkpoint). */
export interface ClassifierConfig {
  vocabSize: number;
  numClasses: number;
  cell: RecurrentKind;
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  pooling: PoolingKind;
  /** Dropout on the pooled features (and between stacked layers), in [0, 1). */
  dropout: number;
  /** Dropout on the word vectors the recurrent layer reads, in [0, 1) (regularizes the embedding). */
  embedDropout: number;
  /** An id whose embedding stays zero (the vocabulary's padding id), or null. */
  paddingIdx: number | null;
  /** Cross-entropy weight per class ([numClasses], all > 0), or null for equal weights. */
  classWeights: number[] | null;
}

/**
 * What the constructor takes: the sizes, and any other option (defaults: cell 'lstm', numLayers 1,
 * bidirectional true, pooling 'mean', dropout 0, embedDropout 0, paddingIdx null, classWeights null).
 */
export type ClassifierInit = Pick<ClassifierConfig, 'vocabSize' | 'numClasses' | 'embedSize' | 'hiddenSize'> &
  Partial<ClassifierConfig>;

export interface ClassifierJSON extends ClassifierConfig {
  type: 'sequence-classifier';
}

export function checkConfig(c: unknown, where: string): ClassifierConfig {
  if (typeof c !== 'object' || c === null) throw new ConfigError(`${where}: config must be an object`);
  const o = c as Record<string, unknown>;
  const known = [
    'type',
    'vocabSize',
    'numClasses',
    'cell',
    'embedSize',
    'hiddenSize',
    'numLayers',
    'bidirectional',
    'pooling',
    'dropout',
    'embedDropout',
    'paddingIdx',
    'classWeights',
  ];
  for (const k of Object.keys(o)) {
    if (!known.includes(k))
      throw new ConfigError(`${where}: unknown option '${k}' (known: ${known.slice(1).join(', ')})`);
  }
  const vocabSize = positiveInt(where, 'vocabSize', o.vocabSize);
  const numClasses = positiveInt(where, 'numClasses', o.numClasses);
  if (numClasses < 2) throw new ConfigError(`${where}: numClasses must be at least 2, got ${numClasses}`);
  const cell = oneOf(where, 'cell', o.cell ?? 'lstm', RECURRENT_KINDS);
  const pooling = oneOf(where, 'pooling', o.pooling ?? 'mean', POOLING_KINDS);
  const bidirectional = booleanOption(where, 'bidirectional', o.bidirectional, true);
  const dropout = dropRate(where, 'dropout', o.dropout);
  const embedDropout = dropRate(where, 'embedDropout', o.embedDropout);
  const pad = o.paddingIdx ?? null;
  if (pad !== null && (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0 || pad >= vocabSize)) {
    throw new ConfigError(
      `${where}: paddingIdx must be an id in [0, ${vocabSize}) or null, got ${JSON.stringify(pad)}`,
    );
  }
  const w = o.classWeights ?? null;
  if (w !== null) {
    if (
      !Array.isArray(w) ||
      w.length !== numClasses ||
      !w.every((v) => typeof v === 'number' && v > 0 && Number.isFinite(v))
    ) {
      throw new ConfigError(
        `${where}: classWeights must be ${numClasses} finite numbers > 0 (one per class) or null, got ${JSON.stringify(w)}`,
      );
    }
  }
  return {
    vocabSize,
    numClasses,
    cell,
    embedSize: positiveInt(where, 'embedSize', o.embedSize),
    hiddenSize: positiveInt(where, 'hiddenSize', o.hiddenSize),
    numLayers: o.numLayers === undefined ? 1 : positiveInt(where, 'numLayers', o.numLayers),
    bidirectional,
    pooling,
    dropout,
    embedDropout,
    paddingIdx: pad as number | null,
    classWeights: w === null ? null : (w as number[]).slice(),
  };
}

/**
 * scikit-learn's 'balanced' class weights, w_c = N / (C · n_c): every class then carries the same
 * total weight. A class absent from `labels` gets weight 1.
 */
export function balancedClassWeights(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new DataError(
        `balancedClassWeights: labels[${i}] is ${y}, expected a class in [0, ${numClasses})`,
      );
    }
    counts[y]++;
  }
  return counts.map((n) => (n > 0 ? labels.length / (numClasses * n) : 1));
}
