import { record1 } from '../autograd/record.js';
import { kernels } from '../kernels/registry.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { fmtShape, ShapeError } from '../util/errors.js';
import { numel } from '../util/shape.js';
import { checkSameDType, checkTensor } from './_util.js';

export interface MatmulOptions {
  /** Use aᵀ: the last two dims of `a` are [k, m]. */
  transA?: boolean;
  /** Use bᵀ: `b` is [n, k] (as a PyTorch Linear weight). */
  transB?: boolean;
}

/**
 * Matrix product op(a) · op(b).
 * - a [m, k], b [k, n] -> [m, n]
 * - a [..., m, k], b [k, n] -> [..., m, n] (leading dims of a are flattened into m; b is shared)
 * - a [batch, m, k], b [batch, k, n] -> [batch, m, n]
 * With transA the last two dims of a are swapped (not allowed with leading dims and a 2-D b);
 * with transB, b is [n, k] / [batch, n, k].
 */
export function matmul(aIn: Tensor, bIn: Tensor, options: MatmulOptions = {}): Tensor {
  const a = checkTensor(aIn, 'matmul', 'a');
  const b = checkTensor(bIn, 'matmul', 'b');
  const dtype = checkSameDType('matmul', ['a', a], ['b', b]);
  const tA = options.transA ?? false;
  const tB = options.transB ?? false;
  if (a.rank < 2 || b.rank < 2 || b.rank > 3 || (b.rank === 3 && a.rank !== 3)) {
    throw new ShapeError(
      `matmul: expected a [.., m, k] with b [k, n], or a [batch, m, k] with b [batch, k, n]; got a ${fmtShape(a.shape)}, b ${fmtShape(b.shape)}`,
    );
  }
  const batched = b.rank === 3;
  if (!batched && tA && a.rank > 2) {
    throw new ShapeError(`matmul: transA with a 2-D b needs a 2-D a, got a ${fmtShape(a.shape)}`);
  }
  const batch = batched ? a.shape[0] : 1;
  if (batched && b.shape[0] !== batch) {
    throw new ShapeError(`matmul: batch sizes differ: a ${fmtShape(a.shape)} vs b ${fmtShape(b.shape)}`);
  }
  const ar = a.shape[a.rank - 2];
  const ac = a.shape[a.rank - 1];
  const lead = batched ? 1 : numel(a.shape.slice(0, -2));
  const m = tA ? ac : ar * (batched ? 1 : lead);
  const k = tA ? ar : ac;
  const br = b.shape[b.rank - 2];
  const bc = b.shape[b.rank - 1];
  const kb = tB ? bc : br;
  const n = tB ? br : bc;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: op(a) is [.., ${m}, ${k}] (a ${fmtShape(a.shape)}${tA ? ', transA' : ''}) but op(b) is [${kb}, ${n}] (b ${fmtShape(b.shape)}${tB ? ', transB' : ''})`,
    );
  }
  const lda = tA ? m : k;
  const ldb = tB ? k : n;
  const aStride = ar * ac;
  const bStride = br * bc;
  const K = kernels();
  const out = allocOut(batch * m * n, dtype);
  for (let i = 0; i < batch; i++) {
    K.gemm(tA, tB, m, n, k, a.data, i * aStride, lda, b.data, i * bStride, ldb, out, i * m * n, n, false);
  }
  const shape = batched ? [batch, m, n] : tA ? [m, n] : [...a.shape.slice(0, -1), n];
  const y = new Tensor(out, shape);
  return record1('matmul', [a, b], y, (g) => {
    const gd = g.data;
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      const d = allocOut(a.size, dtype);
      for (let i = 0; i < batch; i++) {
        if (!tA)
          K.gemm(false, !tB, m, k, n, gd, i * m * n, n, b.data, i * bStride, ldb, d, i * aStride, k, false);
        else K.gemm(tB, true, k, m, n, b.data, i * bStride, ldb, gd, i * m * n, n, d, i * aStride, m, false);
      }
      ga = new Tensor(d, a.shape);
    }
    if (b.requiresGrad) {
      const d = allocOut(b.size, dtype);
      for (let i = 0; i < batch; i++) {
        if (!tB)
          K.gemm(!tA, false, k, n, m, a.data, i * aStride, lda, gd, i * m * n, n, d, i * bStride, n, false);
        else K.gemm(true, tA, n, k, m, gd, i * m * n, n, a.data, i * aStride, lda, d, i * bStride, k, false);
      }
      gb = new Tensor(d, b.shape);
    }
    return [ga, gb];
  });
}
