import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataError } from '../util/errors.js';
import { readTextChunks, scanTextFile } from './text-chunks.js';
import { readTextFile } from './text-file.js';

let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'recur-chunks-'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** The message of what `f` throws (a DataError), or 'ok'. */
function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e}`);
    return e.message;
  }
}

/** Multi-byte (2, 3 bytes) and astral (4 bytes, surrogate pairs) characters at every offset mod 7. */
const MIXED = 'café — “naïve” Ωmega 日本語 😀 whale 🐳 sea 🌊, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👍🏽 ok\n\nnext line\n'.repeat(3);

describe('scanTextFile and readTextChunks', () => {
  it('give back exactly the text readTextFile reads, whatever the chunk size', () => {
    const texts = {
      mixed: MIXED,
      bom: `\ufeff${MIXED}`,
      bom2: `\ufeff\ufeff${MIXED}`,
      laterBom: `x\ufeff${MIXED}`,
      ascii: 'a\nb\nc\n',
    };
    for (const [name, text] of Object.entries(texts)) {
      const p = file(`${name}.txt`, text);
      const whole = readTextFile(p);
      const cps = [...new Set(Array.from(whole, (c) => c.codePointAt(0) as number))].sort((a, b) => a - b);
      for (const chunkBytes of [1, 2, 3, 4, 5, 7, 64, 1 << 16]) {
        const scan = scanTextFile(p, { chunkBytes });
        const pieces = [...readTextChunks(p, scan.bytes, { chunkBytes })];
        assert.equal(pieces.join(''), whole, `${name}, chunks of ${chunkBytes}`);
        assert.ok(
          pieces.every((s) => !/[\ud800-\udbff]$/.test(s)),
          'no piece ends inside a surrogate pair',
        );
        assert.equal(scan.units, whole.length);
        assert.equal(scan.chars, Array.from(whole).length);
        assert.equal(scan.lines, whole.split('\n').length);
        assert.equal(scan.blankLine, whole.includes('\n\n'));
        assert.deepEqual(scan.codePoints, cps);
      }
    }
  });

  it('reject what readTextFile rejects, with the same messages', () => {
    const b = (...x: number[]) => Uint8Array.from(x);
    const cases: [string, string | Uint8Array][] = [
      ['empty', ''],
      ['short', 'abc'],
      ['binary', b(104, 105, 0, 1, 2, 3, 104, 105)],
      ['latin1', Buffer.concat([Buffer.from('caf'), b(0xe9), Buffer.from(' au lait '.repeat(5))])],
      // A NUL byte after invalid UTF-8 still says "binary", as readTextFile does.
      ['invalid-then-nul', b(0x61, 0xff, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0)],
      ['overlong', b(0x61, 0x61, 0x61, 0x61, 0x61, 0xc0, 0x80, 0x61)],
      ['surrogate', b(0x61, 0x61, 0x61, 0x61, 0xed, 0xa0, 0x80)],
      ['too-high', b(0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0xf4, 0x90, 0x80, 0x80)],
      ['bad-continuation', b(0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0xe2, 0x82, 0x41)],
      ['cut-at-end', Buffer.concat([Buffer.from('a whale of a tale '), b(0xf0, 0x9f, 0x98)])],
      ['emoji-then-bad', Buffer.concat([Buffer.from('😀😀😀 🐳'), b(0x80), Buffer.from('tail')])],
    ];
    for (const [name, content] of cases) {
      const p = file(`${name}.txt`, content);
      const want = outcome(() => readTextFile(p, { where: 'train', minChars: 5 }));
      assert.notEqual(want, 'ok', name);
      for (const chunkBytes of [1, 2, 3, 7, 1 << 16]) {
        const got = outcome(() => scanTextFile(p, { where: 'train', minChars: 5, chunkBytes }));
        assert.equal(got, want, `${name}, chunks of ${chunkBytes}`);
      }
    }
    mkdirSync(join(dir, 'adir'), { recursive: true });
    for (const p of [join(dir, 'adir'), join(dir, 'missing.txt')]) {
      assert.equal(
        outcome(() => scanTextFile(p, { where: 'train' })),
        outcome(() => readTextFile(p, { where: 'train' })),
      );
    }
    assert.match(
      outcome(() => scanTextFile(join(dir, 'adir'))),
      /it is a directory/,
    );
  });

  it('notice a file that changed between the two passes', () => {
    const p = file('changing.txt', MIXED);
    const scan = scanTextFile(p, { chunkBytes: 7 });
    writeFileSync(p, `${MIXED}more`);
    assert.throws(
      () => [...readTextChunks(p, scan.bytes, { where: 'train', chunkBytes: 7 })],
      /train: .*changing\.txt: the file changed while it was being read/,
    );
    writeFileSync(p, Buffer.concat([Buffer.from(MIXED).subarray(0, scan.bytes - 1), Uint8Array.of(0xff)]));
    assert.throws(() => [...readTextChunks(p, scan.bytes)], /the file changed while it was being read/);
  });
});
