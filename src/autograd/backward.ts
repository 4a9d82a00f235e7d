import { unscoped } from '../tensor/scope.js';
import { addLive, copyLive } from '../tensor/sparse-rows.js';
import { type GradNode, installBackward, Tensor } from '../tensor/tensor.js';
import { ConfigError, fmtShape, ShapeError } from '../util/errors.js';
import { sameShape } from '../util/shape.js';
import { noGrad } from './grad-mode.js';

/** a + b as a new tensor (gradient accumulation); for row-sparse gradients only their rows are read. */
function addInto(a: Tensor | null, b: Tensor): Tensor {
  if (a === null) return b;
  const out = copyLive(a);
  addLive(out, b);
  const sum = new Tensor(out, a.shape);
  sum.sparseRows = unionRows(a.sparseRows, b.sparseRows);
  return sum;
}

/** The rows a sum of two gradients may have nonzero: the union, or null when either is dense. */
export function unionRows(a: Int32Array | null, b: Int32Array | null): Int32Array | null {
  if (!a || !b) return null;
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (k === 0 || out[k - 1] !== x) out[k++] = x;
  }
  return out.slice(0, k);
}

/** Nodes reachable from `roots`, ordered so that every node comes after all nodes that consume it. */
function topoOrder(roots: GradNode[]): GradNode[] {
  const order: GradNode[] = [];
  const state = new Map<GradNode, 1 | 2>();
  // Iterative post-order DFS: recursion would overflow on graphs of long unrolled sequences.
  for (const root of roots) {
    if (state.has(root)) continue;
    const stack: [GradNode, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1]++;
        const child = node.inputs[i].gradFn;
        if (child && !state.has(child)) {
          state.set(child, 1);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        state.set(node, 2);
        order.push(node);
      }
    }
  }
  return order.reverse();
}

/**
 * Reverse-mode differentiation from several roots at once: `grads[i]` is the gradient seeded at
 * `roots[i]`. Gradients of leaf tensors that require grad are accumulated into their `.grad`.
 */
export function backwardMany(roots: Tensor[], grads: Tensor[]): void {
  if (roots.length !== grads.length) {
    throw new ConfigError(`backward: got ${roots.length} roots but ${grads.length} seed gradients`);
  }
  const pending = new Map<GradNode, (Tensor | null)[]>();
  const leafGrads = new Map<Tensor, Tensor>();
  const deliver = (t: Tensor, g: Tensor, where: string): void => {
    if (!sameShape(t.shape, g.shape)) {
      throw new ShapeError(
        `backward: ${where} produced a gradient of shape ${fmtShape(g.shape)} for a tensor of shape ${fmtShape(t.shape)}`,
      );
    }
    if (t.dtype !== g.dtype) {
      throw new ShapeError(`backward: ${where} produced a ${g.dtype} gradient for a ${t.dtype} tensor`);
    }
    if (t.gradFn) {
      let slot = pending.get(t.gradFn);
      if (!slot) {
        slot = new Array(t.gradFn.numOutputs).fill(null);
        pending.set(t.gradFn, slot);
      }
      slot[t.outputIndex] = addInto(slot[t.outputIndex], g);
    } else if (t.requiresGrad) {
      leafGrads.set(t, addInto(leafGrads.get(t) ?? null, g));
    }
  };
  for (let i = 0; i < roots.length; i++) {
    if (!roots[i].requiresGrad) {
      throw new ConfigError(
        'backward: the tensor does not require grad (no input of its computation has requiresGrad)',
      );
    }
    deliver(roots[i], grads[i], 'the seed gradient');
  }
  const rootNodes = roots.map((r) => r.gradFn).filter((n): n is GradNode => n !== null);
  noGrad(() => {
    for (const node of topoOrder(rootNodes)) {
      const gOut = pending.get(node);
      if (!gOut) continue;
      pending.delete(node);
      const gIn = node.backward(gOut);
      for (let i = 0; i < node.inputs.length; i++) {
        const g = gIn[i];
        const input = node.inputs[i];
        if (g && input.requiresGrad) deliver(input, g, `the backward of ${node.op} (input ${i})`);
      }
    }
  });
  for (const [t, g] of leafGrads) {
    if (t.grad === null) {
      // Own the storage (`g` may alias another tensor's data), outside any tidy() scope: the
      // gradient of a parameter outlives the scope its backward ran in.
      const grad = unscoped(() => new Tensor(copyLive(g), t.shape));
      grad.sparseRows = g.sparseRows;
      t.grad = grad;
    } else {
      addLive(t.grad.data, g);
      t.grad.sparseRows = unionRows(t.grad.sparseRows, g.sparseRows);
    }
  }
}

/** `t.backward(grad)`: the seed defaults to 1 for a one-element tensor, as in PyTorch. */
export function backward(t: Tensor, grad?: Tensor): void {
  let seed = grad;
  if (!seed) {
    if (t.size !== 1) {
      throw new ShapeError(
        `backward: a seed gradient is required for a non-scalar tensor of shape ${fmtShape(t.shape)} (pass one of the same shape)`,
      );
    }
    seed = new Tensor(t.dtype === 'float64' ? new Float64Array([1]) : new Float32Array([1]), t.shape);
  }
  backwardMany([t], [seed]);
}

installBackward(backward);
