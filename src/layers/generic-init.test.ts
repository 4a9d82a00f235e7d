import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LSTMCell } from '../cells/lstm-cell.js';
import { zeros } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../util/errors.js';
import { initForgetBias } from './generic-init.js';
import { GRU } from './gru.js';
import { LSTM } from './lstm.js';

describe('initForgetBias', () => {
  it('sets the f block of every b_ih to the value and of every b_hh to 0, as Keras unit_forget_bias', () => {
    const lstm = new LSTM(3, 2, { numLayers: 2, bidirectional: true });
    assert.equal(initForgetBias(lstm), 8);
    for (const [name, p] of lstm.namedParameters()) {
      if (!name.startsWith('bias_')) continue;
      const f = Array.from(p.data.subarray(2, 4));
      assert.deepEqual(f, name.startsWith('bias_ih') ? [1, 1] : [0, 0], name);
      assert.notEqual(p.data[0], 1);
    }
  });

  it('works on an LSTMCell and on a bare [4H] tensor with a chosen value', () => {
    const cell = new LSTMCell(2, 3);
    assert.equal(initForgetBias(cell, 2), 2);
    const b = zeros([8]);
    initForgetBias(b, 0.5);
    assert.deepEqual(Array.from(b.data), [0, 0, 0.5, 0.5, 0, 0, 0, 0]);
  });

  it('rejects models without LSTM biases and tensors that are not [4H]', () => {
    assert.throws(() => initForgetBias(new GRU(2, 2)), ConfigError);
    assert.throws(() => initForgetBias(new LSTM(2, 2, { bias: false })), /use the forgetBias option/);
    assert.throws(() => initForgetBias(zeros([6])), ShapeError);
  });
});
