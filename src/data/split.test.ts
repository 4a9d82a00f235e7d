import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { splitFraction, splitIds, splitText } from './split.js';

describe('splitFraction', () => {
  it('splits all indices once, seeded: same seed same split, other seed other split', () => {
    const a = splitFraction(100, 0.9, new Rng(1));
    assert.equal(a.train.length, 90);
    assert.equal(a.valid.length, 10);
    assert.deepEqual(
      [...a.train, ...a.valid].sort((x, y) => x - y),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.deepEqual(splitFraction(100, 0.9, new Rng(1)), a);
    assert.notDeepEqual(splitFraction(100, 0.9, new Rng(2)).valid, a.valid);
    // each part is ascending
    assert.deepEqual(
      [...a.valid],
      [...a.valid].sort((x, y) => x - y),
    );
  });

  it('rejects fractions outside [0, 1]', () => {
    assert.throws(
      () => splitFraction(10, 1.5, new Rng(0)),
      (e: unknown) =>
        e instanceof ConfigError &&
        /splitFraction: trainFraction must be a number in \[0, 1\], got 1\.5/.test((e as Error).message),
    );
  });
});

describe('splitText and splitIds', () => {
  it('take the first 90% for training and the last 10% for validation', () => {
    const text = 'abcdefghij'.repeat(10);
    const { train, valid } = splitText(text);
    assert.equal(train.length, 90);
    assert.equal(train + valid, text);
    assert.equal(valid, text.slice(90));
  });

  it('never split a surrogate pair', () => {
    const { train, valid } = splitText('a😀', 0.5); // cut at 1.5 -> 1, between 'a' and the pair
    assert.deepEqual([train, valid], ['a', '😀']);
    const r = splitText('😀b', 0.5); // cut 1 would split the pair; moved back to 0
    assert.deepEqual([r.train, r.valid], ['', '😀b']);
  });

  it('splitIds returns views of the same buffer (no copy)', () => {
    const ids = Uint8Array.from({ length: 20 }, (_, i) => i);
    const { train, valid } = splitIds(ids, 0.75);
    assert.ok(train instanceof Uint8Array);
    assert.equal(train.buffer, ids.buffer);
    assert.equal(valid.buffer, ids.buffer);
    assert.deepEqual([...valid], [15, 16, 17, 18, 19]);
  });
});
