import { record1 } from '../autograd/record.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { fmtShape, ShapeError } from '../util/errors.js';
import { normAxis, numel, stridesOf } from '../util/shape.js';
import { checkTensor } from './_util.js';

/** Same values, new shape (one dimension may be -1). Shares no graph state; the data is shared. */
export function reshape(xIn: Tensor, shape: readonly number[]): Tensor {
  const x = checkTensor(xIn, 'reshape', 'x');
  const s = shape.slice();
  const neg = s.filter((d) => d === -1).length;
  if (neg > 1 || s.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(
      `reshape: shape must be non-negative integers with at most one -1, got ${fmtShape(shape)}`,
    );
  }
  if (neg === 1) {
    const known = s.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(
        `reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} values) to ${fmtShape(shape)}`,
      );
    }
    s[s.indexOf(-1)] = x.size / known;
  }
  if (numel(s) !== x.size) {
    throw new ShapeError(
      `reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} values) to ${fmtShape(shape)}`,
    );
  }
  const y = new Tensor(x.data, s);
  return record1('reshape', [x], y, (g) => [new Tensor(g.data, x.shape)]);
}

/** Reorders the axes: output axis i is input axis perm[i]. */
export function permute(xIn: Tensor, perm: readonly number[]): Tensor {
  const x = checkTensor(xIn, 'permute', 'x');
  const r = x.rank;
  const p = perm.map((a) => normAxis(a, r, 'permute'));
  if (p.length !== r || new Set(p).size !== r) {
    throw new ShapeError(`permute: perm must be a permutation of ${r} axes, got ${JSON.stringify(perm)}`);
  }
  const y = permuteData(x, p);
  const inv = new Array<number>(r);
  for (let i = 0; i < r; i++) inv[p[i]] = i;
  return record1('permute', [x], y, (g) => [permuteData(g, inv)]);
}

function permuteData(x: Tensor, p: number[]): Tensor {
  const shape = p.map((a) => x.shape[a]);
  const inStr = stridesOf(x.shape);
  const str = p.map((a) => inStr[a]);
  const out = allocOut(x.size, x.dtype);
  const xd = x.data;
  const r = shape.length;
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = xd[src];
    for (let ax = r - 1; ax >= 0; ax--) {
      idx[ax]++;
      src += str[ax];
      if (idx[ax] < shape[ax]) break;
      src -= str[ax] * idx[ax];
      idx[ax] = 0;
    }
  }
  return new Tensor(out, shape);
}

/** Swaps two axes. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  checkTensor(x, 'transpose', 'x');
  const a = normAxis(dim0, x.rank, 'transpose');
  const b = normAxis(dim1, x.rank, 'transpose');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}
