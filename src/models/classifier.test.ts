import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { crossEntropy } from '../ops/loss.js';
import { sum } from '../ops/reduce.js';
import { Tensor, tensor } from '../tensor/tensor.js';
import { Adam } from '../train/optim/adam.js';
import { ConfigError, DataError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { argmaxRows } from './classification-metrics.js';
import { SequenceClassifier } from './classifier.js';
import { balancedClassWeights, type PoolingKind } from './classifier-config.js';
import { maxOverSteps } from './sequence-pooling.js';

/** Sequences of ids 1..5 of length 2..7; class 1 when id 5 occurs. */
function toyData(n: number, seed: number): { seqs: Int32Array[]; labels: number[] } {
  const rng = new Rng(seed);
  const seqs: Int32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + rng.int(6);
    const s = Int32Array.from({ length: len }, () => 1 + rng.int(4));
    if (i % 2 === 0) s[rng.int(len)] = 5;
    seqs.push(s);
    labels.push(s.includes(5) ? 1 : 0);
  }
  return { seqs, labels };
}

/** Pads to time-major [T, B] with 0. */
function pad(seqs: Int32Array[]): { ids: Int32Array; T: number; B: number; lengths: number[] } {
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(T * B);
  seqs.forEach((s, b) => {
    s.forEach((v, t) => {
      ids[t * B + b] = v;
    });
  });
  return { ids, T, B, lengths: seqs.map((s) => s.length) };
}

function trainToy(pooling: PoolingKind, cell: 'lstm' | 'gru', bidirectional: boolean): number {
  const { seqs, labels } = toyData(24, 3);
  const model = new SequenceClassifier(
    { vocabSize: 6, numClasses: 2, embedSize: 8, hiddenSize: 8, cell, pooling, bidirectional, paddingIdx: 0 },
    { rng: new Rng(1) },
  );
  const opt = new Adam(model.parameters(), { lr: 0.05 });
  const b = pad(seqs);
  let acc = 0;
  for (let step = 0; step < 200 && acc < 1; step++) {
    opt.zeroGrad();
    model.loss(model.forward(b.ids, b.T, b.B, b.lengths), labels).backward();
    opt.step();
    if (step % 10 === 9) {
      const pred = argmaxRows(model.predictProba(seqs), 2);
      acc = pred.reduce((s, p, i) => s + (p === labels[i] ? 1 : 0), 0) / labels.length;
    }
  }
  return acc;
}

describe('SequenceClassifier', () => {
  for (const [pooling, cell, bi] of [
    ['max', 'lstm', true],
    ['mean', 'gru', true],
    ['last', 'lstm', true],
    ['last', 'gru', false],
  ] as const) {
    it(`learns a toy task to 100% training accuracy (${cell}, pooling ${pooling}, ${bi ? 'bi' : 'uni'}directional)`, () => {
      assert.equal(trainToy(pooling, cell, bi), 1);
    });
  }

  it('gives a sequence the same logits alone and padded in a batch with longer ones', () => {
    for (const pooling of ['max', 'mean', 'last'] as const) {
      const m = new SequenceClassifier(
        { vocabSize: 6, numClasses: 3, embedSize: 4, hiddenSize: 5, pooling },
        { rng: new Rng(2) },
      );
      m.eval();
      const short = Int32Array.from([1, 2, 3]);
      const long = Int32Array.from([4, 5, 1, 2, 3, 3]);
      const alone = m.forward(short, 3, 1, [3]).data;
      const b = pad([long, short]);
      const batched = m.forward(b.ids, b.T, b.B, b.lengths).data;
      for (let c = 0; c < 3; c++)
        assert.ok(Math.abs(alone[c] - batched[3 + c]) < 1e-5, `${pooling} class ${c}`);
    }
  });

  it('weights the loss per class as crossEntropy(weight)', () => {
    const m = new SequenceClassifier(
      { vocabSize: 6, numClasses: 2, embedSize: 4, hiddenSize: 4, classWeights: [0.25, 3] },
      { rng: new Rng(3) },
    );
    const logits = tensor([
      [0.2, -0.1],
      [1.5, 0.3],
      [-0.4, 0.9],
    ]);
    const want = crossEntropy(logits, [0, 1, 1], { weight: [0.25, 3] }).item();
    assert.ok(Math.abs(m.loss(logits, [0, 1, 1]).item() - want) < 1e-6);
    assert.deepEqual(balancedClassWeights([0, 0, 0, 1], 2), [4 / 6, 2]);
    assert.deepEqual(balancedClassWeights([0, 0], 2), [0.5, 1], 'an absent class gets 1');
  });

  it('predictProba keeps the input order and gives rows that sum to 1', () => {
    const { seqs } = toyData(9, 5);
    const m = new SequenceClassifier(
      { vocabSize: 6, numClasses: 3, embedSize: 4, hiddenSize: 4 },
      { rng: new Rng(4) },
    );
    const p = m.predictProba(seqs, { batchSize: 4 });
    seqs.forEach((s, i) => {
      const one = m.predictProba([s]);
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(one[c] - p[i * 3 + c]) < 1e-5);
      assert.ok(Math.abs(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2] - 1) < 1e-9);
    });
    assert.equal(m.training, true, 'predictProba restores training mode');
  });

  it('round-trips through toJSON/fromJSON and loadStateDict', () => {
    const m = new SequenceClassifier(
      {
        vocabSize: 7,
        numClasses: 2,
        embedSize: 3,
        hiddenSize: 4,
        cell: 'gru',
        pooling: 'last',
        dropout: 0.1,
        classWeights: [1, 2],
      },
      { rng: new Rng(6) },
    );
    const copy = SequenceClassifier.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    copy.loadStateDict(m.stateDict());
    const x = Int32Array.from([1, 2, 3, 4]);
    assert.deepEqual([...copy.predictProba([x])], [...m.predictProba([x])]);
    assert.equal(copy.toString(), m.toString());
    assert.match(
      m.toString(),
      /^SequenceClassifier\(gru, vocab=7, embed=3, hidden=4, classes=2, bidirectional, pooling=last/,
    );
  });

  it('rejects bad options, shapes and lengths with clear errors', () => {
    const base = { vocabSize: 5, numClasses: 2, embedSize: 2, hiddenSize: 2 };
    assert.throws(
      () => new SequenceClassifier({ ...base, pooling: 'sum' as PoolingKind }),
      /pooling must be one of mean, max, last/,
    );
    assert.throws(
      () => new SequenceClassifier({ ...base, classWeights: [1] }),
      /classWeights must be 2 finite numbers > 0/,
    );
    assert.throws(() => new SequenceClassifier({ ...base, numClasses: 1 }), ConfigError);
    assert.throws(
      () => new SequenceClassifier({ ...base, paddingIdx: 5 }),
      /paddingIdx must be an id in \[0, 5\)/,
    );
    assert.throws(
      () => new SequenceClassifier({ ...base, hiddenSize: 0 }),
      /hiddenSize must be a positive integer/,
    );
    assert.throws(
      () => SequenceClassifier.fromJSON({ type: 'char-lm' }),
      /expected an object with type 'sequence-classifier'/,
    );
    const m = new SequenceClassifier(base);
    assert.throws(() => m.forward([1, 2, 3], 2, 2), ShapeError);
    assert.throws(
      () => m.forward([1, 2, 3, 4], 2, 2, [2, 0]),
      /lengths\[1\] is 0, expected an integer in \[1, 2\]/,
    );
    assert.throws(() => m.predictProba([new Int32Array(0)]), DataError);
  });
});

describe('maxOverSteps', () => {
  it('takes the max over the valid steps only and passes the gradient to the arg max', () => {
    // x [T=3, B=2, F=1]; sequence 1 has length 1, so its padded steps (9, 9) are ignored.
    const x = new Tensor(Float32Array.from([1, -2, 5, 9, 3, 9]), [3, 2, 1], true);
    const y = maxOverSteps(x, Int32Array.from([3, 1]));
    assert.deepEqual([...y.data], [5, -2]);
    sum(y).backward();
    assert.deepEqual([...(x.grad as Tensor).data], [0, 1, 1, 0, 0, 0]);
  });

  it('passes gradcheck in float64', () => {
    const rng = new Rng(7);
    const x = new Tensor(
      Float64Array.from({ length: 4 * 3 * 2 }, () => rng.normal()),
      [4, 3, 2],
      true,
    );
    const r = gradcheck((a) => maxOverSteps(a, Int32Array.from([4, 2, 1])), [x]);
    assert.ok(r.ok, JSON.stringify(r.worst));
  });
});
