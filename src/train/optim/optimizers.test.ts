import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getBackend, kernels, setBackend } from '../../kernels/registry.js';
import { type NestedArray, Tensor, tensor } from '../../tensor/tensor.js';
import { CheckpointError, ConfigError } from '../../util/errors.js';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `expected ${b}, got ${a} (diff ${a - b})`);

/** A one-value float64 parameter. */
const scalarParam = (v: number) => tensor([v], { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, ...g: number[]) => {
  p.grad = tensor(g, { dtype: 'float64' });
};

/** Runs steps with the given gradients on a one-value parameter; returns p after each step. */
function run<O extends { lr: number }>(
  make: (p: Tensor) => Optimizer<O & { maximize: boolean }>,
  p0: number,
  grads: number[],
) {
  const p = scalarParam(p0);
  const opt = make(p);
  return grads.map((g) => {
    setGrad(p, g);
    opt.step();
    return p.data[0];
  });
}

describe('SGD', () => {
  it('plain: p -= lr * g', () => {
    const [p1, p2] = run((p) => new SGD([p], { lr: 0.1 }), 1, [0.5, -2]);
    close(p1, 0.95);
    close(p2, 1.15);
  });
  it('momentum: buf = g on the first step, then momentum * buf + g', () => {
    const [p1, p2, p3] = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9 }), 1, [0.5, 0.5, 0.5]);
    close(p1, 0.95); // buf 0.5
    close(p2, 0.855); // buf 0.95
    close(p3, 0.855 - 0.1 * (0.9 * 0.95 + 0.5)); // buf 1.355
  });
  it('dampening applies from the second step on (the first buffer is the raw gradient)', () => {
    const [p1, p2] = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 }), 1, [0.5, 0.5]);
    close(p1, 0.95); // buf 0.5
    close(p2, 0.88); // buf 0.9 * 0.5 + 0.5 * 0.5 = 0.7
  });
  it('nesterov: g + momentum * buf', () => {
    const [p1, p2] = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), 1, [0.5, 0.5]);
    close(p1, 0.905); // buf 0.5, step 0.5 + 0.45
    close(p2, 0.7695); // buf 0.95, step 0.5 + 0.855
  });
  it('weight decay adds weightDecay * p to the gradient before momentum', () => {
    const [p1, p2] = run((p) => new SGD([p], { lr: 0.1, momentum: 0.5, weightDecay: 0.1 }), 2, [1, 1]);
    close(p1, 2 - 0.1 * 1.2); // g = 1 + 0.2 = 1.2 = buf
    const g2 = 1 + 0.1 * p1;
    close(p2, p1 - 0.1 * (0.5 * 1.2 + g2));
  });
  it('maximize ascends', () => {
    const [p1] = run((p) => new SGD([p], { lr: 0.1, maximize: true }), 1, [0.5]);
    close(p1, 1.05);
  });
  it('rejects nesterov without momentum, negative lr and unknown options', () => {
    const p = scalarParam(1);
    assert.throws(() => new SGD([p], { nesterov: true }), /nesterov needs momentum > 0/);
    assert.throws(
      () => new SGD([p], { lr: -1 }),
      (e: Error) => e instanceof ConfigError && /SGD: lr must be/.test(e.message),
    );
    assert.throws(() => new SGD([p], { momentun: 0.9 } as never), /unknown option 'momentun'/);
    assert.throws(() => new SGD([], {}), /empty parameter list/);
  });
});

describe('Adam and AdamW', () => {
  /** The textbook formula, written out (Kingma and Ba, Algorithm 1, PyTorch's eps placement). */
  function adamRef(
    p0: number,
    grads: number[],
    lr: number,
    b1: number,
    b2: number,
    eps: number,
    wd = 0,
    decoupled = false,
  ) {
    let p = p0;
    let m = 0;
    let v = 0;
    return grads.map((g0, k) => {
      const t = k + 1;
      if (decoupled) p = p * (1 - lr * wd);
      const g = decoupled ? g0 : g0 + wd * p;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      const mHat = m / (1 - b1 ** t);
      const vHat = v / (1 - b2 ** t);
      p = p - (lr * mHat) / (Math.sqrt(vHat) + eps);
      return p;
    });
  }
  it('bias correction: the first step moves by lr * sign(g)', () => {
    const [p1] = run((p) => new Adam([p], { lr: 0.1 }), 1, [0.5]);
    close(p1, 1 - (0.1 * 0.5) / (0.5 + 1e-8));
  });
  it('matches the formula over three steps with changing gradients', () => {
    const grads = [0.5, -1, 0.25];
    const got = run((p) => new Adam([p], { lr: 0.1, betas: [0.8, 0.99], eps: 1e-6 }), 1, grads);
    const want = adamRef(1, grads, 0.1, 0.8, 0.99, 1e-6);
    for (const [i, g] of got.entries()) close(g, want[i]);
  });
  it('Adam weight decay is an L2 term in the gradient', () => {
    const grads = [0.5, -1];
    const got = run((p) => new Adam([p], { lr: 0.1, weightDecay: 0.5 }), 2, grads);
    for (const [i, w] of adamRef(2, grads, 0.1, 0.9, 0.999, 1e-8, 0.5).entries()) close(got[i], w);
  });
  it('AdamW decays the weights first, decoupled from the moments', () => {
    const grads = [0.5, -1];
    const got = run((p) => new AdamW([p], { lr: 0.1, weightDecay: 0.5 }), 2, grads);
    const want = adamRef(2, grads, 0.1, 0.9, 0.999, 1e-8, 0.5, true);
    for (const [i, g] of got.entries()) close(g, want[i]);
    // First step: p = 2 * (1 - 0.05) - 0.1 * (1 - tiny)
    close(got[0], 1.9 - (0.1 * 0.5) / (0.5 + 1e-8));
    assert.equal(new AdamW([scalarParam(0)]).paramGroups[0].weightDecay, 0.01);
  });
  it('amsgrad keeps the largest second moment', () => {
    const p = scalarParam(1);
    const opt = new Adam([p], { lr: 0.1, amsgrad: true, betas: [0.5, 0.5] });
    setGrad(p, 2);
    opt.step();
    setGrad(p, 0);
    opt.step();
    const s = opt.stateDict().state['0'].buffers;
    close(s.expAvgSq[0], 1); // 0.5 * 2 + 0
    close(s.maxExpAvgSq[0], 2);
  });

  it('on the wasm backend, moves float32 parameters and moments into wasm memory, with the same numbers', () => {
    const steps = (backend: 'ts' | 'wasm') => {
      const prev = getBackend();
      setBackend(backend);
      try {
        const w = tensor(
          Array.from({ length: 37 }, (_, i) => Math.cos(i)),
          { requiresGrad: true },
        );
        const b = tensor([0.5, -0.25], { requiresGrad: true });
        const before = w.data;
        const opt = new AdamW([w, b], { lr: 0.01, amsgrad: true });
        for (let t = 1; t <= 5; t++) {
          w.grad = tensor(Array.from({ length: 37 }, (_, i) => Math.sin(i * t)));
          b.grad = t === 3 ? null : tensor([t, -t]); // b skips a step: its own step count
          opt.step();
        }
        const st = opt.stateDict().state;
        return { w, b, before, st, K: kernels() };
      } finally {
        setBackend(prev);
      }
    };
    const ts = steps('ts');
    const wasm = steps('wasm');
    assert.equal(ts.w.data, ts.before, 'the ts backend keeps the array');
    assert.notEqual(wasm.w.data, wasm.before, 'the wasm backend moved it');
    assert.ok(wasm.K.resident(wasm.w.data) && wasm.K.resident(wasm.b.data));
    assert.equal(wasm.st['1'].step, 4);
    for (const [x, y] of [
      [wasm.w.data, ts.w.data],
      [wasm.b.data, ts.b.data],
      [wasm.st['0'].buffers.expAvg, ts.st['0'].buffers.expAvg],
      [wasm.st['0'].buffers.maxExpAvgSq, ts.st['0'].buffers.maxExpAvgSq],
    ])
      for (let i = 0; i < x.length; i++) close(x[i], y[i], 2e-6);
  });
});

describe('RMSprop', () => {
  it('plain: sq = alpha sq + (1 - alpha) g^2; p -= lr g / (sqrt(sq) + eps)', () => {
    const [p1, p2] = run((p) => new RMSprop([p], { lr: 0.01, alpha: 0.9 }), 1, [2, 1]);
    const sq1 = 0.1 * 4;
    close(p1, 1 - (0.01 * 2) / (Math.sqrt(sq1) + 1e-8));
    const sq2 = 0.9 * sq1 + 0.1;
    close(p2, p1 - 0.01 / (Math.sqrt(sq2) + 1e-8));
  });
  it('centered subtracts the squared mean gradient; momentum accumulates g / avg', () => {
    const [p1, p2] = run(
      (p) => new RMSprop([p], { lr: 0.01, alpha: 0.9, centered: true, momentum: 0.5 }),
      1,
      [2, 1],
    );
    const sq1 = 0.4;
    const ga1 = 0.2;
    const b1 = 2 / (Math.sqrt(sq1 - ga1 * ga1) + 1e-8);
    close(p1, 1 - 0.01 * b1);
    const sq2 = 0.9 * sq1 + 0.1;
    const ga2 = 0.9 * ga1 + 0.1;
    const b2 = 0.5 * b1 + 1 / (Math.sqrt(sq2 - ga2 * ga2) + 1e-8);
    close(p2, p1 - 0.01 * b2);
  });
});

describe('Adagrad', () => {
  it('accumulates squared gradients from initialAccumulatorValue, with lr decay', () => {
    const [p1, p2] = run(
      (p) => new Adagrad([p], { lr: 0.1, lrDecay: 0.5, initialAccumulatorValue: 1 }),
      1,
      [2, 1],
    );
    close(p1, 1 - (0.1 * 2) / (Math.sqrt(5) + 1e-10));
    close(p2, p1 - ((0.1 / 1.5) * 1) / (Math.sqrt(6) + 1e-10));
  });
});

describe('Optimizer behaviour', () => {
  it('parameter groups override the defaults per group; params with grad null are skipped', () => {
    const a = scalarParam(1);
    const b = scalarParam(1);
    const c = scalarParam(1);
    const opt = new SGD([{ params: [a], lr: 1 }, { params: [b, c] }], { lr: 0.1 });
    assert.equal(opt.paramGroups[0].lr, 1);
    assert.equal(opt.paramGroups[1].lr, 0.1);
    setGrad(a, 1);
    setGrad(b, 1);
    opt.step();
    assert.deepEqual([a.data[0], b.data[0], c.data[0]], [0, 0.9, 1]);
    assert.equal(c.version, 0);
    assert.ok(a.version > 0, 'markChanged() was called');
    opt.zeroGrad();
    assert.equal(a.grad, null);
    assert.throws(() => new SGD([{ params: [a] }, { params: [a] }]), /more than one group/);
  });
  it('float32 parameters keep float32 buffers', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new Adam([p]);
    p.grad = tensor([0.1, 0.2]);
    opt.step();
    assert.ok(opt.stateDict().state['0'].buffers.expAvg instanceof Float32Array);
  });
  for (const [name, make] of [
    ['SGD', (ps: Tensor[]) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true })],
    [
      'Adam',
      (ps: Tensor[]) =>
        new Adam([{ params: ps.slice(0, 1) }, { params: ps.slice(1), lr: 0.01 }], { amsgrad: true }),
    ],
    ['AdamW', (ps: Tensor[]) => new AdamW(ps, { lr: 0.01 })],
    ['RMSprop', (ps: Tensor[]) => new RMSprop(ps, { centered: true, momentum: 0.5 })],
    ['Adagrad', (ps: Tensor[]) => new Adagrad(ps, { lrDecay: 0.01 })],
  ] as const) {
    it(`${name}: stateDict/loadStateDict (through JSON + typed arrays) continues identically`, () => {
      const init: NestedArray[] = [
        [1, -2, 3],
        [
          [0.5, 0.25],
          [-1, 2],
        ],
      ];
      const mk = () => init.map((v) => tensor(v, { dtype: 'float64', requiresGrad: true }));
      const gradAt = (k: number, p: Tensor) => {
        const g = new Float64Array(p.size);
        for (let i = 0; i < g.length; i++) g[i] = Math.sin(3 * k + i) + 0.1 * p.data[i];
        p.grad = new Tensor(g, p.shape);
      };
      const stepAll = (opt: Optimizer<never>, ps: Tensor[], k: number) => {
        for (const p of ps) gradAt(k, p);
        opt.step();
      };
      const psA = mk();
      const optA = make(psA) as unknown as Optimizer<never>;
      for (let k = 0; k < 3; k++) stepAll(optA, psA, k);
      const sd = optA.stateDict();
      // Round trip the JSON part through a string, as a checkpoint does; buffers stay typed arrays.
      const json = JSON.parse(JSON.stringify({ ...sd, state: {} }));
      const restored = { ...json, state: sd.state };
      // A fresh optimizer over copies of the parameters, as after a restart.
      const psB = psA.map((p) => new Tensor(p.data.slice(), p.shape, true));
      const optB = make(psB) as unknown as Optimizer<never>;
      optB.loadStateDict(restored);
      for (let k = 3; k < 6; k++) {
        stepAll(optA, psA, k);
        stepAll(optB, psB, k);
      }
      for (const [i, p] of psA.entries()) assert.deepEqual(Array.from(psB[i].data), Array.from(p.data));
      assert.throws(() => optB.loadStateDict({ ...restored, type: 'Other' }), CheckpointError);
    });
  }
  it('loadStateDict rejects mismatched groups, buffer sizes and unknown buffers without changing anything', () => {
    const p = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = new Adam([p]);
    p.grad = tensor([1, 1], { dtype: 'float64' });
    opt.step();
    const sd = opt.stateDict();
    const bad1 = { ...sd, state: { '0': { step: 1, buffers: { expAvg: new Float64Array(3) } } } };
    assert.throws(() => opt.loadStateDict(bad1), /has 3 values, but parameter 0 \[2\] has 2/);
    const bad2 = { ...sd, state: { '0': { step: 1, buffers: { foo: new Float64Array(2) } } } };
    assert.throws(() => opt.loadStateDict(bad2), /unknown buffer 'foo'/);
    const bad3 = { ...sd, paramGroups: [{ ...sd.paramGroups[0], params: [0, 1] }] };
    assert.throws(() => opt.loadStateDict(bad3), /has 2 parameters/);
    const bad4 = { ...sd, paramGroups: [{ ...sd.paramGroups[0], betas: [1.5, 0.9] }] };
    assert.throws(
      () => opt.loadStateDict(bad4),
      (e: Error) => e instanceof CheckpointError && /betas\[0\]/.test(e.message),
    );
    assert.deepEqual(opt.stateDict(), sd);
  });
});

// PyTorch's own numbers: the first step of each optimizer run in the golden training cases.
// dist/src/train/optim/optimizers.test.js -> <repo>/../shared/golden
const goldenDir =
  process.env.RECUR_GOLDEN ?? fileURLToPath(new URL('../../../../../shared/golden/', import.meta.url));
describe('golden optimizer runs (PyTorch, float64), first step', {
  skip: !existsSync(goldenDir) && `no golden dir at ${goldenDir}`,
}, () => {
  const flat = (x: NestedArray): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
  for (const file of ['train_char_lm.json', 'train_gru_classifier.json', 'train_rnn_regression.json']) {
    it(file, () => {
      const c = JSON.parse(readFileSync(join(goldenDir, file), 'utf8'));
      const names: string[] = c.parameter_names;
      const makers: Record<string, (ps: Tensor[]) => Optimizer<never>> = {
        sgd: (ps) => new SGD(ps, { lr: 0.1 }) as unknown as Optimizer<never>,
        sgd_momentum: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }) as unknown as Optimizer<never>,
        adam: (ps) => new Adam(ps, { lr: 0.01 }) as unknown as Optimizer<never>,
        clip_sgd: (ps) => new SGD(ps, { lr: 0.1 }) as unknown as Optimizer<never>,
      };
      for (const [key, runCase] of Object.entries(c.optimizer_runs) as [
        string,
        { steps: Record<string, unknown>[] },
      ][]) {
        const ps = names.map((n) => tensor(c.parameters[n].data, { dtype: 'float64', requiresGrad: true }));
        ps.forEach((p, i) => {
          p.grad = tensor(c.gradients[names[i]].data, { dtype: 'float64' });
        });
        const opt = makers[key](ps);
        const step0 = runCase.steps[0];
        if (key === 'clip_sgd') {
          // Clip by hand here (clip.ts has its own test against these numbers).
          let total = 0;
          for (const p of ps) for (const g of p.grad!.data) total += g * g;
          total = Math.sqrt(total);
          close(total, step0.grad_total_norm_before_clip as number, 1e-12);
          const coef = Math.min(1, 0.5 / (total + 1e-6));
          for (const p of ps) for (let i = 0; i < p.size; i++) p.grad!.data[i] *= coef;
        }
        opt.step();
        const after = step0.parameters_after_step as Record<string, { data: NestedArray }>;
        names.forEach((n, i) => {
          const want = flat(after[n].data);
          for (const [j, v] of ps[i].data.entries()) close(v, want[j], 1e-10);
        });
      }
    });
  }
});
