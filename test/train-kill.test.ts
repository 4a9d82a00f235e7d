// Crash safety of training: a child process (test/helpers/train-child.ts) trains the tiny char-LM
// with a checkpoint every 4 steps; it is killed with SIGKILL at random moments and restarted each
// time from the latest checkpoint. The moments are chosen by training progress (a random step,
// then a random delay of a few milliseconds, which often lands inside a checkpoint write), not by
// wall-clock time, so the number of kills does not depend on the speed of the machine. After every kill the latest checkpoint must load intact, every
// loss the child printed must equal the uninterrupted run's loss at that step, and the final loss
// must be exactly the uninterrupted run's (float32, same seed, same order of operations).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { latestCheckpoint, loadCheckpoint } from '../src/io/checkpoint-load.js';
import { backendAvailable, getBackend, setBackend } from '../src/kernels/registry.js';
import { Rng } from '../src/util/rng.js';
import { run, setup } from './helpers/char-lm.js';

const CHILD = fileURLToPath(new URL('./helpers/train-child.js', import.meta.url));
const EVERY = 4;
const SEED = 11;
const EPOCHS = 10;
const KILLS = 5;

interface Line {
  resumed?: number | null;
  step?: number;
  loss?: number;
  done?: boolean;
}

/**
 * Starts the child; `lines` fills as it prints; `exited` resolves with its exit code or signal;
 * `reached(step)` resolves once the child printed a step at or past `step` (or exited).
 */
function start(dir: string, backend: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [CHILD, dir, 'float32', backend, String(EVERY), String(SEED), String(EPOCHS)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Line[] = [];
  let buf = '';
  let stderr = '';
  let waiting: { step: number; resolve: () => void } | null = null;
  const wake = () => {
    const last = lines[lines.length - 1];
    if (waiting && last && (last.step ?? -1) >= waiting.step) {
      waiting.resolve();
      waiting = null;
    }
  };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      wake();
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
  });
  child.stderr?.on('data', (c) => {
    stderr += String(c);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      waiting?.resolve();
      resolve({ code, signal });
    }),
  );
  const reached = (step: number) =>
    new Promise<void>((resolve) => {
      waiting = { step, resolve };
      wake();
    });
  return { child, lines, exited, reached, stderr: () => stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('training survives SIGKILL', () => {
  const root = mkdtempSync(join(tmpdir(), 'recur-kill-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it(`killed ${KILLS} times at random moments, resumed each time: same losses, same final loss`, async () => {
    const backend = backendAvailable('wasm') ? 'wasm' : 'ts';
    const prev = getBackend();
    setBackend(backend);
    let ref: Awaited<ReturnType<typeof run>>;
    try {
      ref = await run(setup({ dtype: 'float32', seed: SEED, epochs: EPOCHS }).options);
    } finally {
      setBackend(prev);
    }
    const total = ref.result.step;
    const dir = join(root, 'ckpt');
    const rng = new Rng(2024);
    // Kill targets spread over the run: each lands within the next `span` steps.
    const span = Math.max(1, Math.floor((total - EVERY) / (KILLS + 1)));
    let lastStep = -1;
    let kills = 0;
    const checkLosses = (lines: Line[], what: string) => {
      for (const l of lines)
        if (l.step !== undefined) assert.equal(l.loss, ref.losses.get(l.step), `${what}: step ${l.step}`);
    };
    for (let k = 0; k < KILLS; k++) {
      const c = start(dir, backend);
      await c.reached(-Infinity); // the first line, {resumed}
      assert.equal(
        c.lines[0].resumed ?? null,
        lastStep < 0 ? null : lastStep,
        'resumed from the latest checkpoint',
      );
      await c.reached(Math.max(lastStep, 0) + 1 + rng.int(span));
      await sleep(rng.int(4));
      c.child.kill('SIGKILL');
      const end = await c.exited;
      checkLosses(c.lines, `run ${k}`);
      if (end.signal !== 'SIGKILL') {
        // It finished before the kill: nothing more to interrupt.
        assert.equal(end.code, 0, c.stderr());
        break;
      }
      kills++;
      if (existsSync(join(dir, 'latest.json'))) {
        const ck = loadCheckpoint(dir); // throws CheckpointError unless complete and consistent
        assert.ok(ck.step >= lastStep, `checkpoints never go back (${ck.step} after ${lastStep})`);
        assert.ok(ck.step % EVERY === 0 || ck.step === total, `step ${ck.step}`);
        assert.equal(latestCheckpoint(dir), ck.path);
        lastStep = ck.step;
      }
    }
    assert.ok(kills >= 3, `only ${kills} kills landed before the child finished`);
    const last = start(dir, backend);
    const end = await last.exited;
    assert.equal(end.code, 0, last.stderr());
    checkLosses(last.lines, 'final run');
    const done = last.lines[last.lines.length - 1];
    assert.equal(done.done, true);
    assert.equal(done.step, total);
    assert.equal(done.loss, ref.result.loss, 'final loss equals the uninterrupted run');
    assert.equal(loadCheckpoint(dir).step, total);
  });
});
