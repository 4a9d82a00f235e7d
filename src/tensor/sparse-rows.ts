/**
 * Row-sparse gradients: a sparse embedding's gradient is a dense [V, E] tensor whose
 * `sparseRows` (sorted, distinct) name the only rows that may be nonzero. The code that reads or
 * combines gradients (the tape's accumulation, clipping, the non-finite check, the optimizers)
 * visits only those rows through these helpers, so a step costs O(rows used · E), not O(V · E).
 */
import type { FloatArray, Tensor } from './tensor.js';

/** Maximal runs of consecutive rows of sorted, distinct `rows`, as [first, end) pairs. */
export function rowRuns(rows: Int32Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    while (j < rows.length && rows[j] === rows[j - 1] + 1) j++;
    runs.push([rows[i], rows[j - 1] + 1]);
    i = j;
  }
  return runs;
}

/**
 * The element ranges of `t` that may hold nonzero values, as [start, end) pairs: the runs of its
 * `sparseRows`, or the whole tensor when it has none.
 */
export function liveRanges(t: Tensor): [number, number][] {
  const rows = t.sparseRows;
  if (!rows) return [[0, t.size]];
  const width = t.shape[0] > 0 ? t.size / t.shape[0] : 0;
  return rowRuns(rows).map(([r0, r1]) => [r0 * width, r1 * width]);
}

/** out[i] += t.data[i] over the live ranges of `t`. */
export function addLive(out: FloatArray, t: Tensor): void {
  const d = t.data;
  for (const [s, e] of liveRanges(t)) for (let i = s; i < e; i++) out[i] += d[i];
}

/** A zeroed array of `t`'s dtype and size holding `t`'s values in its live ranges (a copy). */
export function copyLive(t: Tensor): FloatArray {
  if (!t.sparseRows) return t.data.slice();
  const out = t.dtype === 'float64' ? new Float64Array(t.size) : new Float32Array(t.size);
  for (const [s, e] of liveRanges(t)) out.set(t.data.subarray(s, e), s);
  return out;
}
