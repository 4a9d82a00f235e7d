/**
 * brain.js (1.6.1, the `latest` release: pure JavaScript; the 2.0 betas need gpu.js 2 and
 * headless-gl, a native build) in its closest configuration. Its recurrent API differs from the
 * task, so the work differs in these ways, which the result's `note` repeats:
 *
 * - Training (`brain.recurrent.LSTM` / `GRU`): an embedding of inputSize = 64 over
 *   inputRange = 65 ids, `hiddenLayers` of H, a linear output to 66 classes (65 + its end token)
 *   and softmax cross-entropy at every step, like the task; but batch 1 (brain.js has no batching),
 *   one weight update per sequence (`trainPattern`), and RMSProp with clipping (its only
 *   optimizer) instead of Adam. One step = one sequence of 63 ids, which brain.js runs as 64 time
 *   steps (a start token is prepended). Its GRU is the original formulation (reset before the
 *   matmul, one bias per gate).
 * - Inference (`brain.recurrent.LSTMTimeStep`, float vectors in): LSTM(64, H) over 64 steps with
 *   brain.js's required output layer (outputSize 1, 256 MACs a step); batch 64 is 64 sequences
 *   run one after another.
 *
 * Weights are overwritten after `initialize()` with the same distributions as the other
 * implementations (brain.js draws U(-0.08, 0.08) itself).
 */
import {
  DATA_BATCHES,
  type InferTask,
  InitRng,
  inferInput,
  lmBatches,
  type TrainTask,
} from '../workloads/spec.js';
import type { Runner } from '../workloads/timing.js';
import { loadPeer, peerVersion } from './load.js';

interface Matrix {
  rows: number;
  columns: number;
  weights: Float32Array;
}
interface BrainNet {
  initialize(): void;
  bindEquation(): void;
  trainPattern(input: number[]): number | undefined;
  run(input: number[][]): unknown;
  model: { input: Matrix; hiddenLayers: Record<string, Matrix>[]; outputConnector: Matrix; output: Matrix };
}
type NetCtor = new (options: Record<string, unknown>) => BrainNet;
interface Brain {
  recurrent: Record<'LSTM' | 'GRU' | 'LSTMTimeStep', NetCtor>;
}

function fillUniform(m: Matrix, bound: number, rng: InitRng): void {
  m.weights.set(rng.uniformArray(m.weights.length, bound));
}

function initLike(net: BrainNet, hidden: number, rng: InitRng, embedding: boolean): void {
  const k = 1 / Math.sqrt(hidden);
  const m = net.model;
  if (embedding) m.input.weights.set(rng.normalArray(m.input.weights.length));
  for (const layer of m.hiddenLayers) for (const mat of Object.values(layer)) fillUniform(mat, k, rng);
  fillUniform(m.outputConnector, k, rng);
  fillUniform(m.output, k, rng);
}

const info = () => ({ version: peerVersion('brain.js'), threads: 1 });

export function brainTrain(t: TrainTask): Runner {
  const brain = loadPeer<Brain>('brain.js');
  const Net = brain.recurrent[t.cell];
  const net = new Net({
    inputSize: t.embed,
    inputRange: t.vocab,
    hiddenLayers: new Array(t.layers).fill(t.hidden),
    outputSize: t.vocab,
    learningRate: t.lr,
  });
  net.initialize();
  initLike(net, t.hidden, new InitRng(7), true);
  // Stream b of a batch, as plain ids: 63 inputs give 64 time steps with brain.js's start token.
  const data = lmBatches(t);
  const seqs: number[][] = [];
  for (let k = 0; k < DATA_BATCHES; k++) {
    const s: number[] = [];
    for (let i = 0; i < t.seqLen - 1; i++) s.push(data.input[k][i * t.batch + k]);
    seqs.push(s);
  }
  let k = 0;
  return {
    step: () => {
      net.trainPattern(seqs[k++ % seqs.length]);
      return undefined;
    },
    info: info(),
    tokensPerStep: t.seqLen,
    note: `batch 1 (one ${t.seqLen}-step sequence per update), RMSProp+clip, not Adam`,
  };
}

export function brainInfer(t: InferTask): Runner {
  const brain = loadPeer<Brain>('brain.js');
  const net = new brain.recurrent.LSTMTimeStep({
    inputSize: t.input,
    hiddenLayers: [t.hidden],
    outputSize: 1,
  });
  net.initialize();
  net.bindEquation(); // what train() would have done; run() refuses a net without equations
  initLike(net, t.hidden, new InitRng(7), false);
  // One sequence per batch element, as arrays of input vectors.
  const x = inferInput(t);
  const seqs: number[][][] = [];
  for (let b = 0; b < t.batch; b++) {
    const s: number[][] = [];
    for (let i = 0; i < t.seqLen; i++) {
      const o = (i * t.batch + b) * t.input;
      s.push(Array.from(x.subarray(o, o + t.input)));
    }
    seqs.push(s);
  }
  return {
    step: () => {
      for (const s of seqs) {
        const out = net.run(s);
        if (out === null) throw new Error('brain.js: the network is not runnable');
      }
      return undefined;
    },
    info: info(),
    tokensPerStep: t.seqLen * t.batch,
    note:
      t.batch > 1
        ? `${t.batch} sequences one after another (no batching); output layer of size 1`
        : 'output layer of size 1 (required by LSTMTimeStep)',
  };
}
