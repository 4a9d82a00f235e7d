import { record1 } from '../autograd/record.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { DataError, DTypeError, fmtShape, ShapeError } from '../util/errors.js';
import { broadcastShapes, numel, sameShape } from '../util/shape.js';
import { broadcastIndex, checkSameDType, checkTensor, sumToShape } from './_util.js';

/**
 * A boolean mask: a Tensor of 0/1 values (broadcast like any operand), or a flat Uint8Array,
 * boolean[] or number[] of 0/1 laid out in the full (output) shape, row-major.
 */
export type MaskInput = Tensor | Uint8Array | readonly boolean[] | readonly number[];

/** The mask as 0/1 bytes with its shape (`flatShape` for the flat array forms). */
function toMask(
  m: MaskInput,
  flatShape: readonly number[],
  op: string,
): { bits: Uint8Array; shape: readonly number[] } {
  const isTensor = m instanceof Tensor;
  if (!isTensor && !(m instanceof Uint8Array) && !Array.isArray(m)) {
    throw new DTypeError(
      `${op}: mask must be a Tensor, Uint8Array, boolean[] or number[], got ${m === null ? 'null' : typeof m}`,
    );
  }
  const src: ArrayLike<number | boolean> = isTensor ? m.data : m;
  if (!isTensor && src.length !== numel(flatShape)) {
    throw new ShapeError(
      `${op}: a flat mask must have one value per element of ${fmtShape(flatShape)} (${numel(flatShape)}), got ${src.length}; pass a Tensor mask to broadcast`,
    );
  }
  const bits = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v === true || v === 1) bits[i] = 1;
    else if (v !== false && v !== 0)
      throw new DataError(`${op}: mask[${i}] must be 0 or 1 (or a boolean), got ${v}`);
  }
  return { bits, shape: isTensor ? m.shape : flatShape };
}

function asOperand(v: Tensor | number, like: Tensor | null, op: string, arg: string): Tensor {
  if (typeof v === 'number') {
    const d = allocOut(1, like ? like.dtype : 'float32');
    d[0] = v;
    return new Tensor(d, []);
  }
  return checkTensor(v, op, arg);
}

/** Index maps of each operand into `shape` (null where the operand already has that shape). */
function maps(shape: number[], ...shapes: (readonly number[])[]): (Int32Array | null)[] {
  return shapes.map((s) => (sameShape(s, shape) ? null : broadcastIndex(shape, s)));
}

/**
 * Element-wise choice, as `torch.where`: out = cond ? a : b, with cond, a and b broadcast
 * together; a or b may be a number. Gradients: da = g where cond, db = g elsewhere (summed back
 * over broadcast dims). A flat-array cond has the broadcast shape of a and b.
 */
export function where(cond: MaskInput, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  if (typeof aIn === 'number' && typeof bIn === 'number') {
    throw new DTypeError('where: at least one of a and b must be a Tensor, got two numbers');
  }
  const like = typeof aIn === 'number' ? checkTensor(bIn, 'where', 'b') : checkTensor(aIn, 'where', 'a');
  const a = asOperand(aIn, like, 'where', 'a');
  const b = asOperand(bIn, like, 'where', 'b');
  checkSameDType('where', ['a', a], ['b', b]);
  const ab = broadcastShapes(a.shape, b.shape, 'where');
  const { bits, shape: cs } = toMask(cond, ab, 'where');
  const shape = broadcastShapes(cs, ab, 'where');
  const [mc, ma, mb] = maps(shape, cs, a.shape, b.shape);
  const n = numel(shape);
  const c = new Uint8Array(n);
  for (let i = 0; i < n; i++) c[i] = bits[mc ? mc[i] : i];
  const ad = a.data;
  const bd = b.data;
  const out = allocOut(n, a.dtype);
  for (let i = 0; i < n; i++) out[i] = c[i] ? ad[ma ? ma[i] : i] : bd[mb ? mb[i] : i];
  return record1('where', [a, b], new Tensor(out, shape), (g) => {
    const gd = g.data;
    const part = (t: Tensor, take: number): Tensor | null => {
      if (!t.requiresGrad) return null;
      const d = allocOut(n, t.dtype);
      for (let i = 0; i < n; i++) if (c[i] === take) d[i] = gd[i];
      return sumToShape(new Tensor(d, shape), t.shape);
    };
    return [part(a, 1), part(b, 0)];
  });
}

/**
 * x with `value` wherever mask is 1, as `Tensor.masked_fill`; the mask broadcasts to x's shape
 * (a flat-array mask has x's shape). The gradient passes where the mask is 0. `value` may be
 * -Infinity (attention masks).
 */
export function maskedFill(xIn: Tensor, mask: MaskInput, value: number): Tensor {
  const x = checkTensor(xIn, 'maskedFill', 'x');
  if (typeof value !== 'number')
    throw new DTypeError(`maskedFill: value must be a number, got ${typeof value}`);
  const { bits, shape: ms } = toMask(mask, x.shape, 'maskedFill');
  if (!sameShape(broadcastShapes(x.shape, ms, 'maskedFill'), x.shape)) {
    throw new ShapeError(
      `maskedFill: mask ${fmtShape(ms)} must broadcast to the shape of x ${fmtShape(x.shape)}`,
    );
  }
  const [mm] = maps(x.shape.slice(), ms);
  const n = x.size;
  const xd = x.data;
  const out = allocOut(n, x.dtype);
  for (let i = 0; i < n; i++) out[i] = bits[mm ? mm[i] : i] ? value : xd[i];
  return record1('maskedFill', [x], new Tensor(out, x.shape), (g) => {
    const gd = g.data;
    const dx = allocOut(n, x.dtype);
    for (let i = 0; i < n; i++) if (!bits[mm ? mm[i] : i]) dx[i] = gd[i];
    return [new Tensor(dx, x.shape)];
  });
}
