/**
 * Cost of a training step of a sparse embedding against the vocabulary size: with row-sparse
 * gradients (src/tensor/sparse-rows.ts) a step should cost O(rows used · E), nearly flat in V.
 * Embedding(V, 64, { sparse: true }), SparseAdam, 32 x 256 ids over 200 distinct rows; one step
 * is forward (in tidy), sum, backward, optimizer step, zeroGrad.
 *
 *   node dist/bench/sparse-embedding.js [--vocab 200,20004,200000]
 *
 * Prints one JSON line per vocabulary size: the median ms per step over samples of ~0.3 s.
 */
import { Embedding } from '../src/nn/embedding.js';
import { sum } from '../src/ops/reduce.js';
import { tidy } from '../src/tensor/scope.js';
import { SparseAdam } from '../src/train/optim/sparse-adam.js';
import '../src/autograd/backward.js';

const i = process.argv.indexOf('--vocab');
const sizes = (i >= 0 ? process.argv[i + 1] : '200,20004,200000').split(',').map(Number);
if (!sizes.every((v) => Number.isInteger(v) && v >= 200))
  throw new Error(`bench/sparse-embedding: --vocab must list integers >= 200, got ${sizes.join(',')}`);

const E = 64;
const ids = Int32Array.from({ length: 32 * 256 }, (_, p) => (p * 7919) % 200);
for (const V of sizes) {
  const emb = new Embedding(V, E, { sparse: true });
  const opt = new SparseAdam(emb.parameters(), { lr: 1e-3 });
  const step = (): void => {
    tidy(() => sum(emb.forward(ids)).backward());
    opt.step();
    opt.zeroGrad();
  };
  for (let w = 0; w < 5; w++) step();
  const samples: number[] = [];
  for (let s = 0; s < 9; s++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 300) {
      step();
      n++;
    }
    samples.push((performance.now() - t0) / n);
  }
  samples.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: 'sparse-embedding-step',
      V,
      E,
      ids: ids.length,
      msPerStep: +samples[4].toFixed(2),
    }),
  );
}
