import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crossEntropy, mse } from '../ops/loss.js';
import { fromTyped } from '../tensor/tensor.js';
import { Adam } from '../train/optim/adam.js';
import { Rng } from '../util/rng.js';
import {
  ADDING_TOLERANCE,
  AddingCriterion,
  addingErrors,
  addingMeanBaseline,
  addingProblem,
  addingTensors,
  copyAccuracy,
  copyMemory,
  copyMemoryBaselines,
} from './long-range.js';
import { SequenceModel } from './sequence-model.js';

describe('addingProblem', () => {
  it('follows Hochreiter and Schmidhuber (1997): lengths, markers, marked positions and the target', () => {
    const T = 100;
    const b = addingProblem(new Rng(1), 500, T);
    const B = b.batch;
    assert.equal(b.maxLength, 110);
    for (let j = 0; j < B; j++) {
      const len = b.lengths[j];
      assert.ok(len >= T && len <= T + 10, `length ${len}`);
      const marked: number[] = [];
      let sum = 0;
      for (let t = 0; t < b.maxLength; t++) {
        const v = b.input[(t * B + j) * 2];
        const m = b.input[(t * B + j) * 2 + 1];
        if (t >= len) {
          assert.equal(v, 0);
          assert.equal(m, 0);
          continue;
        }
        assert.ok(v >= -1 && v <= 1);
        if (m === 1) {
          marked.push(t);
          sum += v;
        } else if (t === 0 || t === len - 1) assert.equal(m, -1, `end marker at ${t}`);
        else assert.equal(m, 0);
      }
      assert.equal(marked.length, 2, 'exactly two marked pairs');
      assert.ok(marked[0] < 10, 'X1 among the first ten pairs');
      assert.ok(marked[1] < T / 2 - 1, 'X2 among the first T/2 - 1 pairs');
      if (marked[0] === 0) assert.equal(b.input[j * 2], 0, 'a marked first pair has value 0');
      assert.ok(Math.abs(b.target[j] - (0.5 + sum / 4)) < 1e-6);
      assert.ok(b.target[j] >= 0 && b.target[j] <= 1);
    }
  });

  it('is reproducible from its seed, and fixedLength gives length T', () => {
    const a = addingProblem(new Rng(7), 4, 20);
    const c = addingProblem(new Rng(7), 4, 20);
    assert.deepEqual(a.input, c.input);
    const f = addingProblem(new Rng(7), 4, 20, { fixedLength: true });
    assert.equal(f.maxLength, 20);
    assert.deepEqual(Array.from(f.lengths), [20, 20, 20, 20]);
  });

  it('predicting 0.5 scores addingMeanBaseline(T) (the plateau), 0.0392 at T = 100', () => {
    for (const T of [40, 100]) {
      const b = addingProblem(new Rng(2), 40000, T);
      let s = 0;
      for (const y of b.target) s += (y - 0.5) ** 2;
      assert.ok(
        Math.abs(s / b.batch - addingMeanBaseline(T)) < 0.0007,
        `T ${T}: ${s / b.batch} vs ${addingMeanBaseline(T)}`,
      );
    }
    assert.equal(addingMeanBaseline(100).toFixed(4), '0.0392');
  });
});

describe('AddingCriterion', () => {
  it('holds only after a full window of correct sequences with a low mean squared error', () => {
    const c = new AddingCriterion(4);
    c.push([0.01, 0.01, 0.01]);
    assert.equal(c.met(), false, 'window not full');
    c.push([ADDING_TOLERANCE]);
    assert.equal(c.met(), false, '0.04 is not below 0.04');
    c.push([0.0, -0.03, 0.02, 0.01]);
    assert.equal(c.met(), true);
    assert.equal(c.seen, 8);
    assert.equal(c.recent.correct, 1);
  });
});

describe('copyMemory', () => {
  it('has the layout of Arjovsky et al. (2016)', () => {
    const T = 30;
    const b = copyMemory(new Rng(3), 50, T);
    const B = b.batch;
    assert.equal(b.length, T + 20);
    assert.equal(b.vocab, 10);
    for (let j = 0; j < B; j++) {
      const at = (a: Int32Array, t: number) => a[t * B + j];
      for (let k = 0; k < 10; k++) {
        const s = at(b.ids, k);
        assert.ok(s >= 1 && s <= 8, 'symbols 1..8');
        assert.equal(at(b.target, T + 10 + k), s, 'recalled in order after the delimiter');
      }
      for (let t = 10; t < T + 20; t++) assert.equal(at(b.ids, t), t === T + 9 ? 9 : 0, `input at ${t}`);
      for (let t = 0; t < T + 10; t++) assert.equal(at(b.target, t), 0, `target blank at ${t}`);
      for (let t = 0; t < T + 20; t++) assert.equal(b.oneHot[(t * B + j) * 10 + at(b.ids, t)], 1);
    }
  });

  it('baselines: 10 ln 8 / (T + 20) = 0.173 nats at T = 100, and the input-only bound above it', () => {
    const b = copyMemoryBaselines(100);
    assert.ok(Math.abs(b.memoryless - (10 * Math.log(8)) / 120) < 1e-12);
    assert.equal(b.memoryless.toFixed(3), '0.173');
    assert.ok(b.inputOnly > 0.45 && b.inputOnly < 0.46, `${b.inputOnly}`);
  });

  it('the memoryless strategy scores the memoryless baseline on a batch', () => {
    const T = 20;
    const b = copyMemory(new Rng(5), 64, T);
    const logits = new Float32Array(b.length * b.batch * 9);
    for (let t = 0; t < b.length; t++) {
      for (let j = 0; j < b.batch; j++) {
        const row = (t * b.batch + j) * 9;
        if (t < T + 10) logits[row] = 50;
        else for (let c = 1; c <= 8; c++) logits[row + c] = 0;
        if (t >= T + 10) logits[row] = -50;
      }
    }
    const ce = crossEntropy(fromTyped(logits, [b.length * b.batch, 9]), b.target).item();
    assert.ok(Math.abs(ce - copyMemoryBaselines(T).memoryless) < 1e-4, `${ce}`);
  });
});

describe('SequenceModel', () => {
  it('chrono initialization sets LSTM forget/input and GRU update biases in [0, log(Tmax - 1)]', () => {
    const lstm = new SequenceModel({
      cell: 'lstm',
      inputSize: 2,
      hiddenSize: 8,
      outputSize: 1,
      gateInit: 'chrono',
      chronoTmax: 50,
    });
    const p = lstm.rnn.layerParams(0);
    for (let j = 0; j < 8; j++) {
      const bf = p.bIh?.data[8 + j] ?? Number.NaN;
      assert.ok(bf >= 0 && bf <= Math.log(49) + 1e-6);
      assert.ok(Math.abs((p.bIh?.data[j] ?? 0) + bf) < 1e-6);
      assert.equal(p.bHh?.data[8 + j], 0);
    }
    const gru = new SequenceModel({
      cell: 'gru',
      inputSize: 2,
      hiddenSize: 8,
      outputSize: 1,
      gateInit: 'chrono',
      chronoTmax: 50,
    });
    const z = Array.from(gru.rnn.layerParams(0).bIh?.data.subarray(8, 16) ?? []);
    assert.ok(z.every((v) => v >= 0 && v <= Math.log(49) + 1e-6));
    assert.match(gru.toString(), /gateInit='chrono'/);
  });

  it('learns the adding problem at T = 10 (tiny)', () => {
    const rng = new Rng(11);
    const model = new SequenceModel(
      { cell: 'lstm', inputSize: 2, hiddenSize: 16, outputSize: 1 },
      { rng: new Rng(1) },
    );
    const opt = new Adam(model.parameters(), { lr: 1e-2 });
    for (let i = 0; i < 300; i++) {
      opt.zeroGrad();
      const b = addingProblem(rng, 32, 10);
      const t = addingTensors(b);
      mse(model.forwardLast(t.input, b.lengths), t.target).backward();
      opt.step();
    }
    const b = addingProblem(new Rng(99), 500, 10);
    const e = addingErrors(model.forwardLast(addingTensors(b).input, b.lengths), b.target);
    const ok = e.filter((v) => Math.abs(v) < ADDING_TOLERANCE).length / e.length;
    assert.ok(ok > 0.6, `accuracy ${ok}`);
  });

  it('copy accuracy is 1 for logits that point at the targets', () => {
    const b = copyMemory(new Rng(5), 4, 5);
    const logits = new Float32Array(b.length * b.batch * 9);
    for (let r = 0; r < b.length * b.batch; r++) logits[r * 9 + b.target[r]] = 1;
    assert.equal(copyAccuracy(fromTyped(logits, [b.length * b.batch, 9]), b), 1);
  });
});
