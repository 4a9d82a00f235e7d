/**
 * The benchmark workloads (issue "Speed", item 1), shared by every implementation: model sizes,
 * data shapes, initial-value distributions and the data itself, so that Recur and each peer do the
 * same work. Nothing here imports Recur or a peer.
 *
 * Training workloads (char-LM step): ids [T, B] -> Embedding(V, E) -> recurrent layers -> Linear(H, V)
 * -> cross-entropy (mean) at every step -> backward -> Adam(lr 1e-3, betas 0.9/0.999, eps 1e-8).
 * Zero initial state at every step. Inference workload W4: an LSTM(64, 256) forward over 64 steps
 * of a fixed float input, without gradients.
 *
 * Initial values (PyTorch's defaults, which Recur follows): embedding N(0, 1); recurrent weights
 * and biases U(-1/√H, 1/√H); Linear weight and bias U(-1/√in, 1/√in).
 */

export type CellKind = 'LSTM' | 'GRU';

export interface TrainTask {
  kind: 'train';
  /** Workload id: W1, W2, W3, W5. */
  workload: string;
  /** Task id as printed (W1 ... ). */
  task: string;
  cell: CellKind;
  vocab: number;
  embed: number;
  hidden: number;
  layers: number;
  seqLen: number;
  batch: number;
  lr: number;
  metric: 'tokens/s';
}

export interface InferTask {
  kind: 'infer';
  workload: string;
  /** W4.b1 (ms per sequence) or W4.b64 (tokens/s). */
  task: string;
  cell: 'LSTM';
  input: number;
  hidden: number;
  seqLen: number;
  batch: number;
  metric: 'ms/seq' | 'tokens/s';
}

export type Task = TrainTask | InferTask;

const lm = (workload: string, cell: CellKind, hidden: number, layers: number, batch: number): TrainTask => ({
  kind: 'train',
  workload,
  task: workload,
  cell,
  vocab: 65,
  embed: 64,
  hidden,
  layers,
  seqLen: 64,
  batch,
  lr: 1e-3,
  metric: 'tokens/s',
});

const infer = (batch: number, metric: InferTask['metric']): InferTask => ({
  kind: 'infer',
  workload: 'W4',
  task: `W4.b${batch}`,
  cell: 'LSTM',
  input: 64,
  hidden: 256,
  seqLen: 64,
  batch,
  metric,
});

/** Every workload and the tasks it runs, in suite order. */
export const WORKLOADS: Record<string, { title: string; tasks: Task[] }> = {
  W1: { title: 'char-LM step, LSTM 256, batch 32', tasks: [lm('W1', 'LSTM', 256, 1, 32)] },
  W2: { title: 'char-LM step, GRU 256, batch 32', tasks: [lm('W2', 'GRU', 256, 1, 32)] },
  W3: { title: 'char-LM step, LSTM 64, batch 16', tasks: [lm('W3', 'LSTM', 64, 1, 16)] },
  W4: {
    title: 'LSTM(64, 256) inference, 64 steps',
    tasks: [infer(1, 'ms/seq'), infer(64, 'tokens/s')],
  },
  W5: { title: 'char-LM step, 2-layer LSTM 512, batch 32', tasks: [lm('W5', 'LSTM', 512, 2, 32)] },
};

/** A one-line description of a task's shapes. */
export function describeTask(t: Task): string {
  if (t.kind === 'infer') return `LSTM(${t.input}, ${t.hidden}) forward, seq ${t.seqLen}, batch ${t.batch}`;
  const layers = t.layers > 1 ? `${t.layers}-layer ` : '';
  return `Embedding(${t.vocab}, ${t.embed}) -> ${layers}${t.cell} ${t.hidden} -> Linear(${t.hidden}, ${t.vocab}), CE, Adam; seq ${t.seqLen}, batch ${t.batch}`;
}

/** Tokens processed by one step (train) or one forward (infer). */
export function tokensPerStep(t: Task): number {
  return t.seqLen * t.batch;
}

/** Gate blocks per cell: LSTM i, f, g, o; GRU r, z, n. */
export function gates(cell: CellKind): number {
  return cell === 'LSTM' ? 4 : 3;
}

/**
 * xorshift32, the generator of the benchmark data (also written out in peers/torch_bench.py, so
 * every implementation sees the same ids and inputs). Not for model initialization.
 */
export class DataRng {
  private x: number;
  constructor(seed: number) {
    this.x = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.x;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x >>> 0;
    return this.x;
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next() / 4294967296;
  }
  /** Standard normal (Box-Muller, both values from fresh draws). */
  normal(): number {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
}

export const DATA_SEED = 1234;
/** Distinct batches cycled through by the training steps. */
export const DATA_BATCHES = 4;

/**
 * The char-LM batches: for batch k, `input[k]` and `target[k]` are time-major [T * B] ids, the
 * target being the next character of the same random stream (stream b is B-strided).
 */
export function lmBatches(t: TrainTask): { input: Int32Array[]; target: Int32Array[] } {
  const rng = new DataRng(DATA_SEED);
  const T = t.seqLen;
  const B = t.batch;
  const input: Int32Array[] = [];
  const target: Int32Array[] = [];
  for (let k = 0; k < DATA_BATCHES; k++) {
    const stream = new Int32Array((T + 1) * B);
    for (let i = 0; i < stream.length; i++) stream[i] = rng.next() % t.vocab;
    input.push(stream.slice(0, T * B));
    target.push(stream.slice(B));
  }
  return { input, target };
}

/** The inference input, time-major [T * B * I], uniform in [-1, 1). */
export function inferInput(t: InferTask): Float32Array {
  const rng = new DataRng(DATA_SEED);
  const x = new Float32Array(t.seqLen * t.batch * t.input);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() * 2 - 1;
  return x;
}

/** Initial values for peers that do not draw PyTorch's distributions themselves. */
export class InitRng extends DataRng {
  uniformArray(n: number, bound: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (this.uniform() * 2 - 1) * bound;
    return a;
  }
  normalArray(n: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.normal();
    return a;
  }
}

/** Parameters of one recurrent layer in PyTorch layout. */
export interface LayerWeights {
  wIh: Float32Array;
  wHh: Float32Array;
  bIh: Float32Array;
  bHh: Float32Array;
  inSize: number;
}

/** A recurrent stack with PyTorch's initial distributions (U(-1/√H, 1/√H) everywhere). */
export function initRecurrent(
  cell: CellKind,
  input: number,
  hidden: number,
  layers: number,
  rng: InitRng,
): LayerWeights[] {
  const G = gates(cell) * hidden;
  const k = 1 / Math.sqrt(hidden);
  const out: LayerWeights[] = [];
  for (let l = 0; l < layers; l++) {
    const inSize = l === 0 ? input : hidden;
    out.push({
      wIh: rng.uniformArray(G * inSize, k),
      wHh: rng.uniformArray(G * hidden, k),
      bIh: rng.uniformArray(G, k),
      bHh: rng.uniformArray(G, k),
      inSize,
    });
  }
  return out;
}

/** The whole char-LM with PyTorch's initial distributions. */
export function initLm(t: TrainTask, seed = 7) {
  const rng = new InitRng(seed);
  const emb = rng.normalArray(t.vocab * t.embed);
  const rec = initRecurrent(t.cell, t.embed, t.hidden, t.layers, rng);
  const b = 1 / Math.sqrt(t.hidden);
  return { emb, rec, headW: rng.uniformArray(t.vocab * t.hidden, b), headB: rng.uniformArray(t.vocab, b) };
}

/** What a child process prints (one JSON line) for one task on one implementation. */
export interface TaskResult {
  type: 'result';
  workload: string;
  task: string;
  impl: string;
  metric: string;
  value: number;
  /** Median milliseconds per step (train) or per forward (infer). */
  medianMs: number;
  steps: number;
  warmup: number;
  /** True when the time budget cut the timed steps below the requested minimum. */
  capped: boolean;
  /** Median milliseconds of the phases of a training step, where measured. */
  phases?: Record<string, number>;
  /** Peak resident set size of the child process (MB), and after loading (MB). */
  peakRssMB: number;
  startRssMB?: number;
  /** How this implementation's configuration differs from the task, if it does. */
  note?: string;
  /** Versions, threads, backend details. */
  info?: Record<string, unknown>;
  /** The machine's 1-minute load average when the run started (set by the suite). */
  load1?: number;
  /** With --repeat: the value of every run (value is their median) and each run's load1. */
  runs?: number[];
  loads?: number[];
}
