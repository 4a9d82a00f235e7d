import { embedding, type IndexInput } from '../ops/embedding.js';
import { randn } from '../tensor/random.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { checkDTypeOption, checkPositiveInt } from './linear.js';
import { Module } from './module.js';

export interface EmbeddingModuleOptions {
  /** This id's row starts at zero and never gets a gradient (negative counts from the end). */
  paddingIdx?: number;
  /** The generator for the initial values (default: `defaultRng`). */
  rng?: Rng;
  /** Parameter dtype (default 'float32'). */
  dtype?: DType;
  /**
   * Gradients name the rows they touch, so SparseAdam and SGD update only those rows (PyTorch's
   * `sparse=True`). Default false.
   */
  sparse?: boolean;
}

/**
 * A lookup table, as `torch.nn.Embedding`: ids [...] -> vectors [..., embeddingDim].
 * Parameter `weight` [numEmbeddings, embeddingDim], initialized from N(0, 1) with the padding row
 * zeroed. The gradient only touches the rows of ids that occur (see ops/embedding.ts).
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** Normalized to [0, numEmbeddings), or null. */
  readonly paddingIdx: number | null;
  readonly weight: Tensor;
  readonly sparse: boolean;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingModuleOptions = {}) {
    super();
    this.numEmbeddings = checkPositiveInt(numEmbeddings, 'Embedding', 'numEmbeddings');
    this.embeddingDim = checkPositiveInt(embeddingDim, 'Embedding', 'embeddingDim');
    const dtype = checkDTypeOption(options.dtype, 'Embedding');
    const p = options.paddingIdx;
    if (p !== undefined && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings)) {
      throw new ConfigError(
        `Embedding: paddingIdx must be an integer in [${-numEmbeddings}, ${numEmbeddings - 1}] (numEmbeddings ${numEmbeddings}), got ${p}`,
      );
    }
    this.paddingIdx = p === undefined ? null : p < 0 ? p + numEmbeddings : p;
    const w = randn([numEmbeddings, embeddingDim], { dtype, rng: options.rng });
    if (this.paddingIdx !== null)
      w.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    this.weight = this.registerParameter('weight', w) as Tensor;
    if (options.sparse !== undefined && typeof options.sparse !== 'boolean')
      throw new ConfigError(`Embedding: sparse must be true or false, got ${JSON.stringify(options.sparse)}`);
    this.sparse = options.sparse ?? false;
  }

  /** ids with shape `shape` (default: a Tensor's own shape, else [ids.length]) -> [...shape, embeddingDim]. */
  forward(ids: IndexInput, shape?: readonly number[]): Tensor {
    return embedding(this.weight, ids, {
      shape,
      paddingIdx: this.paddingIdx ?? undefined,
      sparse: this.sparse,
    });
  }

  protected describe(): string {
    const pad = this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : '';
    const sparse = this.sparse ? ', sparse=true' : '';
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim}${pad}${sparse})`;
  }
}
