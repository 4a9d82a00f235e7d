// Resume exactness: a run stopped after N steps, saved with src/io/checkpoint.ts, and continued in
// fresh objects (new model, optimizer, scheduler and RNG, built with a different seed) gives the
// same loss at every following step, bit for bit, as a run that never stopped.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadCheckpoint } from '../src/io/checkpoint-load.js';
import { backendAvailable, getBackend, setBackend } from '../src/kernels/registry.js';
import { CheckpointError } from '../src/util/errors.js';
import { run, saveTo, setup } from './helpers/char-lm.js';

const root = mkdtempSync(join(tmpdir(), 'recur-resume-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `run${n++}`);

const backends: ('ts' | 'wasm')[] = backendAvailable('wasm') ? ['ts', 'wasm'] : ['ts'];

describe('fit resumes exactly from a checkpoint', () => {
  for (const backend of backends) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${backend} ${dtype}: mid-epoch stop, fresh objects, same loss at every later step`, async () => {
        const prev = getBackend();
        setBackend(backend);
        try {
          // The uninterrupted reference.
          const ref = await run(setup({ dtype, seed: 7 }).options);
          const total = ref.result.step;
          assert.ok(total > 60, `expected a few epochs of steps, got ${total}`);
          assert.equal(ref.result.reason, 'epochs');

          // Stopped at step 37 (mid-epoch), saved there.
          const dir = freshDir();
          const first = await run(setup({ dtype, seed: 7, maxSteps: 37 }).options, {
            checkpoint: saveTo(dir, 1000),
          });
          assert.equal(first.result.reason, 'maxSteps');
          for (const [step, loss] of first.losses) assert.equal(loss, ref.losses.get(step), `step ${step}`);

          // A fresh process state: other seed, other initial weights, other RNG stream.
          const fresh = setup({ dtype, seed: 12345 });
          const ckpt = loadCheckpoint(dir, { model: fresh.model });
          assert.equal(ckpt.step, 37);
          const second = await run(fresh.options, { resume: ckpt });
          assert.equal(second.result.step, total);
          assert.equal(second.losses.size, total - 37);
          for (let step = 38; step <= total; step++)
            assert.equal(second.losses.get(step), ref.losses.get(step), `step ${step}`);
          assert.equal(second.result.loss, ref.result.loss);
        } finally {
          setBackend(prev);
        }
      });
    }
  }

  it('resumes across an epoch boundary and from a checkpoint taken at the last batch of an epoch', async () => {
    const ref = await run(setup({ dtype: 'float64', seed: 3 }).options);
    const perEpoch = ref.result.step / 3;
    assert.ok(Number.isInteger(perEpoch));
    for (const stopAt of [perEpoch, perEpoch + 1]) {
      const dir = freshDir();
      await run(setup({ dtype: 'float64', seed: 3, maxSteps: stopAt }).options, {
        checkpoint: saveTo(dir, 1000),
      });
      const fresh = setup({ dtype: 'float64', seed: 99 });
      const second = await run(fresh.options, { resume: loadCheckpoint(dir, { model: fresh.model }) });
      for (let step = stopAt + 1; step <= ref.result.step; step++)
        assert.equal(second.losses.get(step), ref.losses.get(step), `stop at ${stopAt}, step ${step}`);
    }
  });

  it('chains several resumes (checkpoint every 9 steps, restart after each of the first four)', async () => {
    const ref = await run(setup({ dtype: 'float32', seed: 5 }).options);
    const dir = freshDir();
    const seen = new Map<number, number>();
    let stopAt = 9;
    for (let k = 0; k < 5; k++) {
      const s = setup({
        dtype: 'float32',
        seed: k === 0 ? 5 : 1000 + k,
        maxSteps: k < 4 ? stopAt : undefined,
      });
      const resume = k === 0 ? undefined : loadCheckpoint(dir, { model: s.model });
      const r = await run(s.options, { resume, checkpoint: saveTo(dir, 9) });
      for (const [step, loss] of r.losses) seen.set(step, loss);
      stopAt += 9 * (k + 1);
    }
    assert.equal(seen.size, ref.result.step);
    for (const [step, loss] of ref.losses) assert.equal(seen.get(step), loss, `step ${step}`);
  });

  it('refuses a resume state that fit did not write, and one whose data changed', async () => {
    const s = setup({ dtype: 'float64', seed: 1 });
    await assert.rejects(
      run(s.options, { resume: { step: 3, optimizer: s.optimizer.stateDict(), extra: null } }),
      (e: unknown) => e instanceof CheckpointError && /extra\.fit is missing/.test(e.message),
    );
    const dir = freshDir();
    await run(setup({ dtype: 'float64', seed: 1, maxSteps: 20 }).options, { checkpoint: saveTo(dir, 1000) });
    const t = setup({ dtype: 'float64', seed: 1 });
    const ckpt = loadCheckpoint(dir, { model: t.model });
    await assert.rejects(
      run(t.options, { resume: ckpt, trainBatches: () => [] }),
      (e: unknown) => e instanceof CheckpointError && /the training data changed/.test(e.message),
    );
  });
});
