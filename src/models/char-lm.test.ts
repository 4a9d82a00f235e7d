import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../util/rng.js';
import { CharLM } from './char-lm.js';
import { drawId, sample } from './sample.js';

const config = {
  vocabSize: 11,
  cell: 'lstm' as const,
  embedSize: 5,
  hiddenSize: 7,
  numLayers: 2,
  dropout: 0.1,
};

describe('CharLM', () => {
  it('uses the parameter names of PyTorch word_language_model RNNModel', () => {
    const names = new CharLM(config).namedParameters().map(([n]) => n);
    assert.deepEqual(names, [
      'encoder.weight',
      'rnn.weight_ih_l0',
      'rnn.weight_hh_l0',
      'rnn.bias_ih_l0',
      'rnn.bias_hh_l0',
      'rnn.weight_ih_l1',
      'rnn.weight_hh_l1',
      'rnn.bias_ih_l1',
      'rnn.bias_hh_l1',
      'decoder.weight',
      'decoder.bias',
    ]);
  });

  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    it(`${cell}: one forward over 6 steps equals two of 3 with the state carried`, () => {
      const m = new CharLM({ ...config, cell }, { rng: new Rng(3) }).eval();
      const T = 6;
      const B = 2;
      const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 7) % 11);
      const whole = m.forward(ids, T, B);
      assert.deepEqual(whole.logits.shape, [T * B, 11]);
      assert.equal(whole.state.c === null, cell !== 'lstm');
      const a = m.forward(ids.subarray(0, 3 * B), 3, B);
      const b = m.forward(ids.subarray(3 * B), 3, B, CharLM.detachState(a.state));
      const joined = [...a.logits.data, ...b.logits.data];
      joined.forEach((v, i) => {
        assert.ok(Math.abs(v - whole.logits.data[i]) < 1e-5, `logit ${i}`);
      });
    });
  }

  it('round-trips its config and rejects bad ones', () => {
    const m = new CharLM(config);
    const again = CharLM.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    assert.deepEqual(again.config, m.config);
    assert.equal(again.numParameters(), m.numParameters());
    assert.throws(
      () => CharLM.fromJSON({ ...m.toJSON(), cell: 'lstn' }),
      /cell must be one of lstm, gru, rnn/,
    );
    assert.throws(() => CharLM.fromJSON({ type: 'other' }), /type 'char-lm'/);
    assert.throws(() => new CharLM({ ...config, hiddenSize: 0 }), /hiddenSize must be a positive integer/);
    // One layer: dropout goes before the decoder only (the layer itself rejects it).
    assert.equal(new CharLM({ ...config, numLayers: 1 }).rnn.dropout, 0);
    assert.match(
      m.toString(),
      /^CharLM\(lstm, vocab=11, embed=5, hidden=7, layers=2, dropout=0.1\) {2}# [\d,]+ parameters$/,
    );
  });
});

describe('sample', () => {
  it('depends only on the seed, and temperature 0 takes the likeliest id', () => {
    const m = new CharLM(config, { rng: new Rng(1) });
    const a = sample(m, { prime: [1, 2], length: 20, temperature: 1, rng: new Rng(5) });
    const b = sample(m, { prime: [1, 2], length: 20, temperature: 1, rng: new Rng(5) });
    assert.deepEqual(a, b);
    assert.equal(m.training, true, 'the mode is restored');
    const greedy = sample(m, { prime: [1, 2], length: 5, temperature: 0 });
    const top1 = sample(m, { prime: [1, 2], length: 5, topK: 1, rng: new Rng(9) });
    assert.deepEqual(top1, greedy);
    assert.throws(() => sample(m, { prime: [], length: 3 }), /prime must hold at least one id/);
    assert.throws(() => sample(m, { prime: [11], length: 3 }), /prime\[0\] must be an id in \[0, 10\]/);
  });

  it('drawId keeps to the top k and follows the probabilities', () => {
    const logits = [0, 2, 1, -1];
    const rng = new Rng(2);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[drawId(logits, 1, 2, rng)]++;
    assert.equal(counts[0] + counts[3], 0);
    const p1 = Math.exp(2) / (Math.exp(2) + Math.exp(1));
    assert.ok(Math.abs(counts[1] / 4000 - p1) < 0.03, `${counts}`);
  });
});
