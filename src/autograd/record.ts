import type { GradNode, Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';
// Installs Tensor.backward: whatever records a graph node can also run backward.
import './backward.js';

/** True when an op with these inputs must be recorded on the tape. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t?.requiresGrad) return true;
  return false;
}

class Node implements GradNode {
  constructor(
    readonly op: string,
    readonly inputs: readonly Tensor[],
    readonly numOutputs: number,
    private readonly fn: (gradOutputs: (Tensor | null)[]) => (Tensor | null)[],
  ) {}
  backward(gradOutputs: (Tensor | null)[]): (Tensor | null)[] {
    return this.fn(gradOutputs);
  }
}

/**
 * Links `outputs` to a new graph node when recording is on and some input requires a gradient.
 * `backward` gets the gradient of each output (null where none arrived) and returns one gradient
 * per input, in order (null for inputs that need none: check `inputs[i].requiresGrad`).
 */
export function record(
  op: string,
  inputs: Tensor[],
  outputs: Tensor[],
  backward: (gradOutputs: (Tensor | null)[]) => (Tensor | null)[],
): void {
  if (!needsGrad(...inputs)) return;
  const node = new Node(op, inputs, outputs.length, backward);
  for (let i = 0; i < outputs.length; i++) {
    outputs[i].gradFn = node;
    outputs[i].outputIndex = i;
    outputs[i].requiresGrad = true;
  }
}

/** `record` for the common single-output case; `backward` gets the (non-null) output gradient. */
export function record1(
  op: string,
  inputs: Tensor[],
  output: Tensor,
  backward: (gradOutput: Tensor) => (Tensor | null)[],
): Tensor {
  record(op, inputs, [output], (g) => (g[0] ? backward(g[0]) : inputs.map(() => null)));
  return output;
}
