import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tensor } from '../tensor/tensor.js';
import { CheckpointError, ConfigError, ShapeError } from '../util/errors.js';
import {
  Accuracy,
  accuracy,
  bitsPerToken,
  ExponentialMean,
  perplexity,
  RunningMean,
  Throughput,
} from './metrics.js';

describe('RunningMean', () => {
  it('is the weighted mean of the values, and restores from its state', () => {
    const m = new RunningMean();
    assert.ok(Number.isNaN(m.value));
    m.add(2, 10);
    m.add(4, 30);
    assert.equal(m.value, 3.5);
    assert.equal(m.count, 2);
    assert.equal(m.totalWeight, 40);
    const c = new RunningMean();
    c.loadStateDict(m.stateDict());
    c.add(1);
    m.add(1);
    assert.equal(c.value, m.value);
    m.reset();
    assert.equal(m.count, 0);
    assert.throws(() => m.add(1, 0), ConfigError);
    assert.throws(() => c.loadStateDict({ sum: 0, weight: -1, count: 0 }), CheckpointError);
  });
});

describe('ExponentialMean', () => {
  it('is bias-corrected: a constant stream averages to the constant from the first value', () => {
    const e = new ExponentialMean(0.9);
    e.add(5);
    assert.ok(Math.abs(e.value - 5) < 1e-12);
    e.add(5);
    assert.ok(Math.abs(e.value - 5) < 1e-12);
    e.add(15);
    // m = 0.9*(0.9*0.5 + 0.5) + 1.5 = 2.355, corrected by 1 - 0.9^3 = 0.271
    assert.ok(Math.abs(e.value - 2.355 / 0.271) < 1e-12);
    const c = new ExponentialMean(0.9);
    c.loadStateDict(e.stateDict());
    assert.equal(c.value, e.value);
    assert.throws(() => new ExponentialMean(1), ConfigError);
  });
});

describe('accuracy', () => {
  const logits = tensor([
    [0.1, 2, 0.3],
    [5, 1, 1],
    [0, 0, 0], // a tie: the first maximum (class 0) wins
    [1, 1, 3],
  ]);

  it('counts argmax hits, skipping ignored targets', () => {
    assert.equal(accuracy(logits, [1, 0, 0, 1]), 0.75);
    assert.equal(accuracy(logits, [1, -100, 2, 2], { ignoreIndex: -100 }), 2 / 3);
    assert.ok(Number.isNaN(accuracy(logits, [-100, -100, -100, -100])));
    assert.throws(() => accuracy(logits, [1, 2]), ShapeError);
  });

  it('works on [T, B, C] logits with [T, B] targets and accumulates over batches', () => {
    const a = new Accuracy();
    a.update(
      tensor([
        [
          [1, 0],
          [0, 1],
        ],
        [
          [1, 0],
          [1, 0],
        ],
      ]),
      tensor([
        [0, 1],
        [1, 0],
      ]),
    );
    a.update(tensor([[0, 1]]), new Int32Array([1]));
    assert.equal(a.correct, 4);
    assert.equal(a.total, 5);
    assert.equal(a.value, 0.8);
    a.reset();
    assert.ok(Number.isNaN(a.value));
  });

  it('perplexity and bits per token', () => {
    assert.ok(Math.abs(perplexity(Math.log(7)) - 7) < 1e-12);
    assert.equal(bitsPerToken(Math.LN2 * 3), 3);
  });
});

describe('Throughput', () => {
  it('averages steps and tokens per second over a window', () => {
    const t = new Throughput(2);
    assert.equal(t.stepsPerSec, null);
    t.add(1, 100);
    t.add(0.5, 50);
    assert.equal(t.stepsPerSec, 2 / 1.5);
    assert.equal(t.tokensPerSec, 100);
    t.add(0.5, null); // the first entry leaves the window
    assert.equal(t.stepsPerSec, 2);
    assert.equal(t.tokensPerSec, null);
  });
});
