/**
 * onnxruntime-node for W4 (inference only): the W4 LSTM with Recur's own initial weights (same
 * seed), written as an ONNX model at bench time by onnx-model.ts, run with `intraOpNumThreads`
 * 1 or 2. Before timing, its output is compared with Recur's on the same input (`maxAbsDiff` in
 * the result), which checks the model writer and that both do the same work.
 */
import { recurInferReference } from '../workloads/recur.js';
import { type InferTask, inferInput } from '../workloads/spec.js';
import type { Runner } from '../workloads/timing.js';
import { loadPeer, peerVersion } from './load.js';
import { lstmOnnxModel } from './onnx-model.js';

interface OrtTensor {
  data: Float32Array;
}
interface Ort {
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession>;
  };
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}

export async function ortInfer(t: InferTask, threads: number): Promise<Runner> {
  const ort = loadPeer<Ort>('onnxruntime-node');
  const ref = recurInferReference(t);
  const p = ref.lstm.layerParams(0);
  const model = lstmOnnxModel(
    {
      wIh: Float32Array.from(p.wIh.data),
      wHh: Float32Array.from(p.wHh.data),
      bIh: Float32Array.from(p.bIh?.data ?? []),
      bHh: Float32Array.from(p.bHh?.data ?? []),
    },
    t.input,
    t.hidden,
    t.seqLen,
  );
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { X: new ort.Tensor('float32', inferInput(t), [t.seqLen, t.batch, t.input]) };
  // Y [T, 1, B, H] has the same element order as Recur's output [T, B, H].
  const y = (await session.run(feeds)).Y.data;
  let maxAbsDiff = 0;
  for (let i = 0; i < y.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(y[i] - ref.output[i]));
  if (y.length !== ref.output.length || !(maxAbsDiff < 1e-3)) {
    throw new Error(`onnxruntime: output differs from Recur's (max abs diff ${maxAbsDiff})`);
  }
  return {
    step: async () => {
      const out = await session.run(feeds);
      if (!Number.isFinite(out.Y.data[0])) throw new Error(`onnxruntime ${t.task}: output not finite`);
      return undefined;
    },
    info: { version: peerVersion('onnxruntime-node'), threads, maxAbsDiff, model: 'ONNX written in TS' },
    tokensPerStep: t.seqLen * t.batch,
  };
}
