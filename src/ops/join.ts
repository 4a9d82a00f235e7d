import { record, record1 } from '../autograd/record.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { ConfigError, DataError, fmtShape, ShapeError } from '../util/errors.js';
import { normAxis, sameShape } from '../util/shape.js';
import { checkSameDType, checkTensor } from './_util.js';
import { type IndexInput, toIndices } from './embedding.js';

/** Product of shape[from..to). */
function prod(shape: readonly number[], from: number, to: number): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= shape[i];
  return p;
}

function checkList(tensors: readonly Tensor[], op: string): void {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new ConfigError(
      `${op}: tensors must be a non-empty array of Tensors, got ${Array.isArray(tensors) ? '[]' : typeof tensors}`,
    );
  }
  tensors.forEach((t, i) => {
    checkTensor(t, op, `tensors[${i}]`);
  });
  checkSameDType(op, ...tensors.map((t, i): [string, Tensor] => [`tensors[${i}]`, t]));
}

/**
 * Joins parts viewed as [outer, chunk_i] along their second dimension into one [outer, Σ chunk_i]
 * tensor of `shape`, recording the node whose backward hands each part its columns back.
 */
function join(op: string, parts: readonly Tensor[], outer: number, shape: number[]): Tensor {
  const chunks = parts.map((t) => (outer === 0 ? 0 : t.size / outer));
  const total = chunks.reduce((p, q) => p + q, 0);
  const out = allocOut(outer * total, parts[0].dtype);
  let off = 0;
  parts.forEach((t, k) => {
    const c = chunks[k];
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * c, o * c + c), o * total + off);
    off += c;
  });
  return record1(op, parts.slice(), new Tensor(out, shape), (g) => {
    const gd = g.data;
    let at = 0;
    return parts.map((t, k) => {
      const c = chunks[k];
      const start = at;
      at += c;
      if (!t.requiresGrad) return null;
      const d = allocOut(t.size, t.dtype);
      for (let o = 0; o < outer; o++) d.set(gd.subarray(o * total + start, o * total + start + c), o * c);
      return new Tensor(d, t.shape);
    });
  });
}

/** Joins tensors along an existing axis (default 0); all other dims must agree, as `torch.cat`. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  checkList(tensors, 'concat');
  const first = tensors[0];
  if (first.rank === 0)
    throw new ShapeError('concat: tensors must have rank >= 1 (use stack for scalars), got shape []');
  const a = normAxis(axis, first.rank, 'concat');
  tensors.forEach((t, i) => {
    if (t.rank !== first.rank || t.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new ShapeError(
        `concat: tensors[${i}] has shape ${fmtShape(t.shape)} but tensors[0] has ${fmtShape(first.shape)}; all dims except axis ${a} must match`,
      );
    }
  });
  const shape = first.shape.slice();
  shape[a] = tensors.reduce((s, t) => s + t.shape[a], 0);
  return join('concat', tensors, prod(first.shape, 0, a), shape);
}

/** Joins same-shape tensors along a new axis (default 0), as `torch.stack`: n × [..] -> [.., n, ..]. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  checkList(tensors, 'stack');
  const first = tensors[0];
  const a = normAxis(axis, first.rank + 1, 'stack');
  tensors.forEach((t, i) => {
    if (!sameShape(t.shape, first.shape)) {
      throw new ShapeError(
        `stack: tensors[${i}] has shape ${fmtShape(t.shape)} but tensors[0] has ${fmtShape(first.shape)}`,
      );
    }
  });
  const shape = first.shape.slice();
  shape.splice(a, 0, tensors.length);
  return join('stack', tensors, prod(first.shape, 0, a), shape);
}

/**
 * Splits `x` along `axis` (default 0) into pieces of the given sizes, or into `count` equal
 * pieces when a number is given (as `numpy.split`; note `torch.split` reads a number as the piece
 * size). One graph node with several outputs; pieces that receive no gradient count as zeros.
 */
export function split(xIn: Tensor, sizesOrCount: readonly number[] | number, axis = 0): Tensor[] {
  const x = checkTensor(xIn, 'split', 'x');
  if (x.rank === 0) throw new ShapeError('split: x must have rank >= 1, got shape []');
  const a = normAxis(axis, x.rank, 'split');
  const len = x.shape[a];
  let sizes: number[];
  if (typeof sizesOrCount === 'number') {
    const k = sizesOrCount;
    if (!Number.isInteger(k) || k < 1 || len % k !== 0) {
      throw new ShapeError(
        `split: count must be a positive integer dividing the axis size ${len} (x ${fmtShape(x.shape)}, axis ${a}), got ${k}; pass sizes for unequal pieces`,
      );
    }
    sizes = new Array<number>(k).fill(len / k);
  } else {
    if (!Array.isArray(sizesOrCount) || sizesOrCount.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ShapeError(`split: sizes must be non-negative integers, got ${JSON.stringify(sizesOrCount)}`);
    }
    sizes = sizesOrCount.slice();
    const tot = sizes.reduce((p, q) => p + q, 0);
    if (sizes.length === 0 || tot !== len) {
      throw new ShapeError(
        `split: sizes ${JSON.stringify(sizes)} sum to ${tot} but axis ${a} of x ${fmtShape(x.shape)} has ${len}`,
      );
    }
  }
  const outer = prod(x.shape, 0, a);
  const inner = prod(x.shape, a + 1, x.rank);
  const total = len * inner;
  const xd = x.data;
  const outs: Tensor[] = [];
  let off = 0;
  for (const s of sizes) {
    const c = s * inner;
    const d = allocOut(outer * c, x.dtype);
    for (let o = 0; o < outer; o++) d.set(xd.subarray(o * total + off, o * total + off + c), o * c);
    const shape = x.shape.slice();
    shape[a] = s;
    outs.push(new Tensor(d, shape));
    off += c;
  }
  record('split', [x], outs, (gs) => {
    const dx = allocOut(x.size, x.dtype);
    let at = 0;
    gs.forEach((g, k) => {
      const c = sizes[k] * inner;
      if (g) for (let o = 0; o < outer; o++) dx.set(g.data.subarray(o * c, o * c + c), o * total + at);
      at += c;
    });
    return [new Tensor(dx, x.shape)];
  });
  return outs;
}

/** Copies positions [start, start + n) of `axis` into a tensor of `shape`; backward scatters back. */
function take(op: string, x: Tensor, a: number, start: number, n: number, shape: number[]): Tensor {
  const outer = prod(x.shape, 0, a);
  const inner = prod(x.shape, a + 1, x.rank);
  const total = x.shape[a] * inner;
  const c = n * inner;
  const d = allocOut(outer * c, x.dtype);
  const from = start * inner;
  for (let o = 0; o < outer; o++) d.set(x.data.subarray(o * total + from, o * total + from + c), o * c);
  return record1(op, [x], new Tensor(d, shape), (g) => {
    const dx = allocOut(x.size, x.dtype);
    for (let o = 0; o < outer; o++) dx.set(g.data.subarray(o * c, o * c + c), o * total + from);
    return [new Tensor(dx, x.shape)];
  });
}

function checkInt(v: number, op: string, arg: string): void {
  if (!Number.isInteger(v)) throw new ShapeError(`${op}: ${arg} must be an integer, got ${v}`);
}

/**
 * x[.., start:end, ..] along `axis`, with Python slice rules: negative bounds count from the end,
 * bounds past the ends are clamped, and end <= start gives an empty axis. `end` defaults to the size.
 */
export function slice(xIn: Tensor, axis: number, start: number, end?: number): Tensor {
  const x = checkTensor(xIn, 'slice', 'x');
  if (x.rank === 0) throw new ShapeError('slice: x must have rank >= 1, got shape []');
  const a = normAxis(axis, x.rank, 'slice');
  const len = x.shape[a];
  checkInt(start, 'slice', 'start');
  if (end !== undefined) checkInt(end, 'slice', 'end');
  const clampIdx = (v: number): number => Math.min(len, Math.max(0, v < 0 ? v + len : v));
  const s = clampIdx(start);
  const e = Math.max(s, clampIdx(end ?? len));
  const shape = x.shape.slice();
  shape[a] = e - s;
  return take('slice', x, a, s, e - s, shape);
}

/** `length` positions of `axis` from `start` (negative counts from the end), as `torch.narrow`; out of range throws. */
export function narrow(xIn: Tensor, axis: number, start: number, length: number): Tensor {
  const x = checkTensor(xIn, 'narrow', 'x');
  if (x.rank === 0) throw new ShapeError('narrow: x must have rank >= 1, got shape []');
  const a = normAxis(axis, x.rank, 'narrow');
  const len = x.shape[a];
  checkInt(start, 'narrow', 'start');
  checkInt(length, 'narrow', 'length');
  const s = start < 0 ? start + len : start;
  if (s < 0 || length < 0 || s + length > len) {
    throw new ShapeError(
      `narrow: start ${start} and length ${length} must lie within axis ${a} of size ${len} (x ${fmtShape(x.shape)})`,
    );
  }
  const shape = x.shape.slice();
  shape[a] = length;
  return take('narrow', x, a, s, length, shape);
}

/** Position `index` of `axis` (negative counts from the end), with that axis removed, as `torch.select`. */
export function select(xIn: Tensor, axis: number, index: number): Tensor {
  const x = checkTensor(xIn, 'select', 'x');
  if (x.rank === 0) throw new ShapeError('select: x must have rank >= 1, got shape []');
  const a = normAxis(axis, x.rank, 'select');
  const len = x.shape[a];
  checkInt(index, 'select', 'index');
  if (index < -len || index >= len) {
    throw new ShapeError(
      `select: index must be in [${-len}, ${len - 1}] for axis ${a} of x ${fmtShape(x.shape)}, got ${index}`,
    );
  }
  const shape = x.shape.slice();
  shape.splice(a, 1);
  return take('select', x, a, index < 0 ? index + len : index, 1, shape);
}

/**
 * Picks positions `indices` of `axis` (repeats allowed), as `torch.index_select`: the axis gets
 * size indices.length. The backward adds each output slice back into the slice it came from.
 */
export function indexSelect(xIn: Tensor, axis: number, indicesIn: IndexInput): Tensor {
  const x = checkTensor(xIn, 'indexSelect', 'x');
  if (x.rank === 0) throw new ShapeError('indexSelect: x must have rank >= 1, got shape []');
  const a = normAxis(axis, x.rank, 'indexSelect');
  const len = x.shape[a];
  const { ids } = toIndices(indicesIn, 'indexSelect', 'indices');
  ids.forEach((v, p) => {
    if (v < 0 || v >= len) {
      throw new DataError(
        `indexSelect: indices[${p}] is ${v}, expected an index in [0, ${len}) (axis ${a} of x ${fmtShape(x.shape)})`,
      );
    }
  });
  const outer = prod(x.shape, 0, a);
  const inner = prod(x.shape, a + 1, x.rank);
  const n = ids.length;
  const xd = x.data;
  const d = allocOut(outer * n * inner, x.dtype);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const src = (o * len + ids[j]) * inner;
      d.set(xd.subarray(src, src + inner), (o * n + j) * inner);
    }
  }
  const shape = x.shape.slice();
  shape[a] = n;
  return record1('indexSelect', [x], new Tensor(d, shape), (g) => {
    const gd = g.data;
    const dx = allocOut(x.size, x.dtype);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const dst = (o * len + ids[j]) * inner;
        const src = (o * n + j) * inner;
        for (let i = 0; i < inner; i++) dx[dst + i] += gd[src + i];
      }
    }
    return [new Tensor(dx, x.shape)];
  });
}
