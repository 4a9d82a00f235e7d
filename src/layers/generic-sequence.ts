/**
 * The generic sequence path: one layer, one direction, over a whole sequence, for every recurrent
 * variant the fused PyTorch-standard ops do not cover. One tape node per call, with a hand-written
 * BPTT backward (generic-backward.ts). The layers call it when a variant option is in use.
 *
 * Weights are in PyTorch layout and gate order (see sequence-types.ts): wIh [G*H, I],
 * wHh [G*H, Hout], biases [G*H]; LSTM gates i, f, g, o; GRU r, z, n. `clip(v)` clamps to
 * [-clip, clip] (the identity without `clip`); f, g, h are `activations` (ONNX order; defaults in
 * parentheses). With dilation d the recurrence reads the state of processing step s - d, and the
 * initial state for s < d. Pre-activations a_* = W_i* x_t + b_i* + W_h* h_{t-d} + b_h*.
 *
 * - RNN (f = tanh for RNN_TANH, relu for RNN_RELU): h_t = f(clip(a)).
 * - GRU (f = sigmoid, g = tanh): r = f(clip(a_r)), z = f(clip(a_z)),
 *   linearBeforeReset (default, PyTorch): n = g(clip(W_in x + b_in + r * (W_hn h + b_hn))),
 *   otherwise (ONNX default, textbook): n = g(clip(W_in x + b_in + W_hn (r * h) + b_hn)),
 *   h_t = (1 - z) * n + z * h_{t-d}.
 * - LSTM (f = sigmoid, g = tanh, h = tanh), peepholes p = [p_i, p_o, p_f] (ONNX order):
 *   i = f(clip(a_i + p_i * c_{t-d})), fg = f(clip(a_f + forgetBias + p_f * c_{t-d})) or
 *   fg = 1 - i with inputForget (then p_f and forgetBias do not apply), c~ = g(clip(a_g)),
 *   c_t = fg * c_{t-d} + i * c~, o = f(clip(a_o + p_o * c_t)), h_t = o * h(c_t), and with a
 *   projection h_t = (o * h(c_t)) · W_hrᵀ. The cell state itself is never clipped.
 *
 * Shapes: x [T, B, I], h0 [B, Hout], c0 [B, H] (LSTM; null means zeros) -> output [T, B, Hout],
 * h [B, Hout], c [B, H] | null. Lengths follow PyTorch's packed sequences: entry b processes only
 * its first len_b time steps (reverse: from step len_b - 1 down to 0), output rows past len_b
 * are zero, and the returned state is the one after its last processed step. With dilation d that
 * is the end of the chain of the last step — as in dilated RNNs (Chang et al., 2017, "Dilated
 * Recurrent Neural Networks"), where the d interleaved chains all start from h0 and the final
 * state is taken at the last step. A length of 0 returns the initial state and a zero output.
 *
 * Deviations: none from ONNX for the variants it has (clip, activations, peepholes, input_forget,
 * linear_before_reset); with default options the numbers are PyTorch's. Not fused: this path runs
 * the pointwise part in plain TypeScript and is slower than the fused ops.
 */
import { record } from '../autograd/record.js';
import type { DType, FloatArray } from '../kernels/types.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { ConfigError, DTypeError, fmtShape, ShapeError } from '../util/errors.js';
import { type ResolvedActivation, resolveActivation } from './generic-activations.js';
import { backwardCore, type Needs } from './generic-backward.js';
import { forwardCore } from './generic-forward.js';
import type { Arrays, Plan } from './generic-plan.js';
import type {
  ActivationSpec,
  SequenceMode,
  SequenceOptions,
  SequenceParams,
  SequenceResult,
} from './sequence-types.js';

const WHERE = 'genericSequence';

const DEFAULT_ACTS: Record<SequenceMode, ActivationSpec[]> = {
  RNN_TANH: [{ kind: 'tanh' }],
  RNN_RELU: [{ kind: 'relu' }],
  GRU: [{ kind: 'sigmoid' }, { kind: 'tanh' }],
  LSTM: [{ kind: 'sigmoid' }, { kind: 'tanh' }, { kind: 'tanh' }],
};
const GATES: Record<SequenceMode, number> = { RNN_TANH: 1, RNN_RELU: 1, GRU: 3, LSTM: 4 };
const ACT_NAMES: Record<SequenceMode, string> = {
  RNN_TANH: '[f]',
  RNN_RELU: '[f]',
  GRU: '[f, g]',
  LSTM: '[f, g, h]',
};

function expectShape(t: Tensor, shape: number[], arg: string, hint: string): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${WHERE}: ${arg} must be ${fmtShape(shape)} (${hint}), got ${fmtShape(t.shape)}`);
  }
}

function checkTensorArg(t: unknown, arg: string, dtype: DType | null): Tensor {
  if (!(t instanceof Tensor))
    throw new DTypeError(`${WHERE}: ${arg} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (dtype && t.dtype !== dtype) {
    throw new DTypeError(
      `${WHERE}: ${arg} is ${t.dtype} but x is ${dtype}; convert one so all inputs share a dtype`,
    );
  }
  return t;
}

function resolveActs(mode: SequenceMode, specs: ActivationSpec[] | undefined): ResolvedActivation[] {
  const list = specs ?? DEFAULT_ACTS[mode];
  if (!Array.isArray(list) || list.length !== DEFAULT_ACTS[mode].length) {
    throw new ConfigError(
      `${WHERE}: activations for ${mode} must list ${DEFAULT_ACTS[mode].length} functions ${ACT_NAMES[mode]}, got ${
        Array.isArray(list) ? list.length : typeof list
      }`,
    );
  }
  return list.map((s, i) => resolveActivation(s, `${WHERE}: activations[${i}]`));
}

function resolveLengths(lengths: Int32Array | null, T: number, B: number): Int32Array {
  if (lengths === null || lengths === undefined) return new Int32Array(B).fill(T);
  if (!(lengths instanceof Int32Array) || lengths.length !== B) {
    throw new ShapeError(
      `${WHERE}: lengths must be an Int32Array of ${B} values (one per batch entry), got ${
        lengths instanceof Int32Array ? `${lengths.length} values` : typeof lengths
      }`,
    );
  }
  for (let b = 0; b < B; b++) {
    if (lengths[b] < 0 || lengths[b] > T) {
      throw new ShapeError(
        `${WHERE}: lengths[${b}] must be in [0, ${T}] (the sequence length), got ${lengths[b]}`,
      );
    }
  }
  return lengths;
}

/** Builds the plan from validated tensors and options. */
function makePlan(
  mode: SequenceMode,
  x: Tensor,
  p: SequenceParams,
  h0: Tensor | null,
  c0: Tensor | null,
  o: SequenceOptions,
): Plan {
  if (!(mode in GATES)) {
    throw new ConfigError(
      `${WHERE}: mode must be 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU', got ${JSON.stringify(mode)}`,
    );
  }
  const cell = mode === 'LSTM' ? 'lstm' : mode === 'GRU' ? 'gru' : 'rnn';
  const G = GATES[mode];
  checkTensorArg(x, 'x', null);
  const dtype = x.dtype;
  if (x.rank !== 3)
    throw new ShapeError(`${WHERE}: x must be [seqLen, batch, inputSize], got ${fmtShape(x.shape)}`);
  const [T, B, I] = x.shape;
  const wIh = checkTensorArg(p?.wIh, 'params.wIh', dtype);
  if (wIh.rank !== 2 || wIh.shape[0] % G !== 0 || wIh.shape[0] === 0) {
    throw new ShapeError(
      `${WHERE}: params.wIh must be [${G}*hiddenSize, inputSize] for ${mode}, got ${fmtShape(wIh.shape)}`,
    );
  }
  const H = wIh.shape[0] / G;
  expectShape(wIh, [G * H, I], 'params.wIh', `${G}*hiddenSize, inputSize ${I} of x`);
  const wHr = p.wHr ?? null;
  if (wHr) {
    checkTensorArg(wHr, 'params.wHr', dtype);
    if (cell !== 'lstm')
      throw new ConfigError(`${WHERE}: params.wHr (projection) is only supported for LSTM, got mode ${mode}`);
    if (wHr.rank !== 2 || wHr.shape[1] !== H) {
      throw new ShapeError(
        `${WHERE}: params.wHr must be [projSize, ${H}] (hiddenSize ${H}), got ${fmtShape(wHr.shape)}`,
      );
    }
  }
  const Hout = wHr ? wHr.shape[0] : H;
  expectShape(
    checkTensorArg(p.wHh, 'params.wHh', dtype),
    [G * H, Hout],
    'params.wHh',
    `${G}*hiddenSize, state size ${Hout}`,
  );
  for (const k of ['bIh', 'bHh'] as const) {
    const bt = p[k];
    if (bt !== null && bt !== undefined)
      expectShape(checkTensorArg(bt, `params.${k}`, dtype), [G * H], `params.${k}`, `${G}*hiddenSize`);
  }
  const peep = p.peep ?? null;
  if (peep) {
    if (cell !== 'lstm')
      throw new ConfigError(`${WHERE}: params.peep (peepholes) is only supported for LSTM, got mode ${mode}`);
    expectShape(
      checkTensorArg(peep, 'params.peep', dtype),
      [3 * H],
      'params.peep',
      'peepholes i, o, f of hiddenSize each',
    );
  }
  if (h0 !== null && h0 !== undefined)
    expectShape(checkTensorArg(h0, 'h0', dtype), [B, Hout], 'h0', 'batch, state size');
  if (c0 !== null && c0 !== undefined) {
    if (cell !== 'lstm') throw new ConfigError(`${WHERE}: c0 is only used by LSTM; pass null for ${mode}`);
    expectShape(checkTensorArg(c0, 'c0', dtype), [B, H], 'c0', 'batch, hiddenSize');
  }
  if (o === null || typeof o !== 'object')
    throw new ConfigError(`${WHERE}: opts must be an object, got ${o}`);
  if (typeof o.reverse !== 'boolean')
    throw new ConfigError(`${WHERE}: opts.reverse must be a boolean, got ${o.reverse}`);
  const clip = o.clip ?? Number.POSITIVE_INFINITY;
  if (typeof clip !== 'number' || !(clip > 0))
    throw new ConfigError(`${WHERE}: opts.clip must be a positive number, got ${o.clip}`);
  const dilation = o.dilation ?? 1;
  if (!Number.isInteger(dilation) || dilation < 1) {
    throw new ConfigError(`${WHERE}: opts.dilation must be an integer >= 1, got ${o.dilation}`);
  }
  const inputForget = o.inputForget ?? false;
  if (inputForget && cell !== 'lstm')
    throw new ConfigError(`${WHERE}: opts.inputForget is only supported for LSTM, got mode ${mode}`);
  const lbr = o.linearBeforeReset ?? true;
  if (o.linearBeforeReset !== undefined && cell !== 'gru') {
    throw new ConfigError(`${WHERE}: opts.linearBeforeReset is only supported for GRU, got mode ${mode}`);
  }
  const forgetBias = o.forgetBias ?? 0;
  if (o.forgetBias !== undefined) {
    if (cell !== 'lstm')
      throw new ConfigError(`${WHERE}: opts.forgetBias is only supported for LSTM, got mode ${mode}`);
    if (!Number.isFinite(forgetBias))
      throw new ConfigError(`${WHERE}: opts.forgetBias must be a finite number, got ${forgetBias}`);
    if (inputForget && forgetBias !== 0) {
      throw new ConfigError(
        `${WHERE}: opts.forgetBias has no effect with inputForget (the forget gate is 1 - i); drop one`,
      );
    }
  }
  const acts = resolveActs(mode, o.activations);
  const lens = resolveLengths(o.lengths, T, B);
  let L = 0;
  for (let b = 0; b < B; b++) L = Math.max(L, lens[b]);
  return {
    mode,
    cell,
    dtype,
    T,
    B,
    I,
    H,
    Hout,
    G,
    GH: G * H,
    acts,
    clip,
    inputForget,
    forgetBias,
    lbr,
    dilation,
    reverse: o.reverse,
    lens,
    L,
  };
}

/**
 * Runs one layer and direction of an RNN, GRU or LSTM with any of the variants (see the module
 * comment for the equations). Differentiable with respect to x, every parameter, h0 and c0.
 */
export function genericSequence(
  mode: SequenceMode,
  x: Tensor,
  params: SequenceParams,
  h0: Tensor | null,
  c0: Tensor | null,
  opts: SequenceOptions,
): SequenceResult {
  const plan = makePlan(mode, x, params, h0, c0, opts);
  const { B, H, Hout, dtype } = plan;
  const lstm = plan.cell === 'lstm';
  const arrays: Arrays = {
    x: x.data,
    wIh: params.wIh.data,
    wHh: params.wHh.data,
    bIh: params.bIh?.data ?? null,
    bHh: params.bHh?.data ?? null,
    wHr: params.wHr?.data ?? null,
    peep: params.peep?.data ?? null,
    h0: h0 ? h0.data : allocOut(B * Hout, dtype),
    c0: lstm ? (c0 ? c0.data : allocOut(B * H, dtype)) : null,
  };
  const fw = forwardCore(plan, arrays);
  const output = new Tensor(fw.out, [plan.T, B, Hout]);
  const h = new Tensor(fw.hT, [B, Hout]);
  const c = fw.cT ? new Tensor(fw.cT, [B, H]) : null;

  // Tape inputs: the tensors present, in a fixed order, with their slot names.
  const slots: [keyof Needs, Tensor | null | undefined][] = [
    ['x', x],
    ['wIh', params.wIh],
    ['wHh', params.wHh],
    ['bIh', params.bIh],
    ['bHh', params.bHh],
    ['wHr', params.wHr],
    ['peep', params.peep],
    ['h0', h0],
    ['c0', lstm ? c0 : null],
  ];
  const present = slots.filter((s): s is [keyof Needs, Tensor] => s[1] instanceof Tensor);
  const outputs = c ? [output, h, c] : [output, h];
  record(
    WHERE,
    present.map((s) => s[1]),
    outputs,
    (gOut) => {
      const need: Needs = {
        x: false,
        wIh: false,
        wHh: false,
        bIh: false,
        bHh: false,
        wHr: false,
        peep: false,
        h0: false,
        c0: false,
      };
      for (const [k, t] of present) need[k] = t.requiresGrad;
      const grads = backwardCore(
        plan,
        arrays,
        fw.saved,
        { out: gOut[0]?.data ?? null, hT: gOut[1]?.data ?? null, cT: gOut[2]?.data ?? null },
        need,
      );
      return present.map(([k, t]) => {
        const g: FloatArray | null = grads[k];
        return g && t.requiresGrad ? new Tensor(g, t.shape) : null;
      });
    },
  );
  return { output, h, c };
}
