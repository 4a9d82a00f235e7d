import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { booleanOption, dropRate, intAtLeast, oneOf, positiveInt } from './checks.js';
import { ConfigError } from './errors.js';

const fails = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && message.test(e.message));

describe('option checks', () => {
  it('return valid values and apply defaults', () => {
    assert.equal(positiveInt('M', 'size', 3), 3);
    assert.equal(intAtLeast('M', 'id', 0, 0), 0);
    assert.equal(oneOf('M', 'cell', 'gru', ['lstm', 'gru'] as const), 'gru');
    assert.equal(booleanOption('M', 'bi', undefined, true), true);
    assert.equal(booleanOption('M', 'bi', false, true), false);
    assert.equal(dropRate('M', 'dropout', undefined), 0);
    assert.equal(dropRate('M', 'dropout', 0.5), 0.5);
  });

  it('name where, the option, the expectation and the value received', () => {
    fails(() => positiveInt('M', 'size', 0), /^M: size must be a positive integer, got 0$/);
    fails(() => positiveInt('M', 'size', 2.5), /got 2\.5$/);
    fails(() => intAtLeast('M', 'id', -1, 0), /^M: id must be an integer >= 0, got -1$/);
    fails(
      () => oneOf('M', 'cell', 'lstmx', ['lstm', 'gru']),
      /^M: cell must be one of lstm, gru, got "lstmx"$/,
    );
    fails(() => booleanOption('M', 'bi', 'yes', true), /^M: bi must be a boolean, got "yes"$/);
    fails(() => dropRate('M', 'dropout', 1), /^M: dropout must be a number in \[0, 1\), got 1$/);
    fails(() => dropRate('M', 'dropout', Number.NaN), /got NaN$/);
  });
});
