import { record1 } from '../autograd/record.js';
import { allocData, allocOut, Tensor } from '../tensor/tensor.js';
import { DataError, DTypeError, fmtShape, ShapeError } from '../util/errors.js';
import { checkShape, numel } from '../util/shape.js';
import { checkRank, checkTensor } from './_util.js';

/**
 * Integer indices (token ids, class targets, rows to pick). A Tensor brings its own shape and must
 * hold whole numbers; the typed arrays are the id arrays the data layer produces.
 */
export type IndexInput = Tensor | Int32Array | Uint16Array | Uint8Array | readonly number[];

/** `[1, 2]`: the multi-index of flat position `flat` in `shape`. */
export function fmtPosition(flat: number, shape: readonly number[]): string {
  const idx = new Array<number>(shape.length);
  let r = flat;
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = shape[a] > 0 ? r % shape[a] : 0;
    r = shape[a] > 0 ? Math.floor(r / shape[a]) : 0;
  }
  return `[${idx.join(', ')}]`;
}

/**
 * Reads indices into a new Int32Array (always a copy: a backward that runs later must not see a
 * batch buffer the caller has since refilled) and returns the tensor's shape when `values` is a Tensor. Non-integers throw a DataError naming the position;
 * the range is for the caller to check (its meaning differs: vocabulary, classes, ignoreIndex).
 */
export function toIndices(
  values: IndexInput,
  op: string,
  arg: string,
): { ids: Int32Array; shape: number[] | null } {
  if (values instanceof Int32Array) return { ids: values.slice(), shape: null };
  if (values instanceof Uint8Array || values instanceof Uint16Array)
    return { ids: Int32Array.from(values), shape: null };
  const isTensor = values instanceof Tensor;
  if (!isTensor && !Array.isArray(values)) {
    throw new DTypeError(
      `${op}: ${arg} must be an Int32Array, a number[] or a Tensor of integer indices, got ${values === null ? 'null' : typeof values}`,
    );
  }
  const src: ArrayLike<number> = isTensor ? values.data : values;
  const ids = new Int32Array(src.length);
  for (let p = 0; p < src.length; p++) {
    const v = src[p];
    if (!Number.isInteger(v) || Math.abs(v) > 0x7fffffff) {
      const where = isTensor && values.rank > 1 ? ` (position ${fmtPosition(p, values.shape)})` : '';
      throw new DataError(`${op}: ${arg}[${p}]${where} must be an integer index, got ${v}`);
    }
    ids[p] = v;
  }
  return { ids, shape: isTensor ? values.shape.slice() : null };
}

/** The distinct ids other than `pad`, sorted. */
function touchedRows(ids: Int32Array, V: number, pad: number): Int32Array {
  const seen = new Uint8Array(V);
  let count = 0;
  for (let p = 0; p < ids.length; p++) {
    const id = ids[p];
    if (id !== pad && seen[id] === 0) {
      seen[id] = 1;
      count++;
    }
  }
  const rows = new Int32Array(count);
  let k = 0;
  for (let r = 0; r < V && k < count; r++) if (seen[r]) rows[k++] = r;
  return rows;
}

export interface EmbeddingOptions {
  /**
   * Shape of the ids (default: a Tensor's own shape, else `[ids.length]`); the output is
   * `[...shape, E]`, e.g. ids of shape [T, B] give [T, B, E].
   */
  shape?: readonly number[];
  /** Rows with this id get no gradient (PyTorch's padding_idx; negative counts from the end). */
  paddingIdx?: number;
  /**
   * Mark the gradient with the rows it touches (`Tensor.sparseRows`), so that optimizers update
   * only those rows (PyTorch's `sparse=True`, used with SparseAdam). Default false.
   */
  sparse?: boolean;
}

/**
 * Looks up rows of `weight` [V, E]: out[p] = weight[ids[p]], shape `[...shape, E]`.
 *
 * The backward scatters the output gradient into the rows of the ids that occur and touches no
 * other row; the gradient is returned as a dense [V, E] tensor (zeros elsewhere). Ids must be
 * integers in [0, V); a bad one is named with its position.
 */
export function embedding(weightIn: Tensor, idsIn: IndexInput, options: EmbeddingOptions = {}): Tensor {
  const weight = checkTensor(weightIn, 'embedding', 'weight');
  checkRank(weight, 2, 'embedding', 'weight', ' ([numEmbeddings, embeddingDim])');
  const [V, E] = weight.shape;
  const { ids, shape: own } = toIndices(idsIn, 'embedding', 'ids');
  let shape = own ?? [ids.length];
  if (options.shape !== undefined) {
    checkShape(options.shape, 'embedding: options.shape');
    if (numel(options.shape) !== ids.length) {
      throw new ShapeError(
        `embedding: options.shape ${fmtShape(options.shape)} has ${numel(options.shape)} positions but ids has ${ids.length}`,
      );
    }
    shape = options.shape.slice();
  }
  let pad = -1;
  if (options.paddingIdx !== undefined) {
    const p = options.paddingIdx;
    if (!Number.isInteger(p) || p < -V || p >= V) {
      throw new ShapeError(
        `embedding: paddingIdx must be an integer in [${-V}, ${V - 1}] (weight ${fmtShape(weight.shape)}), got ${p}`,
      );
    }
    pad = p < 0 ? p + V : p;
  }
  const n = ids.length;
  for (let p = 0; p < n; p++) {
    const id = ids[p];
    if (id < 0 || id >= V) {
      const where =
        shape.length > 1 ? ` (position ${fmtPosition(p, shape)} of ids shape ${fmtShape(shape)})` : '';
      throw new DataError(
        `embedding: ids[${p}]${where} is ${id}, outside the vocabulary [0, ${V}) of weight ${fmtShape(weight.shape)}`,
      );
    }
  }
  const wd = weight.data;
  const out = allocOut(n * E, weight.dtype);
  for (let p = 0; p < n; p++) out.set(wd.subarray(ids[p] * E, ids[p] * E + E), p * E);
  const y = new Tensor(out, [...shape, E]);
  return record1('embedding', [weight], y, (g) => {
    const gd = g.data;
    // A sparse gradient is read by its rows only (sparse-rows.ts): a fresh zeroed array (the
    // system gives large ones as untouched zero pages) instead of zeroing V·E values of the arena.
    const dw = options.sparse ? allocData(V * E, weight.dtype) : allocOut(V * E, weight.dtype);
    for (let p = 0; p < n; p++) {
      const id = ids[p];
      if (id === pad) continue;
      const row = id * E;
      const src = p * E;
      for (let e = 0; e < E; e++) dw[row + e] += gd[src + e];
    }
    const grad = new Tensor(dw, weight.shape);
    if (options.sparse) grad.sparseRows = touchedRows(ids, V, pad);
    return [grad];
  });
}
