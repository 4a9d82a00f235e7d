/**
 * Many-to-many sequence tagging: one tag per input step (a word boundary after this character, a
 * part of speech, a named-entity tag), after the BiLSTM tagger of Graves and Schmidhuber (2005)
 * and Huang, Xu and Yu (2015) without the CRF layer:
 *
 *   ids [T, B] -> encoder: Embedding(V, E) -> rnn: LSTM | GRU (E, H, numLayers, bidirectional)
 *              -> drop: Dropout(p) -> head: Linear(D*H, numTags) -> logits [T, B, numTags]
 *
 * With bidirectional = true the tag of step t sees the whole sequence (the forward direction reads
 * steps 0..t, the reverse direction steps t..end); with false only steps 0..t. Padding: with
 * `lengths` the layer stops every sequence at its end (packed-sequence semantics) and `loss` skips
 * targets equal to `ignoreIndex` (-100), which is what SequenceDataset pads per-step labels with.
 *
 * Long inputs (a book) are tagged in overlapping windows by `tagProba`: every window scores
 * `window` steps and reads `context` more steps on each side (on the left only when the model is
 * unidirectional, since it cannot use the right), so no step is scored without context unless it
 * is within `context` steps of the start or end of the input.
 *
 * Parameter names: `encoder.weight`, `rnn.weight_ih_l0[_reverse]`, ..., `head.weight`, `head.bias`.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { Dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { crossEntropy } from '../ops/loss.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { booleanOption, dropRate, oneOf, positiveInt } from '../util/checks.js';
import { ConfigError, DataError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { RECURRENT_KINDS, type RecurrentKind } from './classifier-config.js';
import { checkLengths } from './sequence-pooling.js';

export interface TaggerConfig {
  vocabSize: number;
  numTags: number;
  cell: RecurrentKind;
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  /** Dropout on the recurrent output (and between stacked layers), in [0, 1). */
  dropout: number;
}

/** What the constructor takes: sizes plus optional cell ('lstm'), numLayers (1), bidirectional (true), dropout (0). */
export type TaggerInit = Pick<TaggerConfig, 'vocabSize' | 'numTags' | 'embedSize' | 'hiddenSize'> &
  Partial<TaggerConfig>;

export interface TaggerJSON extends TaggerConfig {
  type: 'sequence-tagger';
}

export interface TaggerOptions {
  /** Generator of the initial weights and dropout masks (default: a new Rng(0)). */
  rng?: Rng;
}

export interface TagLongOptions {
  /** Steps scored per window (default 256). */
  window?: number;
  /** Steps of context read on each side of a window (default 32; left side only when unidirectional). */
  context?: number;
  /** Windows run together (default 32). */
  batchSize?: number;
}

function checkConfig(c: unknown, where: string): TaggerConfig {
  if (typeof c !== 'object' || c === null) throw new ConfigError(`${where}: config must be an object`);
  const o = c as Record<string, unknown>;
  const known = [
    'type',
    'vocabSize',
    'numTags',
    'cell',
    'embedSize',
    'hiddenSize',
    'numLayers',
    'bidirectional',
    'dropout',
  ];
  for (const k of Object.keys(o)) {
    if (!known.includes(k))
      throw new ConfigError(`${where}: unknown option '${k}' (known: ${known.slice(1).join(', ')})`);
  }
  const int = (name: string, dflt?: number): number => positiveInt(where, name, o[name] ?? dflt);
  const numTags = int('numTags');
  if (numTags < 2) throw new ConfigError(`${where}: numTags must be at least 2, got ${numTags}`);
  const cell = oneOf(where, 'cell', o.cell ?? 'lstm', RECURRENT_KINDS);
  const bidirectional = booleanOption(where, 'bidirectional', o.bidirectional, true);
  const dropout = dropRate(where, 'dropout', o.dropout);
  return {
    vocabSize: int('vocabSize'),
    numTags,
    cell,
    embedSize: int('embedSize'),
    hiddenSize: int('hiddenSize'),
    numLayers: int('numLayers', 1),
    bidirectional,
    dropout,
  };
}

export class SequenceTagger extends Module {
  readonly config: Readonly<TaggerConfig>;
  readonly encoder: Embedding;
  readonly rnn: LSTM | GRU;
  readonly drop: Dropout;
  readonly head: Linear;
  readonly rng: Rng;

  constructor(config: TaggerInit, options: TaggerOptions = {}) {
    super();
    const c = checkConfig(config, 'SequenceTagger');
    const rng = options.rng ?? new Rng(0);
    if (!(rng instanceof Rng)) throw new ConfigError('SequenceTagger: options.rng must be an Rng');
    this.config = Object.freeze(c);
    this.rng = rng;
    this.encoder = this.registerModule('encoder', new Embedding(c.vocabSize, c.embedSize, { rng }));
    const layer = {
      inputSize: c.embedSize,
      hiddenSize: c.hiddenSize,
      numLayers: c.numLayers,
      bidirectional: c.bidirectional,
      dropout: c.numLayers > 1 ? c.dropout : 0,
      rng,
    };
    this.rnn = this.registerModule('rnn', c.cell === 'lstm' ? new LSTM(layer) : new GRU(layer));
    this.drop = this.registerModule('drop', new Dropout(c.dropout, { rng }));
    const D = c.bidirectional ? 2 : 1;
    this.head = this.registerModule('head', new Linear(D * c.hiddenSize, c.numTags, { rng }));
  }

  static fromJSON(json: unknown, options: TaggerOptions = {}): SequenceTagger {
    const j = json as Partial<TaggerJSON> | null;
    if (typeof j !== 'object' || j === null || j.type !== 'sequence-tagger') {
      throw new ConfigError(
        `SequenceTagger.fromJSON: expected an object with type 'sequence-tagger', got ${JSON.stringify((j as { type?: unknown } | null)?.type ?? j)}`,
      );
    }
    return new SequenceTagger(checkConfig(j, 'SequenceTagger.fromJSON'), options);
  }

  toJSON(): TaggerJSON {
    return { type: 'sequence-tagger', ...this.config };
  }

  /**
   * ids: time-major [T, B] (element (t, b) at t*B + b); lengths: valid steps per sequence (default
   * T). Returns the tag scores [T, B, numTags] (rows past a sequence's end are meaningless).
   */
  forward(ids: ArrayLike<number>, T: number, B: number, lengths?: ArrayLike<number>): Tensor {
    const where = 'SequenceTagger.forward';
    if (!Number.isInteger(T) || T < 1 || !Number.isInteger(B) || B < 1) {
      throw new ShapeError(`${where}: T and B must be positive integers, got T=${T}, B=${B}`);
    }
    if (ids.length !== T * B)
      throw new ShapeError(`${where}: ids must hold T*B = ${T * B} ids, got ${ids.length}`);
    const x = this.encoder.forward(ids as Int32Array, [T, B]);
    const opts = lengths === undefined ? {} : { lengths: checkLengths(where, lengths, T, B) };
    const { output } = this.rnn.forward(x, opts);
    return this.head.forward(this.drop.forward(output));
  }

  /** Mean cross-entropy over the steps whose tag is not `ignoreIndex` (default -100). */
  loss(
    logits: Tensor,
    tags: ArrayLike<number>,
    options: { ignoreIndex?: number; classWeights?: readonly number[] } = {},
  ): Tensor {
    return crossEntropy(logits, Int32Array.from(tags), {
      ignoreIndex: options.ignoreIndex ?? -100,
      ...(options.classWeights ? { weight: options.classWeights } : {}),
    });
  }

  /**
   * Tag probabilities of one long sequence, [n * numTags] row-major, computed in overlapping
   * windows (see the module comment), in eval mode without a tape.
   */
  tagProba(ids: ArrayLike<number>, options: TagLongOptions = {}): Float32Array {
    const where = 'SequenceTagger.tagProba';
    const W = options.window ?? 256;
    const ctx = options.context ?? 32;
    const bs = options.batchSize ?? 32;
    if (!Number.isInteger(W) || W < 1)
      throw new ConfigError(`${where}: window must be a positive integer, got ${W}`);
    if (!Number.isInteger(ctx) || ctx < 0)
      throw new ConfigError(`${where}: context must be an integer >= 0, got ${ctx}`);
    if (!Number.isInteger(bs) || bs < 1)
      throw new ConfigError(`${where}: batchSize must be a positive integer, got ${bs}`);
    const n = ids.length;
    if (n === 0) throw new DataError(`${where}: ids is empty`);
    const K = this.config.numTags;
    const right = this.config.bidirectional ? ctx : 0;
    const spans: { from: number; to: number; core: number; coreEnd: number }[] = [];
    for (let s = 0; s < n; s += W) {
      const e = Math.min(n, s + W);
      spans.push({ from: Math.max(0, s - ctx), to: Math.min(n, e + right), core: s, coreEnd: e });
    }
    const out = new Float32Array(n * K);
    const wasTraining = this.training;
    this.eval();
    try {
      noGrad(() => {
        for (let k = 0; k < spans.length; k += bs) {
          const group = spans.slice(k, k + bs);
          const B = group.length;
          const lens = group.map((g) => g.to - g.from);
          const T = Math.max(...lens);
          const x = new Int32Array(T * B);
          group.forEach((g, b) => {
            for (let t = 0; t < lens[b]; t++) x[t * B + b] = ids[g.from + t];
          });
          tidy(() => {
            const lg = this.forward(x, T, B, lens).data;
            group.forEach((g, b) => {
              for (let p = g.core; p < g.coreEnd; p++) {
                const row = ((p - g.from) * B + b) * K;
                let m = Number.NEGATIVE_INFINITY;
                for (let c = 0; c < K; c++) m = Math.max(m, lg[row + c]);
                let z = 0;
                for (let c = 0; c < K; c++) z += Math.exp(lg[row + c] - m);
                for (let c = 0; c < K; c++) out[p * K + c] = Math.exp(lg[row + c] - m) / z;
              }
            });
          });
        }
      });
    } finally {
      this.train(wasTraining);
    }
    return out;
  }

  /** The most probable tag of every step of one long sequence (see `tagProba`). */
  tag(ids: ArrayLike<number>, options: TagLongOptions = {}): Int32Array {
    const p = this.tagProba(ids, options);
    const K = this.config.numTags;
    const out = new Int32Array(ids.length);
    for (let i = 0; i < out.length; i++) {
      let best = 0;
      for (let c = 1; c < K; c++) if (p[i * K + c] > p[i * K + best]) best = c;
      out[i] = best;
    }
    return out;
  }

  summary(): string[] {
    return [
      this.toString(),
      ...[this.encoder, this.rnn, this.drop, this.head].map((m) => `  ${m.toString()}`),
    ];
  }

  protected describe(): string {
    const c = this.config;
    const parts = [
      c.cell,
      `vocab=${c.vocabSize}`,
      `embed=${c.embedSize}`,
      `hidden=${c.hiddenSize}`,
      `tags=${c.numTags}`,
      c.bidirectional ? 'bidirectional' : 'unidirectional',
    ];
    if (c.numLayers !== 1) parts.push(`layers=${c.numLayers}`);
    if (c.dropout > 0) parts.push(`dropout=${c.dropout}`);
    return `SequenceTagger(${parts.join(', ')})`;
  }
}
