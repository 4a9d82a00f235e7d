import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Adam } from '../train/optim/adam.js';
import { ConfigError, DataError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { SequenceTagger } from './tagger.js';

const SENTENCES = [
  'the cat sat on the mat',
  'a dog ate the bone',
  'the bird sang a song',
  'my cat ate a bird',
];

/** Letters as ids 1..26, tag 1 when a space follows the letter. */
function encode(s: string): { ids: Int32Array; tags: Int32Array } {
  const ids: number[] = [];
  const tags: number[] = [];
  for (const ch of s) {
    if (ch === ' ') tags[tags.length - 1] = 1;
    else {
      ids.push(ch.charCodeAt(0) - 96);
      tags.push(0);
    }
  }
  return { ids: Int32Array.from(ids), tags: Int32Array.from(tags) };
}

describe('SequenceTagger', () => {
  it('learns to tag the word boundaries of a few sentences (100% on the training characters)', () => {
    const data = SENTENCES.map(encode);
    const B = data.length;
    const T = Math.max(...data.map((d) => d.ids.length));
    const ids = new Int32Array(T * B);
    const tags = new Int32Array(T * B).fill(-100);
    data.forEach((d, b) => {
      d.ids.forEach((v, t) => {
        ids[t * B + b] = v;
        tags[t * B + b] = d.tags[t];
      });
    });
    const lengths = data.map((d) => d.ids.length);
    const m = new SequenceTagger(
      { vocabSize: 27, numTags: 2, embedSize: 8, hiddenSize: 16 },
      { rng: new Rng(1) },
    );
    const opt = new Adam(m.parameters(), { lr: 0.03 });
    let correct = 0;
    const total = lengths.reduce((s, l) => s + l, 0);
    for (let step = 0; step < 300 && correct < total; step++) {
      opt.zeroGrad();
      m.loss(m.forward(ids, T, B, lengths), tags).backward();
      opt.step();
      if (step % 10 === 9) {
        correct = 0;
        for (const d of data) {
          const pred = m.tag(d.ids);
          for (let i = 0; i < d.tags.length; i++) if (pred[i] === d.tags[i]) correct++;
        }
      }
    }
    assert.equal(correct, total);
  });

  it('tags a long sequence in windows exactly as in one pass when the context covers it', () => {
    const rng = new Rng(2);
    const ids = Int32Array.from({ length: 50 }, () => rng.int(10));
    for (const bidirectional of [true, false]) {
      const m = new SequenceTagger(
        { vocabSize: 10, numTags: 3, embedSize: 4, hiddenSize: 5, bidirectional },
        { rng: new Rng(3) },
      );
      const whole = m.tagProba(ids, { window: 50 });
      const windowed = m.tagProba(ids, { window: 7, context: 50, batchSize: 3 });
      for (let i = 0; i < whole.length; i++)
        assert.ok(Math.abs(whole[i] - windowed[i]) < 1e-5, `${bidirectional} ${i}`);
      for (let p = 0; p < 50; p++)
        assert.ok(Math.abs(whole[3 * p] + whole[3 * p + 1] + whole[3 * p + 2] - 1) < 1e-5);
    }
  });

  it('unidirectional: the tag of step t does not depend on later steps; bidirectional: it does', () => {
    const a = Int32Array.from([1, 2, 3, 4, 5, 6]);
    const b = Int32Array.from([1, 2, 3, 9, 9, 9]);
    const uni = new SequenceTagger(
      { vocabSize: 10, numTags: 2, embedSize: 4, hiddenSize: 4, bidirectional: false },
      { rng: new Rng(4) },
    );
    const bi = new SequenceTagger(
      { vocabSize: 10, numTags: 2, embedSize: 4, hiddenSize: 4 },
      { rng: new Rng(4) },
    );
    const pu = [uni.tagProba(a), uni.tagProba(b)];
    const pb = [bi.tagProba(a), bi.tagProba(b)];
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(pu[0][i] - pu[1][i]) < 1e-6, `uni ${i}`);
    assert.ok(Math.abs(pb[0][0] - pb[1][0]) > 1e-6, 'bi step 0 sees step 3');
  });

  it('skips targets equal to ignoreIndex in the loss', () => {
    const m = new SequenceTagger(
      { vocabSize: 5, numTags: 2, embedSize: 3, hiddenSize: 3 },
      { rng: new Rng(5) },
    );
    const logits = m.forward([1, 2, 3, 4], 2, 2);
    const full = m.loss(logits, [0, 1, -100, -100]).item();
    const part = m.loss(logits, [0, 1, 1, 0]).item();
    assert.notEqual(full, part);
    assert.ok(Number.isFinite(full));
  });

  it('round-trips through toJSON/fromJSON and rejects bad options', () => {
    const m = new SequenceTagger(
      { vocabSize: 5, numTags: 2, embedSize: 3, hiddenSize: 3, cell: 'gru', bidirectional: false },
      { rng: new Rng(6) },
    );
    const copy = SequenceTagger.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    copy.loadStateDict(m.stateDict());
    assert.deepEqual([...copy.tagProba([1, 2, 3])], [...m.tagProba([1, 2, 3])]);
    assert.equal(
      m.toString().split('  #')[0],
      'SequenceTagger(gru, vocab=5, embed=3, hidden=3, tags=2, unidirectional)',
    );
    assert.throws(
      () => new SequenceTagger({ vocabSize: 5, numTags: 1, embedSize: 3, hiddenSize: 3 }),
      /numTags must be at least 2/,
    );
    assert.throws(
      () =>
        new SequenceTagger({ vocabSize: 5, numTags: 2, embedSize: 3, hiddenSize: 3, cell: 'rnn' as 'lstm' }),
      ConfigError,
    );
    assert.throws(() => m.forward([1, 2, 3], 2, 2), ShapeError);
    assert.throws(() => m.tagProba([]), DataError);
    assert.throws(() => m.tagProba([1], { window: 0 }), /window must be a positive integer/);
  });
});
