/**
 * Recur's side of the workloads: the library as built (dist/), on the backend the child was asked
 * for. The training step is the char-LM step of src/models/char-lm.ts trained by `recur train` (without clipping): Embedding -> LSTM/GRU ->
 * Linear on the flattened output -> crossEntropy (mean) -> backward -> Adam.
 *
 * Each step runs in a `tidy()` scope, as `fit()` runs its steps.
 *
 * Phases of a training step (medians reported with the result): `forward` (embedding through the
 * loss), `backward` (loss.backward(), which runs the fused BPTT node), `optimizer` (Adam.step()
 * and resetting the gradients).
 */
import { noGrad } from '../../src/autograd/grad-mode.js';
import { type BackendName, getBackend, setBackend } from '../../src/kernels/registry.js';
import { GRU } from '../../src/layers/gru.js';
import { LSTM } from '../../src/layers/lstm.js';
import { Embedding } from '../../src/nn/embedding.js';
import { Linear } from '../../src/nn/linear.js';
import { crossEntropy } from '../../src/ops/loss.js';
import { reshape } from '../../src/ops/shape.js';
import { tidy } from '../../src/tensor/scope.js';
import { fromTyped, type Tensor } from '../../src/tensor/tensor.js';
import { Adam } from '../../src/train/optim/adam.js';
import { Rng } from '../../src/util/rng.js';
import { DATA_BATCHES, type InferTask, inferInput, lmBatches, type TrainTask } from './spec.js';
import type { StepFn } from './timing.js';

/** Selects the backend and returns details for the result (threads when the backend reports them). */
export async function useBackend(name: BackendName): Promise<Record<string, unknown>> {
  setBackend(name);
  const info: Record<string, unknown> = { backend: getBackend() };
  if (name === 'wasm') {
    const mod = (await import('../../src/kernels/wasm/index.js')) as Record<string, unknown>;
    const wasmInfo = mod.wasmInfo as (() => Record<string, unknown>) | undefined;
    if (wasmInfo) Object.assign(info, { relaxedSimd: wasmInfo().relaxed });
    // setThreads/getThreads are being added to the wasm backend; report the default when present.
    const getThreads = mod.getThreads;
    if (typeof getThreads === 'function') info.threads = getThreads();
  }
  return info;
}

/** One layer stack for the task, initialized by Recur (PyTorch's distributions) from a seeded Rng. */
function recurrent(cell: 'LSTM' | 'GRU', input: number, hidden: number, layers: number, rng: Rng) {
  const o = { inputSize: input, hiddenSize: hidden, numLayers: layers, rng };
  return cell === 'LSTM' ? new LSTM(o) : new GRU(o);
}

/** A training step of the char-LM task; returns phase timings. */
export function recurTrainStep(t: TrainTask): StepFn {
  const rng = new Rng(7);
  const embed = new Embedding(t.vocab, t.embed, { rng });
  const rnn = recurrent(t.cell, t.embed, t.hidden, t.layers, rng);
  const head = new Linear(t.hidden, t.vocab, { rng });
  const params: Tensor[] = [...embed.parameters(), ...rnn.parameters(), ...head.parameters()];
  const opt = new Adam(params, { lr: t.lr, betas: [0.9, 0.999], eps: 1e-8 });
  const data = lmBatches(t);
  const T = t.seqLen;
  const B = t.batch;
  let k = 0;
  return () => {
    const ids = data.input[k % DATA_BATCHES];
    const target = data.target[k % DATA_BATCHES];
    k++;
    // One tidy() scope per step, as fit() runs it: the step's tensors live in the wasm arena.
    return tidy(() => {
      const t0 = performance.now();
      const x = embed.forward(ids, [T, B]);
      const out = rnn.forward(x);
      const logits = head.forward(reshape(out.output, [T * B, t.hidden]));
      const loss = crossEntropy(logits, target);
      const t1 = performance.now();
      loss.backward();
      const t2 = performance.now();
      opt.step();
      opt.zeroGrad();
      const t3 = performance.now();
      if (!Number.isFinite(loss.item())) throw new Error(`${t.task}: the loss is not finite`);
      return { forward: t1 - t0, backward: t2 - t1, optimizer: t3 - t2 };
    });
  };
}

/** One inference forward of the task's LSTM over the fixed input. */
export function recurInferStep(t: InferTask): StepFn {
  const lstm = new LSTM({ inputSize: t.input, hiddenSize: t.hidden, rng: new Rng(7) });
  lstm.eval();
  const x = fromTyped(inferInput(t), [t.seqLen, t.batch, t.input]);
  return () =>
    tidy(() => {
      const out = noGrad(() => lstm.forward(x));
      if (!Number.isFinite(out.output.data[0])) throw new Error(`${t.task}: the output is not finite`);
      return undefined;
    });
}

/** The LSTM of W4 and its output on the task input, for checking a peer that runs the same weights. */
export function recurInferReference(t: InferTask): { lstm: LSTM; output: Float32Array } {
  const lstm = new LSTM({ inputSize: t.input, hiddenSize: t.hidden, rng: new Rng(7) });
  const x = fromTyped(inferInput(t), [t.seqLen, t.batch, t.input]);
  const out = noGrad(() => lstm.forward(x));
  return { lstm, output: Float32Array.from(out.output.data) };
}
