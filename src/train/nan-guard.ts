/**
 * Finding where a NaN or infinity came from: the parameter whose gradient holds it, and, by walking
 * the tape, the operation that produced the first non-finite value in the forward pass or in the
 * backward pass. `detectAnomaly(fn)` is the debugging mode, after `torch.autograd.detect_anomaly`:
 * inside it every `t.backward()` first checks the forward values and then watches every backward
 * rule, and throws a NumericError naming the op at the first non-finite value.
 *
 * Nothing here changes the core: the forward check reads the tensors the graph holds (every
 * intermediate result is the input of some node), and the backward check wraps the `backward`
 * method of each graph node for the duration of one backward call, through the hook that
 * `Tensor.backward` already goes through (`installBackward`).
 */
import { backward } from '../autograd/backward.js';
import { liveRanges } from '../tensor/sparse-rows.js';
import { type FloatArray, type GradNode, installBackward, type Tensor } from '../tensor/tensor.js';
import { NumericError } from '../util/errors.js';

/** The first non-finite value of an array, or null. */
export function firstNonFinite(data: FloatArray): { index: number; value: number } | null {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v - v is 0 for finite v and NaN for NaN and ±Infinity: one comparison per element.
    if (v - v !== 0) return { index: i, value: v };
  }
  return null;
}

/** True when every value is finite. */
export function allFinite(data: FloatArray): boolean {
  return firstNonFinite(data) === null;
}

function hasNaN(data: FloatArray): boolean {
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i])) return true;
  return false;
}

export interface NonFiniteGradient {
  /** The parameter's name (`lstm.weight_hh_l0`). */
  name: string;
  /** Flat index of the first non-finite value and the value (NaN, Infinity or -Infinity). */
  index: number;
  value: number;
}

/** The first parameter (in the given order) whose gradient holds a NaN or infinity, or null. */
export function findNonFiniteGradient(named: Iterable<[string, Tensor]>): NonFiniteGradient | null {
  for (const [name, p] of named) {
    if (!p.grad) continue;
    for (const [s, e] of liveRanges(p.grad)) {
      const bad = firstNonFinite(p.grad.data.subarray(s, e));
      if (bad) return { name, index: s + bad.index, value: bad.value };
    }
  }
  return null;
}

/** Where a non-finite value first appeared. */
export interface Anomaly {
  phase: 'forward' | 'backward';
  /** The op's name as recorded on the tape (`fusedLstm`, `matmul`, `log`, ...), or null for a leaf. */
  op: string | null;
  /** Which input of the op is concerned (backward: the input whose gradient went bad). */
  inputIndex: number | null;
  /** The parameter concerned, when known by name. */
  parameter: string | null;
  /** One line for a message. */
  description: string;
}

/** Graph nodes reachable from `root`, inputs before consumers, and the outputs seen of each. */
function forwardOrder(root: Tensor): { nodes: GradNode[]; outputs: Map<GradNode, Tensor[]> } {
  const outputs = new Map<GradNode, Tensor[]>();
  const seenTensor = new Set<Tensor>();
  const noteOutput = (t: Tensor) => {
    if (!t.gradFn || seenTensor.has(t)) return;
    seenTensor.add(t);
    const list = outputs.get(t.gradFn);
    if (list) list.push(t);
    else outputs.set(t.gradFn, [t]);
  };
  const order: GradNode[] = [];
  if (!root.gradFn) return { nodes: order, outputs };
  noteOutput(root);
  // Iterative post-order DFS (recursion would overflow on long unrolled graphs): a node is
  // emitted after all the nodes that produce its inputs.
  const state = new Set<GradNode>([root.gradFn]);
  const stack: [GradNode, number][] = [[root.gradFn, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1]++;
      const input = node.inputs[i];
      noteOutput(input);
      const child = input.gradFn;
      if (child && !state.has(child)) {
        state.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return { nodes: order, outputs };
}

const label = (t: Tensor, names: ReadonlyMap<Tensor, string>): string | null => names.get(t) ?? null;

/**
 * The first op, in forward order, whose output holds a NaN while none of its inputs does (or, if
 * there is no NaN, the first that turns finite inputs into an infinity), or a non-finite leaf
 * (parameter or data) feeding the graph. `names` maps parameters to their names. Null when every
 * value reachable from `root` is finite. NaNs are looked for first so that a deliberate -Infinity
 * (a mask before a softmax) is not blamed for a NaN that arose elsewhere.
 */
export function findForwardAnomaly(
  root: Tensor,
  names: ReadonlyMap<Tensor, string> = new Map(),
): Anomaly | null {
  const { nodes, outputs } = forwardOrder(root);
  for (const bad of [hasNaN, (d: FloatArray) => !allFinite(d)]) {
    for (const node of nodes) {
      for (let i = 0; i < node.inputs.length; i++) {
        const x = node.inputs[i];
        if (x.gradFn === null && bad(x.data)) {
          const name = label(x, names);
          const what = name
            ? `parameter '${name}'`
            : `input ${i} (a tensor with no gradFn: data or a constant)`;
          return {
            phase: 'forward',
            op: node.op,
            inputIndex: i,
            parameter: name,
            description: `${what} of op '${node.op}' already holds ${describeValue(x.data)}`,
          };
        }
      }
      const outs = outputs.get(node) ?? [];
      if (outs.some((o) => bad(o.data)) && node.inputs.every((x) => !bad(x.data))) {
        return {
          phase: 'forward',
          op: node.op,
          inputIndex: null,
          parameter: null,
          description: `op '${node.op}' produced ${describeValue(outs.find((o) => bad(o.data))!.data)} from finite inputs`,
        };
      }
    }
    if (!root.gradFn && bad(root.data)) {
      const name = label(root, names);
      return {
        phase: 'forward',
        op: null,
        inputIndex: null,
        parameter: name,
        description: `${name ? `parameter '${name}'` : 'the tensor (not computed on the tape)'} holds ${describeValue(root.data)}`,
      };
    }
  }
  return null;
}

function describeValue(d: FloatArray): string {
  const bad = firstNonFinite(d);
  return bad ? `${bad.value} (at flat index ${bad.index})` : 'only finite values';
}

/**
 * Runs `run` (a backward pass over the graph of `root`) while every node's backward rule is
 * watched; returns the first rule that produced a non-finite gradient from finite output
 * gradients, or null. The watch is removed afterwards. Backward rules of fused layers free their
 * saved buffers, so `run` must be the graph's first backward.
 */
export function watchBackward(
  root: Tensor,
  run: () => void,
  names: ReadonlyMap<Tensor, string> = new Map(),
  throwAtFirst = false,
): Anomaly | null {
  const { nodes } = forwardOrder(root);
  let found: Anomaly | null = null;
  type Writable = { backward: GradNode['backward'] };
  const own = nodes.map((n) => Object.hasOwn(n, 'backward'));
  const originals = nodes.map((n) => n.backward);
  for (const [k, node] of nodes.entries()) {
    const original = originals[k];
    (node as unknown as Writable).backward = (gOut) => {
      const gIn = original.call(node, gOut);
      if (found === null && gOut.every((g) => g === null || allFinite(g.data))) {
        const i = gIn.findIndex((g) => g !== null && !allFinite(g.data));
        if (i >= 0) {
          const name = label(node.inputs[i], names);
          found = {
            phase: 'backward',
            op: node.op,
            inputIndex: i,
            parameter: name,
            description: `the backward of op '${node.op}' produced ${describeValue((gIn[i] as Tensor).data)} in the gradient of ${
              name ? `parameter '${name}'` : `its input ${i}`
            } from finite output gradients`,
          };
          if (throwAtFirst) throw new NumericError(`detectAnomaly: ${found.description}`);
        }
      }
      return gIn;
    };
  }
  try {
    run();
  } finally {
    nodes.forEach((node, k) => {
      if (own[k]) (node as unknown as Writable).backward = originals[k];
      else delete (node as unknown as Partial<Writable>).backward;
    });
  }
  return found;
}

/** A training step's non-finite loss or gradient, as fit reports it. */
export interface NanFound {
  kind: 'loss' | 'gradient';
  /** The first parameter whose gradient is not finite (or a parameter the forward anomaly names). */
  parameter: string | null;
  value: number;
  anomaly: Anomaly | null;
}

export interface DetectAnomalyOptions {
  /** Parameter names, to name parameters in messages: a Map, or `model.namedParameters()`. */
  names?: ReadonlyMap<Tensor, string> | Iterable<[string, Tensor]>;
}

let depth = 0;
let activeNames: ReadonlyMap<Tensor, string> = new Map();

function toNameMap(n: DetectAnomalyOptions['names']): ReadonlyMap<Tensor, string> {
  if (!n) return new Map();
  if (n instanceof Map) return n as ReadonlyMap<Tensor, string>;
  const m = new Map<Tensor, string>();
  for (const [name, t] of n as Iterable<[string, Tensor]>) m.set(t, name);
  return m;
}

function anomalyBackward(t: Tensor, grad?: Tensor): void {
  const fwd = findForwardAnomaly(t, activeNames);
  if (fwd) throw new NumericError(`detectAnomaly: in the forward pass, ${fwd.description}`);
  watchBackward(t, () => backward(t, grad), activeNames, true);
}

/**
 * Runs `fn` (synchronously) in anomaly-detection mode, as `torch.autograd.detect_anomaly()`: every
 * `t.backward()` inside first checks every value of the forward graph, then watches each backward
 * rule, and throws a NumericError naming the op (and the parameter, with `names`) at the first
 * NaN or infinity. Slow (a scan of every intermediate value and gradient): for debugging only.
 * Calls of `backwardMany` are not watched.
 *
 * ```ts
 * detectAnomaly(() => lossFn(model, batch).backward(), { names: model.namedParameters() });
 * ```
 */
export function detectAnomaly<T>(fn: () => T, options: DetectAnomalyOptions = {}): T {
  const previousNames = activeNames;
  activeNames = toNameMap(options.names);
  if (depth++ === 0) installBackward(anomalyBackward);
  try {
    return fn();
  } finally {
    if (--depth === 0) installBackward(backward);
    activeNames = previousNames;
  }
}
