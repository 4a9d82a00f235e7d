import { record1 } from '../autograd/record.js';
import { kernels } from '../kernels/registry.js';
import { allocOut, type FloatArray, Tensor } from '../tensor/tensor.js';
import { normAxis } from '../util/shape.js';
import { checkTensor } from './_util.js';

/**
 * (outer, len, inner) around `axis`: element (o, j, i) sits at (o * len + j) * inner + i.
 * A scalar is treated as shape [1], so softmax of a 0-d tensor is 1, as in PyTorch.
 */
function lanes(x: Tensor, axis: number, op: string): [number, number, number] {
  if (x.rank === 0) {
    normAxis(axis, 1, op);
    return [1, 1, 1];
  }
  const a = normAxis(axis, x.rank, op);
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < a; i++) outer *= x.shape[i];
  for (let i = a + 1; i < x.rank; i++) inner *= x.shape[i];
  return [outer, x.shape[a], inner];
}

/**
 * Writes exp(x - max) along the axis into `buf` (one backend exp call for the whole tensor) and
 * returns, per lane (o, i), the max in `mx` and the sum of the exponentials in `sm`.
 * Subtracting the max keeps every exponent <= 0, so nothing overflows.
 */
function shiftedExp(
  x: Tensor,
  outer: number,
  len: number,
  inner: number,
  buf: FloatArray,
): [Float64Array, Float64Array] {
  const xd = x.data;
  const mx = new Float64Array(outer * inner).fill(Number.NEGATIVE_INFINITY);
  const sm = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    const lb = o * inner;
    for (let j = 0; j < len; j++) {
      const base = (o * len + j) * inner;
      for (let i = 0; i < inner; i++) {
        const v = xd[base + i];
        if (v > mx[lb + i]) mx[lb + i] = v;
      }
    }
    for (let j = 0; j < len; j++) {
      const base = (o * len + j) * inner;
      for (let i = 0; i < inner; i++) buf[base + i] = xd[base + i] - mx[lb + i];
    }
  }
  kernels().unary('exp', buf.length, buf, 0, buf, 0);
  for (let o = 0; o < outer; o++) {
    const lb = o * inner;
    for (let j = 0; j < len; j++) {
      const base = (o * len + j) * inner;
      for (let i = 0; i < inner; i++) sm[lb + i] += buf[base + i];
    }
  }
  return [mx, sm];
}

/** Σ_j g[o, j, i] (times y[o, j, i] when `y` is given), per lane. */
function laneSums(
  g: FloatArray,
  y: FloatArray | null,
  outer: number,
  len: number,
  inner: number,
): Float64Array {
  const s = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    const lb = o * inner;
    for (let j = 0; j < len; j++) {
      const base = (o * len + j) * inner;
      if (y) for (let i = 0; i < inner; i++) s[lb + i] += g[base + i] * y[base + i];
      else for (let i = 0; i < inner; i++) s[lb + i] += g[base + i];
    }
  }
  return s;
}

/**
 * softmax(x)_j = exp(x_j - max) / Σ_k exp(x_k - max) along `axis` (default: the last).
 * Backward: dx = y ⊙ (g - Σ_j g_j y_j). A lane that is all -Infinity gives NaN, as in PyTorch.
 */
export function softmax(xIn: Tensor, axis = -1): Tensor {
  const x = checkTensor(xIn, 'softmax', 'x');
  const [outer, len, inner] = lanes(x, axis, 'softmax');
  const yd = allocOut(x.size, x.dtype);
  const [, sm] = shiftedExp(x, outer, len, inner, yd);
  for (let o = 0; o < outer; o++) {
    const lb = o * inner;
    for (let j = 0; j < len; j++) {
      const base = (o * len + j) * inner;
      for (let i = 0; i < inner; i++) yd[base + i] /= sm[lb + i];
    }
  }
  const y = new Tensor(yd, x.shape);
  return record1('softmax', [x], y, (g) => {
    const gd = g.data;
    const dot = laneSums(gd, yd, outer, len, inner);
    const dx = allocOut(x.size, x.dtype);
    for (let o = 0; o < outer; o++) {
      const lb = o * inner;
      for (let j = 0; j < len; j++) {
        const base = (o * len + j) * inner;
        for (let i = 0; i < inner; i++) dx[base + i] = yd[base + i] * (gd[base + i] - dot[lb + i]);
      }
    }
    return [new Tensor(dx, x.shape)];
  });
}

/**
 * logSoftmax(x)_j = x_j - max - log Σ_k exp(x_k - max) along `axis` (default: the last), exact
 * where log(softmax(x)) underflows to -Infinity. Backward: dx = g - softmax(x) ⊙ Σ_j g_j, with
 * softmax recomputed as exp(y) rather than kept from the forward.
 */
export function logSoftmax(xIn: Tensor, axis = -1): Tensor {
  const x = checkTensor(xIn, 'logSoftmax', 'x');
  const [outer, len, inner] = lanes(x, axis, 'logSoftmax');
  const yd = allocOut(x.size, x.dtype);
  const [mx, sm] = shiftedExp(x, outer, len, inner, yd);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    const lb = o * inner;
    for (let i = 0; i < inner; i++) sm[lb + i] = mx[lb + i] + Math.log(sm[lb + i]);
    for (let j = 0; j < len; j++) {
      const base = (o * len + j) * inner;
      for (let i = 0; i < inner; i++) yd[base + i] = xd[base + i] - sm[lb + i];
    }
  }
  const y = new Tensor(yd, x.shape);
  return record1('logSoftmax', [x], y, (g) => {
    const gd = g.data;
    const gs = laneSums(gd, null, outer, len, inner);
    const dx = allocOut(x.size, x.dtype);
    kernels().unary('exp', dx.length, yd, 0, dx, 0);
    for (let o = 0; o < outer; o++) {
      const lb = o * inner;
      for (let j = 0; j < len; j++) {
        const base = (o * len + j) * inner;
        for (let i = 0; i < inner; i++) dx[base + i] = gd[base + i] - dx[base + i] * gs[lb + i];
      }
    }
    return [new Tensor(dx, x.shape)];
  });
}
