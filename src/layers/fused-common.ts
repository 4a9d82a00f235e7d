/**
 * Shared plumbing of the fused sequence ops (fused-rnn.ts, fused-lstm.ts, fused-gru.ts):
 * argument checks, workspaces allocated once per call, the row masks of packed sequences, and
 * the bias and column-sum loops.
 */
import type { DType, FloatArray, Kernels, PackedMatrix } from '../kernels/types.js';
import { arenaArray } from '../tensor/scope.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { ConfigError, DTypeError, fmtShape, ShapeError } from '../util/errors.js';
import type { SequenceMode, SequenceOptions, SequenceParams } from './sequence-types.js';

/** Gate blocks per mode: G in weight shapes [G*H, in]. */
export function gateCount(mode: SequenceMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

export interface SequenceDims {
  T: number;
  B: number;
  I: number;
  H: number;
  /** Hout: projSize for a projected LSTM, else H. */
  P: number;
  dtype: DType;
}

function expectShape(op: string, name: string, t: Tensor, shape: number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${op}: ${name} must be ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  }
}

/** Validates the tensors of one sequence call and returns its sizes. */
export function checkSequenceInputs(
  op: string,
  mode: SequenceMode,
  x: Tensor,
  p: SequenceParams,
  h0: Tensor,
  c0: Tensor | null,
  opts: SequenceOptions,
): SequenceDims {
  if (!(x instanceof Tensor) || x.rank !== 3) {
    throw new ShapeError(
      `${op}: x must be [seqLen, batch, inputSize], got ${x instanceof Tensor ? fmtShape(x.shape) : typeof x}`,
    );
  }
  const [T, B, I] = x.shape;
  if (T < 1 || B < 1 || I < 1)
    throw new ShapeError(`${op}: x must have non-zero sizes, got ${fmtShape(x.shape)}`);
  const G = gateCount(mode);
  if (p.wIh.rank !== 2 || p.wIh.shape[0] % G !== 0) {
    throw new ShapeError(`${op}: wIh must be [${G}*hidden, ${I}], got ${fmtShape(p.wIh.shape)}`);
  }
  const H = p.wIh.shape[0] / G;
  const proj = mode === 'LSTM' && p.wHr ? p.wHr : null;
  if (proj && (proj.rank !== 2 || proj.shape[1] !== H)) {
    throw new ShapeError(`${op}: wHr must be [projSize, ${H}], got ${fmtShape(proj.shape)}`);
  }
  const P = proj ? proj.shape[0] : H;
  expectShape(op, 'wIh', p.wIh, [G * H, I]);
  expectShape(op, 'wHh', p.wHh, [G * H, P]);
  if (p.bIh) expectShape(op, 'bIh', p.bIh, [G * H]);
  if (p.bHh) expectShape(op, 'bHh', p.bHh, [G * H]);
  expectShape(op, 'h0', h0, [B, P]);
  if (mode === 'LSTM') {
    if (!c0) throw new ConfigError(`${op}: an LSTM needs c0 [${B}, ${H}]`);
    expectShape(op, 'c0', c0, [B, H]);
  } else if (c0) {
    throw new ConfigError(`${op}: c0 is only for LSTM, got one for ${mode}`);
  }
  const named: [string, Tensor | null | undefined][] = [
    ['wIh', p.wIh],
    ['wHh', p.wHh],
    ['bIh', p.bIh],
    ['bHh', p.bHh],
    ['h0', h0],
    ['c0', c0],
    ['wHr', proj],
  ];
  for (const [name, t] of named) {
    if (t && t.dtype !== x.dtype) {
      throw new DTypeError(
        `${op}: ${name} is ${t.dtype} but x is ${x.dtype}; use one dtype for inputs and parameters`,
      );
    }
  }
  if (opts.lengths) checkLengths(op, opts.lengths, T, B);
  return { T, B, I, H, P, dtype: x.dtype };
}

/** Lengths must be one integer in [1, T] per batch element (any order). */
export function checkLengths(op: string, lengths: ArrayLike<number>, T: number, B: number): void {
  if (lengths.length !== B) {
    throw new ShapeError(
      `${op}: lengths must have one entry per batch element (${B}), got ${lengths.length}`,
    );
  }
  for (let b = 0; b < B; b++) {
    const l = lengths[b];
    if (!Number.isInteger(l) || l < 1 || l > T) {
      throw new ShapeError(
        `${op}: lengths[${b}] must be an integer in [1, ${T}] (the sequence length), got ${l}`,
      );
    }
  }
}

/** Null when every length equals T (then no masking is needed). */
export function effectiveLengths(lengths: Int32Array | null, T: number): Int32Array | null {
  if (!lengths) return null;
  for (let b = 0; b < lengths.length; b++) if (lengths[b] !== T) return lengths;
  return null;
}

// Frees the workspaces of forwards whose graph is dropped without a backward (the wasm backend
// keeps them in its own memory, which the garbage collector does not see).
const orphans = new FinalizationRegistry<Workspace>((ws) => ws.release());

/** Kernel workspaces of one call, released together. */
export class Workspace {
  private arrays: FloatArray[] = [];
  private live = true;

  constructor(
    readonly K: Kernels,
    readonly dtype: DType,
  ) {}

  /**
   * A zeroed array of n elements from the backend; with `overwritten`, not zeroed: the caller
   * writes every element before reading it (golden tests poison such arrays with NaN).
   */
  take(n: number, overwritten = false): FloatArray {
    // Inside tidy() float32 workspaces come from the scope's arena and die with it.
    const s = this.dtype === 'float32' ? arenaArray(Math.max(n, 1), !overwritten) : null;
    if (s) return s;
    const a = this.K.alloc(Math.max(n, 1), this.dtype, !overwritten);
    this.arrays.push(a);
    return a;
  }

  get released(): boolean {
    return !this.live;
  }

  /** Releases everything when `owner` is garbage-collected before `release()`. */
  guard(owner: object): void {
    orphans.register(owner, this, this);
  }

  release(): void {
    if (!this.live) return;
    this.live = false;
    orphans.unregister(this);
    for (const a of this.arrays) this.K.free(a);
    this.arrays = [];
  }
}

/** Throws when a tensor the backward reads was modified in place after the forward. */
export function versionGuard(op: string, tensors: Tensor[]): () => void {
  const versions = tensors.map((t) => t.version);
  return () => {
    for (let i = 0; i < tensors.length; i++) {
      if (tensors[i].version !== versions[i]) {
        throw new ConfigError(
          `${op}.backward: an input of shape ${fmtShape(tensors[i].shape)} was modified in place after the forward (optimizer step before backward?)`,
        );
      }
    }
  };
}

export function secondBackwardError(op: string): ConfigError {
  return new ConfigError(
    `${op}.backward: called a second time on the same graph; its saved buffers were freed after the first backward (run the forward again)`,
  );
}

/** dst[r, j] = b1[j] + b2[j] for rows r < rows (either bias may be null). */
export function fillBias(
  dst: FloatArray,
  rows: number,
  n: number,
  b1: FloatArray | null,
  b2: FloatArray | null,
): void {
  if ((!b1 && !b2) || rows <= 0) return;
  for (let j = 0; j < n; j++) dst[j] = (b1 ? b1[j] : 0) + (b2 ? b2[j] : 0);
  // Then double the filled rows by block copies (memmove speed instead of an element loop).
  let done = 1;
  while (done < rows) {
    const now = Math.min(done, rows - done);
    dst.copyWithin(done * n, 0, now * n);
    done += now;
  }
}

/** Column sums of src [rows, n] (the bias gradient), on the backend's kernel. */
export function colSums(K: Kernels, src: FloatArray, rows: number, n: number, dtype: DType): FloatArray {
  const out = allocOut(n, dtype);
  K.sumRows(rows, n, src, 0, out, 0);
  return out;
}

/** Both bias gradients of a fused op when they are the same column sums (b_ih and b_hh add). */
export function biasGrads(
  K: Kernels,
  src: FloatArray,
  rows: number,
  n: number,
  dtype: DType,
  bIh: Tensor | null,
  bHh: Tensor | null,
): (Tensor | null)[] {
  const out: (Tensor | null)[] = [];
  let sums: FloatArray | null = null;
  for (const b of [bIh, bHh]) {
    if (!b) continue;
    if (!b.requiresGrad) {
      out.push(null);
      continue;
    }
    // The first gets the sums; the second a copy (gradients must not share storage).
    sums = sums ? sums.slice() : colSums(K, src, rows, n, dtype);
    out.push(new Tensor(sums, [n]));
  }
  return out;
}

interface PackEntry {
  K: Kernels;
  version: number;
  data: FloatArray;
  packed: PackedMatrix;
}
const packCache = new WeakMap<Tensor, Map<string, PackEntry>>();
const packReaper = new FinalizationRegistry<Map<string, PackEntry>>((m) => {
  for (const e of m.values()) e.packed.dispose();
});

/**
 * op(W) packed for `gemmPacked` (W [n, k] with transB, else [k, n]; `rows` as in Kernels.packB),
 * kept with the tensor and reused until its data changes (`version`, see Tensor.markChanged): an
 * inference loop or a sampler calling the layer again and again packs W_hh once. The caller must
 * not dispose it; it is freed with the tensor or when it is packed again.
 */
export function packedWeight(K: Kernels, w: Tensor, transB: boolean, rows: number): PackedMatrix {
  const [r, c] = w.shape;
  const k = transB ? c : r;
  const n = transB ? r : c;
  let m = packCache.get(w);
  if (!m) {
    m = new Map();
    packCache.set(w, m);
    packReaper.register(w, m);
  }
  const key = `${transB ? 't' : 'n'}${rows === 1 ? '1' : 'm'}`;
  const e = m.get(key);
  if (e && e.K === K && e.version === w.version && e.data === w.data) return e.packed;
  e?.packed.dispose();
  const packed = K.packB(transB, k, n, w.data, 0, c, rows);
  m.set(key, { K, version: w.version, data: w.data, packed });
  return packed;
}

/** dh[b] += g[t, b] for every batch row active at time t. */
export function addOutputGrad(
  g: FloatArray,
  t: number,
  B: number,
  n: number,
  lengths: Int32Array | null,
  dh: FloatArray,
): void {
  const base = t * B * n;
  for (let b = 0; b < B; b++) {
    if (lengths && t >= lengths[b]) continue;
    const o = b * n;
    for (let j = 0; j < n; j++) dh[o + j] += g[base + o + j];
  }
}

/** Zeroes every row inactive at time t. */
export function zeroInactive(
  lengths: Int32Array,
  t: number,
  B: number,
  n: number,
  buf: FloatArray,
  off: number,
): void {
  for (let b = 0; b < B; b++) {
    if (t < lengths[b]) continue;
    buf.fill(0, off + b * n, off + (b + 1) * n);
  }
}

/**
 * The per-time output [T, B, n] from the state slots: row (t, b) is slot `curSlot(t)` for active
 * rows and zero past a sequence's length.
 */
export function gatherOutput(
  states: FloatArray,
  T: number,
  B: number,
  n: number,
  reverse: boolean,
  lengths: Int32Array | null,
  dtype: DType,
): FloatArray {
  const out = allocOut(T * B * n, dtype);
  const shift = reverse ? 0 : 1;
  if (!lengths) {
    out.set(states.subarray(shift * B * n, (T + shift) * B * n));
    return out;
  }
  for (let t = 0; t < T; t++) {
    const src = (t + shift) * B * n;
    for (let b = 0; b < B; b++) {
      if (t >= lengths[b]) continue;
      out.set(states.subarray(src + b * n, src + (b + 1) * n), (t * B + b) * n);
    }
  }
  return out;
}

/** A copy of rows [slot*rows*n, (slot+1)*rows*n) as a tensor [rows, n]. */
export function slotTensor(states: FloatArray, slot: number, rows: number, n: number, dtype: DType): Tensor {
  const d = allocOut(rows * n, dtype);
  d.set(states.subarray(slot * rows * n, (slot + 1) * rows * n));
  return new Tensor(d, [rows, n]);
}

/** An ordinary array copy of the first n elements of a workspace, as a tensor. */
export function copyTensor(src: FloatArray, shape: number[], dtype: DType): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  const d = allocOut(n, dtype);
  d.set(src.subarray(0, n));
  return new Tensor(d, shape);
}

/** A new tensor C = op(A) · B where A is a workspace [m, k] (or [k, m] when transA) and B is [k, n]. */
export function gemmNew(
  K: Kernels,
  transA: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  b: FloatArray,
  transB: boolean,
  shape: number[],
): Tensor {
  const dtype = a instanceof Float64Array ? 'float64' : 'float32';
  const d = allocOut(m * n, dtype);
  K.gemm(transA, transB, m, n, k, a, 0, transA ? m : k, b, 0, transB ? k : n, d, 0, n, false);
  return new Tensor(d, shape);
}
