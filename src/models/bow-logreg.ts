/**
 * Bag-of-words logistic regression, the classic baseline of text classification (multinomial
 * logistic regression over the words of a document, as scikit-learn's LogisticRegression on a
 * binary CountVectorizer with L2-normalized rows):
 *
 *   x_d[v]  = 1/√n_d if word v occurs in document d (n_d distinct words), else 0
 *   logits  = x_d · W + b          W [vocabSize, numClasses], b [numClasses]
 *
 * The product is computed as a weighted sum of rows of W (`bagLinear`, PyTorch's EmbeddingBag
 * with per_sample_weights), so a document costs its number of distinct words, not the vocabulary
 * size. Weights start at zero (the convex problem has one optimum; zeros are the usual start).
 * Train it with any optimizer of the library on `loss` (the weight decay of AdamW or an L2 term
 * is the regularization). Parameter names: `weight` (note: [V, C], the transpose of nn.Linear's
 * weight), `bias`.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { record1 } from '../autograd/record.js';
import { Module } from '../nn/module.js';
import { crossEntropy } from '../ops/loss.js';
import { tidy } from '../tensor/scope.js';
import { allocOut, Tensor, zeros } from '../tensor/tensor.js';
import { ConfigError, DataError, fmtShape, ShapeError } from '../util/errors.js';

/** One document as the model reads it: distinct word ids and their feature values. */
export interface Bag {
  ids: Int32Array;
  values: Float32Array;
}

/**
 * The binary, L2-normalized bag of words of `ids`: each distinct id once, with value 1/√n (n the
 * number of distinct ids kept). Ids in `ignore` (padding, sentence marks) are left out. An empty
 * bag is allowed (the model then predicts from its bias alone).
 */
export function bagOfWords(ids: ArrayLike<number>, ignore: readonly number[] = []): Bag {
  const seen = new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0)
      throw new DataError(`bagOfWords: ids[${i}] is ${id}, expected an id >= 0`);
    if (!ignore.includes(id)) seen.add(id);
  }
  const sorted = Int32Array.from(seen).sort();
  const v = sorted.length > 0 ? 1 / Math.sqrt(sorted.length) : 0;
  return { ids: sorted, values: new Float32Array(sorted.length).fill(v) };
}

/**
 * logits[b, c] = Σ_k values_bk · weight[ids_bk, c] + bias[c] for bags b, as one tape node (an
 * EmbeddingBag in 'sum' mode with per-sample weights, followed by the bias): no padding to the
 * longest bag, which matters when one message has thousands of distinct words. Backward:
 * dweight[ids_bk, c] += values_bk · g[b, c] (dense [V, C], zero for absent ids), dbias = Σ_b g[b].
 */
export function bagLinear(weight: Tensor, bias: Tensor, bags: readonly Bag[]): Tensor {
  const where = 'bagLinear';
  if (!Array.isArray(bags) || bags.length === 0)
    throw new DataError(`${where}: bags must be a non-empty array`);
  if (weight.rank !== 2 || bias.rank !== 1 || bias.shape[0] !== weight.shape[1]) {
    throw new ShapeError(
      `${where}: weight must be [V, C] and bias [C], got ${fmtShape(weight.shape)} and ${fmtShape(bias.shape)}`,
    );
  }
  const [V, C] = weight.shape;
  const B = bags.length;
  bags.forEach((g, b) => {
    if (g.ids.length !== g.values.length)
      throw new DataError(`${where}: bags[${b}] has ${g.ids.length} ids but ${g.values.length} values`);
    for (let k = 0; k < g.ids.length; k++) {
      const id = g.ids[k];
      if (!Number.isInteger(id) || id < 0 || id >= V)
        throw new DataError(`${where}: bags[${b}].ids[${k}] is ${id}, outside the vocabulary [0, ${V})`);
    }
  });
  const w = weight.data;
  const out = allocOut(B * C, weight.dtype);
  for (let b = 0; b < B; b++) {
    const { ids, values } = bags[b];
    for (let c = 0; c < C; c++) out[b * C + c] = bias.data[c];
    for (let k = 0; k < ids.length; k++) {
      const row = ids[k] * C;
      const v = values[k];
      for (let c = 0; c < C; c++) out[b * C + c] += v * w[row + c];
    }
  }
  return record1('bagLinear', [weight, bias], new Tensor(out, [B, C]), (g) => {
    const gd = g.data;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (weight.requiresGrad) {
      const d = allocOut(V * C, weight.dtype);
      for (let b = 0; b < B; b++) {
        const { ids, values } = bags[b];
        for (let k = 0; k < ids.length; k++) {
          const row = ids[k] * C;
          for (let c = 0; c < C; c++) d[row + c] += values[k] * gd[b * C + c];
        }
      }
      dw = new Tensor(d, weight.shape);
    }
    if (bias.requiresGrad) {
      const d = allocOut(C, bias.dtype);
      for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) d[c] += gd[b * C + c];
      db = new Tensor(d, bias.shape);
    }
    return [dw, db];
  });
}

export interface BowLogRegConfig {
  vocabSize: number;
  numClasses: number;
}

export interface BowLogRegJSON extends BowLogRegConfig {
  type: 'bow-logreg';
}

function checkConfig(c: unknown, where: string): BowLogRegConfig {
  const o = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
  for (const k of ['vocabSize', 'numClasses']) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new ConfigError(`${where}: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
  if ((o.numClasses as number) < 2)
    throw new ConfigError(`${where}: numClasses must be at least 2, got ${o.numClasses}`);
  return { vocabSize: o.vocabSize as number, numClasses: o.numClasses as number };
}

export class BowLogReg extends Module {
  readonly config: Readonly<BowLogRegConfig>;
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(config: BowLogRegConfig) {
    super();
    const c = checkConfig(config, 'BowLogReg');
    this.config = Object.freeze(c);
    this.weight = this.registerParameter('weight', zeros([c.vocabSize, c.numClasses])) as Tensor;
    this.bias = this.registerParameter('bias', zeros([c.numClasses])) as Tensor;
  }

  static fromJSON(json: unknown): BowLogReg {
    const j = json as Partial<BowLogRegJSON> | null;
    if (typeof j !== 'object' || j === null || j.type !== 'bow-logreg') {
      throw new ConfigError(`BowLogReg.fromJSON: expected an object with type 'bow-logreg'`);
    }
    return new BowLogReg(checkConfig(j, 'BowLogReg.fromJSON'));
  }

  toJSON(): BowLogRegJSON {
    return { type: 'bow-logreg', ...this.config };
  }

  /** Class scores [B, numClasses] of a batch of bags. */
  forward(bags: readonly Bag[]): Tensor {
    return bagLinear(this.weight, this.bias, bags);
  }

  /** Mean cross-entropy of the bags against `labels`, optionally with per-class weights. */
  loss(bags: readonly Bag[], labels: ArrayLike<number>, classWeights?: readonly number[] | null): Tensor {
    return crossEntropy(
      this.forward(bags),
      Int32Array.from(labels),
      classWeights ? { weight: classWeights } : {},
    );
  }

  /** Class probabilities [n * numClasses] row-major, without a tape. */
  predictProba(bags: readonly Bag[], batchSize = 256): Float64Array {
    const C = this.config.numClasses;
    const out = new Float64Array(bags.length * C);
    noGrad(() => {
      for (let s = 0; s < bags.length; s += batchSize) {
        const part = bags.slice(s, s + batchSize);
        tidy(() => {
          const lg = this.forward(part).data;
          for (let b = 0; b < part.length; b++) {
            let m = Number.NEGATIVE_INFINITY;
            for (let c = 0; c < C; c++) m = Math.max(m, lg[b * C + c]);
            let z = 0;
            for (let c = 0; c < C; c++) z += Math.exp(lg[b * C + c] - m);
            for (let c = 0; c < C; c++) out[(s + b) * C + c] = Math.exp(lg[b * C + c] - m) / z;
          }
        });
      }
    });
    return out;
  }

  protected describe(): string {
    return `BowLogReg(vocab=${this.config.vocabSize}, classes=${this.config.numClasses})`;
  }
}
