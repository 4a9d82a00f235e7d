import { record1 } from '../autograd/record.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { DTypeError } from '../util/errors.js';
import { broadcastShapes, numel, sameShape } from '../util/shape.js';
import { broadcastIndex, checkSameDType, checkTensor, sumToShape } from './_util.js';

type BinOp = 'add' | 'sub' | 'mul' | 'div';

function asTensor(x: Tensor | number, like: Tensor, op: string, arg: string): Tensor {
  if (typeof x === 'number') {
    const d = allocOut(1, like.dtype);
    d[0] = x;
    return new Tensor(d, []);
  }
  if (!(x instanceof Tensor))
    throw new DTypeError(`${op}: ${arg} must be a Tensor or a number, got ${typeof x}`);
  return x;
}

function compute(op: BinOp, a: Tensor, b: Tensor, shape: number[]): Tensor {
  const n = numel(shape);
  const out = allocOut(n, a.dtype);
  const ad = a.data;
  const bd = b.data;
  const f = (x: number, y: number): number =>
    op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : x / y;
  if (sameShape(a.shape, shape) && sameShape(b.shape, shape)) {
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = ad[i] + bd[i];
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = ad[i] - bd[i];
    else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = ad[i] * bd[i];
    else for (let i = 0; i < n; i++) out[i] = ad[i] / bd[i];
  } else if (sameShape(a.shape, shape) && isSuffix(b.shape, shape)) {
    const m = b.size;
    for (let i = 0; i < n; i++) out[i] = f(ad[i], bd[i % m]);
  } else if (sameShape(b.shape, shape) && isSuffix(a.shape, shape)) {
    const m = a.size;
    for (let i = 0; i < n; i++) out[i] = f(ad[i % m], bd[i]);
  } else {
    const ma = broadcastIndex(shape, a.shape);
    const mb = broadcastIndex(shape, b.shape);
    for (let i = 0; i < n; i++) out[i] = f(ad[ma[i]], bd[mb[i]]);
  }
  return new Tensor(out, shape);
}

/** True when `s` equals the trailing dims of `full` (after dropping leading 1s of s), e.g. a bias. */
function isSuffix(s: readonly number[], full: readonly number[]): boolean {
  let k = 0;
  while (k < s.length && s[k] === 1 && s.length - k > 0) k++;
  const t = s.slice(k);
  if (t.length > full.length) return false;
  return t.every((d, i) => d === full[full.length - t.length + i]);
}

function binary(op: BinOp, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  if (typeof aIn === 'number' && typeof bIn === 'number') {
    throw new DTypeError(`${op}: at least one argument must be a Tensor, got two numbers`);
  }
  const like = typeof aIn === 'number' ? checkTensor(bIn, op, 'b') : checkTensor(aIn, op, 'a');
  const a = asTensor(aIn, like, op, 'a');
  const b = asTensor(bIn, like, op, 'b');
  checkSameDType(op, ['a', a], ['b', b]);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = compute(op, a, b, shape);
  return record1(op, [a, b], out, (g) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (op === 'add') {
      if (a.requiresGrad) ga = sumToShape(g, a.shape);
      if (b.requiresGrad) gb = sumToShape(g, b.shape);
    } else if (op === 'sub') {
      if (a.requiresGrad) ga = sumToShape(g, a.shape);
      if (b.requiresGrad) gb = sumToShape(compute('mul', g, scalarLike(-1, g), g.shape.slice()), b.shape);
    } else if (op === 'mul') {
      if (a.requiresGrad) ga = sumToShape(compute('mul', g, b, g.shape.slice()), a.shape);
      if (b.requiresGrad) gb = sumToShape(compute('mul', g, a, g.shape.slice()), b.shape);
    } else {
      // d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -out/b
      if (a.requiresGrad) ga = sumToShape(compute('div', g, b, g.shape.slice()), a.shape);
      if (b.requiresGrad) {
        const t = compute('mul', g, out, g.shape.slice());
        const q = compute('div', t, b, g.shape.slice());
        const qd = q.data;
        for (let i = 0; i < qd.length; i++) qd[i] = -qd[i];
        gb = sumToShape(q, b.shape);
      }
    }
    return [ga, gb];
  });
}

function scalarLike(v: number, like: Tensor): Tensor {
  const d = allocOut(1, like.dtype);
  d[0] = v;
  return new Tensor(d, []);
}

/** a + b with broadcasting; either side may be a number. */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('add', a, b);
}
/** a - b with broadcasting. */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('sub', a, b);
}
/** a * b (element-wise) with broadcasting. */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('mul', a, b);
}
/** a / b (element-wise) with broadcasting. */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('div', a, b);
}
/** -x */
export function neg(x: Tensor): Tensor {
  return binary('mul', x, -1);
}
