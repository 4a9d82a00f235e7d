import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DataError } from '../util/errors.js';
import {
  argmaxRows,
  classificationReport,
  confusionMatrix,
  formatReport,
  reportFromConfusion,
} from './classification-metrics.js';

const close = (a: number, b: number, msg = '') => assert.ok(Math.abs(a - b) < 1e-12, `${msg}: ${a} != ${b}`);

describe('confusionMatrix', () => {
  it('counts true classes by row and predictions by column', () => {
    const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    const pred = [0, 1, 0, 1, 1, 2, 0, 2, 1];
    assert.deepEqual(confusionMatrix(truth, pred, 3), [
      [2, 1, 0],
      [0, 2, 0],
      [1, 1, 2],
    ]);
  });

  it('skips positions whose true label is ignoreIndex (-100 by default)', () => {
    assert.deepEqual(confusionMatrix([1, -100, 0, -100], [1, 0, 1, 1], 2), [
      [0, 1],
      [0, 1],
    ]);
    assert.deepEqual(confusionMatrix([1, 7], [1, 0], 2, { ignoreIndex: 7 }), [
      [0, 0],
      [0, 1],
    ]);
  });

  it('rejects labels outside [0, numClasses), length mismatches and a bad numClasses', () => {
    assert.throws(() => confusionMatrix([0, 2], [0, 1], 2), /truth\[1\] is 2, expected a class in \[0, 2\)/);
    assert.throws(() => confusionMatrix([0, 1], [0, -1], 2), /predicted\[1\] is -1/);
    assert.throws(() => confusionMatrix([0], [0, 1], 2), DataError);
    assert.throws(() => confusionMatrix([0], [0], 0), ConfigError);
  });
});

describe('classificationReport', () => {
  it('matches precision, recall, F1, macro and weighted averages computed by hand', () => {
    // cm = [[2,1,0],[0,2,0],[1,1,2]]
    const r = classificationReport([0, 0, 0, 1, 1, 2, 2, 2, 2], [0, 1, 0, 1, 1, 2, 0, 2, 1], 3);
    assert.equal(r.count, 9);
    close(r.accuracy, 6 / 9, 'accuracy');
    // class 0: P = 2/3, R = 2/3; class 1: P = 2/4, R = 2/2; class 2: P = 2/2, R = 2/4.
    const want = [
      [2 / 3, 2 / 3],
      [1 / 2, 1],
      [1, 1 / 2],
    ];
    const f1 = want.map(([p, q]) => (2 * p * q) / (p + q));
    r.perClass.forEach((s, c) => {
      close(s.precision, want[c][0], `precision ${c}`);
      close(s.recall, want[c][1], `recall ${c}`);
      close(s.f1, f1[c], `f1 ${c}`);
    });
    assert.deepEqual(
      r.perClass.map((s) => s.support),
      [3, 2, 4],
    );
    close(r.macro.precision, (2 / 3 + 1 / 2 + 1) / 3, 'macro precision');
    close(r.macro.recall, (2 / 3 + 1 + 1 / 2) / 3, 'macro recall');
    close(r.macro.f1, (f1[0] + f1[1] + f1[2]) / 3, 'macro f1');
    close(r.weighted.f1, (3 * f1[0] + 2 * f1[1] + 4 * f1[2]) / 9, 'weighted f1');
    assert.equal(r.macro.support, 9);
  });

  it('binary case: the F1 of the positive class is 2TP / (2TP + FP + FN)', () => {
    // TP = 3, FP = 1, FN = 2, TN = 4
    const truth = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    const pred = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0];
    const r = classificationReport(truth, pred, 2);
    close(r.perClass[1].f1, 6 / (6 + 1 + 2), 'f1');
    close(r.perClass[1].precision, 3 / 4, 'precision');
    close(r.perClass[1].recall, 3 / 5, 'recall');
    close(r.accuracy, 7 / 10, 'accuracy');
  });

  it('scores a class that is never predicted or never present as 0 (zero_division=0)', () => {
    const r = reportFromConfusion([
      [3, 0, 0],
      [2, 0, 0],
      [0, 0, 0],
    ]);
    const want = [
      [3 / 5, 1, 0.75],
      [0, 0, 0],
      [0, 0, 0],
    ];
    r.perClass.forEach((s, c) => {
      close(s.precision, want[c][0], `precision ${c}`);
      close(s.recall, want[c][1], `recall ${c}`);
      close(s.f1, want[c][2], `f1 ${c}`);
    });
    close(r.macro.f1, 0.25, 'macro');
  });

  it('rejects a confusion matrix that is not square', () => {
    assert.throws(() => reportFromConfusion([[1, 2], [3]]), DataError);
  });
});

describe('argmaxRows and formatReport', () => {
  it('argmaxRows takes the first of tied maxima', () => {
    assert.deepEqual([...argmaxRows([0.1, 0.9, 0.5, 0.5, 2, -1], 2)], [1, 0, 0]);
    assert.throws(() => argmaxRows([1, 2, 3], 2), DataError);
  });

  it('formatReport prints a row per class, the averages and the confusion matrix', () => {
    const s = formatReport(classificationReport([0, 1, 1], [0, 1, 0], 2), ['ham', 'spam']);
    assert.match(s, /^ham +0\.5000 +1\.0000 +0\.6667 +1$/m);
    assert.match(s, /^spam +1\.0000 +0\.5000 +0\.6667 +2$/m);
    assert.match(s, /^accuracy +0\.6667 +3$/m);
    assert.match(s, /^macro avg/m);
    assert.match(s, /^spam +1 +1$/m);
  });
});
