/**
 * `recur check-golden`: runs reference cases (../shared/golden, format in its README) through the
 * public layer API and compares with the stored PyTorch values. Everything is computed from the
 * case's inputs and parameters; expected values are used only for comparison.
 *
 * An element passes when |got - want| <= tol * (1 + |want|), tol = 1e-9 in float64 and 1e-5 in
 * float32. Reported per compared tensor: maxAbs = max |got - want| and
 * maxRel = max |got - want| / (1 + |want|). Case types without a checker are `skip`, never `pass`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { backwardMany } from '../autograd/backward.js';
import { noGrad } from '../autograd/grad-mode.js';
import { type BackendName, getBackend, setBackend } from '../kernels/registry.js';
import type { DType, FloatArray } from '../kernels/types.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import type { RNNBase } from '../layers/rnn-base.js';
import { tidy } from '../tensor/scope.js';
import { allocData, Tensor } from '../tensor/tensor.js';
import type { CaseResult, GoldenOptions } from './golden-types.js';

export type { CaseResult, GoldenOptions };

/** Checks one parsed case; `file` is the path it was read from. The backend is already selected. */
export type CaseChecker = (json: unknown, opts: GoldenOptions, file: string) => CaseResult;

const checkers = new Map<string, CaseChecker>();

/** Registers the checker of a `case_type` (e.g. `onnx_node` from golden-onnx.ts, the training cases). */
export function registerCaseType(caseType: string, fn: CaseChecker): void {
  checkers.set(caseType, fn);
}

/** The tolerance of a dtype: float64 1e-9, float32 1e-5 (relative to 1 + |want|). */
export function toleranceFor(dtype: DType): number {
  return dtype === 'float64' ? 1e-9 : 1e-5;
}

// ---------------------------------------------------------------------------------------------
// Case data

interface TensorJson {
  dtype: string;
  shape: number[];
  data: unknown;
}

function flatten(data: unknown, out: number[]): number[] {
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
class Comparer {
  readonly errors: CaseResult['errors'] = {};
  readonly problems: string[] = [];
  constructor(readonly tol: number) {}

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
function dot(a: FloatArray, b: FloatArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

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

// ---------------------------------------------------------------------------------------------
// rnn_module

// biome-ignore lint/suspicious/noExplicitAny: case files are checked field by field as they are read
type Json = any;

function checkRnnModule(c: Json, opts: GoldenOptions, file: string): CaseResult {
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

function checkTbptt(c: Json, opts: GoldenOptions, file: string): CaseResult {
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

registerCaseType('rnn_module', checkRnnModule);
registerCaseType('tbptt', checkTbptt);

// Checkers that live in other modules, loaded on first use (a failure to load is reported on the
// skipped cases instead of breaking the whole run).
const lazyCheckers: Record<string, () => Promise<CaseChecker>> = {
  onnx_node: async () => (await import('./golden-onnx.js')).checkOnnxCase,
  train_char_lm: async () => (await import('./golden-train.js')).checkTrainingCase,
  train_classifier: async () => (await import('./golden-train.js')).checkTrainingCase,
  train_regression: async () => (await import('./golden-train.js')).checkTrainingCase,
};

async function checkerFor(caseType: unknown): Promise<CaseChecker | string> {
  if (typeof caseType !== 'string') return `case_type must be a string, got ${JSON.stringify(caseType)}`;
  const known = checkers.get(caseType);
  if (known) return known;
  const lazy = lazyCheckers[caseType];
  if (!lazy) return `no checker for case_type ${JSON.stringify(caseType)}`;
  try {
    const fn = await lazy();
    registerCaseType(caseType, fn);
    return fn;
  } catch (err) {
    return `the checker for case_type ${caseType} failed to load: ${message(err)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Runner

/** Checks every file with the given backend and dtype (the previous backend is restored after). */
export async function checkGoldenFiles(files: string[], opts: GoldenOptions): Promise<CaseResult[]> {
  const previous = getBackend();
  setBackend(opts.backend);
  const results: CaseResult[] = [];
  try {
    for (const file of files) {
      const fallback = basename(file).replace(/\.json$/, '');
      let json: Json;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        results.push({
          name: fallback,
          file,
          status: 'fail',
          errors: {},
          reason: `cannot read the case: ${message(err)}`,
        });
        continue;
      }
      const name = typeof json?.name === 'string' ? json.name : fallback;
      const checker = await checkerFor(json?.case_type);
      if (typeof checker === 'string') {
        results.push({ name, file, status: 'skip', errors: {}, reason: checker });
        continue;
      }
      try {
        // Each case runs in a tidy() scope, so the reference values also check the arena path.
        const r = tidy(() => checker(json, opts, file));
        results.push({ ...r, name: r.name || name, file });
      } catch (err) {
        results.push({ name, file, status: 'fail', errors: {}, reason: `error: ${message(err)}` });
      }
    }
  } finally {
    setBackend(previous);
  }
  return results;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const USAGE = `usage: recur check-golden [--backend ts|wasm] [--dtype float64|float32] FILES...

Checks golden reference cases (JSON files, or directories of them) against this library.
Prints one JSON line per case: {"name","file","status","errors":{tensor:{maxAbs,maxRel}}}.

  --backend ts|wasm          kernel backend (default: the one in use)
  --dtype float64|float32    compute dtype (default float64)
  -h, --help                 show this help

Exit status: 0 when no case fails, 1 when any case fails, 2 for a usage error.`;

/** Expands directories to their *.json files (without index.json), sorted. */
function expandFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // A missing path is reported by the reader as a failed case.
    }
    if (!isDir) out.push(p);
    else {
      for (const f of readdirSync(p).sort())
        if (f.endsWith('.json') && f !== 'index.json') out.push(join(p, f));
    }
  }
  return out;
}

/** `recur check-golden ARGS`: returns the exit code. */
export async function runCheckGolden(argv: string[]): Promise<number> {
  let backend: string | undefined;
  let dtype = 'float64';
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    if (flag === '-h' || flag === '--help') {
      console.log(USAGE);
      return 0;
    }
    if (flag === '--backend' || flag === '--dtype') {
      const v = inline ?? argv[++i];
      if (v === undefined) {
        console.error(`check-golden: ${flag} needs a value\n\n${USAGE}`);
        return 2;
      }
      if (flag === '--backend') backend = v;
      else dtype = v;
    } else if (a.startsWith('-')) {
      console.error(`check-golden: unknown option '${a}'\n\n${USAGE}`);
      return 2;
    } else paths.push(a);
  }
  if (backend !== undefined && backend !== 'ts' && backend !== 'wasm') {
    console.error(`check-golden: --backend must be ts or wasm, got '${backend}'`);
    return 2;
  }
  if (dtype !== 'float64' && dtype !== 'float32') {
    console.error(`check-golden: --dtype must be float64 or float32, got '${dtype}'`);
    return 2;
  }
  if (paths.length === 0) {
    console.error(`check-golden: no case files given\n\n${USAGE}`);
    return 2;
  }
  const opts: GoldenOptions = { backend: (backend ?? getBackend()) as BackendName, dtype };
  const results = await checkGoldenFiles(expandFiles(paths), opts);
  const count = { pass: 0, fail: 0, skip: 0 };
  for (const r of results) {
    count[r.status]++;
    console.log(JSON.stringify(r));
  }
  console.error(
    `check-golden: ${count.pass} passed, ${count.fail} failed, ${count.skip} skipped (backend ${opts.backend}, ${opts.dtype})`,
  );
  return count.fail > 0 ? 1 : 0;
}
