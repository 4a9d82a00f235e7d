import { record1 } from '../autograd/record.js';
import { kernels } from '../kernels/registry.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { checkTensor } from './_util.js';

type KernelUnary = 'exp' | 'log' | 'tanh' | 'sigmoid' | 'relu';

/**
 * Element-wise functions. The forward runs on the selected backend (SIMD exp/tanh/sigmoid on
 * wasm); the backward uses the saved-output forms: exp' = y, tanh' = 1 - y², σ' = y(1 - y).
 */
function unary(op: KernelUnary, xIn: Tensor): Tensor {
  const x = checkTensor(xIn, op, 'x');
  const n = x.size;
  const yd = allocOut(n, x.dtype);
  kernels().unary(op, n, x.data, 0, yd, 0);
  const y = new Tensor(yd, x.shape);
  return record1(op, [x], y, (g) => {
    const gd = g.data;
    const out = allocOut(n, x.dtype);
    const xd = x.data;
    switch (op) {
      case 'exp':
        for (let i = 0; i < n; i++) out[i] = gd[i] * yd[i];
        break;
      case 'log':
        for (let i = 0; i < n; i++) out[i] = gd[i] / xd[i];
        break;
      case 'tanh':
        for (let i = 0; i < n; i++) out[i] = gd[i] * (1 - yd[i] * yd[i]);
        break;
      case 'sigmoid':
        for (let i = 0; i < n; i++) out[i] = gd[i] * yd[i] * (1 - yd[i]);
        break;
      case 'relu':
        for (let i = 0; i < n; i++) out[i] = xd[i] > 0 ? gd[i] : 0;
        break;
    }
    return [new Tensor(out, x.shape)];
  });
}

export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);

/** Element-wise map with a derivative given in terms of input and output, for the simple rest. */
function mapOp(
  op: string,
  xIn: Tensor,
  f: (v: number) => number,
  df: (v: number, y: number) => number,
): Tensor {
  const x = checkTensor(xIn, op, 'x');
  const n = x.size;
  const yd = allocOut(n, x.dtype);
  const xd = x.data;
  for (let i = 0; i < n; i++) yd[i] = f(xd[i]);
  const y = new Tensor(yd, x.shape);
  return record1(op, [x], y, (g) => {
    const out = allocOut(n, x.dtype);
    const gd = g.data;
    for (let i = 0; i < n; i++) out[i] = gd[i] * df(xd[i], yd[i]);
    return [new Tensor(out, x.shape)];
  });
}

export const sqrt = (x: Tensor): Tensor => mapOp('sqrt', x, Math.sqrt, (_v, y) => 0.5 / y);
export const abs = (x: Tensor): Tensor => mapOp('abs', x, Math.abs, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0));
/** x ** p for a constant exponent p. */
export const pow = (x: Tensor, p: number): Tensor =>
  mapOp(
    'pow',
    x,
    (v) => v ** p,
    (v) => (p === 0 ? 0 : p * v ** (p - 1)),
  );
/** Clamps to [min, max]; the gradient is zero outside (as torch.clamp). */
export const clamp = (x: Tensor, min: number, max: number): Tensor =>
  mapOp(
    'clamp',
    x,
    (v) => (v < min ? min : v > max ? max : v),
    (v) => (v < min || v > max ? 0 : 1),
  );
