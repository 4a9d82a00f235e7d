/**
 * Checkers of the golden `rnn_module` and `tbptt` cases: a recurrent layer built from the case's
 * `module` field, its outputs and gradients compared with the stored PyTorch values (for `tbptt`
 * also over detached chunks, the untruncated gradient and SGD steps between chunks).
 */
import { backwardMany } from '../autograd/backward.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { DType } from '../kernels/types.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import type { RNNBase } from '../layers/rnn-base.js';
import { allocData, Tensor } from '../tensor/tensor.js';
import { Comparer, decodeTensor, dot, toleranceFor } from './golden-compare.js';
import type { CaseResult, GoldenOptions } from './golden-types.js';

interface ModuleJson {
  mode: string;
  input_size: number;
  hidden_size: number;
  num_layers: number;
  bias: boolean;
  batch_first: boolean;
  dropout: number;
  bidirectional: boolean;
  proj_size?: number;
}

/** The layer a case's `module` describes, with its parameters loaded (strictly, by PyTorch name). */
function buildLayer(m: ModuleJson, params: Record<string, unknown>, dtype: DType): RNNBase {
  const common = {
    inputSize: m.input_size,
    hiddenSize: m.hidden_size,
    numLayers: m.num_layers,
    bias: m.bias,
    batchFirst: m.batch_first,
    dropout: m.dropout,
    bidirectional: m.bidirectional,
    dtype,
  };
  let layer: RNNBase;
  if (m.mode === 'LSTM') layer = new LSTM({ ...common, projSize: m.proj_size ?? 0 });
  else if (m.mode === 'GRU') layer = new GRU(common);
  else if (m.mode === 'RNN_TANH' || m.mode === 'RNN_RELU') {
    layer = new RNN({ ...common, nonlinearity: m.mode === 'RNN_TANH' ? 'tanh' : 'relu' });
  } else throw new Error(`unknown module mode ${JSON.stringify(m.mode)}`);
  const state = new Map<string, Tensor>();
  for (const [name, v] of Object.entries(params))
    state.set(name, decodeTensor(v, dtype, `parameters.${name}`));
  layer.loadStateDict(state);
  return layer;
}

function leaf(v: unknown, dtype: DType, what: string): Tensor {
  const t = decodeTensor(v, dtype, what);
  t.requiresGrad = true;
  return t;
}

// biome-ignore lint/suspicious/noExplicitAny: case files are checked field by field as they are read
type Json = any;

export function checkRnnModule(c: Json, opts: GoldenOptions, file: string): CaseResult {
  const dtype = opts.dtype;
  const cmp = new Comparer(toleranceFor(dtype));
  const layer = buildLayer(c.module, c.parameters, dtype);
  const isLstm = c.module.mode === 'LSTM';
  const input = leaf(c.inputs.input, dtype, 'inputs.input');
  const h0 = leaf(c.inputs.h0, dtype, 'inputs.h0');
  const c0 = isLstm ? leaf(c.inputs.c0, dtype, 'inputs.c0') : undefined;
  const { output, h, c: cN } = layer.forward(input, { h0, c0, lengths: c.lengths ?? undefined });
  cmp.check('output', output.data, c.outputs.output, output.shape);
  cmp.check('h_n', h.data, c.outputs.h_n, h.shape);
  const R = decodeTensor(c.loss.R, dtype, 'loss.R');
  const Rh = decodeTensor(c.loss.Rh, dtype, 'loss.Rh');
  const roots = [output, h];
  const seeds = [R, Rh];
  let loss = dot(output.data, R.data) + dot(h.data, Rh.data);
  if (isLstm && cN) {
    cmp.check('c_n', cN.data, c.outputs.c_n, cN.shape);
    const Rc = decodeTensor(c.loss.Rc, dtype, 'loss.Rc');
    roots.push(cN);
    seeds.push(Rc);
    loss += dot(cN.data, Rc.data);
  }
  cmp.check('loss', loss, c.loss.value);
  backwardMany(roots, seeds);
  const g = c.gradients;
  cmp.check('grad.input', input.grad?.data, g.input, input.shape);
  cmp.check('grad.h0', h0.grad?.data, g.h0, h0.shape);
  if (c0) cmp.check('grad.c0', c0.grad?.data, g.c0, c0.shape);
  const params = new Map(layer.namedParameters());
  for (const name of c.parameter_names as string[]) {
    const p = params.get(name);
    if (!p) {
      cmp.problems.push(`parameter ${name} is missing from the layer`);
      continue;
    }
    cmp.check(`grad.${name}`, p.grad?.data, g[name], p.shape);
  }
  return cmp.result(c.name, file);
}

// ---------------------------------------------------------------------------------------------
// tbptt

export function checkTbptt(c: Json, opts: GoldenOptions, file: string): CaseResult {
  const dtype = opts.dtype;
  const cmp = new Comparer(toleranceFor(dtype));
  const full = decodeTensor(c.input, dtype, 'input');
  const [, B, I] = full.shape;
  const chunkInput = (steps: [number, number]): Tensor => {
    const [s, e] = steps;
    const d = allocData((e - s) * B * I, dtype);
    d.set(full.data.subarray(s * B * I, e * B * I));
    const t = new Tensor(d, [e - s, B, I]);
    t.requiresGrad = true;
    return t;
  };
  const chunks = c.chunks as Json[];

  // 1. Truncated BPTT with fixed parameters: the carried state is detached between chunks.
  let layer = buildLayer(c.module, c.parameters, dtype);
  let h = decodeTensor(c.h0, dtype, 'h0');
  let cs = decodeTensor(c.c0, dtype, 'c0');
  chunks.forEach((ch, k) => {
    const x = chunkInput(ch.steps);
    cmp.check(`chunk${k}.input`, x.data, ch.input, x.shape);
    cmp.check(`chunk${k}.h_init`, h.data, ch.h_init, h.shape);
    cmp.check(`chunk${k}.c_init`, cs.data, ch.c_init, cs.shape);
    const hInit = h.detach();
    const cInit = cs.detach();
    hInit.requiresGrad = true;
    cInit.requiresGrad = true;
    layer.zeroGrad();
    const out = layer.forward(x, { h0: hInit, c0: cInit });
    const R = decodeTensor(ch.R, dtype, `chunks[${k}].R`);
    cmp.check(`chunk${k}.output`, out.output.data, ch.output, out.output.shape);
    cmp.check(`chunk${k}.h_final`, out.h.data, ch.h_final, out.h.shape);
    cmp.check(`chunk${k}.c_final`, out.c?.data, ch.c_final, out.c?.shape);
    cmp.check(`chunk${k}.loss`, dot(out.output.data, R.data), ch.loss);
    backwardMany([out.output], [R]);
    cmp.check(`chunk${k}.grad.input`, x.grad?.data, ch.gradients.input, x.shape);
    cmp.check(`chunk${k}.grad.h_init`, hInit.grad?.data, ch.gradients.h_init, hInit.shape);
    cmp.check(`chunk${k}.grad.c_init`, cInit.grad?.data, ch.gradients.c_init, cInit.shape);
    for (const [name, p] of layer.namedParameters()) {
      cmp.check(`chunk${k}.grad.${name}`, p.grad?.data, ch.gradients[name], p.shape);
    }
    h = out.h.detach();
    cs = (out.c as Tensor).detach();
  });

  // 2. For contrast, the untruncated gradient of the last chunk's loss (state not detached).
  if (c.untruncated_last_chunk_gradients) {
    layer = buildLayer(c.module, c.parameters, dtype);
    let hs: Tensor = decodeTensor(c.h0, dtype, 'h0');
    let cc: Tensor = decodeTensor(c.c0, dtype, 'c0');
    const xs = chunks.map((ch) => chunkInput(ch.steps));
    let last: Tensor | null = null;
    xs.forEach((x) => {
      const out = layer.forward(x, { h0: hs, c0: cc });
      hs = out.h;
      cc = out.c as Tensor;
      last = out.output;
    });
    const lastR = decodeTensor(chunks[chunks.length - 1].R, dtype, 'R');
    backwardMany([last as unknown as Tensor], [lastR]);
    const gIn = allocData(full.size, dtype);
    let off = 0;
    for (const x of xs) {
      if (x.grad) gIn.set(x.grad.data, off);
      off += x.size;
    }
    const u = c.untruncated_last_chunk_gradients;
    cmp.check('untruncated.grad.input', gIn, u.input, full.shape);
    for (const [name, p] of layer.namedParameters())
      cmp.check(`untruncated.grad.${name}`, p.grad?.data, u[name], p.shape);
  }

  // 3. SGD(lr=0.1) after every chunk; the next chunk runs with the updated parameters.
  if (Array.isArray(c.sgd_between_chunks)) {
    layer = buildLayer(c.module, c.parameters, dtype);
    h = decodeTensor(c.h0, dtype, 'h0');
    cs = decodeTensor(c.c0, dtype, 'c0');
    (c.sgd_between_chunks as Json[]).forEach((st, k) => {
      const x = chunkInput(chunks[k].steps);
      layer.zeroGrad();
      const out = layer.forward(x, { h0: h, c0: cs });
      const R = decodeTensor(chunks[k].R, dtype, `chunks[${k}].R`);
      cmp.check(`sgd${k}.output`, out.output.data, st.output, out.output.shape);
      cmp.check(`sgd${k}.loss`, dot(out.output.data, R.data), st.loss);
      backwardMany([out.output], [R]);
      noGrad(() => {
        for (const [name, p] of layer.namedParameters()) {
          cmp.check(`sgd${k}.grad.${name}`, p.grad?.data, st.gradients[name], p.shape);
          const g = p.grad?.data;
          if (g) for (let i = 0; i < p.data.length; i++) p.data[i] -= 0.1 * g[i];
          p.markChanged();
          cmp.check(`sgd${k}.param.${name}`, p.data, st.parameters_after_step[name], p.shape);
        }
      });
      h = out.h.detach();
      cs = (out.c as Tensor).detach();
    });
  }
  return cmp.result(c.name, file);
}
