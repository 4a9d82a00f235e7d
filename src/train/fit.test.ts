import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { mul, sub } from '../ops/elementwise.js';
import { mse } from '../ops/loss.js';
import { mean } from '../ops/reduce.js';
import { log, sqrt } from '../ops/unary.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { ConfigError, NumericError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { FitEvent, StepEvent } from './callbacks.js';
import { fit } from './fit.js';
import type { FitOptions } from './fit-options.js';
import type { FitSnapshot } from './fit-state.js';
import { SGD } from './optim/sgd.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { StepLR } from './schedules.js';

class Reg extends Module {
  readonly lin: Linear;
  constructor(seed = 1) {
    super();
    this.lin = this.registerModule('lin', new Linear(2, 1, { dtype: 'float64', rng: new Rng(seed) }));
  }
  protected describe(): string {
    return 'Reg()';
  }
}

interface Batch {
  x: Tensor;
  y: Tensor;
  bad?: 'log' | 'sqrt';
}

/** y = 2 x0 - x1 + 0.5, four batches of two rows. */
function data(bad: Record<number, 'log' | 'sqrt'> = {}): Batch[] {
  const rng = new Rng(3);
  return Array.from({ length: 4 }, (_, i) => {
    const xs = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
    const x = tensor([xs.slice(0, 2), xs.slice(2)], { dtype: 'float64' });
    const y = tensor([[2 * xs[0] - xs[1] + 0.5], [2 * xs[2] - xs[3] + 0.5]], { dtype: 'float64' });
    return { x, y, bad: bad[i] };
  });
}

function lossOf(m: Reg, b: Batch): Tensor {
  const p = m.lin.forward(b.x);
  if (b.bad === 'log') return log(mean(sub(p, 100))); // NaN in the forward pass, at op 'log'
  if (b.bad === 'sqrt') return mean(sqrt(mul(p, 0))); // finite loss, infinite gradient from 'sqrt'
  return mse(p, b.y);
}

type Opts = FitOptions<Reg, Batch, unknown>;

async function train(extra: Partial<Opts> = {}, batches = data()) {
  const model = new Reg();
  const optimizer = new SGD(model.parameters(), { lr: 0.1 });
  const events: FitEvent[] = [];
  const result = await fit({
    model,
    optimizer,
    trainBatches: batches,
    lossFn: (m, b) => lossOf(m, b),
    ...extra,
    callbacks: [(e) => void events.push(e), ...(extra.callbacks ?? [])],
  });
  const steps = events.filter((e): e is StepEvent => e.type === 'step');
  return { model, optimizer, events, steps, result };
}

describe('fit: the loop', () => {
  it('trains, and emits start, epochStart, step, epochEnd and end events in order', async () => {
    const { events, steps, result } = await train({ epochs: 30 });
    assert.equal(result.reason, 'epochs');
    assert.equal(result.step, 120);
    assert.equal(result.epoch, 30);
    assert.ok((result.loss as number) < 1e-3, `loss ${result.loss}`);
    assert.deepEqual(
      events.slice(0, 7).map((e) => e.type),
      ['start', 'epochStart', 'step', 'step', 'step', 'step', 'epochEnd'],
    );
    assert.equal(events[events.length - 1].type, 'end');
    assert.deepEqual(
      steps.slice(0, 5).map((s) => [s.step, s.epoch, s.batch]),
      [
        [1, 0, 1],
        [2, 0, 2],
        [3, 0, 3],
        [4, 0, 4],
        [5, 1, 1],
      ],
    );
    const s = steps[10];
    assert.equal(s.totalSteps, 120);
    assert.equal(s.lr, 0.1);
    assert.equal(s.tokens, null);
    assert.equal(s.tokensPerSec, null);
    assert.ok(s.etaSeconds !== null && s.etaSeconds >= 0);
    const first = events.find((e) => e.type === 'epochEnd');
    assert.ok(first?.type === 'epochEnd' && first.batches === 4);
  });

  it('runs one epoch when no limit is given, and stops mid-epoch at maxSteps', async () => {
    assert.equal((await train()).result.step, 4);
    const { result, steps } = await train({ maxSteps: 6, epochs: 10 });
    assert.equal(result.reason, 'maxSteps');
    assert.deepEqual(
      steps.map((s) => s.step),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(result.epoch, 1);
  });

  it('carries the state returned by lossFn to the next batch, detached, and resets it every epoch', async () => {
    const seen: (number | null)[] = [];
    const model = new Reg();
    await fit({
      model,
      optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      trainBatches: data(),
      epochs: 2,
      resetState: (epoch) => ({ h: tensor([100 + epoch], { dtype: 'float64' }) }),
      lossFn: (m, b, state: { h: Tensor } | null) => {
        assert.ok(state !== null);
        assert.equal(state.h.gradFn, null);
        assert.equal(state.h.requiresGrad, false);
        seen.push(state.h.data[0]);
        const p = m.lin.forward(b.x); // the next state depends on the parameters: it is on the tape
        return { loss: mse(p, b.y), state: { h: mean(p) } };
      },
    });
    assert.equal(seen[0], 100);
    assert.equal(seen[4], 101);
    assert.equal(seen.length, 8);
    assert.ok(seen.slice(1, 4).every((v) => v !== null && v < 100));
  });

  it('evaluates in eval mode every evalEvery steps and stops early on a plateau', async () => {
    const modes: boolean[] = [];
    let calls = 0;
    const { result, events } = await train({
      epochs: 50,
      evalEvery: 2,
      evalFn: (m) => {
        modes.push(m.training);
        calls++;
        return { val_loss: calls <= 2 ? 1 / calls : 1, acc: 0.5 };
      },
      earlyStopping: { patience: 3 },
    });
    assert.equal(result.reason, 'earlyStopping');
    assert.equal(calls, 5); // improves at 1 and 2, then 3 evaluations without improvement
    assert.equal(result.step, 10);
    assert.deepEqual(result.best, { monitor: 'val_loss', value: 0.5, step: 4 });
    assert.ok(modes.every((t) => t === false));
    const evals = events.filter((e) => e.type === 'eval');
    assert.deepEqual(
      evals.map((e) => (e.type === 'eval' ? e.improved : null)),
      [true, true, false, false, false],
    );
  });

  it('evaluates the final weights when a limit stops it between evaluations, unless told not to', async () => {
    const evalSteps = async (extra: Partial<Opts>) => {
      const steps: number[] = [];
      const { result, events } = await train({
        evalEvery: 3,
        evalFn: (_m, ctx) => {
          steps.push(ctx.step);
          return { val_loss: 1 / (ctx.step + 1) };
        },
        ...extra,
      });
      const end = events.find((e) => e.type === 'end');
      return { steps, result, end };
    };
    // maxSteps 7: evaluated at 3 and 6 on schedule, then at 7, the final weights
    const a = await evalSteps({ maxSteps: 7 });
    assert.deepEqual(a.steps, [3, 6, 7]);
    assert.equal(a.result.reason, 'maxSteps');
    assert.deepEqual(a.result.lastEval, { val_loss: 1 / 8 });
    // a limit that falls on a scheduled evaluation: no second one
    assert.deepEqual((await evalSteps({ maxSteps: 6 })).steps, [3, 6]);
    // epochs with evalEvery: the end of the last epoch (step 8) is evaluated too
    assert.deepEqual((await evalSteps({ epochs: 2 })).steps, [3, 6, 8]);
    // turned off: the last evaluation stays the one at step 6
    const off = await evalSteps({ maxSteps: 7, evalAtEnd: false });
    assert.deepEqual(off.steps, [3, 6]);
    assert.deepEqual(off.result.lastEval, { val_loss: 1 / 7 });
    // without evalEvery, a stop in mid-epoch evaluates the partial epoch's weights
    assert.deepEqual((await evalSteps({ evalEvery: undefined, maxSteps: 6 })).steps, [4, 6]);
    // an aborted run is not evaluated again
    const ac = new AbortController();
    const ab = await evalSteps({
      maxSteps: 7,
      signal: ac.signal,
      callbacks: [(e) => void (e.type === 'step' && e.step === 5 && ac.abort())],
    });
    assert.equal(ab.result.reason, 'aborted');
    assert.deepEqual(ab.steps, [3]);
  });

  it('steps schedulers per step, per epoch, or on the monitored metric (ReduceLROnPlateau)', async () => {
    const lrs = async (make: (o: SGD) => object, extra: Partial<Opts>) => {
      const model = new Reg();
      const optimizer = new SGD(model.parameters(), { lr: 0.1 });
      const scheduler = make(optimizer) as Opts['scheduler'];
      const got: number[] = [];
      await fit({
        model,
        optimizer,
        scheduler,
        trainBatches: data(),
        lossFn: lossOf,
        ...extra,
        callbacks: [(e) => void (e.type === 'step' && got.push(e.lr))],
      });
      return got.map((v) => Number(v.toPrecision(12)));
    };
    const perStep = await lrs((o) => new StepLR(o, { stepSize: 2, gamma: 0.5 }), {
      schedulerInterval: 'step',
      epochs: 1,
    });
    assert.deepEqual(perStep, [0.1, 0.1, 0.05, 0.05]);
    const perEpoch = await lrs((o) => new StepLR(o, { stepSize: 1, gamma: 0.5 }), { epochs: 2 });
    assert.deepEqual(perEpoch, [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
    const plateau = await lrs((o) => new ReduceLROnPlateau(o, { patience: 0, factor: 0.5 }), {
      epochs: 3,
      evalFn: () => 1,
    });
    assert.deepEqual(plateau, [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
  });

  it('clips the gradient norm and reports the norm before clipping', async () => {
    const { steps } = await train({ gradClip: 1e-3, epochs: 1 });
    assert.ok(steps.every((s) => s.gradNorm !== null && s.gradNorm > 1e-3));
    const { model } = await train({ gradClip: { maxNorm: 1e-3, normType: 2 }, maxSteps: 1 });
    const fresh = new Reg();
    const moved = model.lin.weight.data.map((w, i) => (w - fresh.lin.weight.data[i]) ** 2);
    const bias = (model.lin.bias as Tensor).data[0] - (fresh.lin.bias as Tensor).data[0];
    assert.ok(Math.abs(Math.sqrt(moved[0] + moved[1] + bias ** 2) - 0.1 * 1e-3) < 1e-9);
  });

  it('saves snapshots every N steps, at epoch ends and at the end, with the loop state', async () => {
    const snaps: FitSnapshot[] = [];
    await train({ epochs: 2, checkpoint: { every: 3, atEpochEnd: true, save: (s) => void snaps.push(s) } });
    assert.deepEqual(
      snaps.map((s) => s.step),
      [3, 4, 6, 8],
    );
    const s = snaps[0];
    assert.equal(s.extra.fit.batch, 3);
    assert.equal(s.extra.fit.epoch, 0);
    assert.notEqual(s.extra.fit.rngEpochStart, null);
    assert.equal(snaps[1].extra.fit.epoch, 1);
    assert.equal(snaps[1].extra.fit.batch, 0);
    assert.equal(snaps[1].extra.fit.rngEpochStart, null);
    assert.equal(typeof s.metrics.loss, 'number');
    assert.equal((s.optimizer as { type: string }).type, 'SGD');
  });

  it('stops on abort and when a callback asks', async () => {
    const ac = new AbortController();
    const a = await train({
      epochs: 5,
      signal: ac.signal,
      callbacks: [(e) => void (e.type === 'step' && e.step === 3 && ac.abort())],
    });
    assert.equal(a.result.reason, 'aborted');
    assert.equal(a.result.step, 3);
    const b = await train({
      epochs: 5,
      callbacks: [
        async (e, c) => {
          await new Promise((r) => setTimeout(r, 1));
          if (e.type === 'step' && e.step === 2) c.stop();
        },
      ],
    });
    assert.equal(b.result.reason, 'callback');
    assert.equal(b.result.step, 2);
  });
});

describe('fit: NaN guard', () => {
  it("'stop' throws a NumericError naming the op and the step of a NaN loss", async () => {
    await assert.rejects(
      train({ epochs: 1 }, data({ 2: 'log' })),
      (e: unknown) =>
        e instanceof NumericError && /the loss is NaN at step 3 .*op 'log' produced NaN/.test(e.message),
    );
  });

  it("'stop' names the parameter and the op of a non-finite gradient", async () => {
    await assert.rejects(
      train({ epochs: 1 }, data({ 1: 'sqrt' })),
      (e: unknown) =>
        e instanceof NumericError &&
        /gradient of parameter 'lin\.weight' holds NaN at step 2 .*backward of op 'sqrt'/.test(e.message),
    );
    await assert.rejects(
      train({ epochs: 1, locateNanOp: false }, data({ 1: 'sqrt' })),
      (e: unknown) =>
        e instanceof NumericError && /holds NaN at step 2/.test(e.message) && !/of op/.test(e.message),
    );
  });

  it("'skip' skips the step, lowers the lr, reports it, and keeps training", async () => {
    const { result, events, optimizer } = await train(
      { epochs: 2, nanPolicy: 'skip', nanLrFactor: 0.25 },
      data({ 0: 'sqrt' }),
    );
    assert.equal(result.reason, 'epochs');
    assert.equal(result.skippedSteps, 2);
    assert.equal(optimizer.paramGroups[0].lr, 0.1 * 0.25 * 0.25);
    const nan = events.filter((e) => e.type === 'nan');
    assert.equal(nan.length, 2);
    assert.ok(nan[0].type === 'nan' && nan[0].op === 'sqrt' && nan[0].parameter === 'lin.weight');
    assert.ok(nan[0].type === 'nan' && nan[0].step === 1 && nan[0].lr === 0.025);
    assert.ok(events.some((e) => e.type === 'step' && e.step === 2));
    assert.ok(!events.some((e) => e.type === 'step' && e.step === 1));
  });

  it("'skip' gives up after maxNanSkips non-finite steps in a row", async () => {
    await assert.rejects(
      train({ epochs: 1, nanPolicy: 'skip', maxNanSkips: 2 }, data({ 0: 'log', 1: 'log', 2: 'log' })),
      (e: unknown) => e instanceof NumericError && /3 steps in a row/.test(e.message),
    );
  });
});

describe('fit: options', () => {
  it('refuses unknown and invalid options eagerly', async () => {
    const bad: [Partial<Opts> & Record<string, unknown>, RegExp][] = [
      [{ epoch: 3 }, /unknown option 'epoch'/],
      [{ evalEvery: 2 }, /evalEvery needs an evalFn/],
      [{ nanPolicy: 'ignore' as 'stop' }, /nanPolicy must be/],
      [{ maxSteps: 0 }, /maxSteps must be an integer >= 1/],
      [{ gradClip: -1 }, /gradClip must be/],
      [{ checkpoint: { every: 2 } as Opts['checkpoint'] }, /checkpoint must be/],
      [{ earlyStopping: { patience: 0 } }, /patience must be an integer >= 1/],
      [{ schedulerInterval: 'batch' as 'step' }, /schedulerInterval/],
    ];
    for (const [extra, re] of bad)
      await assert.rejects(train(extra), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  });

  it('needs a one-element loss and a monitored metric that exists', async () => {
    await assert.rejects(
      train({ lossFn: (m, b) => m.lin.forward(b.x) }),
      (e: unknown) => e instanceof ShapeError && /one element/.test(e.message),
    );
    await assert.rejects(
      train({ evalFn: () => ({ acc: 1 }), earlyStopping: { patience: 2 } }),
      (e: unknown) => e instanceof ConfigError && /'val_loss' is not among acc/.test(e.message),
    );
  });
});
