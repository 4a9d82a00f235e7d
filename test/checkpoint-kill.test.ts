import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { saveCheckpoint } from '../src/io/checkpoint.js';
import { loadCheckpoint } from '../src/io/checkpoint-load.js';
import { randn } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Adam } from '../src/train/optim/adam.js';
import type { OptimizerStateDict } from '../src/train/optim/optimizer.js';
import { StepLR } from '../src/train/schedules.js';
import { CheckpointError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';
import { verify } from './helpers/ckpt-writer.js';

const writer = fileURLToPath(new URL('./helpers/ckpt-writer.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once the child has printed `count` "saved" lines (or exited). */
function savedLines(child: ChildProcess, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    child.stdout?.on('data', (b: Buffer) => {
      seen += (b.toString().match(/saved/g) ?? []).length;
      if (seen >= count) resolve();
    });
    child.on('exit', () => resolve());
  });
}

describe('checkpoints survive SIGKILL at random moments', () => {
  it('after each of 8 kills the latest checkpoint loads intact and the step never goes back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-kill-'));
    const rng = new Rng(Number(process.env.RECUR_KILL_SEED ?? Date.now() % 1e9));
    try {
      let last = 0;
      for (let round = 0; round < 8; round++) {
        const child = spawn(process.execPath, [writer, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr?.on('data', (b: Buffer) => {
          stderr += b.toString();
        });
        const exited = once(child, 'exit');
        // Odd rounds: kill at a random moment after the first save of this run; even rounds: at a
        // random moment from the start (possibly while loading or during the first save).
        if (round % 2 === 1) await savedLines(child, 1);
        await sleep(round % 2 === 1 ? rng.int(60) : 60 + rng.int(200));
        const alive = child.exitCode === null;
        child.kill('SIGKILL');
        const [code, signal] = await exited;
        assert.ok(alive && signal === 'SIGKILL', `writer exited by itself (code ${code}): ${stderr}`);
        if (last === 0 && round % 2 === 0) {
          // Killed before any checkpoint was completed: the directory must say so, nothing else.
          try {
            loadCheckpoint(dir);
          } catch (e) {
            assert.ok(e instanceof CheckpointError && /holds no checkpoint/.test(e.message), String(e));
            continue;
          }
        }
        const c = loadCheckpoint(dir);
        verify(c);
        assert.ok(c.step >= last, `step went back from ${last} to ${c.step}`);
        if (process.env.RECUR_KILL_VERBOSE)
          console.log(`round ${round}: latest step ${c.step}, ${readdirSync(dir).join(' ')}`);
        last = c.step;
      }
      assert.ok(last >= 2, `the writer made too little progress (step ${last})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resuming from a checkpoint', () => {
  it('Adam + StepLR + RNG continue exactly as an uninterrupted run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-resume-'));
    try {
      const target = randn([5], { rng: new Rng(3), dtype: 'float64' });
      const run = (p: Tensor, opt: Adam, sched: StepLR, rng: Rng, from: number, to: number) => {
        for (let k = from; k < to; k++) {
          // Gradient of 0.5 * |p - target|^2 plus seeded noise.
          const g = new Float64Array(p.size);
          for (let i = 0; i < g.length; i++) g[i] = p.data[i] - target.data[i] + 0.1 * rng.normal();
          p.grad = new Tensor(g, p.shape);
          opt.step();
          sched.step();
        }
      };
      const make = () => {
        const p = new Tensor(new Float64Array(5), [5], true);
        const opt = new Adam([p], { lr: 0.1 });
        return { p, opt, sched: new StepLR(opt, { stepSize: 3, gamma: 0.5 }), rng: new Rng(11) };
      };
      const a = make();
      run(a.p, a.opt, a.sched, a.rng, 0, 10);

      const b = make();
      run(b.p, b.opt, b.sched, b.rng, 0, 4);
      saveCheckpoint(dir, {
        step: 4,
        model: { p: b.p },
        optimizer: b.opt.stateDict(),
        scheduler: b.sched.stateDict(),
        rng: b.rng.getState(),
      });
      const c = make();
      const loaded = loadCheckpoint(dir);
      c.p.data.set(loaded.model.get('p')!.data);
      c.opt.loadStateDict(loaded.optimizer as OptimizerStateDict);
      c.sched.loadStateDict(loaded.scheduler as ReturnType<StepLR['stateDict']>);
      c.rng.setState(loaded.rng!);
      run(c.p, c.opt, c.sched, c.rng, 4, 10);
      assert.deepEqual(Array.from(c.p.data), Array.from(a.p.data));
      assert.equal(c.opt.paramGroups[0].lr, a.opt.paramGroups[0].lr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
