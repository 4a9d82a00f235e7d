import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointError, ConfigError } from '../util/errors.js';
import {
  EarlyStopping,
  type FitEvent,
  formatCount,
  formatDuration,
  formatEvent,
  jsonLinesLogger,
  progressLogger,
  type StepEvent,
} from './callbacks.js';

const step = (n: number, extra: Partial<StepEvent> = {}): StepEvent => ({
  type: 'step',
  step: n,
  epoch: 0,
  elapsedSeconds: 1,
  batch: n,
  loss: 1.23456,
  lossAvg: 1.5,
  lr: 0.002,
  gradNorm: null,
  tokens: 64,
  tokensPerSec: 12345,
  stepsPerSec: 190,
  etaSeconds: 83,
  totalSteps: 1000,
  ...extra,
});
const noStop = { stop: () => {} };

describe('formatting', () => {
  it('formats durations and counts', () => {
    assert.equal(formatDuration(42.4), '42s');
    assert.equal(formatDuration(185), '3m05s');
    assert.equal(formatDuration(7620), '2h07m');
    assert.equal(formatDuration(null), '?');
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), '?');
    assert.equal(formatCount(950), '950');
    assert.equal(formatCount(12345), '12.3k');
    assert.equal(formatCount(4.561e6), '4.56M');
  });

  it('makes one line per event with loss, lr, throughput and ETA', () => {
    assert.equal(
      formatEvent(step(120)),
      'epoch 1 | step 120/1000 | loss 1.2346 (avg 1.5000) | lr 2.00e-3 | 12.3k tok/s | eta 1m23s',
    );
    const noTokens = formatEvent(
      step(5, { tokensPerSec: null, totalSteps: null, etaSeconds: null, gradNorm: 2.5 }),
    );
    assert.equal(
      noTokens,
      'epoch 1 | step 5 | loss 1.2346 (avg 1.5000) | lr 2.00e-3 | |g| 2.50 | 190 steps/s',
    );
    const end: FitEvent = {
      type: 'end',
      step: 9,
      epoch: 2,
      elapsedSeconds: 61,
      reason: 'earlyStopping',
      loss: 1,
    };
    assert.equal(formatEvent(end), 'stopped at step 9 (earlyStopping) after 1m01s');
  });
});

describe('loggers', () => {
  it('progressLogger prints every n-th step and every other event', () => {
    const lines: string[] = [];
    const cb = progressLogger({ write: (l) => lines.push(l), every: 2 });
    for (let i = 1; i <= 4; i++) (cb as (e: FitEvent, c: typeof noStop) => void)(step(i), noStop);
    (cb as (e: FitEvent, c: typeof noStop) => void)(
      { type: 'epochEnd', step: 4, epoch: 0, elapsedSeconds: 2, loss: 1.1, batches: 4 },
      noStop,
    );
    assert.equal(lines.length, 3);
    assert.match(lines[0], /step 2\/1000/);
    assert.match(lines[2], /epoch 1 done \| 4 batches \| mean loss 1\.1000/);
    assert.throws(() => progressLogger({ every: 0 }), ConfigError);
  });

  it('jsonLinesLogger writes one JSON object per event, filtered by type', () => {
    const lines: string[] = [];
    const cb = jsonLinesLogger((l) => lines.push(l), { types: ['step'], every: 2 }) as (
      e: FitEvent,
      c: typeof noStop,
    ) => void;
    cb(step(1), noStop);
    cb(step(2, { loss: Number.NaN }), noStop);
    cb({ type: 'checkpoint', step: 2, epoch: 0, elapsedSeconds: 1 }, noStop);
    assert.equal(lines.length, 1);
    const o = JSON.parse(lines[0]);
    assert.equal(o.type, 'step');
    assert.equal(o.step, 2);
    assert.equal(o.loss, null);
  });
});

describe('EarlyStopping', () => {
  it("stops at the patience-th evaluation without an improvement larger than minDelta ('min')", () => {
    const es = new EarlyStopping({ patience: 2, minDelta: 0.1 });
    assert.deepEqual(es.update(1.0, 1), { improved: true, stop: false });
    assert.deepEqual(es.update(0.95, 2), { improved: false, stop: false }); // not by more than 0.1
    assert.deepEqual(es.update(0.8, 3), { improved: true, stop: false });
    assert.deepEqual(es.update(0.8, 4), { improved: false, stop: false });
    assert.deepEqual(es.update(Number.NaN, 5), { improved: false, stop: true });
    assert.equal(es.best, 0.8);
    assert.equal(es.bestStep, 3);
  });

  it("'max' mode, and a state that round-trips", () => {
    const es = new EarlyStopping({ patience: 3, mode: 'max', monitor: 'acc' });
    es.update(0.5, 1);
    es.update(0.4, 2);
    const copy = new EarlyStopping({ patience: 3, mode: 'max' });
    copy.loadStateDict(JSON.parse(JSON.stringify(es.stateDict())));
    assert.deepEqual(copy.update(0.6, 3), { improved: true, stop: false });
    assert.deepEqual(copy.stateDict(), { best: 0.6, bestStep: 3, wait: 0 });
    assert.throws(() => copy.loadStateDict({ best: 1, bestStep: 1, wait: -1 }), CheckpointError);
  });

  it('validates its options', () => {
    assert.throws(() => new EarlyStopping({ patience: 1.5 }), /patience must be an integer >= 1/);
    assert.throws(() => new EarlyStopping({ patience: 1, minDelta: -1 }), /minDelta/);
    assert.throws(() => new EarlyStopping({ patience: 1, mode: 'up' as 'min' }), /mode/);
    assert.throws(() => new EarlyStopping({ patience: 1, delta: 1 } as never), /unknown option 'delta'/);
  });
});
