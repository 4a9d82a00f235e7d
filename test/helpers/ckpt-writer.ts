// Child process of test/checkpoint-kill.test.ts: resumes from the latest checkpoint in a directory
// (if any) and saves checkpoints in a loop, printing "saved <step>" after each, until it is killed.
// Every value is a function of the step, so a loaded checkpoint can be checked for consistency.
import { pathToFileURL } from 'node:url';
import { type CheckpointData, saveCheckpoint } from '../../src/io/checkpoint.js';
import { type LoadedCheckpoint, loadCheckpoint } from '../../src/io/checkpoint-load.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { CheckpointError } from '../../src/util/errors.js';

const SHAPES: [string, number[], 'f32' | 'f64'][] = [
  ['lstm.weight_ih_l0', [512, 96], 'f32'],
  ['lstm.weight_hh_l0', [512, 128], 'f32'],
  ['lstm.bias_ih_l0', [512], 'f32'],
  ['linear.weight', [40, 128], 'f64'],
];

/** The value of element `i` of tensor number `k` at `step` (exact in float32 for step < 8192). */
export const valueAt = (step: number, k: number, i: number): number =>
  step + ((i * 7 + k * 13) % 1000) / 1024;

function fill(step: number, k: number, n: number, f64: boolean): Float32Array | Float64Array {
  const d = f64 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = valueAt(step, k, i);
  return d;
}

export function checkpointAt(step: number): CheckpointData {
  const model = new Map<string, Tensor>();
  const state: Record<string, { step: number; buffers: Record<string, Float32Array | Float64Array> }> = {};
  SHAPES.forEach(([name, shape, dt], k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    model.set(name, new Tensor(fill(step, k, n, dt === 'f64'), shape));
    state[String(k)] = {
      step,
      buffers: { expAvg: fill(step + 1, k, n, dt === 'f64'), expAvgSq: fill(step + 2, k, n, dt === 'f64') },
    };
  });
  return {
    step,
    model,
    config: { shapes: SHAPES, step },
    optimizer: { type: 'Adam', paramGroups: [{ lr: 0.001, params: [0, 1, 2, 3] }], state },
    rng: { s: [step, step + 1, step + 2, step + 3], spare: null },
    metrics: { loss: 1 / (step + 1) },
  };
}

/** Throws unless `c` is exactly what checkpointAt(c.step) saved. */
export function verify(c: LoadedCheckpoint): void {
  const want = checkpointAt(c.step);
  const bad = (m: string) => new Error(`checkpoint of step ${c.step} is inconsistent: ${m}`);
  if ((c.config as { step: number }).step !== c.step) throw bad('config.step');
  if (c.rng?.s[3] !== c.step + 3) throw bad('rng');
  const wm = want.model as Map<string, Tensor>;
  if (c.model.size !== wm.size) throw bad('model size');
  for (const [name, t] of wm) {
    const got = c.model.get(name);
    if (!got || got.size !== t.size || got.dtype !== t.dtype) throw bad(`model tensor ${name}`);
    for (let i = 0; i < t.size; i++) if (got.data[i] !== t.data[i]) throw bad(`${name}[${i}]`);
  }
  const ws = (
    want.optimizer as { state: Record<string, { buffers: Record<string, Float32Array | Float64Array> }> }
  ).state;
  const gs = (c.optimizer as typeof want.optimizer & { state: typeof ws }).state;
  for (const [k, s] of Object.entries(ws)) {
    for (const [b, arr] of Object.entries(s.buffers)) {
      const got = gs[k]?.buffers[b];
      if (!got || got.length !== arr.length) throw bad(`optimizer ${k}.${b}`);
      for (let i = 0; i < arr.length; i++) if (got[i] !== arr[i]) throw bad(`optimizer ${k}.${b}[${i}]`);
    }
  }
}

function main(dir: string): void {
  let step = 1;
  try {
    const c = loadCheckpoint(dir);
    verify(c);
    step = c.step + 1;
  } catch (e) {
    if (!(e instanceof CheckpointError && /holds no checkpoint/.test(e.message))) throw e;
  }
  for (;;) {
    saveCheckpoint(dir, checkpointAt(step), { keepLast: 2 });
    process.stdout.write(`saved ${step}\n`);
    step++;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv[2]);
