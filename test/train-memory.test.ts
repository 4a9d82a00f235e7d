// Issue #4: "A text corpus of 100 MB trains without holding more than one copy of it in memory."
// The real CLI (`recur train FILE --max-steps 2`, a tiny model) runs in a child process on a
// generated 100 MB corpus and on a tiny one; a preloaded script reports the child's peak resident
// memory (getrusage's ru_maxrss). One copy of the corpus is its ids, one byte per character; the
// bytes of the file or a string of the text would be a second copy of 100 MB or more. So the peak
// must stay below the tiny run's peak plus 1.5 x 100 MB. Measured on the development machine:
// 78 MB for the tiny corpus, 199 MB for the 100 MB one (438 MB when the file was read into a
// string). Takes about 7 s.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(root, 'dist', 'src', 'cli', 'main.js');
const BIG = 100_000_000;

let dir = '';

/** Writes `bytes` bytes of English-looking text (a few dozen distinct characters) in 1 MB blocks. */
function writeCorpus(path: string, bytes: number): void {
  const words = (
    'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money ' +
    'in my purse, and nothing particular to interest me on shore, I thought I would sail about ' +
    'a little and see the watery part of the world; the whale, the sea, Queequeg and Ahab!'
  ).split(' ');
  let s = 12345;
  const blocks: Buffer[] = [];
  for (let b = 0; b < 4; b++) {
    const parts: string[] = [];
    let n = 0;
    while (n < 1_000_000) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const w = words[(s >>> 8) % words.length];
      const sep = (s >>> 4) % 13 === 0 ? '\n' : ' ';
      parts.push(w, sep);
      n += w.length + 1;
    }
    blocks.push(Buffer.from(parts.join('').slice(0, 1_000_000)));
  }
  const fd = openSync(path, 'w');
  try {
    for (let written = 0, k = 0; written < bytes; k++) {
      const block = blocks[k % blocks.length].subarray(0, bytes - written);
      writeSync(fd, block);
      written += block.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** Runs `recur train FILE` with a tiny model; returns the child's peak RSS in bytes and its output. */
function train(file: string, out: string): { peak: number; stdout: string } {
  const report = join(dir, `${out}.rss`);
  const r = spawnSync(
    process.execPath,
    [
      '--require',
      join(dir, 'report-rss.cjs'),
      MAIN,
      'train',
      file,
      '--max-steps',
      '2',
      '--hidden-size',
      '8',
      '--embed-size',
      '4',
      '--batch-size',
      '2',
      '--seq-length',
      '8',
      '--sample-length',
      '10',
      '--out',
      join(dir, out),
    ],
    { env: { ...process.env, RECUR_THREADS: '1', RSS_REPORT: report }, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, `recur train ${file} failed:\n${r.stderr}`);
  // ru_maxrss is in kilobytes on Linux.
  return { peak: Number(readFileSync(report, 'utf8')) * 1024, stdout: r.stdout };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'recur-memory-'));
  writeFileSync(
    join(dir, 'report-rss.cjs'),
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.RSS_REPORT, String(process.resourceUsage().maxRSS)));\n",
  );
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('recur train on a 100 MB corpus', () => {
  it('holds one copy of the corpus: peak RSS below the tiny-corpus peak + 1.8 x the file size (a second copy needs 1.9x or more)', (t) => {
    const tiny = join(dir, 'tiny.txt');
    const big = join(dir, 'big.txt');
    writeCorpus(tiny, 50_000);
    writeCorpus(big, BIG);
    const base = train(tiny, 'tiny');
    const r = train(big, 'big');
    assert.match(
      r.stdout,
      /big\.txt, 100,000,000 characters: the first 90% train, the last 10% test; \d+ distinct/,
    );
    assert.match(r.stdout, /done: 2 steps/);
    const mb = (x: number) => `${(x / 1e6).toFixed(0)} MB`;
    // One copy is the ids (1 byte per character here, 100 MB); any second copy (the bytes, the train
    // split, a UTF-16 string) adds at least 90 MB more. 80 MB above one copy are left for V8's heap.
    const bound = base.peak + 1.8 * BIG;
    t.diagnostic(`peak RSS: tiny corpus ${mb(base.peak)}, 100 MB corpus ${mb(r.peak)} (bound ${mb(bound)})`);
    assert.ok(
      r.peak < bound,
      `peak RSS ${mb(r.peak)} on the 100 MB corpus, more than ${mb(base.peak)} (tiny corpus) + 180 MB: a second copy of the corpus is held`,
    );
  });
});
