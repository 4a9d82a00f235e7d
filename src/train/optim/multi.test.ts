/**
 * MultiOptimizer: the same updates as stepping its optimizers one by one, one learning-rate
 * schedule over all of them, state save/restore (all or nothing), the checks, and fit() with it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../autograd/backward.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { crossEntropy } from '../../ops/loss.js';
import { CheckpointError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { fit } from '../fit.js';
import { StepLR } from '../schedules.js';
import { Adam } from './adam.js';
import { MultiOptimizer } from './multi.js';
import type { OptimizerStateDict } from './optimizer.js';
import { SGD } from './sgd.js';
import { SparseAdam } from './sparse-adam.js';

const V = 7;
const E = 4;
const C = 3;
const BATCHES = [
  { ids: [1, 2, 2, 5], y: [0, 1, 2, 1] },
  { ids: [0, 6, 3], y: [2, 2, 0] },
  { ids: [4, 1], y: [1, 0] },
];

/** A sparse embedding and a linear head: the case MultiOptimizer is for. */
class Model extends Module {
  readonly emb: Embedding;
  readonly head: Linear;
  constructor(seed: number) {
    super();
    const rng = new Rng(seed);
    this.emb = this.registerModule('emb', new Embedding(V, E, { sparse: true, rng }));
    this.head = this.registerModule('head', new Linear(E, C, { rng }));
  }
  protected describe(): string {
    return 'Model';
  }
}

const model = (seed: number) => new Model(seed);

function lossOf(m: Model, b: (typeof BATCHES)[number]) {
  return crossEntropy(m.head.forward(m.emb.forward(b.ids)), b.y);
}

const snapshot = (m: Model) => [m.emb.weight, ...m.head.parameters()].map((p) => Array.from(p.data));

function pair(m: Model) {
  return [new SparseAdam([m.emb.weight], { lr: 0.05 }), new Adam(m.head.parameters(), { lr: 0.02 })] as const;
}

describe('MultiOptimizer', () => {
  it('updates exactly as stepping its optimizers one by one', () => {
    const a = model(1);
    const b = model(1);
    const multi = new MultiOptimizer(pair(a));
    const [s, d] = pair(b);
    for (const batch of BATCHES) {
      multi.zeroGrad();
      lossOf(a, batch).backward();
      multi.step();
      s.zeroGrad();
      d.zeroGrad();
      lossOf(b, batch).backward();
      s.step();
      d.step();
    }
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.notDeepEqual(snapshot(a), snapshot(model(1)), 'the parameters moved');
    assert.equal(multi.toString(), 'MultiOptimizer(SparseAdam, Adam)');
  });

  it('exposes every group, so one scheduler sets the learning rate of all its optimizers', () => {
    const m = model(2);
    const multi = new MultiOptimizer(pair(m));
    assert.equal(multi.paramGroups.length, 2);
    const sched = new StepLR(multi, { stepSize: 1, gamma: 0.5 });
    sched.step();
    assert.deepEqual(
      multi.optimizers.map((o) => o.paramGroups[0].lr),
      [0.025, 0.01],
    );
  });

  it('saves and restores the state of all its optimizers; a refused part restores nothing', () => {
    const a = model(3);
    const multi = new MultiOptimizer(pair(a));
    const run = (opt: MultiOptimizer, m: Model, batch: (typeof BATCHES)[number]) => {
      opt.zeroGrad();
      lossOf(m, batch).backward();
      opt.step();
    };
    run(multi, a, BATCHES[0]);
    const saved = multi.stateDict();
    const weights = snapshot(a);

    const b = model(3);
    const from = a.parameters();
    b.parameters().forEach((p, i) => {
      p.data.set(from[i].data);
    });
    const other = new MultiOptimizer(pair(b));
    other.loadStateDict(saved);
    run(multi, a, BATCHES[1]);
    run(other, b, BATCHES[1]);
    assert.deepEqual(snapshot(b), snapshot(a), 'the restored optimizers continue identically');
    assert.notDeepEqual(snapshot(a), weights);

    const fresh = new MultiOptimizer(pair(model(3)));
    const before = JSON.stringify(fresh.stateDict());
    const bad = multi.stateDict();
    (bad.optimizers[1] as OptimizerStateDict).paramGroups = [];
    assert.throws(
      () => fresh.loadStateDict(bad),
      (e: unknown) =>
        e instanceof CheckpointError &&
        /^MultiOptimizer\.loadStateDict: optimizers\[1\]: Adam/.test(e.message),
    );
    assert.equal(JSON.stringify(fresh.stateDict()), before, 'optimizers[0] was put back');
    assert.throws(
      () => fresh.loadStateDict({ type: 'MultiOptimizer', optimizers: [saved.optimizers[0]] }),
      /the state has 1 optimizers, this has 2/,
    );
  });

  it('refuses no optimizers, something that is not one, and a parameter given to two', () => {
    const m = model(4);
    assert.throws(() => new MultiOptimizer([]), /non-empty array of optimizers, got an empty array/);
    assert.throws(
      () => new MultiOptimizer([{} as unknown as SGD]),
      /optimizers\[0\] must be an optimizer \(SGD, Adam, \.\.\.\), got Object/,
    );
    assert.throws(
      () => new MultiOptimizer([new SGD(m.head.parameters(), { lr: 1 }), new Adam([m.head.weight], {})]),
      /a parameter \[3, 4\] is in optimizers\[0\] and optimizers\[1\]/,
    );
  });

  it('drives fit(), with its state in fit snapshots', async () => {
    const m = model(5);
    const multi = new MultiOptimizer(pair(m));
    const r = await fit({
      model: m,
      optimizer: multi,
      lossFn: (net, batch: (typeof BATCHES)[number]) => lossOf(net, batch),
      trainBatches: BATCHES,
      epochs: 3,
    });
    assert.equal(r.step, 9);
    assert.ok(Number.isFinite(r.loss ?? Number.NaN));
  });
});
