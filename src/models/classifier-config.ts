/**
 * The configuration of a SequenceClassifier (classifier.ts): its options, their eager validation
 * (`checkConfig`, shared by the constructor and `fromJSON`), and scikit-learn's balanced class
 * weights for the `classWeights` option.
 */
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

function posInt(o: Record<string, unknown>, name: string, where: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ConfigError(`${where}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
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
  const vocabSize = posInt(o, 'vocabSize', where);
  const numClasses = posInt(o, 'numClasses', where);
  if (numClasses < 2) throw new ConfigError(`${where}: numClasses must be at least 2, got ${numClasses}`);
  const cell = o.cell ?? 'lstm';
  if (!RECURRENT_KINDS.includes(cell as RecurrentKind)) {
    throw new ConfigError(
      `${where}: cell must be one of ${RECURRENT_KINDS.join(', ')}, got ${JSON.stringify(cell)}`,
    );
  }
  const pooling = o.pooling ?? 'mean';
  if (!POOLING_KINDS.includes(pooling as PoolingKind)) {
    throw new ConfigError(
      `${where}: pooling must be one of ${POOLING_KINDS.join(', ')}, got ${JSON.stringify(pooling)}`,
    );
  }
  const bidirectional = o.bidirectional ?? true;
  if (typeof bidirectional !== 'boolean') {
    throw new ConfigError(`${where}: bidirectional must be a boolean, got ${JSON.stringify(bidirectional)}`);
  }
  const dropout = o.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new ConfigError(`${where}: dropout must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
  }
  const embedDropout = o.embedDropout ?? 0;
  if (typeof embedDropout !== 'number' || !(embedDropout >= 0 && embedDropout < 1)) {
    throw new ConfigError(
      `${where}: embedDropout must be a number in [0, 1), got ${JSON.stringify(embedDropout)}`,
    );
  }
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
    cell: cell as RecurrentKind,
    embedSize: posInt(o, 'embedSize', where),
    hiddenSize: posInt(o, 'hiddenSize', where),
    numLayers: o.numLayers === undefined ? 1 : posInt(o, 'numLayers', where),
    bidirectional,
    pooling: pooling as PoolingKind,
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
