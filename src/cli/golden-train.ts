/**
 * Checkers of the golden training-step cases (`train_char_lm`, `train_classifier`,
 * `train_regression`; format in ../shared/golden/README.md). The model is assembled from the
 * library's public modules as the case's `model` field describes, its parameters are loaded by
 * PyTorch name, and the loss, every gradient (and the input gradient where given) and every
 * optimizer run are compared step by step with the stored PyTorch values, using the library's
 * SGD, Adam and clipGradNorm.
 *
 * Tolerance, |got - want| <= tol * (1 + |want|): the runner's, 1e-9 in float64 and 1e-5 in
 * float32, for everything, the parameters after Adam steps included. The README allows Adam
 * parameters a looser bound (about 1e-4 in float32, since Adam divides by sqrt(v) + eps); these
 * cases do not need it (measured worst: 1.3e-16 in float64, 5.4e-8 in float32, both backends).
 */
import { backward } from '../autograd/backward.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import type { RNNBase } from '../layers/rnn-base.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { select } from '../ops/join.js';
import { crossEntropy, mse } from '../ops/loss.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { clipGradNorm } from '../train/clip.js';
import { Adam } from '../train/optim/adam.js';
import type { Optimizer } from '../train/optim/optimizer.js';
import { SGD } from '../train/optim/sgd.js';
import { registerCaseType } from './golden.js';
import { Comparer, decodeTensor, flatten, toleranceFor } from './golden-compare.js';
import type { CaseResult, GoldenOptions } from './golden-types.js';

// biome-ignore lint/suspicious/noExplicitAny: case files are checked field by field as they are read
type Json = any;

// ---------------------------------------------------------------------------------------------
// Models, assembled from the case's `model` field

/** Sub-modules registered under the case's names, so parameters are `lstm.weight_ih_l0`, `linear.bias`. */
class Composite extends Module {
  constructor(parts: [string, Module][]) {
    super();
    for (const [name, m] of parts) this.registerModule(name, m);
  }
  protected describe(): string {
    return `Composite(${this.namedModules()
      .slice(1)
      .map(([n]) => n)
      .join(', ')})`;
  }
}

function recurrent(m: Json, dtype: DType, where: string): RNNBase {
  if (m.batch_first) throw new Error(`${where}: batch_first = true is not a training-case layout`);
  const common = {
    inputSize: m.input_size,
    hiddenSize: m.hidden_size,
    numLayers: m.num_layers ?? 1,
    bias: m.bias ?? true,
    dropout: m.dropout ?? 0,
    bidirectional: m.bidirectional ?? false,
    dtype,
  };
  switch (m.mode) {
    case 'LSTM':
      return new LSTM({ ...common, projSize: m.proj_size ?? 0 });
    case 'GRU':
      return new GRU(common);
    case 'RNN_TANH':
    case 'RNN_RELU':
      return new RNN({ ...common, nonlinearity: m.mode === 'RNN_TANH' ? 'tanh' : 'relu' });
    default:
      throw new Error(`${where}: unknown mode ${JSON.stringify(m.mode)}`);
  }
}

function linear(m: Json, dtype: DType): Linear {
  return new Linear(m.in_features, m.out_features, { bias: m.bias ?? true, dtype });
}

/** The case's model with its `parameters` loaded strictly by PyTorch name. */
function buildModel(c: Json, dtype: DType): { model: Composite; parts: Record<string, Module> } {
  const parts: [string, Module][] = [];
  for (const [name, m] of Object.entries(c.model as Record<string, Json>)) {
    if (name === 'embedding') parts.push([name, new Embedding(m.num_embeddings, m.embedding_dim, { dtype })]);
    else if (name === 'linear') parts.push([name, linear(m, dtype)]);
    else if (typeof m?.mode === 'string') parts.push([name, recurrent(m, dtype, `model.${name}`)]);
    else throw new Error(`model.${name}: unknown sub-module`);
  }
  const model = new Composite(parts);
  const state = new Map<string, Tensor>();
  for (const [name, v] of Object.entries(c.parameters as Record<string, unknown>))
    state.set(name, decodeTensor(v, dtype, `parameters.${name}`));
  model.loadStateDict(state);
  return { model, parts: Object.fromEntries(parts) };
}

function ids(v: Json, what: string): Int32Array {
  if (v?.dtype !== 'int64') throw new Error(`${what}: expected an int64 tensor`);
  return Int32Array.from(flatten(v.data, []));
}

/** One forward pass of a case: the loss and the tensors compared besides it. */
interface Pass {
  loss: Tensor;
  /** Named outputs compared with the case (`logits`, `prediction`). */
  outputs: [string, Tensor][];
  /** Real-valued input whose gradient the case gives, or null. */
  input: Tensor | null;
}

type Forward = (c: Json, parts: Record<string, Module>, dtype: DType) => Pass;

/** Embedding -> LSTM -> Linear, cross-entropy over all seq_len * batch positions. */
const charLm: Forward = (c, parts) => {
  const tokens = ids(c.tokens, 'tokens');
  const targets = ids(c.targets, 'targets');
  const [T, B] = c.tokens.shape as number[];
  const e = (parts.embedding as Embedding).forward(tokens, [T, B]);
  const { output } = (parts.lstm as RNNBase).forward(e);
  const logits = (parts.linear as Linear).forward(output);
  return { loss: crossEntropy(logits, targets), outputs: [['logits', logits]], input: null };
};

/** GRU -> h_n of the last layer -> Linear, cross-entropy over the batch. */
const classifier: Forward = (c, parts, dtype) => {
  const x = decodeTensor(c.input, dtype, 'input');
  x.requiresGrad = true;
  const gru = parts.gru as RNNBase;
  const lengths = c.lengths ? flatten(c.lengths.data ?? c.lengths, []) : undefined;
  if (gru.numDirections !== 1) throw new Error('train_classifier: a bidirectional GRU is not covered');
  const { h } = gru.forward(x, { lengths });
  const last = select(h, 0, h.shape[0] - 1);
  const logits = (parts.linear as Linear).forward(last);
  return {
    loss: crossEntropy(logits, ids(c.labels, 'labels')),
    outputs: [['logits', logits]],
    input: x,
  };
};

/** RNN (tanh) -> Linear at every step, MSE over all outputs. */
const regression: Forward = (c, parts, dtype) => {
  const x = decodeTensor(c.input, dtype, 'input');
  x.requiresGrad = true;
  const { output } = (parts.rnn as RNNBase).forward(x);
  const pred = (parts.linear as Linear).forward(output);
  const target = decodeTensor(c.target, dtype, 'target');
  return { loss: mse(pred, target), outputs: [['prediction', pred]], input: x };
};

// ---------------------------------------------------------------------------------------------
// Optimizer runs

interface RunSpec {
  make: (params: Tensor[]) => Optimizer<{ lr: number; maximize: boolean }>;
  clip: number | null;
}

/** The optimizers of README's table, keyed as in `optimizer_runs`. */
const RUNS: Record<string, RunSpec> = {
  sgd: { make: (p) => new SGD(p, { lr: 0.1 }), clip: null },
  sgd_momentum: { make: (p) => new SGD(p, { lr: 0.1, momentum: 0.9 }), clip: null },
  adam: {
    make: (p) => new Adam(p, { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8 }),
    clip: null,
  },
  clip_sgd: { make: (p) => new SGD(p, { lr: 0.1 }), clip: 0.5 },
};

function checkRun(c: Json, key: string, run: Json, forward: Forward, dtype: DType, cmp: Comparer): void {
  const spec = RUNS[key];
  if (!spec) {
    cmp.problems.push(`optimizer run ${key}: unknown optimizer (${JSON.stringify(run?.optimizer)})`);
    return;
  }
  const { model, parts } = buildModel(c, dtype);
  const named = model.namedParameters();
  const opt = spec.make(named.map(([, p]) => p));
  const steps = run.steps as Json[];
  steps.forEach((st, k) => {
    const at = `${key}[${k}]`;
    opt.zeroGrad();
    const { loss } = forward(c, parts, dtype);
    cmp.check(`${at}.loss_before_step`, loss.item(), st.loss_before_step);
    backward(loss);
    if (spec.clip !== null) {
      const total = clipGradNorm(
        named.map(([, p]) => p),
        spec.clip,
      );
      cmp.check(`${at}.grad_total_norm_before_clip`, total, st.grad_total_norm_before_clip);
      for (const [name, p] of named)
        cmp.check(`${at}.clipped_grad.${name}`, p.grad?.data, st.clipped_gradients?.[name], p.shape);
    }
    opt.step();
    for (const [name, p] of named)
      cmp.check(`${at}.param.${name}`, p.data, st.parameters_after_step?.[name], p.shape);
  });
}

// ---------------------------------------------------------------------------------------------
// The case checker

const FORWARDS: Record<string, Forward> = {
  train_char_lm: charLm,
  train_classifier: classifier,
  train_regression: regression,
};

/** Checks one training-step case (any of the three types). */
export function checkTrainingCase(c: Json, opts: GoldenOptions, file: string): CaseResult {
  const dtype = opts.dtype;
  const forward = FORWARDS[c?.case_type];
  if (!forward) throw new Error(`not a training case: case_type ${JSON.stringify(c?.case_type)}`);
  const cmp = new Comparer(toleranceFor(dtype), false);
  const { model, parts } = buildModel(c, dtype);
  const names = new Set(model.namedParameters().map(([n]) => n));
  for (const n of c.parameter_names as string[])
    if (!names.has(n)) cmp.problems.push(`parameter ${n} is missing from the model`);

  const pass = forward(c, parts, dtype);
  for (const [name, t] of pass.outputs) if (c[name]) cmp.check(name, t.data, c[name], t.shape);
  cmp.check('loss', pass.loss.item(), c.loss);
  backward(pass.loss);
  const g = c.gradients;
  if (g.input !== undefined) cmp.check('grad.input', pass.input?.grad?.data, g.input, pass.input?.shape);
  for (const [name, p] of model.namedParameters()) cmp.check(`grad.${name}`, p.grad?.data, g[name], p.shape);

  for (const [key, run] of Object.entries((c.optimizer_runs ?? {}) as Record<string, Json>))
    checkRun(c, key, run, forward, dtype, cmp);
  return cmp.result(c.name, file);
}

for (const t of Object.keys(FORWARDS)) registerCaseType(t, checkTrainingCase);
