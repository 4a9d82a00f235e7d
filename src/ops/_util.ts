import { allocOut, type DType, Tensor } from '../tensor/tensor.js';
import { DTypeError, ShapeError } from '../util/errors.js';
import { numel, sameShape, stridesOf } from '../util/shape.js';

/** Checks that `x` is a Tensor; names the op and argument otherwise. */
export function checkTensor(x: unknown, op: string, arg: string): Tensor {
  if (!(x instanceof Tensor)) {
    throw new DTypeError(`${op}: ${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  return x;
}

/** All tensors must share one dtype (no silent promotion, as tinygrad and PyTorch for floats). */
export function checkSameDType(op: string, ...named: [string, Tensor][]): DType {
  const d = named[0][1].dtype;
  for (const [name, t] of named) {
    if (t.dtype !== d) {
      throw new DTypeError(
        `${op}: ${name} is ${t.dtype} but ${named[0][0]} is ${d}; convert one with toDType()`,
      );
    }
  }
  return d;
}

/** Maps every element of `outShape` to its source index in a tensor of `inShape` broadcast to it. */
export function broadcastIndex(outShape: readonly number[], inShape: readonly number[]): Int32Array {
  const n = numel(outShape);
  const map = new Int32Array(n);
  const r = outShape.length;
  const inStr = stridesOf(inShape);
  const eff = new Array<number>(r).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const ax = r - inShape.length + i;
    eff[ax] = inShape[i] === 1 ? 0 : inStr[i];
  }
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    map[i] = src;
    for (let ax = r - 1; ax >= 0; ax--) {
      idx[ax]++;
      src += eff[ax];
      if (idx[ax] < outShape[ax]) break;
      src -= eff[ax] * idx[ax];
      idx[ax] = 0;
    }
  }
  return map;
}

/** Sums a gradient of the broadcast shape back down to `shape` (the backward of broadcasting). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const out = allocOut(numel(shape), g.dtype);
  const gd = g.data;
  const inner = numel(shape);
  // Fast path: shape is a suffix of g.shape (bias-like), so out index = i mod inner.
  const suffix =
    shape.length <= g.shape.length && shape.every((d, i) => d === g.shape[g.shape.length - shape.length + i]);
  if (suffix) {
    for (let i = 0; i < gd.length; i++) out[i % inner] += gd[i];
  } else {
    const map = broadcastIndex(g.shape, shape);
    for (let i = 0; i < gd.length; i++) out[map[i]] += gd[i];
  }
  return new Tensor(out, shape);
}

/** Throws a ShapeError unless `t` has rank `rank`. */
export function checkRank(t: Tensor, rank: number, op: string, arg: string, hint = ''): void {
  if (t.rank !== rank) {
    throw new ShapeError(`${op}: ${arg} must have rank ${rank}${hint}, got shape [${t.shape.join(', ')}]`);
  }
}
