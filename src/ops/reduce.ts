import { record1 } from '../autograd/record.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { normAxis } from '../util/shape.js';
import { checkTensor } from './_util.js';

export interface ReduceOptions {
  /** Axis or axes to reduce (negative counts from the end); all axes when omitted. */
  axis?: number | number[];
  /** Keep reduced axes as size 1. */
  keepDims?: boolean;
}

/** Splits the shape into (outer, reduced, inner) blocks for one axis. */
function blocks(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}

function sumAxis(x: Tensor, axis: number, keepDims: boolean): Tensor {
  const [outer, len, inner] = blocks(x.shape, axis);
  const out = allocOut(outer * inner, x.dtype);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < len; r++) {
      const base = (o * len + r) * inner;
      const ob = o * inner;
      for (let i = 0; i < inner; i++) out[ob + i] += xd[base + i];
    }
  }
  const shape = x.shape.slice();
  if (keepDims) shape[axis] = 1;
  else shape.splice(axis, 1);
  return new Tensor(out, shape);
}

/** Repeats g (the reduced shape with the axis kept as 1) along `axis` to `shape`, times `scale`. */
function expandAxis(g: Tensor, shape: readonly number[], axis: number, scale: number): Tensor {
  const [outer, len, inner] = blocks(shape, axis);
  const out = allocOut(outer * len * inner, g.dtype);
  const gd = g.data;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < len; r++) {
      const base = (o * len + r) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = gd[o * inner + i] * scale;
    }
  }
  return new Tensor(out, shape);
}

function reduce(op: 'sum' | 'mean', xIn: Tensor, options: ReduceOptions): Tensor {
  const x = checkTensor(xIn, op, 'x');
  const keepDims = options.keepDims ?? false;
  const axes =
    options.axis === undefined
      ? x.shape.map((_, i) => i)
      : (Array.isArray(options.axis) ? options.axis : [options.axis]).map((a) => normAxis(a, x.rank, op));
  const uniq = [...new Set(axes)].sort((p, q) => q - p);
  let count = 1;
  for (const a of uniq) count *= x.shape[a];
  let y: Tensor;
  if (options.axis === undefined) {
    let s = 0;
    const xd = x.data;
    for (let i = 0; i < xd.length; i++) s += xd[i];
    const d = allocOut(1, x.dtype);
    d[0] = op === 'mean' ? s / x.size : s;
    y = new Tensor(d, keepDims ? x.shape.map(() => 1) : []);
  } else {
    y = x;
    for (const a of uniq) y = sumAxis(y, a, true);
    if (op === 'mean') {
      const d = y.data;
      for (let i = 0; i < d.length; i++) d[i] /= count;
    }
    const shape = keepDims ? y.shape : x.shape.filter((_, i) => !uniq.includes(i));
    y = new Tensor(y.data, shape);
  }
  const scale = op === 'mean' ? 1 / count : 1;
  return record1(op, [x], y, (g) => {
    // Put the reduced axes back as size 1, then expand them one at a time.
    const kept = x.shape.map((d, i) => (uniq.includes(i) ? 1 : d));
    let cur = new Tensor(g.data, kept);
    const sorted = [...uniq].sort((p, q) => p - q);
    const shape = kept.slice();
    sorted.forEach((a, j) => {
      shape[a] = x.shape[a];
      cur = expandAxis(cur, shape.slice(), a, j === 0 ? scale : 1);
    });
    if (sorted.length === 0) cur = new Tensor(g.data.slice(), x.shape);
    return [cur];
  });
}

/** Sum of all elements, or over `axis`. */
export function sum(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce('sum', x, options);
}

/** Mean of all elements, or over `axis`. */
export function mean(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce('mean', x, options);
}
