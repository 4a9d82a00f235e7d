/**
 * Padded batches of sequences of different lengths: checking the per-sequence `lengths`, and max
 * pooling over each sequence's valid steps (a differentiable op, used by the classifier's 'max'
 * pooling).
 */
import { record1 } from '../autograd/record.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { DataError, fmtShape, ShapeError } from '../util/errors.js';

/** Checks `lengths` (one per sequence, 1..T) and returns them as an Int32Array. */
export function checkLengths(
  where: string,
  lengths: ArrayLike<number> | undefined,
  T: number,
  B: number,
): Int32Array {
  if (lengths === undefined) return new Int32Array(B).fill(T);
  if (lengths.length !== B)
    throw new ShapeError(`${where}: lengths must have one entry per sequence (${B}), got ${lengths.length}`);
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const l = lengths[b];
    if (!Number.isInteger(l) || l < 1 || l > T) {
      throw new DataError(
        `${where}: lengths[${b}] is ${l}, expected an integer in [1, ${T}] (empty sequences have no class)`,
      );
    }
    out[b] = l;
  }
  return out;
}

/**
 * max over the valid steps t < lengths[b] of x [T, B, F] -> [B, F]. The backward sends each output
 * gradient to the step that attained the maximum (the first one on ties), as torch.max(dim).
 */
export function maxOverSteps(x: Tensor, lengths: Int32Array): Tensor {
  if (!(x instanceof Tensor) || x.rank !== 3) {
    throw new ShapeError(
      `maxOverSteps: x must be [T, B, F], got ${x instanceof Tensor ? fmtShape(x.shape) : typeof x}`,
    );
  }
  const [T, B, F] = x.shape;
  const lens = checkLengths('maxOverSteps', lengths, T, B);
  const xd = x.data;
  const out = allocOut(B * F, x.dtype).fill(Number.NEGATIVE_INFINITY);
  const arg = new Int32Array(B * F);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      if (t >= lens[b]) continue;
      const src = (t * B + b) * F;
      const dst = b * F;
      for (let f = 0; f < F; f++) {
        const v = xd[src + f];
        // `!(v <= out)` also lets a NaN through, so it propagates as torch.max does.
        if (!(v <= out[dst + f])) {
          out[dst + f] = v;
          arg[dst + f] = t;
        }
      }
    }
  }
  return record1('maxOverSteps', [x], new Tensor(out, [B, F]), (g) => {
    const gd = g.data;
    const dx = allocOut(T * B * F, x.dtype);
    for (let b = 0; b < B; b++)
      for (let f = 0; f < F; f++) dx[(arg[b * F + f] * B + b) * F + f] = gd[b * F + f];
    return [new Tensor(dx, x.shape)];
  });
}
