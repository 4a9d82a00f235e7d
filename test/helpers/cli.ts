// The harness of the end-to-end tests of the `recur` command (test/cli.test.ts): a temporary
// working folder with a small corpus, `recur(...)` that spawns `node dist/src/cli/main.js` in it,
// readers of a run's metrics.jsonl, and the assertions on a resumed history and a one-line error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const MAIN = join(root, 'dist', 'src', 'cli', 'main.js');
export const ENV = { ...process.env, RECUR_THREADS: '1' };

/** The working folder of the spawned commands (set by makeCliDir). */
export let dir = '';
let corpus = '';

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function recur(...args: string[]): Result {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: dir,
    env: ENV,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Flags of a small, fast model. */
export const SMALL = [
  '--hidden-size',
  '24',
  '--embed-size',
  '8',
  '--batch-size',
  '4',
  '--seq-length',
  '16',
  '--sample-length',
  '20',
];

type Rec = Record<string, unknown> & { type: string; step: number };

export function records(run: string): Rec[] {
  return readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Rec);
}

/** step -> [loss, bpc] of the records of one type. */
function byStep(run: string, type: string): Map<number, [unknown, unknown]> {
  return new Map(
    records(run)
      .filter((r) => r.type === type)
      .map((r) => [r.step, [r.loss, r.bpc]]),
  );
}

export function assertSameHistory(a: string, b: string, throughStep: number): void {
  for (const type of ['train', 'eval']) {
    const x = byStep(a, type);
    const y = byStep(b, type);
    const steps = [...x.keys()].filter((s) => s <= throughStep && y.has(s));
    assert.ok(steps.length > 0, `no common ${type} records`);
    for (const s of steps) assert.deepEqual(y.get(s), x.get(s), `${type} record of step ${s}`);
  }
  const trainA = [...byStep(a, 'train').keys()].filter((s) => s <= throughStep);
  const trainB = [...byStep(b, 'train').keys()].filter((s) => s <= throughStep);
  assert.deepEqual(trainB, trainA, 'the same training steps are logged');
}

/** Asserts a failure: non-zero exit, exactly one line on stderr matching `re`, no stack trace. */
export function assertOneLineError(r: Result, re: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got exit 0 and ${r.stdout}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^recur: /);
  assert.match(lines[0], re);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

/** Creates the working folder with a small corpus.txt (the test file's `before`). */
export function makeCliDir(): void {
  dir = mkdtempSync(join(tmpdir(), 'recur-cli-'));
  // A small corpus with some structure, so the loss goes down within a few steps.
  const words = ['the', 'whale', 'sea', 'ship', 'captain', 'white', 'water', 'boat', 'call', 'me'];
  let s = 1;
  const parts: string[] = [];
  for (let i = 0; i < 900; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    parts.push(words[s % words.length]);
    if (i % 12 === 11) parts.push('.\n');
  }
  corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, parts.join(' '));
}

/** Removes the working folder (the test file's `after`). */
export function removeCliDir(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
