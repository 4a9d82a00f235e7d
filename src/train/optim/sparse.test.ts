/**
 * Sparse embedding gradients (`Tensor.sparseRows`) and the optimizers that use them: SparseAdam
 * (lazy: only the rows a batch used move) against the torch.optim.SparseAdam formulas in
 * float64, on both backends; SGD updating only the used rows, with the dense result.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../autograd/backward.js';
import { getBackend, setBackend } from '../../kernels/registry.js';
import { Embedding } from '../../nn/embedding.js';
import { mul } from '../../ops/elementwise.js';
import { sum } from '../../ops/reduce.js';
import { type DType, type Tensor, tensor } from '../../tensor/tensor.js';
import { ConfigError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { Adam } from './adam.js';
import { SGD } from './sgd.js';
import { SparseAdam } from './sparse-adam.js';

const V = 9;
const E = 5;
/** The ids of each step: rows 0 and 8 are never used; 3 twice in step 1. */
const BATCHES = [
  [3, 1, 3, 4],
  [2, 3],
  [5, 6, 7, 1],
];

/** d loss / d out, a fixed function of the position, so every run sees the same gradients. */
const weights = (n: number, step: number) =>
  Array.from({ length: n * E }, (_, i) => Math.sin(1.7 * i + step) + 0.3);

function lossOf(emb: Embedding, ids: number[], step: number, dtype: DType) {
  const out = emb.forward(ids);
  return sum(mul(out, tensor(weights(ids.length, step), { shape: out.shape, dtype })));
}

/** torch.optim.SparseAdam in float64 over the dense gradient of each step, lazily per used row. */
function reference(w0: Float64Array, lr: number, b1: number, b2: number, eps: number): Float64Array {
  const w = Float64Array.from(w0);
  const m = new Float64Array(V * E);
  const v = new Float64Array(V * E);
  BATCHES.forEach((ids, k) => {
    const t = k + 1;
    const g = new Float64Array(V * E);
    const wt = weights(ids.length, k);
    ids.forEach((id, p) => {
      for (let e = 0; e < E; e++) g[id * E + e] += wt[p * E + e];
    });
    const stepSize = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (const r of new Set(ids))
      for (let e = 0; e < E; e++) {
        const i = r * E + e;
        m[i] += (g[i] - m[i]) * (1 - b1);
        v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
        w[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + eps);
      }
  });
  return w;
}

function train(backend: 'ts' | 'wasm', dtype: DType, make: (e: Embedding) => SGD | SparseAdam | Adam) {
  const prev = getBackend();
  setBackend(backend);
  try {
    const emb = new Embedding(V, E, { sparse: true, dtype, rng: new Rng(4) });
    const w0 = Float64Array.from(emb.weight.data);
    const opt = make(emb);
    BATCHES.forEach((ids, k) => {
      opt.zeroGrad();
      lossOf(emb, ids, k, dtype).backward();
      opt.step();
    });
    return { w0, w: Float64Array.from(emb.weight.data) };
  } finally {
    setBackend(prev);
  }
}

const rowsOf = (e: Embedding) => (e.weight.grad as Tensor | null)?.sparseRows;

describe('sparse embedding gradients', () => {
  it('name the rows the ids used (sorted, once, without the padding row); the values are the dense ones', () => {
    const dense = new Embedding(V, E, { rng: new Rng(1), paddingIdx: 4 });
    const sparse = new Embedding(V, E, { rng: new Rng(1), paddingIdx: 4, sparse: true });
    for (const e of [dense, sparse]) lossOf(e, [7, 4, 2, 7, 0], 0, 'float32').backward();
    assert.deepEqual([...(sparse.weight.grad?.sparseRows ?? [])], [0, 2, 7]);
    assert.equal(dense.weight.grad?.sparseRows, null);
    assert.deepEqual(sparse.weight.grad?.data, dense.weight.grad?.data);
    assert.match(sparse.toString(), /sparse=true/);
  });

  it('accumulate as the union of rows, and become dense when a dense gradient joins', () => {
    const e = new Embedding(V, E, { sparse: true, rng: new Rng(2) });
    lossOf(e, [5, 1], 0, 'float32').backward();
    lossOf(e, [1, 8], 1, 'float32').backward(); // a second backward adds into .grad
    assert.deepEqual([...(e.weight.grad?.sparseRows ?? [])], [1, 5, 8]);
    const both = sum(mul(e.forward([3]), 2)); // two uses in one graph
    e.weight.grad = null;
    sum(mul(both, e.forward([6]))).backward();
    assert.deepEqual([...(rowsOf(e) ?? [])], [3, 6]);
    e.weight.grad = null;
    sum(mul(e.forward([2]), sum(e.weight))).backward(); // the weight used densely too
    assert.equal(rowsOf(e), null);
  });
});

describe('SparseAdam', () => {
  const opts = { lr: 0.05, betas: [0.8, 0.9] as [number, number], eps: 1e-6 };
  for (const [backend, dtype, tol] of [
    ['ts', 'float64', 1e-12],
    ['ts', 'float32', 1e-5],
    ['wasm', 'float32', 1e-5],
  ] as const) {
    it(`matches torch.optim.SparseAdam's formulas; unused rows never move (${backend}, ${dtype})`, () => {
      const { w0, w } = train(backend, dtype, (e) => new SparseAdam(e.parameters(), opts));
      const want = reference(w0, opts.lr, opts.betas[0], opts.betas[1], opts.eps);
      for (let i = 0; i < w.length; i++)
        assert.ok(Math.abs(w[i] - want[i]) <= tol * (1 + Math.abs(want[i])), `w[${i}] ${w[i]} vs ${want[i]}`);
      for (const r of [0, 8])
        for (let e = 0; e < E; e++) assert.equal(w[r * E + e], w0[r * E + e], `row ${r} moved`);
    });
  }

  it('differs from dense Adam, which also moves rows with zero gradient through their moments', () => {
    const a = train('ts', 'float64', (e) => new SparseAdam(e.parameters(), { lr: 0.05 }));
    const b = train('ts', 'float64', (e) => new Adam(e.parameters(), { lr: 0.05 }));
    // row 1: used at steps 1 and 3 only; dense Adam moves it at step 2 as well
    assert.notEqual(a.w[1 * E], b.w[1 * E]);
    assert.equal(a.w[0], b.w[0], 'a row never used: neither moves it');
  });

  it('refuses a dense gradient before changing anything', () => {
    const p = tensor([1, 2, 3], { requiresGrad: true });
    const e = new Embedding(V, E, { sparse: true, rng: new Rng(3) });
    const opt = new SparseAdam([e.weight, p]);
    lossOf(e, [1], 0, 'float32').backward();
    p.grad = tensor([1, 1, 1]);
    const before = Float32Array.from(e.weight.data);
    assert.throws(
      () => opt.step(),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /SparseAdam\.step: the gradient of parameter 1 is dense; .*use Adam/);
        return true;
      },
    );
    assert.deepEqual(e.weight.data, before);
    assert.deepEqual(opt.stateDict().state, {});
  });
});

describe('SGD with a sparse gradient', () => {
  it('updates only the used rows and gives the dense result bit for bit', () => {
    const sparse = train('ts', 'float32', (e) => new SGD(e.parameters(), { lr: 0.1 }));
    const prev = getBackend();
    const dense = (() => {
      setBackend('ts');
      try {
        const emb = new Embedding(V, E, { dtype: 'float32', rng: new Rng(4) });
        const opt = new SGD(emb.parameters(), { lr: 0.1 });
        BATCHES.forEach((ids, k) => {
          opt.zeroGrad();
          lossOf(emb, ids, k, 'float32').backward();
          opt.step();
        });
        return Float64Array.from(emb.weight.data);
      } finally {
        setBackend(prev);
      }
    })();
    assert.deepEqual(sparse.w, dense);
    assert.notDeepEqual(sparse.w, sparse.w0);
  });
});
