/**
 * TensorFlow.js (@tensorflow/tfjs, pure JavaScript `cpu` backend, and @tensorflow/tfjs-backend-wasm,
 * XNNPACK in WebAssembly SIMD, single-threaded in Node) running the same model with tfjs-core ops
 * and the same algorithm as Recur's fused layers: one input-projection matMul for all steps, then
 * per step the recurrent matMul and the gates; backward by tfjs's tape (`optimizer.minimize`).
 * Parameters in PyTorch layout and initial distributions (both biases kept), gate orders as
 * PyTorch (LSTM i, f, g, o; GRU r, z, n with the reset gate after the matmul), mean softmax
 * cross-entropy, tf.train.adam(lr, 0.9, 0.999, 1e-8).
 */
import {
  DATA_BATCHES,
  gates,
  type InferTask,
  InitRng,
  inferInput,
  initLm,
  initRecurrent,
  type LayerWeights,
  lmBatches,
  type TrainTask,
} from '../workloads/spec.js';
import type { Runner } from '../workloads/timing.js';
import { loadPeer, peerVersion } from './load.js';

/** tfjs is loaded at run time without its types (it is not a dependency of the project). */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Tf = any;
// biome-ignore lint/suspicious/noExplicitAny: tfjs tensors, untyped for the same reason
type T = any;

export async function loadTf(backend: 'cpu' | 'wasm'): Promise<Tf> {
  const tf = loadPeer<Tf>('@tensorflow/tfjs');
  if (backend === 'wasm') loadPeer('@tensorflow/tfjs-backend-wasm');
  const ok = await tf.setBackend(backend);
  await tf.ready();
  if (!ok || tf.getBackend() !== backend) throw new Error(`tfjs: the ${backend} backend did not load`);
  return tf;
}

function tfInfo(tf: Tf, backend: string): Record<string, unknown> {
  const i: Record<string, unknown> = { version: peerVersion('@tensorflow/tfjs'), backend };
  if (backend === 'wasm') {
    i.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    i.threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'multi' : 1;
  } else i.threads = 1;
  return i;
}

interface TfLayer {
  wIh: T;
  wHh: T;
  bIh: T;
  bHh: T;
}

function layerVars(tf: Tf, w: LayerWeights, G: number, H: number, trainable: boolean): TfLayer {
  const v = (a: Float32Array, shape: number[]) => tf.variable(tf.tensor(a, shape), trainable);
  return {
    wIh: v(w.wIh, [G, w.inSize]),
    wHh: v(w.wHh, [G, H]),
    bIh: v(w.bIh, [G]),
    bHh: v(w.bHh, [G]),
  };
}

/** One layer over x [T*B, in] -> [T*B, H], time-major rows. */
function layerForward(
  tf: Tf,
  cell: 'LSTM' | 'GRU',
  L: TfLayer,
  x: T,
  steps: number,
  B: number,
  H: number,
): T {
  const xp = tf.add(tf.matMul(x, L.wIh, false, true), L.bIh);
  const xs: T[] = tf.split(xp, steps, 0);
  let h = tf.zeros([B, H]);
  let c = tf.zeros([B, H]);
  const outs: T[] = [];
  for (let t = 0; t < steps; t++) {
    const hp = tf.add(tf.matMul(h, L.wHh, false, true), L.bHh);
    if (cell === 'LSTM') {
      const [i, f, g, o] = tf.split(tf.add(xs[t], hp), 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    } else {
      const [xr, xz, xn] = tf.split(xs[t], 3, 1);
      const [hr, hz, hn] = tf.split(hp, 3, 1);
      const r = tf.sigmoid(tf.add(xr, hr));
      const z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      h = tf.add(n, tf.mul(z, tf.sub(h, n)));
    }
    outs.push(h);
  }
  return tf.concat(outs, 0);
}

export async function tfjsTrain(t: TrainTask, backend: 'cpu' | 'wasm'): Promise<Runner> {
  const tf = await loadTf(backend);
  const init = initLm(t);
  const G = gates(t.cell) * t.hidden;
  const emb = tf.variable(tf.tensor(init.emb, [t.vocab, t.embed]));
  const layers = init.rec.map((w) => layerVars(tf, w, G, t.hidden, true));
  const headW = tf.variable(tf.tensor(init.headW, [t.vocab, t.hidden]));
  const headB = tf.variable(tf.tensor(init.headB, [t.vocab]));
  const vars: T[] = [emb, headW, headB];
  for (const L of layers) vars.push(L.wIh, L.wHh, L.bIh, L.bHh);
  const opt = tf.train.adam(t.lr, 0.9, 0.999, 1e-8);
  const data = lmBatches(t);
  const ids = data.input.map((a) => tf.tensor(a, [a.length], 'int32'));
  // The wasm backend has no UnsortedSegmentSum (gather's gradient): embed by oneHot · matMul there.
  const oneHotEmbed = backend === 'wasm';
  const idsOneHot = oneHotEmbed ? ids.map((i: T) => tf.oneHot(i, t.vocab).toFloat()) : [];
  const targets = data.target.map((a) => tf.oneHot(tf.tensor(a, [a.length], 'int32'), t.vocab));
  let k = 0;
  return {
    step: () => {
      const j = k++ % DATA_BATCHES;
      const cost = opt.minimize(
        () => {
          let x = oneHotEmbed ? tf.matMul(idsOneHot[j], emb) : tf.gather(emb, ids[j]);
          for (const L of layers) x = layerForward(tf, t.cell, L, x, t.seqLen, t.batch, t.hidden);
          const logits = tf.add(tf.matMul(x, headW, false, true), headB);
          return tf.losses.softmaxCrossEntropy(targets[j], logits);
        },
        true,
        vars,
      );
      const v = cost.dataSync()[0];
      cost.dispose();
      if (!Number.isFinite(v)) throw new Error(`tfjs ${t.task}: the loss is not finite`);
      return undefined;
    },
    info: tfInfo(tf, backend),
    tokensPerStep: t.seqLen * t.batch,
    note: oneHotEmbed ? 'embedding as oneHot x matMul (no gather gradient on wasm)' : undefined,
  };
}

export async function tfjsInfer(t: InferTask, backend: 'cpu' | 'wasm'): Promise<Runner> {
  const tf = await loadTf(backend);
  const [w] = initRecurrent('LSTM', t.input, t.hidden, 1, new InitRng(7));
  const L = layerVars(tf, w, 4 * t.hidden, t.hidden, false);
  const x = tf.tensor(inferInput(t), [t.seqLen * t.batch, t.input]);
  return {
    step: () => {
      const y = tf.tidy(() => layerForward(tf, 'LSTM', L, x, t.seqLen, t.batch, t.hidden));
      const v = y.dataSync()[0];
      y.dispose();
      if (!Number.isFinite(v)) throw new Error(`tfjs ${t.task}: the output is not finite`);
      return undefined;
    },
    info: tfInfo(tf, backend),
    tokensPerStep: t.seqLen * t.batch,
  };
}
