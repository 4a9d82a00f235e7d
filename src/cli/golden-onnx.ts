/**
 * Checker for golden cases of type `onnx_node` (../shared/golden-onnx, format in its README):
 * runs every test data set of a case through `onnx.runNode` in the requested dtype on the
 * backend the caller selected, and compares the requested outputs (`node_outputs`) with the
 * stored ones. An element passes when |got - want| <= 1e-5 * (1 + |want|); the stored values are
 * rounded to float32, so float64 runs use the same bound. Reported per output: maxAbs and
 * maxRel = max |got - want| / (1 + |want|), over all data sets. golden.ts loads this checker on
 * the first `onnx_node` case (`recur check-golden ../shared/golden-onnx`).
 */
import { type OnnxInputs, type OnnxTensorData, runNode } from '../layers/onnx-node.js';
import type { CaseResult, GoldenOptions } from './golden-types.js';

const TOL = 1e-5;
const FORMAL_INPUTS = ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'] as const;
const FORMAL_OUTPUTS = ['Y', 'Y_h', 'Y_c'] as const;

interface OnnxCase {
  case_type: string;
  name?: string;
  operator: 'RNN' | 'GRU' | 'LSTM';
  attributes?: Record<string, unknown>;
  node_inputs: string[];
  node_outputs: string[];
  test_data_sets: { inputs: Record<string, OnnxTensorData>; outputs: Record<string, OnnxTensorData> }[];
}

function flat(data: unknown, out: number[] = []): number[] {
  if (Array.isArray(data)) for (const v of data) flat(v, out);
  else out.push(data as number);
  return out;
}

function shapeOf(t: OnnxTensorData): string {
  return `[${t.shape.join(', ')}]`;
}

/** Reads the case structure; returns a reason string when it is not a usable onnx_node case. */
function validate(json: unknown): OnnxCase | string {
  if (json === null || typeof json !== 'object') return 'the case is not a JSON object';
  const c = json as Partial<OnnxCase>;
  if (c.case_type !== 'onnx_node') return `case_type must be 'onnx_node', got ${JSON.stringify(c.case_type)}`;
  if (c.operator !== 'RNN' && c.operator !== 'GRU' && c.operator !== 'LSTM') {
    return `operator must be RNN, GRU or LSTM, got ${JSON.stringify(c.operator)}`;
  }
  if (!Array.isArray(c.node_inputs) || !Array.isArray(c.node_outputs))
    return 'node_inputs and node_outputs must be lists';
  if (!Array.isArray(c.test_data_sets) || c.test_data_sets.length === 0)
    return 'test_data_sets must be a non-empty list';
  return c as OnnxCase;
}

/**
 * Checks one `onnx_node` case (parsed JSON) with the dtype of `opts`; the backend is already
 * selected. `file` is where the case was read from (default `<name>.json`).
 */
export function checkOnnxCase(json: unknown, opts: GoldenOptions, file?: string): CaseResult {
  const name = (json as { name?: unknown } | null)?.name;
  const caseName = typeof name === 'string' ? name : '(unnamed)';
  const result: CaseResult = { name: caseName, file: file ?? `${caseName}.json`, status: 'pass', errors: {} };
  const c = validate(json);
  if (typeof c === 'string') return { ...result, status: 'fail', reason: c };
  const fail = (reason: string): CaseResult => ({ ...result, status: 'fail', reason });
  const inputNames = c.node_inputs.filter((n) => n !== '');
  const outputNames = c.node_outputs.filter((n) => n !== '');
  for (const n of inputNames) {
    if (!(FORMAL_INPUTS as readonly string[]).includes(n)) return fail(`unknown node input '${n}'`);
  }
  for (const n of outputNames) {
    if (!(FORMAL_OUTPUTS as readonly string[]).includes(n)) return fail(`unknown node output '${n}'`);
  }
  let ok = true;
  const reasons: string[] = [];
  for (const [k, set] of c.test_data_sets.entries()) {
    const inputs: Record<string, OnnxTensorData> = {};
    for (const n of inputNames) {
      const t = set.inputs?.[n];
      if (!t) return fail(`test_data_sets[${k}] lacks input ${n}`);
      inputs[n] = t;
    }
    let got: ReturnType<typeof runNode>;
    try {
      got = runNode({ opType: c.operator, attributes: c.attributes ?? {} }, inputs as unknown as OnnxInputs, {
        dtype: opts.dtype,
      });
    } catch (e) {
      return fail(`test_data_sets[${k}]: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    for (const n of outputNames) {
      const want = set.outputs?.[n];
      if (!want) return fail(`test_data_sets[${k}] lacks expected output ${n}`);
      const t = got[n as 'Y' | 'Y_h' | 'Y_c'];
      if (!t) return fail(`test_data_sets[${k}]: runNode returned no ${n}`);
      if (t.shape.length !== want.shape.length || t.shape.some((d, i) => d !== want.shape[i])) {
        return fail(
          `test_data_sets[${k}]: ${n} has shape [${t.shape.join(', ')}], expected ${shapeOf(want)}`,
        );
      }
      const w = flat(want.data);
      if (w.length !== t.size)
        return fail(`test_data_sets[${k}]: expected ${n} has ${w.length} values for shape ${shapeOf(want)}`);
      const e = result.errors[n] ?? { maxAbs: 0, maxRel: 0 };
      let bad = 0;
      for (let i = 0; i < w.length; i++) {
        const d = Math.abs(t.data[i] - w[i]);
        // NaN never passes: the comparisons below are false for it.
        if (!(d <= TOL * (1 + Math.abs(w[i])))) bad++;
        e.maxAbs = Math.max(e.maxAbs, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
        // As golden-compare.ts: relative to 1 + |want| (the quantity the pass bound applies to).
        e.maxRel = Math.max(e.maxRel, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d / (1 + Math.abs(w[i])));
      }
      result.errors[n] = e;
      if (bad > 0) {
        ok = false;
        reasons.push(
          `test_data_sets[${k}]: ${bad} of ${w.length} values of ${n} exceed ${TOL}*(1+|expected|)`,
        );
      }
    }
  }
  return ok ? result : { ...result, status: 'fail', reason: reasons.join('; ') };
}
