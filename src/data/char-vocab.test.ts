import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DataError } from '../util/errors.js';
import { allocIds } from './_util.js';
import { CharVocab } from './char-vocab.js';
import { countCodePoints, countUtf8CodePoints, decodeUtf8Chunks } from './text.js';

const isData = (re: RegExp) => (e: unknown) =>
  e instanceof DataError && e.code === 'DATA' && re.test(e.message);

describe('CharVocab', () => {
  it('orders characters by code point, whatever order they appear in', () => {
    const v = CharVocab.build('hello world');
    assert.deepEqual(v.chars, [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    assert.equal(v.size, 8);
    assert.deepEqual([...v.encode('hello')], [3, 2, 4, 4, 5]);
  });

  it('sorts by code point, not UTF-16 unit: an astral emoji sorts after U+FFFD', () => {
    // In UTF-16 '😀' starts with 0xD83D < 0xFFFD; by code point 0x1F600 > 0xFFFD.
    const v = CharVocab.build('\uFFFD😀a');
    assert.deepEqual(v.chars, ['a', '\uFFFD', '😀']);
  });

  it('round-trips text with astral characters, one id per code point', () => {
    const text = 'naïve 😀 café 𝄞!';
    const v = CharVocab.build(text);
    const ids = v.encode(text);
    assert.equal(ids.length, countCodePoints(text));
    assert.equal(ids.length, [...text].length);
    assert.equal(v.decode(ids), text);
  });

  it('builds the same vocabulary from pieces as from the whole text', () => {
    const text = 'the quick brown fox 😀 jumps';
    assert.deepEqual(
      CharVocab.build(['the quick ', 'brown fox 😀', ' jumps']).chars,
      CharVocab.build(text).chars,
    );
  });

  it('throws a DataError naming an unknown character and its position', () => {
    const v = CharVocab.build('abc');
    assert.throws(
      () => v.encode('abxc'),
      isData(
        /CharVocab\.encode: character U\+0078 "x" at position 2 .*not in the vocabulary \(3 characters\).*unk/,
      ),
    );
    // Positions count code points, not UTF-16 units.
    assert.throws(() => v.encode('😀😀z'), isData(/U\+1F600 "😀" at position 0/));
    const w = CharVocab.build('😀a');
    assert.throws(() => w.encode('😀😀z'), isData(/U\+007A "z" at position 2 \(UTF-16 index 4\)/));
  });

  it('maps unknown characters to unk when given, adding unk in its sorted place', () => {
    const v = CharVocab.build('cab', { unk: '?' });
    assert.deepEqual(v.chars, ['?', 'a', 'b', 'c']);
    assert.equal(v.unkId, 0);
    assert.deepEqual([...v.encode('abz😀')], [1, 2, 0, 0]);
    assert.equal(v.decode(v.encode('zab')), '?ab');
    assert.throws(
      () => CharVocab.build('ab', { unk: '<unk>' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /options\.unk must be a single character, got "<unk>"/.test((e as Error).message),
    );
  });

  it('round-trips through JSON, keeping ids exactly (including unk)', () => {
    const v = CharVocab.build('hello 😀', { unk: '~' });
    const json = JSON.parse(JSON.stringify(v));
    assert.deepEqual(json, { kind: 'char', chars: [' ', 'e', 'h', 'l', 'o', '~', '😀'], unk: '~' });
    const w = CharVocab.fromJSON(json);
    assert.deepEqual(w.chars, v.chars);
    assert.equal(w.unkId, v.unkId);
    assert.deepEqual(w.encode('hello?'), v.encode('hello?'));
    // A saved order is respected even if it is not sorted: ids must not move under a trained model.
    assert.deepEqual(
      [...CharVocab.fromJSON({ kind: 'char', chars: ['b', 'a'], unk: null }).encode('ab')],
      [1, 0],
    );
  });

  it('rejects malformed JSON with a DataError naming the field', () => {
    assert.throws(
      () => CharVocab.fromJSON({ kind: 'word' }),
      isData(/CharVocab\.fromJSON: expected an object with kind 'char', got "word"/),
    );
    assert.throws(
      () => CharVocab.fromJSON({ kind: 'char', chars: ['a', 'bc'], unk: null }),
      isData(/chars\[1\] must be a single character, got "bc"/),
    );
    assert.throws(
      () => CharVocab.fromJSON({ kind: 'char', chars: ['a', 'a'], unk: null }),
      isData(/appears twice/),
    );
    assert.throws(
      () => CharVocab.fromJSON({ kind: 'char', chars: ['a'], unk: '?' }),
      isData(/unk U\+003F "\?" is not one of chars/),
    );
  });

  it('decode rejects ids out of range with the position', () => {
    const v = CharVocab.build('ab');
    assert.throws(
      () => v.decode([0, 1, 2]),
      isData(/CharVocab\.decode: ids\[2\] must be an id in \[0, 1\], got 2/),
    );
    assert.throws(() => v.decode([0, -1]), isData(/ids\[1\]/));
  });

  it('rejects empty text', () => {
    assert.throws(() => CharVocab.build(''), isData(/CharVocab\.build: text is empty/));
  });

  it('encodeInto writes pieces back to back into one array', () => {
    const v = CharVocab.build('abc😀');
    const out = allocIds(v.size, 6);
    assert.ok(out instanceof Uint8Array);
    let pos = v.encodeInto('ab😀', out, 0);
    assert.equal(pos, 3);
    pos = v.encodeInto('cab', out, pos);
    assert.equal(pos, 6);
    assert.deepEqual([...out], [0, 1, 3, 2, 0, 1]);
    assert.throws(
      () => v.encodeInto('abc', out, 5),
      isData(/CharVocab\.encodeInto: out has room for 1 ids after offset 5/),
    );
  });

  it('encodeInto refuses an id array too narrow for the vocabulary', () => {
    const text = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x100 + i)).join('');
    const v = CharVocab.build(text);
    assert.throws(
      () => v.encodeInto(text, new Uint8Array(300)),
      (e: unknown) =>
        e instanceof ConfigError && /Uint8Array.*below 256.*vocabulary has 300/.test((e as Error).message),
    );
    const ids = v.encodeCompact(text);
    assert.ok(ids instanceof Uint16Array);
    assert.equal(v.decode(ids), text);
  });

  it('encodeCompact from UTF-8 bytes equals encoding the string, across chunk boundaries', () => {
    const text = 'héllo wörld 😀 '.repeat(50);
    const bytes = new TextEncoder().encode(`\uFEFF${text}`);
    const v = CharVocab.build(decodeUtf8Chunks(bytes, 7));
    assert.equal(countUtf8CodePoints(bytes), countCodePoints(text));
    const fromBytes = v.encodeCompact(bytes);
    assert.ok(fromBytes instanceof Uint8Array);
    assert.deepEqual(fromBytes, Uint8Array.from(v.encode(text)));
    // Chunks of 7 bytes split multi-byte characters; the decoder must carry them over.
    assert.equal([...decodeUtf8Chunks(bytes, 7)].join(''), text);
  });

  it('rejects bytes that are not UTF-8 as a DataError', () => {
    const bad = new Uint8Array([0x61, 0xff, 0xfe, 0x00]);
    assert.throws(
      () => [...decodeUtf8Chunks(bad)],
      isData(/decodeUtf8Chunks: bytes 0\.\.4 are not valid UTF-8/),
    );
  });

  it('encodes a 4 MB corpus quickly into one compact array', () => {
    const line = 'The quick brown fox jumps over the lazy dog. ';
    const text = line.repeat(Math.ceil((4 << 20) / line.length));
    const v = CharVocab.build(text);
    const ids = v.encodeCompact(text);
    assert.ok(ids instanceof Uint8Array);
    assert.equal(ids.length, text.length);
    assert.equal(v.decode(ids.subarray(0, line.length)), line);
  });

  it('has a one-line toString', () => {
    assert.equal(CharVocab.build('ab', { unk: '?' }).toString(), 'CharVocab(3 characters, unk="?")');
  });
});
