/**
 * Many-to-one sequence classification: one class per sequence (spam or ham, the gender of a
 * name), after the usual PyTorch text classifier:
 *
 *   ids [T, B] -> encoder: Embedding(V, E) -> embedDrop: Dropout(pe)
 *              -> rnn: LSTM | GRU (E, H, numLayers, bidirectional)
 *              -> pool over the valid steps of each sequence -> drop: Dropout(p)
 *              -> head: Linear(D*H, C) -> logits [B, C]
 *
 * with D = 2 when bidirectional. Pooling (the rnn output at step t is o_t, L = the sequence's length):
 * - 'mean': (1/L) Σ_{t<L} o_t;
 * - 'max':  max_{t<L} o_t per feature (the gradient goes to the step that attained the max);
 * - 'last': the final hidden state of the last layer, [h_fwd(L-1), h_rev(0)] when bidirectional
 *   (PyTorch's h_n of a packed sequence).
 * Padding never leaks in: the layer runs with `lengths` (PyTorch's packed-sequence semantics), so
 * outputs past a sequence's end are zero and get no gradient, and the pools only read t < L.
 *
 * `classWeights` (saved with the config) weight the cross-entropy per class, as
 * `nn.CrossEntropyLoss(weight=...)`; `balancedClassWeights` gives scikit-learn's 'balanced' ones.
 * Parameter names: `encoder.weight`, `rnn.weight_ih_l0[_reverse]`, ..., `head.weight`, `head.bias`.
 * The config and its validation are in classifier-config.ts, the lengths check and max pooling in
 * sequence-pooling.ts.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { Dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { div } from '../ops/elementwise.js';
import { concat, select } from '../ops/join.js';
import { crossEntropy } from '../ops/loss.js';
import { sum } from '../ops/reduce.js';
import { tidy } from '../tensor/scope.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { ConfigError, DataError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import {
  type ClassifierConfig,
  type ClassifierInit,
  type ClassifierJSON,
  checkConfig,
} from './classifier-config.js';
import { checkLengths, maxOverSteps } from './sequence-pooling.js';

export interface ClassifierOptions {
  /** Generator of the initial weights and dropout masks (default: a new Rng(0)). */
  rng?: Rng;
  /**
   * Sparse embedding gradients (`Embedding(..., { sparse: true })`, PyTorch's `sparse=True`): the
   * gradient names the rows a batch used, for SparseAdam. A training choice, not saved with the
   * config. Default false.
   */
  sparseEmbedding?: boolean;
}

export class SequenceClassifier extends Module {
  readonly config: Readonly<ClassifierConfig>;
  readonly encoder: Embedding;
  readonly embedDrop: Dropout;
  readonly rnn: LSTM | GRU;
  readonly drop: Dropout;
  readonly head: Linear;
  readonly rng: Rng;

  constructor(config: ClassifierInit, options: ClassifierOptions = {}) {
    super();
    const c = checkConfig(config, 'SequenceClassifier');
    const rng = options.rng ?? new Rng(0);
    if (!(rng instanceof Rng)) throw new ConfigError('SequenceClassifier: options.rng must be an Rng');
    this.config = Object.freeze(c);
    this.rng = rng;
    this.encoder = this.registerModule(
      'encoder',
      new Embedding(c.vocabSize, c.embedSize, {
        rng,
        paddingIdx: c.paddingIdx ?? undefined,
        sparse: options.sparseEmbedding === true,
      }),
    );
    this.embedDrop = this.registerModule('embedDrop', new Dropout(c.embedDropout, { rng }));
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
    this.head = this.registerModule('head', new Linear(this.featureSize, c.numClasses, { rng }));
  }

  /** Size of the pooled features the head reads: D * hiddenSize. */
  get featureSize(): number {
    return (this.config.bidirectional ? 2 : 1) * this.config.hiddenSize;
  }

  static fromJSON(json: unknown, options: ClassifierOptions = {}): SequenceClassifier {
    const j = json as Partial<ClassifierJSON> | null;
    if (typeof j !== 'object' || j === null || j.type !== 'sequence-classifier') {
      throw new ConfigError(
        `SequenceClassifier.fromJSON: expected an object with type 'sequence-classifier', got ${JSON.stringify((j as { type?: unknown } | null)?.type ?? j)}`,
      );
    }
    return new SequenceClassifier(checkConfig(j, 'SequenceClassifier.fromJSON'), options);
  }

  toJSON(): ClassifierJSON {
    return {
      type: 'sequence-classifier',
      ...this.config,
      classWeights: this.config.classWeights?.slice() ?? null,
    };
  }

  /**
   * ids: time-major [T, B] (element (t, b) at t*B + b; anything past a sequence's length is
   * ignored, any id will do there). lengths: the valid steps of each sequence (default T for all).
   * Returns the class scores (logits) [B, numClasses].
   */
  forward(ids: ArrayLike<number> | Int32Array, T: number, B: number, lengths?: ArrayLike<number>): Tensor {
    const where = 'SequenceClassifier.forward';
    if (!Number.isInteger(T) || T < 1 || !Number.isInteger(B) || B < 1) {
      throw new ShapeError(`${where}: T and B must be positive integers, got T=${T}, B=${B}`);
    }
    if (ids.length !== T * B)
      throw new ShapeError(`${where}: ids must hold T*B = ${T * B} ids, got ${ids.length}`);
    const lens = checkLengths(where, lengths, T, B);
    const x = this.embedDrop.forward(this.encoder.forward(ids as Int32Array, [T, B]));
    const { output, h } = this.rnn.forward(x, { lengths: lens });
    const D = this.config.bidirectional ? 2 : 1;
    let pooled: Tensor;
    if (this.config.pooling === 'last') {
      const top = (this.config.numLayers - 1) * D;
      const parts = [select(h, 0, top)];
      if (D === 2) parts.push(select(h, 0, top + 1));
      pooled = parts.length === 1 ? parts[0] : concat(parts, -1);
    } else if (this.config.pooling === 'max') {
      pooled = maxOverSteps(output, lens);
    } else {
      const n = allocOut(B, output.dtype);
      for (let b = 0; b < B; b++) n[b] = lens[b];
      pooled = div(sum(output, { axis: 0 }), new Tensor(n, [B, 1]));
    }
    return this.head.forward(this.drop.forward(pooled));
  }

  /** Cross-entropy of `logits` [B, C] against `labels` [B], with the configured class weights. */
  loss(logits: Tensor, labels: ArrayLike<number>, options: { labelSmoothing?: number } = {}): Tensor {
    const w = this.config.classWeights;
    return crossEntropy(logits, Int32Array.from(labels), {
      ...(w ? { weight: w } : {}),
      ...(options.labelSmoothing ? { labelSmoothing: options.labelSmoothing } : {}),
    });
  }

  /**
   * Class probabilities of many sequences (each 1+ ids), [n * numClasses] row-major, in eval mode
   * without a tape. Sequences are run in batches of similar length (`batchSize`, default 64); a
   * sequence longer than `maxLength` (if given) is cut to its first `maxLength` ids.
   */
  predictProba(
    seqs: readonly ArrayLike<number>[],
    options: { batchSize?: number; maxLength?: number } = {},
  ): Float64Array {
    const where = 'SequenceClassifier.predictProba';
    const bs = options.batchSize ?? 64;
    if (!Number.isInteger(bs) || bs < 1)
      throw new ConfigError(`${where}: batchSize must be a positive integer, got ${bs}`);
    const C = this.config.numClasses;
    const n = seqs.length;
    const lens = seqs.map((s, i) => {
      const l = Math.min(s.length, options.maxLength ?? Number.POSITIVE_INFINITY);
      if (l < 1)
        throw new DataError(`${where}: sequence ${i} is empty; every sequence needs at least one id`);
      return l;
    });
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => lens[a] - lens[b]);
    const out = new Float64Array(n * C);
    const wasTraining = this.training;
    this.eval();
    try {
      noGrad(() => {
        for (let s = 0; s < n; s += bs) {
          const idx = order.slice(s, s + bs);
          const B = idx.length;
          const T = Math.max(...idx.map((i) => lens[i]));
          const ids = new Int32Array(T * B).fill(this.config.paddingIdx ?? 0);
          idx.forEach((i, b) => {
            const seq = seqs[i];
            for (let t = 0; t < lens[i]; t++) ids[t * B + b] = seq[t];
          });
          tidy(() => {
            const logits = this.forward(
              ids,
              T,
              B,
              idx.map((i) => lens[i]),
            ).data;
            idx.forEach((i, b) => {
              let m = Number.NEGATIVE_INFINITY;
              for (let c = 0; c < C; c++) m = Math.max(m, logits[b * C + c]);
              let z = 0;
              for (let c = 0; c < C; c++) z += Math.exp(logits[b * C + c] - m);
              for (let c = 0; c < C; c++) out[i * C + c] = Math.exp(logits[b * C + c] - m) / z;
            });
          });
        }
      });
    } finally {
      this.train(wasTraining);
    }
    return out;
  }

  summary(): string[] {
    return [
      this.toString(),
      ...[this.encoder, this.embedDrop, this.rnn, this.drop, this.head].map((m) => `  ${m.toString()}`),
    ];
  }

  protected describe(): string {
    const c = this.config;
    const parts = [
      c.cell,
      `vocab=${c.vocabSize}`,
      `embed=${c.embedSize}`,
      `hidden=${c.hiddenSize}`,
      `classes=${c.numClasses}`,
      c.bidirectional ? 'bidirectional' : 'unidirectional',
      `pooling=${c.pooling}`,
    ];
    if (c.numLayers !== 1) parts.push(`layers=${c.numLayers}`);
    if (c.dropout > 0) parts.push(`dropout=${c.dropout}`);
    if (c.embedDropout > 0) parts.push(`embedDropout=${c.embedDropout}`);
    if (c.classWeights) parts.push(`classWeights=[${c.classWeights.map((w) => +w.toFixed(4)).join(', ')}]`);
    return `SequenceClassifier(${parts.join(', ')})`;
  }
}
