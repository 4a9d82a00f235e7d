/**
 * Row-sparse gradients end to end (src/tensor/sparse-rows.ts): a sparse embedding's gradient,
 * accumulated on the tape and into an existing `.grad`, clipped and checked for non-finite values,
 * equals the dense gradient of the same computation value for value, while only its rows are read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../autograd/backward.js';
import { add, mul } from '../ops/elementwise.js';
import { embedding } from '../ops/embedding.js';
import { matmul } from '../ops/matmul.js';
import { sum } from '../ops/reduce.js';
import { addLive, copyLive, liveRanges, rowRuns } from '../tensor/sparse-rows.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { clipGradNorm, clipGradValue } from './clip.js';
import { findNonFiniteGradient } from './nan-guard.js';
import { SparseAdam } from './optim/sparse-adam.js';

const V = 12;
const E = 3;

function weight(): Tensor {
  const w = tensor(
    Array.from({ length: V * E }, (_, i) => Math.sin(i * 0.7) * 0.5),
    { shape: [V, E], dtype: 'float64' },
  );
  w.requiresGrad = true;
  return w;
}

/** Two lookups of the same weight in one graph (the tape adds their gradients), then a backward. */
function run(w: Tensor, sparse: boolean, ids1: number[], ids2: number[], scale: number): void {
  const a = embedding(w, ids1, { sparse, paddingIdx: 0 });
  const b = embedding(w, ids2, { sparse });
  const ca = tensor(
    Array.from({ length: ids1.length * E }, (_, i) => i + 1),
    { shape: [ids1.length, E], dtype: 'float64' },
  );
  const cb = tensor(
    Array.from({ length: ids2.length * E }, (_, i) => scale * (i - 2)),
    { shape: [ids2.length, E], dtype: 'float64' },
  );
  sum(add(sum(mul(a, ca)), sum(mul(b, cb)))).backward();
}

describe('row-sparse gradients', () => {
  it('rowRuns and liveRanges cover exactly the listed rows', () => {
    assert.deepEqual(rowRuns(Int32Array.from([1, 2, 3, 7, 9, 10])), [
      [1, 4],
      [7, 8],
      [9, 11],
    ]);
    const t = tensor(new Float64Array(12), { shape: [4, 3] });
    assert.deepEqual(liveRanges(t), [[0, 12]]);
    t.sparseRows = Int32Array.from([0, 2]);
    t.data[7] = 5;
    assert.deepEqual(liveRanges(t), [
      [0, 3],
      [6, 9],
    ]);
    assert.deepEqual(Array.from(copyLive(t)), [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0]);
    const out = new Float64Array(12).fill(1);
    addLive(out, t);
    assert.deepEqual(Array.from(out), [1, 1, 1, 1, 1, 1, 1, 6, 1, 1, 1, 1]);
  });

  it('tape and .grad accumulation equal the dense gradient; the rows are the union', () => {
    const ws = weight();
    const wd = weight();
    for (const [w, sparse] of [
      [ws, true],
      [wd, false],
    ] as const) {
      run(w, sparse, [0, 3, 5, 3], [7, 3], 1);
      run(w, sparse, [10], [5, 11, 11], -2);
    }
    assert.deepEqual(Array.from(ws.grad!.data), Array.from(wd.grad!.data));
    // Row 0 is the padding row of the first lookup: never in the rows.
    assert.deepEqual(Array.from(ws.grad!.sparseRows!), [3, 5, 7, 10, 11]);
    assert.equal(wd.grad!.sparseRows, null);
  });

  it('a dense contribution makes the accumulated gradient dense', () => {
    const w = weight();
    run(w, true, [1, 2], [2], 1);
    const m = matmul(tensor(new Array(E).fill(1), { shape: [1, E], dtype: 'float64' }), w, { transB: true });
    sum(m).backward();
    assert.equal(w.grad!.sparseRows, null);
    for (let r = 0; r < V; r++) assert.notEqual(w.grad!.data[r * E], 0, `row ${r} got the dense part`);
  });

  it('clipGradNorm and clipGradValue give the dense results and leave the other rows 0', () => {
    for (const normType of [2, 1, 3, Number.POSITIVE_INFINITY]) {
      const ws = weight();
      const wd = weight();
      run(ws, true, [4, 6, 6], [9], 3);
      run(wd, false, [4, 6, 6], [9], 3);
      const ns = clipGradNorm([ws], 0.5, normType);
      const nd = clipGradNorm([wd], 0.5, normType);
      assert.equal(ns, nd, `norm ${normType}`);
      assert.deepEqual(Array.from(ws.grad!.data), Array.from(wd.grad!.data), `clipped, norm ${normType}`);
    }
    const ws = weight();
    const wd = weight();
    run(ws, true, [2, 8], [8], 4);
    run(wd, false, [2, 8], [8], 4);
    clipGradValue([ws], 2.5);
    clipGradValue([wd], 2.5);
    assert.deepEqual(Array.from(ws.grad!.data), Array.from(wd.grad!.data));
  });

  it('findNonFiniteGradient reports the flat index of a NaN inside a used row', () => {
    const w = weight();
    run(w, true, [2, 8], [5], 1);
    assert.equal(findNonFiniteGradient([['emb', w]]), null);
    w.grad!.data[5 * E + 2] = Number.NaN;
    const bad = findNonFiniteGradient([['emb', w]]);
    assert.equal(bad?.name, 'emb');
    assert.equal(bad?.index, 5 * E + 2);
    assert.ok(Number.isNaN(bad?.value));
  });

  it('zeroGrad(false) leaves a sparse gradient with no rows: the next step moves only its own rows', () => {
    const runs = [true, false].map((setToNone) => {
      const w = weight();
      const opt = new SparseAdam([w], { lr: 0.1 });
      for (const ids of [
        [1, 4],
        [6, 9],
      ]) {
        run(w, true, ids, [ids[0]], 1);
        opt.step();
        opt.zeroGrad(setToNone);
      }
      return w;
    });
    const [none, zeroed] = runs;
    assert.deepEqual(Array.from(zeroed.grad!.sparseRows!), []);
    assert.ok(zeroed.grad!.data.every((v) => v === 0));
    assert.deepEqual(Array.from(zeroed.data), Array.from(none.data));
  });
});
