import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tensor } from '../tensor/tensor.js';
import { CheckpointError, ConfigError } from '../util/errors.js';
import type { LRScheduler } from './lr-scheduler.js';
import { SGD } from './optim/sgd.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { CosineAnnealingLR, ExponentialLR, LinearWarmup, StepLR } from './schedules.js';

const opt = (lr = 0.1, groups = 1) =>
  new SGD(
    Array.from({ length: groups }, (_, i) => ({
      params: [tensor([0], { requiresGrad: true })],
      lr: lr * (i + 1),
    })),
    { lr },
  );
const closeAll = (got: number[], want: number[], tol = 1e-12) => {
  assert.equal(got.length, want.length);
  for (const [i, g] of got.entries()) {
    assert.ok(Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])), `[${i}] ${g} vs ${want[i]}`);
  }
};
/** The lr of group 0 at epochs 0..n-1 (construction is epoch 0, then one step() per epoch). */
const sequence = (s: LRScheduler, n: number) => {
  const out = [s.optimizer.paramGroups[0].lr];
  for (let i = 1; i < n; i++) {
    s.step();
    out.push(s.optimizer.paramGroups[0].lr);
  }
  return out;
};

describe('epoch schedulers', () => {
  it('StepLR: baseLr * gamma^floor(epoch / stepSize)', () => {
    closeAll(
      sequence(new StepLR(opt(), { stepSize: 2, gamma: 0.5 }), 6),
      [0.1, 0.1, 0.05, 0.05, 0.025, 0.025],
    );
  });
  it('ExponentialLR: baseLr * gamma^epoch, every group from its own base', () => {
    const o = opt(0.1, 2);
    const s = new ExponentialLR(o, { gamma: 0.9 });
    s.step();
    s.step();
    closeAll(s.getLastLr(), [0.1 * 0.81, 0.2 * 0.81]);
    closeAll(
      o.paramGroups.map((g) => g.lr),
      [0.081, 0.162],
    );
  });
  it("CosineAnnealingLR agrees with PyTorch's recursive form, past tMax too", () => {
    const base = 0.1;
    const etaMin = 0.01;
    const tMax = 5;
    // torch/optim/lr_scheduler.py CosineAnnealingLR.get_lr, step by step.
    const torch: number[] = [base];
    for (let e = 1; e < 3 * tMax; e++) {
      const lr = torch[e - 1];
      if ((e - 1 - tMax) % (2 * tMax) === 0) {
        torch.push(lr + ((base - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
      } else {
        torch.push(
          ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) *
            (lr - etaMin) +
            etaMin,
        );
      }
    }
    closeAll(sequence(new CosineAnnealingLR(opt(base), { tMax, etaMin }), 3 * tMax), torch, 1e-10);
  });
  it('LinearWarmup ramps as LinearLR, then holds, or hands over to another schedule', () => {
    closeAll(
      sequence(new LinearWarmup(opt(), { warmupSteps: 4, startFactor: 0.25 }), 6),
      [0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1],
    );
    const o = opt();
    const cos = new CosineAnnealingLR(o, { tMax: 2 });
    const s = new LinearWarmup(o, { warmupSteps: 2, startFactor: 0.5, after: cos });
    closeAll(sequence(s, 6), [0.05, 0.075, 0.1, 0.05, 0, 0.05]);
    assert.throws(() => new LinearWarmup(opt(), { warmupSteps: 2, after: cos }), /same optimizer/);
    assert.throws(() => new LinearWarmup(opt(), { warmupSteps: 0 }), ConfigError);
  });
  it('stateDict/loadStateDict resumes the same sequence', () => {
    const a = new StepLR(opt(), { stepSize: 3, gamma: 0.5 });
    for (let i = 0; i < 4; i++) a.step();
    const saved = JSON.parse(JSON.stringify(a.stateDict()));
    const o2 = opt();
    const b = new StepLR(o2, { stepSize: 3, gamma: 0.5 });
    b.loadStateDict(saved);
    assert.equal(o2.paramGroups[0].lr, a.optimizer.paramGroups[0].lr);
    for (let i = 0; i < 4; i++) {
      a.step();
      b.step();
      assert.equal(o2.paramGroups[0].lr, a.optimizer.paramGroups[0].lr);
    }
    assert.throws(() => b.loadStateDict({ ...saved, type: 'ExponentialLR' }), CheckpointError);
  });
});

describe('ReduceLROnPlateau', () => {
  it('reduces after more than `patience` bad epochs, waits `cooldown`, respects minLr', () => {
    const o = opt(1);
    const s = new ReduceLROnPlateau(o, { factor: 0.5, patience: 2, cooldown: 1, minLr: 0.3 });
    const lrs = [1, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95].map((m) => {
      s.step(m);
      return o.paramGroups[0].lr;
    });
    assert.deepEqual(lrs, [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]);
  });
  it("mode 'max' with an absolute threshold; state round trip", () => {
    const o = opt(1);
    const s = new ReduceLROnPlateau(o, { mode: 'max', threshold: 0.1, thresholdMode: 'abs', patience: 0 });
    s.step(0.5); // best 0.5
    s.step(0.55); // not better than 0.5 + 0.1: reduce
    assert.equal(o.paramGroups[0].lr, 0.1);
    const saved = JSON.parse(JSON.stringify(s.stateDict()));
    assert.equal(saved.best, 0.5);
    const s2 = new ReduceLROnPlateau(opt(0.1), {
      mode: 'max',
      threshold: 0.1,
      thresholdMode: 'abs',
      patience: 0,
    });
    s2.loadStateDict(saved);
    s2.step(0.7);
    assert.equal(s2.best, 0.7);
    const fresh = new ReduceLROnPlateau(opt(1)).stateDict();
    assert.equal(fresh.best, null);
    assert.throws(() => new ReduceLROnPlateau(opt(1), { factor: 1 }), ConfigError);
    assert.throws(() => new ReduceLROnPlateau(opt(1, 2), { minLr: [0] }), /one per group/);
  });
});
