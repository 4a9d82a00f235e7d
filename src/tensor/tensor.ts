import type { Arena, DType, FloatArray } from '../kernels/types.js';
import { ConfigError, DTypeError, fmtShape, ShapeError } from '../util/errors.js';
import { checkShape, numel } from '../util/shape.js';
import { scopedData, trackTensor } from './scope.js';

export type { DType, FloatArray };

/**
 * A node of the autograd graph: the operation that produced one or more tensors. `backward`
 * receives the gradient of every output (null where none reached it) and returns one gradient per
 * input (null where the input needs none). Defined here so Tensor can point to it; the graph
 * walk lives in autograd/.
 */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly numOutputs: number;
  backward(gradOutputs: (Tensor | null)[]): (Tensor | null)[];
}

/** Nested number arrays, as accepted by `tensor()` and returned by `toArray()`. */
export type NestedArray = number | NestedArray[];

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

let backwardHook: ((t: Tensor, grad?: Tensor) => void) | null = null;
/** Installed by autograd/ so that `t.backward()` works without an upward import. */
export function installBackward(fn: (t: Tensor, grad?: Tensor) => void): void {
  backwardHook = fn;
}

/**
 * A dense, contiguous, row-major array of float32 (default) or float64 values with a shape, plus
 * the autograd link: `requiresGrad`, `grad`, and `gradFn` (the node that produced it).
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  private _data: FloatArray;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  gradFn: GradNode | null = null;
  /** Which output of `gradFn` this tensor is. */
  outputIndex = 0;
  /** Bumped by in-place updates (optimizers), so caches keyed on a tensor (packed weights) refresh. */
  version = 0;
  /**
   * For a gradient from a sparse embedding (`embedding(..., { sparse: true })`): the rows (indices
   * along the first axis, sorted, unique) that may be nonzero; every other row is zero. Optimizers
   * may update only these rows (SparseAdam, SGD). Null for an ordinary, dense tensor.
   */
  sparseRows: Int32Array | null = null;
  /** The op that made a tensor disposed by tidy(), for the error message. */
  private disposedOp: string | null = null;

  constructor(data: FloatArray, shape: readonly number[], requiresGrad = false) {
    checkShape(shape, 'Tensor');
    const n = numel(shape);
    if (data.length !== n) {
      throw new ShapeError(`Tensor: data has ${data.length} values but shape ${fmtShape(shape)} needs ${n}`);
    }
    this._data = data;
    this.shape = Object.freeze(shape.slice());
    this.dtype = data instanceof Float64Array ? 'float64' : 'float32';
    this.requiresGrad = requiresGrad;
    trackTensor(this);
  }

  /**
   * The values, row-major. Mutating them in place bumps nothing: call `markChanged()` after.
   * Throws for a tensor disposed at the end of the `tidy()` scope that made it.
   */
  get data(): FloatArray {
    const d = this._data;
    if (d === DISPOSED) throw this.disposedError();
    return d;
  }

  set data(d: FloatArray) {
    this._data = d;
  }

  private disposedError(): Error {
    const made = this.disposedOp;
    return new ConfigError(
      `Tensor ${fmtShape(this.shape)} ${this.dtype}${made ? ` (made by ${made})` : ''} was disposed when the tidy() scope that made it ended; return it from the scope's function to keep it, or read what you need inside the scope`,
    );
  }

  /** True once the `tidy()` scope that made this tensor has ended without keeping it. */
  get isDisposed(): boolean {
    return this._data === DISPOSED;
  }

  /** @internal Called by tidy() for a tensor it frees. */
  _dispose(): void {
    this.disposedOp = this.gradFn?.op ?? null;
    this._data = DISPOSED;
    this.gradFn = null;
    this.grad = null;
  }

  /**
   * @internal Called by tidy() for a tensor in the result of its function (and by keep()): values
   * held in the scope's arena move to ordinary memory (arrays shared by several kept tensors stay
   * shared), and with `detach` a tensor computed in the scope loses its graph, freed with the scope.
   */
  _keepAfterScope(arena: Arena | null, copies: Map<FloatArray, FloatArray>, detach: boolean): void {
    const d = this._data;
    if (arena?.owns(d)) {
      let c = copies.get(d);
      if (!c) {
        c = d.slice();
        copies.set(d, c);
      }
      this._data = c;
    }
    if (detach && this.gradFn) {
      this.gradFn = null;
      this.requiresGrad = false;
    }
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** True for a tensor created by the user (not the output of a recorded operation). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) {
      throw new ShapeError(
        `Tensor.item: tensor must have exactly one element, got shape ${fmtShape(this.shape)}`,
      );
    }
    return this.data[0];
  }

  /** Values as nested arrays following the shape (a bare number for shape []). */
  toArray(): NestedArray {
    const d = this.data;
    const shape = this.shape;
    if (shape.length === 0) return d[0];
    let pos = 0;
    const build = (axis: number): NestedArray[] => {
      const out: NestedArray[] = new Array(shape[axis]);
      for (let i = 0; i < shape[axis]; i++) out[i] = axis === shape.length - 1 ? d[pos++] : build(axis + 1);
      return out;
    };
    return build(0);
  }

  /** A new tensor sharing no memory with this one, detached from the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, false);
  }

  /** The same values without a graph link (shares the data). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** Records that `data` was modified in place. */
  markChanged(): void {
    this.version++;
  }

  /** Reverse-mode differentiation from this tensor (see autograd/backward.ts). */
  backward(grad?: Tensor): void {
    if (!backwardHook)
      throw new ConfigError('Tensor.backward: autograd is not loaded (import from the package root)');
    backwardHook(this, grad);
  }

  toString(): string {
    if (this.isDisposed) return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, disposed)`;
    const head = `Tensor(${fmtShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''}${
      this.gradFn ? `, gradFn=${this.gradFn.op}` : ''
    })`;
    return `${head}\n${formatValues(this)}`;
  }
}

/** The data of a disposed tensor (never handed out: the getter throws instead). */
const DISPOSED: FloatArray = new Float32Array(0);

const MAX_SHOWN = 6;

function formatValues(t: Tensor): string {
  const fmt = (v: number): string => {
    if (Number.isInteger(v) && Math.abs(v) < 1e6) return v.toFixed(1);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : v.toFixed(4);
  };
  if (t.rank === 0) return fmt(t.data[0]);
  const shape = t.shape;
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  const rec = (axis: number, off: number, indent: string): string => {
    const n = shape[axis];
    const idx: (number | null)[] = [];
    if (n <= MAX_SHOWN) for (let i = 0; i < n; i++) idx.push(i);
    else idx.push(0, 1, 2, null, n - 3, n - 2, n - 1);
    if (axis === shape.length - 1) {
      return `[${idx.map((i) => (i === null ? '...' : fmt(t.data[off + i]))).join(', ')}]`;
    }
    const inner = idx.map((i) => (i === null ? '...' : rec(axis + 1, off + i * strides[axis], `${indent} `)));
    return `[${inner.join(`,\n${indent} `)}]`;
  };
  return rec(0, 0, '');
}

// ---------------------------------------------------------------------------------------------
// Creation

/** Storage for a new tensor: from the arena inside `tidy()` (see scope.ts). */
function alloc(n: number, dtype: DType): FloatArray {
  return scopedData(n, dtype);
}

function checkDType(dtype: unknown, where: string): DType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`${where}: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  return dtype;
}

function inferShape(x: NestedArray, where: string): number[] {
  const shape: number[] = [];
  let cur: NestedArray = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  if (!Array.isArray(x) && typeof x !== 'number') {
    throw new DTypeError(`${where}: expected a number or nested arrays of numbers, got ${typeof x}`);
  }
  return shape;
}

/**
 * Creates a tensor from nested arrays, a typed array or a number array (with `shape`).
 * `tensor([[1, 2], [3, 4]])`, `tensor(new Float64Array(6), { shape: [2, 3] })`.
 */
export function tensor(
  values: NestedArray | FloatArray | readonly number[],
  options: TensorOptions & { shape?: readonly number[] } = {},
): Tensor {
  const isTyped = values instanceof Float32Array || values instanceof Float64Array;
  const dtype = checkDType(
    options.dtype ?? (values instanceof Float64Array ? 'float64' : undefined),
    'tensor',
  );
  if (isTyped || options.shape) {
    const flat = isTyped ? (values as FloatArray) : (values as number[]);
    if (!isTyped && !Array.isArray(flat))
      throw new DTypeError('tensor: with `shape`, values must be a flat array');
    const shape = options.shape ?? [flat.length];
    const data = alloc(flat.length, dtype);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v !== 'number')
        throw new DTypeError(`tensor: value at flat index ${i} is ${typeof v}, expected a number`);
      data[i] = v;
    }
    return new Tensor(data, shape, options.requiresGrad ?? false);
  }
  const shape = inferShape(values as NestedArray, 'tensor');
  const data = alloc(numel(shape), dtype);
  let pos = 0;
  const fill = (x: NestedArray, axis: number, path: number[]): void => {
    if (axis === shape.length) {
      if (typeof x !== 'number') {
        throw new ShapeError(`tensor: ragged nested array at index [${path.join(', ')}]: expected a number`);
      }
      data[pos++] = x;
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[axis]) {
      throw new ShapeError(
        `tensor: ragged nested array at index [${path.join(', ')}]: expected ${shape[axis]} elements, got ${
          Array.isArray(x) ? x.length : typeof x
        }`,
      );
    }
    for (let i = 0; i < x.length; i++) fill(x[i], axis + 1, [...path, i]);
  };
  fill(values as NestedArray, 0, []);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  checkShape(shape, 'full');
  const data = alloc(numel(shape), checkDType(options.dtype, 'full'));
  if (value !== 0) data.fill(value);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** A tensor of zeros with the shape and dtype of `t`. */
export function zerosLike(t: Tensor): Tensor {
  return new Tensor(alloc(t.size, t.dtype), t.shape);
}

/** Wraps a typed array without copying. */
export function fromTyped(data: FloatArray, shape: readonly number[], requiresGrad = false): Tensor {
  return new Tensor(data, shape, requiresGrad);
}

/** Allocates an uninitialized (zeroed) typed array of a dtype. */
export function allocData(n: number, dtype: DType): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/**
 * Zeroed storage for the values of a tensor about to be made from it (an op's output): inside
 * `tidy()` it comes from the backend's arena and dies with the scope, so use it only for arrays
 * that become a tensor's data or are read only while the scope runs (saved for a backward that
 * runs in it). Long-lived arrays (optimizer state, caches) take `allocData`.
 */
export function allocOut(n: number, dtype: DType): FloatArray {
  return scopedData(n, dtype);
}
