/**
 * The ONNX operators `RNN`, `GRU` and `LSTM` (default domain, opset 14 and later) as a function:
 * `onnx.runNode({ opType, attributes }, { X, W, R, B, sequence_lens, initial_h, initial_c, P })`
 * returns `{ Y, Y_h, Y_c }` exactly as the operator defines them, every attribute included
 * (activations with activation_alpha / activation_beta, clip, direction, hidden_size,
 * input_forget, layout, linear_before_reset).
 *
 * Each direction runs through `genericSequence` after the weights are mapped to PyTorch layout:
 * ONNX gate blocks LSTM i, o, f, c -> i, f, g, o; GRU z, r, h -> r, z, n; B = [Wb, Rb] is split
 * into b_ih / b_hh; P = [Pi, Po, Pf] is passed through (the generic path takes ONNX order).
 * Shapes (layout 0; layout 1 swaps the first two axes of X, Y (seq <-> batch), and puts batch first
 * in initial_h, initial_c, Y_h, Y_c): X [seq, batch, input], W [nd, G*H, input], R [nd, G*H, H],
 * B [nd, 2*G*H], sequence_lens [batch], initial_h / initial_c [nd, batch, H], P [nd, 3H]
 * -> Y [seq, nd, batch, H], Y_h / Y_c [nd, batch, H]; nd = 2 for bidirectional, else 1.
 *
 * A sequence_lens entry of 0 (which the specification leaves open) gives zero Y rows and
 * Y_h / Y_c equal to the initial state. Inference only: the outputs are not recorded on the tape. Inputs are Tensors or plain
 * `{ dtype, shape, data }` objects (data nested or flat); everything runs in X's dtype, or in
 * `options.dtype` when given (plain objects are converted, Tensors must already match).
 */
import { noGrad } from '../autograd/grad-mode.js';
import type { DType, FloatArray } from '../kernels/types.js';
import { allocOut, type NestedArray, Tensor } from '../tensor/tensor.js';
import { DTypeError, fmtShape, ShapeError } from '../util/errors.js';
import { genericSequence } from './generic-sequence.js';
import { type OnnxAttributes, type OnnxOpType, resolveAttributes } from './onnx-attributes.js';
import type { SequenceMode, SequenceOptions } from './sequence-types.js';

export type { OnnxAttributes, OnnxDirection, OnnxOpType } from './onnx-attributes.js';

/** A tensor as plain data, e.g. from a JSON test case: `{ dtype: 'float32', shape: [2, 3], data: [[...], [...]] }`. */
export interface OnnxTensorData {
  dtype?: string;
  shape: readonly number[];
  data: NestedArray | ArrayLike<number>;
}

export type OnnxTensorInput = Tensor | OnnxTensorData;

/** The node's inputs by formal name; absent or null optional inputs take the ONNX defaults. */
export interface OnnxInputs {
  X: OnnxTensorInput;
  W: OnnxTensorInput;
  R: OnnxTensorInput;
  B?: OnnxTensorInput | null;
  sequence_lens?: OnnxTensorInput | Int32Array | readonly number[] | null;
  initial_h?: OnnxTensorInput | null;
  initial_c?: OnnxTensorInput | null;
  P?: OnnxTensorInput | null;
}

export interface OnnxNode {
  opType: OnnxOpType;
  attributes?: OnnxAttributes;
}

export interface OnnxOutputs {
  Y: Tensor;
  Y_h: Tensor;
  /** LSTM only; null for RNN and GRU. */
  Y_c: Tensor | null;
}

export interface RunNodeOptions {
  /** Compute dtype; default: X's dtype (float32 for plain data without a dtype). */
  dtype?: DType;
}

const GATES: Record<OnnxOpType, number> = { RNN: 1, GRU: 3, LSTM: 4 };
/** PyTorch gate block k is ONNX gate block PERM[k]. */
const PERM: Record<OnnxOpType, number[]> = { RNN: [0], GRU: [1, 0, 2], LSTM: [0, 2, 3, 1] };

function flatten(
  data: NestedArray | ArrayLike<number>,
  n: number,
  name: string,
  where: string,
): number[] | ArrayLike<number> {
  if (typeof data === 'number') return [data];
  if (!Array.isArray(data)) return data as ArrayLike<number>;
  const out: number[] = [];
  const walk = (v: NestedArray): void => {
    if (Array.isArray(v)) for (const e of v) walk(e);
    else if (typeof v === 'number') out.push(v);
    else throw new DTypeError(`${where}: ${name}.data holds a ${typeof v}, expected numbers`);
  };
  walk(data);
  if (out.length !== n)
    throw new ShapeError(`${where}: ${name}.data has ${out.length} values but its shape needs ${n}`);
  return out;
}

/** A float input as (data, shape) in the compute dtype. */
function floatInput(
  v: OnnxTensorInput,
  name: string,
  dtype: DType,
  where: string,
): { data: FloatArray; shape: number[] } {
  if (v instanceof Tensor) {
    if (v.dtype !== dtype) {
      throw new DTypeError(
        `${where}: input ${name} is ${v.dtype} but the node runs in ${dtype}; convert it (all inputs share X's dtype)`,
      );
    }
    return { data: v.data, shape: v.shape.slice() };
  }
  if (v === null || typeof v !== 'object' || !Array.isArray(v.shape)) {
    throw new DTypeError(
      `${where}: input ${name} must be a Tensor or { dtype, shape, data }, got ${JSON.stringify(v)}`,
    );
  }
  if (v.dtype !== undefined && v.dtype !== 'float32' && v.dtype !== 'float64') {
    throw new DTypeError(
      `${where}: input ${name} must be float32 or float64, got dtype ${JSON.stringify(v.dtype)}`,
    );
  }
  const n = v.shape.reduce((a, b) => a * b, 1);
  const flat = flatten(v.data, n, name, where);
  if (flat.length !== n)
    throw new ShapeError(
      `${where}: ${name}.data has ${flat.length} values but shape ${fmtShape(v.shape)} needs ${n}`,
    );
  const data = allocOut(n, dtype);
  for (let i = 0; i < n; i++) data[i] = flat[i];
  return { data, shape: v.shape.slice() };
}

function lengthsInput(
  v: NonNullable<OnnxInputs['sequence_lens']>,
  where: string,
): { data: Int32Array; shape: number[] } {
  if (v instanceof Int32Array) return { data: v, shape: [v.length] };
  if (Array.isArray(v)) return { data: Int32Array.from(v as number[]), shape: [v.length] };
  const t = v as OnnxTensorInput;
  const raw =
    t instanceof Tensor
      ? t.data
      : flatten(
          t.data,
          t.shape.reduce((a, b) => a * b, 1),
          'sequence_lens',
          where,
        );
  const data = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    if (!Number.isInteger(raw[i]))
      throw new DTypeError(`${where}: sequence_lens must hold integers, got ${raw[i]} at index ${i}`);
    data[i] = raw[i];
  }
  return { data, shape: t.shape.slice() };
}

function expect(shape: number[], want: number[], name: string, hint: string, where: string): void {
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(
      `${where}: input ${name} must be ${fmtShape(want)} (${hint}), got ${fmtShape(shape)}`,
    );
  }
}

/** Rows of G blocks of H rows each, `cols` wide, from ONNX gate order to PyTorch gate order. */
function reorder(
  src: FloatArray,
  off: number,
  perm: number[],
  H: number,
  cols: number,
  dtype: DType,
): FloatArray {
  const out = allocOut(perm.length * H * cols, dtype);
  const block = H * cols;
  for (let k = 0; k < perm.length; k++)
    out.set(src.subarray(off + perm[k] * block, off + (perm[k] + 1) * block), k * block);
  return out;
}

/** Rows [batch, H] of direction `dir` of a state input ([nd, batch, H], or [batch, nd, H] with layout 1). */
function stateSlice(
  s: FloatArray,
  dir: number,
  nd: number,
  batch: number,
  H: number,
  layout: 0 | 1,
  dtype: DType,
): Tensor {
  const out = allocOut(batch * H, dtype);
  for (let b = 0; b < batch; b++) {
    const src = layout === 0 ? (dir * batch + b) * H : (b * nd + dir) * H;
    out.set(s.subarray(src, src + H), b * H);
  }
  return new Tensor(out, [batch, H]);
}

/** Runs one ONNX RNN, GRU or LSTM node (see the module comment). */
export function runNode(node: OnnxNode, inputs: OnnxInputs, options: RunNodeOptions = {}): OnnxOutputs {
  const where = `onnx.runNode(${node?.opType})`;
  const at = resolveAttributes(node?.opType, node?.attributes, where);
  const op = at.opType;
  if (!inputs || typeof inputs !== 'object')
    throw new ShapeError(`${where}: inputs must be an object keyed by formal input name`);
  for (const req of ['X', 'W', 'R'] as const) {
    if (!inputs[req]) throw new ShapeError(`${where}: required input ${req} is missing`);
  }
  if (op !== 'LSTM') {
    for (const k of ['initial_c', 'P'] as const) {
      if (inputs[k]) throw new ShapeError(`${where}: ${op} has no input ${k} (LSTM only)`);
    }
  }
  const X0 = inputs.X;
  const dtype: DType =
    options.dtype ?? (X0 instanceof Tensor ? X0.dtype : X0.dtype === 'float64' ? 'float64' : 'float32');
  const G = GATES[op];
  const nd = at.directions;
  const X = floatInput(X0, 'X', dtype, where);
  if (X.shape.length !== 3) {
    throw new ShapeError(
      `${where}: input X must have rank 3 (${at.layout ? '[batch, seq, input]' : '[seq, batch, input]'}), got ${fmtShape(X.shape)}`,
    );
  }
  const [T, batch, I] = at.layout === 0 ? X.shape : [X.shape[1], X.shape[0], X.shape[2]];
  const W = floatInput(inputs.W, 'W', dtype, where);
  if (W.shape.length !== 3 || W.shape[1] % G !== 0 || W.shape[1] === 0) {
    throw new ShapeError(
      `${where}: input W must be [${nd}, ${G}*hidden_size, ${I}], got ${fmtShape(W.shape)}`,
    );
  }
  const H = W.shape[1] / G;
  if (at.hiddenSize !== undefined && at.hiddenSize !== H) {
    throw new ShapeError(
      `${where}: input W must be [${nd}, ${G * at.hiddenSize}, ${I}] (hidden_size ${at.hiddenSize}), got ${fmtShape(W.shape)}`,
    );
  }
  const dirHint = `directions ${nd} (direction=${at.direction})`;
  expect(W.shape, [nd, G * H, I], 'W', `${dirHint}, ${G}*hidden_size, input size ${I}`, where);
  const R = floatInput(inputs.R, 'R', dtype, where);
  expect(R.shape, [nd, G * H, H], 'R', `${dirHint}, ${G}*hidden_size, hidden_size ${H}`, where);
  const Bi = inputs.B ? floatInput(inputs.B, 'B', dtype, where) : null;
  if (Bi) expect(Bi.shape, [nd, 2 * G * H], 'B', `${dirHint}, [Wb, Rb] of ${G}*hidden_size each`, where);
  const stateShape = at.layout === 0 ? [nd, batch, H] : [batch, nd, H];
  const stateHint =
    at.layout === 0 ? 'num_directions, batch, hidden_size' : 'batch, num_directions, hidden_size (layout 1)';
  const h0 = inputs.initial_h ? floatInput(inputs.initial_h, 'initial_h', dtype, where) : null;
  if (h0) expect(h0.shape, stateShape, 'initial_h', stateHint, where);
  const c0 = inputs.initial_c ? floatInput(inputs.initial_c, 'initial_c', dtype, where) : null;
  if (c0) expect(c0.shape, stateShape, 'initial_c', stateHint, where);
  const P = inputs.P ? floatInput(inputs.P, 'P', dtype, where) : null;
  if (P) expect(P.shape, [nd, 3 * H], 'P', `${dirHint}, [Pi, Po, Pf] of hidden_size each`, where);
  let lengths: Int32Array | null = null;
  if (inputs.sequence_lens) {
    const sl = lengthsInput(inputs.sequence_lens, where);
    expect(sl.shape, [batch], 'sequence_lens', 'batch', where);
    for (let b = 0; b < batch; b++) {
      if (sl.data[b] < 0 || sl.data[b] > T) {
        throw new ShapeError(
          `${where}: sequence_lens[${b}] must be in [0, ${T}] (seq_length), got ${sl.data[b]}`,
        );
      }
    }
    lengths = sl.data;
  }

  // X as [seq, batch, input].
  let xData = X.data;
  if (at.layout === 1) {
    xData = allocOut(T * batch * I, dtype);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < T; t++)
        xData.set(X.data.subarray((b * T + t) * I, (b * T + t + 1) * I), (t * batch + b) * I);
    }
  }
  const x = new Tensor(xData, [T, batch, I]);
  const Y = allocOut(T * nd * batch * H, dtype);
  const Yh = allocOut(nd * batch * H, dtype);
  const Yc = op === 'LSTM' ? allocOut(nd * batch * H, dtype) : null;
  const mode: SequenceMode = op === 'RNN' ? 'RNN_TANH' : op;
  const perm = PERM[op];
  const GH = G * H;
  for (let dir = 0; dir < nd; dir++) {
    const opts: SequenceOptions = {
      reverse: at.direction === 'reverse' || dir === 1,
      lengths,
      activations: at.activations[dir],
    };
    if (at.clip !== undefined) opts.clip = at.clip;
    if (op === 'GRU') opts.linearBeforeReset = at.linearBeforeReset;
    if (op === 'LSTM') opts.inputForget = at.inputForget;
    const params = {
      wIh: new Tensor(reorder(W.data, dir * GH * I, perm, H, I, dtype), [GH, I]),
      wHh: new Tensor(reorder(R.data, dir * GH * H, perm, H, H, dtype), [GH, H]),
      bIh: Bi ? new Tensor(reorder(Bi.data, dir * 2 * GH, perm, H, 1, dtype), [GH]) : null,
      bHh: Bi ? new Tensor(reorder(Bi.data, dir * 2 * GH + GH, perm, H, 1, dtype), [GH]) : null,
      peep: P ? new Tensor(P.data.slice(dir * 3 * H, (dir + 1) * 3 * H), [3 * H]) : null,
    };
    const hInit = h0 ? stateSlice(h0.data, dir, nd, batch, H, at.layout, dtype) : null;
    const cInit = c0 ? stateSlice(c0.data, dir, nd, batch, H, at.layout, dtype) : null;
    const res = noGrad(() => genericSequence(mode, x, params, hInit, op === 'LSTM' ? cInit : null, opts));
    const out = res.output.data;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < batch; b++) {
        const dst = at.layout === 0 ? ((t * nd + dir) * batch + b) * H : ((b * T + t) * nd + dir) * H;
        Y.set(out.subarray((t * batch + b) * H, (t * batch + b + 1) * H), dst);
      }
    }
    for (let b = 0; b < batch; b++) {
      const dst = at.layout === 0 ? (dir * batch + b) * H : (b * nd + dir) * H;
      Yh.set(res.h.data.subarray(b * H, (b + 1) * H), dst);
      if (Yc && res.c) Yc.set(res.c.data.subarray(b * H, (b + 1) * H), dst);
    }
  }
  const yShape = at.layout === 0 ? [T, nd, batch, H] : [batch, T, nd, H];
  return {
    Y: new Tensor(Y, yShape),
    Y_h: new Tensor(Yh, stateShape),
    Y_c: Yc ? new Tensor(Yc, stateShape) : null,
  };
}

/** The ONNX operators as a namespace: `onnx.runNode(node, inputs)`. */
export const onnx = { runNode } as const;
