import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { crossEntropy } from '../ops/loss.js';
import { Tensor } from '../tensor/tensor.js';
import { Adam } from '../train/optim/adam.js';
import { ConfigError, DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { BowLogReg, bagLinear, bagOfWords } from './bow-logreg.js';
import { argmaxRows } from './classification-metrics.js';

describe('bagOfWords', () => {
  it('keeps each id once, sorted, with value 1/sqrt(n), leaving out ignored ids', () => {
    const b = bagOfWords([7, 3, 7, 1, 3, 9], [1]);
    assert.deepEqual([...b.ids], [3, 7, 9]);
    for (const v of b.values) assert.ok(Math.abs(v - 1 / Math.sqrt(3)) < 1e-7);
    const empty = bagOfWords([1, 1], [1]);
    assert.equal(empty.ids.length, 0);
    assert.throws(() => bagOfWords([2, -1]), DataError);
  });
});

describe('bagLinear', () => {
  it('passes gradcheck in float64 for the weight and the bias', () => {
    const rng = new Rng(3);
    const w = new Tensor(
      Float64Array.from({ length: 6 * 3 }, () => rng.normal()),
      [6, 3],
      true,
    );
    const b = new Tensor(Float64Array.from([0.1, -0.2, 0.3]), [3], true);
    const bags = [
      bagOfWords([0, 2, 5]),
      bagOfWords([]),
      { ids: Int32Array.from([1, 2]), values: Float32Array.from([0.5, -2]) },
    ];
    const r = gradcheck((x, y) => bagLinear(x, y, bags), [w, b]);
    assert.ok(r.ok, JSON.stringify(r.worst));
  });

  it('rejects ids outside the vocabulary and mismatched bags', () => {
    const w = new Tensor(new Float32Array(4), [2, 2]);
    const b = new Tensor(new Float32Array(2), [2]);
    assert.throws(
      () => bagLinear(w, b, [bagOfWords([2])]),
      /bags\[0\]\.ids\[0\] is 2, outside the vocabulary \[0, 2\)/,
    );
    assert.throws(
      () => bagLinear(w, b, [{ ids: Int32Array.from([0]), values: new Float32Array(2) }]),
      DataError,
    );
  });
});

describe('BowLogReg', () => {
  it('computes logits = x·W + b for the weighted bag', () => {
    const m = new BowLogReg({ vocabSize: 4, numClasses: 3 });
    m.weight.data.set(Float32Array.from({ length: 12 }, (_, i) => i * 0.1));
    m.bias.data.set([1, 2, 3]);
    m.weight.markChanged();
    m.bias.markChanged();
    const bags = [bagOfWords([1, 3]), bagOfWords([]), bagOfWords([2])];
    const y = m.forward(bags).data;
    const s = 1 / Math.sqrt(2);
    const want = [
      1 + s * (0.3 + 0.9),
      2 + s * (0.4 + 1.0),
      3 + s * (0.5 + 1.1),
      1,
      2,
      3,
      1 + 0.6,
      2 + 0.7,
      3 + 0.8,
    ];
    want.forEach((w, i) => {
      assert.ok(Math.abs(y[i] - w) < 1e-5, `${i}: ${y[i]} vs ${w}`);
    });
  });

  it('loss with class weights equals crossEntropy(weight) of its logits', () => {
    const m = new BowLogReg({ vocabSize: 5, numClasses: 2 });
    m.weight.data.set(Float32Array.from({ length: 10 }, (_, i) => Math.sin(i)));
    m.weight.markChanged();
    const bags = [bagOfWords([1, 2]), bagOfWords([4])];
    const want = crossEntropy(m.forward(bags), [1, 0], { weight: [2, 0.5] }).item();
    assert.ok(Math.abs(m.loss(bags, [1, 0], [2, 0.5]).item() - want) < 1e-6);
  });

  it('trains with Adam to 100% accuracy on a separable toy task', () => {
    // Class 1 when word 2 or 3 occurs; words 4..9 are noise.
    const rng = new Rng(1);
    const docs = Array.from({ length: 60 }, (_, i) => {
      const w = Array.from({ length: 5 }, () => 4 + rng.int(6));
      if (i % 2) w.push(2 + rng.int(2));
      return w;
    });
    const labels = docs.map((_, i) => i % 2);
    const bags = docs.map((d) => bagOfWords(d));
    const m = new BowLogReg({ vocabSize: 10, numClasses: 2 });
    const opt = new Adam(m.parameters(), { lr: 0.1 });
    for (let step = 0; step < 100; step++) {
      opt.zeroGrad();
      m.loss(bags, labels).backward();
      opt.step();
    }
    const pred = argmaxRows(m.predictProba(bags, 16), 2);
    assert.deepEqual([...pred], labels);
  });

  it('round-trips through toJSON/fromJSON and rejects bad configs', () => {
    const m = new BowLogReg({ vocabSize: 6, numClasses: 2 });
    assert.deepEqual(BowLogReg.fromJSON(m.toJSON()).config, m.config);
    assert.equal(m.toString(), 'BowLogReg(vocab=6, classes=2)  # 14 parameters');
    assert.throws(() => new BowLogReg({ vocabSize: 0, numClasses: 2 }), ConfigError);
    assert.throws(() => new BowLogReg({ vocabSize: 3, numClasses: 1 }), /numClasses must be at least 2/);
    assert.throws(() => m.forward([]), DataError);
  });
});
