import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DataError } from '../util/errors.js';
import { tokenize, WordVocab } from './word-vocab.js';

describe('tokenize', () => {
  it('splits on whitespace and punctuation, keeping punctuation and contractions', () => {
    assert.deepEqual(tokenize("Don't panic, Arthur!  (42 towels)"), [
      "Don't",
      'panic',
      ',',
      'Arthur',
      '!',
      '(',
      '42',
      'towels',
      ')',
    ]);
  });
  it('lower-cases words but keeps literal special tokens whole (PTB writes <unk>)', () => {
    assert.deepEqual(tokenize('The <unk> SAT <eos>', { lowercase: true }), ['the', '<unk>', 'sat', '<eos>']);
  });
  it('turns newlines into <eos> with lineEos, as word_language_model', () => {
    assert.deepEqual(tokenize('a b\n\nc\n', { lineEos: true }), ['a', 'b', '<eos>', '<eos>', 'c', '<eos>']);
    assert.deepEqual(tokenize('a b\nc'), ['a', 'b', 'c']);
  });
  it('handles non-Latin letters and emoji', () => {
    assert.deepEqual(tokenize('Grüße, мир 😀!'), ['Grüße', ',', 'мир', '😀', '!']);
  });
  it('rejects unknown options', () => {
    assert.throws(
      () => tokenize('a', { lowerCase: true } as never),
      (e: unknown) =>
        e instanceof ConfigError && /tokenize: unknown option "lowerCase"/.test((e as Error).message),
    );
  });
});

describe('WordVocab', () => {
  const text = 'the cat sat on the mat . the dog sat .';

  it('puts <unk> <pad> <bos> <eos> at ids 0..3, then words by count desc, ties lexicographic', () => {
    const v = WordVocab.build(text);
    // counts: the 3, sat 2, . 2, cat/dog/mat/on 1
    assert.deepEqual(v.tokens, [
      '<unk>',
      '<pad>',
      '<bos>',
      '<eos>',
      'the',
      '.',
      'sat',
      'cat',
      'dog',
      'mat',
      'on',
    ]);
    assert.equal(v.padId, 1);
    assert.equal(WordVocab.padId, 1);
    assert.equal(v.unkId, 0);
    assert.equal(v.bosId, 2);
    assert.equal(v.eosId, 3);
  });

  it('is independent of the order of the input', () => {
    const a = WordVocab.build(['b a c', 'a b']);
    const b = WordVocab.build(['a b', 'c a b']);
    assert.deepEqual(a.tokens, b.tokens);
  });

  it('minCount and maxSize drop rare words to <unk>', () => {
    const v = WordVocab.build(text, { minCount: 2 });
    assert.deepEqual(v.tokens.slice(4), ['the', '.', 'sat']);
    assert.deepEqual([...v.encode('the cat sat')], [4, 0, 6]);
    assert.deepEqual(WordVocab.build(text, { maxSize: 6 }).tokens.slice(4), ['the', '.']);
    assert.throws(
      () => WordVocab.build(text, { minCount: 0 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /WordVocab\.build: minCount must be a positive integer, got 0/.test((e as Error).message),
    );
    assert.throws(() => WordVocab.build(text, { maxSize: 3 }), ConfigError);
  });

  it('round-trips encode/decode, with bos/eos and skipSpecial', () => {
    const v = WordVocab.build(text);
    const ids = v.encode('the dog sat on the mat .', { bos: true, eos: true });
    assert.equal(ids[0], v.bosId);
    assert.equal(ids[ids.length - 1], v.eosId);
    assert.equal(v.decode(ids), '<bos> the dog sat on the mat . <eos>');
    assert.equal(v.decode(ids, { skipSpecial: true }), 'the dog sat on the mat .');
    assert.equal(v.decode(v.encode('the zebra')), 'the <unk>');
  });

  it('lowercase is part of the vocabulary and applies when encoding', () => {
    const v = WordVocab.build('The Cat the cat', { lowercase: true });
    assert.deepEqual(v.tokens.slice(4), ['cat', 'the']);
    assert.deepEqual([...v.encode('THE CAT')], [5, 4]);
    assert.equal(v.idOf('Cat'), 4);
  });

  it('round-trips through JSON with its tokenizer settings', () => {
    const v = WordVocab.build('A b\nb c\n', { lowercase: true, lineEos: true });
    const json = JSON.parse(JSON.stringify(v));
    assert.deepEqual(json, {
      kind: 'word',
      tokens: ['<unk>', '<pad>', '<bos>', '<eos>', 'b', 'a', 'c'],
      lowercase: true,
      lineEos: true,
    });
    const w = WordVocab.fromJSON(json);
    assert.deepEqual(w.encode('a B\nd'), v.encode('a B\nd'));
    assert.deepEqual([...w.encode('a B\nd')], [5, 4, 3, 0]);
  });

  it('fromJSON rejects vocabularies whose special tokens moved', () => {
    assert.throws(
      () =>
        WordVocab.fromJSON({
          kind: 'word',
          tokens: ['<pad>', '<unk>', '<bos>', '<eos>'],
          lowercase: false,
          lineEos: false,
        }),
      (e: unknown) =>
        e instanceof DataError &&
        /WordVocab\.fromJSON: tokens\[0\] must be "<unk>", got "<pad>"/.test((e as Error).message),
    );
    assert.throws(
      () =>
        WordVocab.fromJSON({
          kind: 'word',
          tokens: ['<unk>', '<pad>', '<bos>', '<eos>', 'a', 'a'],
          lowercase: false,
          lineEos: false,
        }),
      DataError,
    );
  });

  it('encodeCompact equals encode and picks the narrowest id array', () => {
    const corpus = 'one two three\ntwo three\nthree\n'.repeat(20);
    const v = WordVocab.build(corpus, { lineEos: true });
    const ids = v.encodeCompact(corpus);
    assert.ok(ids instanceof Uint8Array);
    assert.equal(ids.length, v.countTokens(corpus));
    assert.deepEqual([...ids], [...v.encode(corpus)]);
  });

  it('decode rejects an id out of range', () => {
    const v = WordVocab.build('a');
    assert.throws(
      () => v.decode([4, 5]),
      (e: unknown) =>
        e instanceof DataError &&
        /WordVocab\.decode: ids\[1\] must be an id in \[0, 4\], got 5/.test((e as Error).message),
    );
  });
});
