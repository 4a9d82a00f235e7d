import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestReference, ErrorRates, editDistance } from './edit-distance.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions (hand examples)', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('flaw', 'lawn'), 2);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('same', 'same'), 0);
    assert.equal(editDistance(['K', 'AE', 'T'], ['K', 'AA', 'T', 'S']), 2);
  });

  it('is symmetric', () => {
    for (const [a, b] of [
      ['intention', 'execution'],
      ['ab', 'ba'],
      ['x', 'xyz'],
    ])
      assert.equal(editDistance(a, b), editDistance(b, a));
    assert.equal(editDistance('intention', 'execution'), 5);
  });
});

describe('error rates', () => {
  it('closestReference picks the fewest edits, ties to the shorter reference', () => {
    const r = closestReference(['A', 'B'], [['A', 'B', 'C'], ['A', 'C'], ['A']]);
    assert.deepEqual(r, { index: 2, distance: 1, length: 1 });
    assert.deepEqual(closestReference(['A', 'B'], [['X'], ['A', 'B']]), { index: 1, distance: 0, length: 2 });
  });

  it('PER = Σ edits / Σ reference length and WER = wrong items / items (hand example)', () => {
    const er = new ErrorRates();
    // "tomato" with two references: the closest (exact) one counts.
    assert.deepEqual(
      er.add(
        ['T', 'AH', 'M', 'AA', 'T', 'OW'],
        [
          ['T', 'AH', 'M', 'EY', 'T', 'OW'],
          ['T', 'AH', 'M', 'AA', 'T', 'OW'],
        ],
      ),
      {
        distance: 0,
        correct: true,
      },
    );
    // one substitution against a 3-phoneme reference
    er.add(['K', 'AE', 'T'], [['K', 'AA', 'T']]);
    // one deletion against a 4-phoneme reference
    er.add(['D', 'AO', 'G'], [['D', 'AO', 'G', 'Z']]);
    assert.equal(er.edits, 2);
    assert.equal(er.refTokens, 6 + 3 + 4);
    assert.equal(er.tokenErrorRate, 2 / 13);
    assert.equal(er.sequenceErrorRate, 2 / 3);
    assert.ok(Math.abs(er.exactMatch - 1 / 3) < 1e-15);
  });

  it('word error rate of captions counts word edits', () => {
    const er = new ErrorRates();
    er.add('three seven two'.split(' '), ['three seven two'.split(' ')]);
    er.add('one one'.split(' '), ['one nine one'.split(' ')]);
    assert.equal(er.tokenErrorRate, 1 / 6);
    assert.equal(er.exactMatch, 0.5);
  });
});
