/**
 * Golden case data and comparison: decoding the README's tensor encoding, the per-dtype tolerance,
 * and the Comparer that records, per compared tensor, the worst absolute and relative error.
 */
import type { DType, FloatArray } from '../kernels/types.js';
import { allocData, Tensor } from '../tensor/tensor.js';
import type { CaseResult } from './golden-types.js';

/** The tolerance of a dtype: float64 1e-9, float32 1e-5 (relative to 1 + |want|). */
export function toleranceFor(dtype: DType): number {
  return dtype === 'float64' ? 1e-9 : 1e-5;
}

interface TensorJson {
  dtype: string;
  shape: number[];
  data: unknown;
}

/** The numbers of a nested array, in order, appended to `out`. */
export function flatten(data: unknown, out: number[]): number[] {
  if (Array.isArray(data)) for (const v of data) flatten(v, out);
  else out.push(data as number);
  return out;
}

function isTensorJson(v: unknown): v is TensorJson {
  return typeof v === 'object' && v !== null && Array.isArray((v as TensorJson).shape) && 'data' in v;
}

/** A tensor of `dtype` from the README's encoding. */
export function decodeTensor(v: unknown, dtype: DType, what: string): Tensor {
  if (!isTensorJson(v)) throw new Error(`${what}: not a tensor object`);
  const flat = flatten(v.data, []);
  const d = allocData(flat.length, dtype);
  for (let i = 0; i < flat.length; i++) d[i] = flat[i];
  return new Tensor(d, v.shape);
}

/** Error bookkeeping of one case. */
export class Comparer {
  readonly errors: CaseResult['errors'] = {};
  readonly problems: string[] = [];
  /**
   * `missingIsZero`: a value that was not computed (null, e.g. the gradient of a parameter the
   * loss does not reach) compares as zeros, as PyTorch's stored zeros for it; false fails it.
   */
  constructor(
    readonly tol: number,
    readonly missingIsZero = true,
  ) {}

  /** Compares values `got` with the expected tensor (or number) `want` under `name`. */
  check(
    name: string,
    got: FloatArray | number[] | number | null | undefined,
    want: unknown,
    gotShape?: readonly number[],
  ): void {
    let w: number[];
    if (typeof want === 'number') w = [want];
    else if (isTensorJson(want)) {
      w = flatten(want.data, []);
      if (
        gotShape &&
        (gotShape.length !== want.shape.length || gotShape.some((d, i) => d !== want.shape[i]))
      ) {
        this.problems.push(
          `${name}: shape [${gotShape.join(', ')}] differs from the expected [${want.shape.join(', ')}]`,
        );
        return;
      }
    } else {
      this.problems.push(`${name}: no expected value in the case`);
      return;
    }
    if ((got === null || got === undefined) && !this.missingIsZero) {
      this.problems.push(`${name}: no value was computed (no gradient reached it?)`);
      return;
    }
    const g =
      got === null || got === undefined
        ? new Array<number>(w.length).fill(0)
        : typeof got === 'number'
          ? [got]
          : got;
    if (g.length !== w.length) {
      this.problems.push(`${name}: ${g.length} values, expected ${w.length}`);
      return;
    }
    let maxAbs = 0;
    let maxRel = 0;
    for (let i = 0; i < w.length; i++) {
      const e = Math.abs(g[i] - w[i]);
      const r = e / (1 + Math.abs(w[i]));
      // NaN never passes: the negated comparisons catch it.
      if (!(e <= maxAbs)) maxAbs = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
      if (!(r <= maxRel)) maxRel = Number.isNaN(r) ? Number.POSITIVE_INFINITY : r;
    }
    this.errors[name] = { maxAbs, maxRel };
    if (!(maxRel <= this.tol))
      this.problems.push(`${name}: max error ${maxRel.toExponential(2)} > ${this.tol}`);
  }

  result(name: string, file: string): CaseResult {
    const r: CaseResult = { name, file, status: this.problems.length ? 'fail' : 'pass', errors: this.errors };
    if (this.problems.length) r.reason = this.problems.join('; ');
    return r;
  }
}

/** sum(a * b) in float64. */
export function dot(a: FloatArray, b: FloatArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
