import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backwardMany } from '../autograd/backward.js';
import { gradcheck } from '../autograd/gradcheck.js';
import type { DType } from '../kernels/types.js';
import { randn } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { fusedSequence } from './fused-sequence.js';
import { referenceSequence } from './generic-reference.test-util.js';
import { genericSequence } from './generic-sequence.js';
import type { ActivationSpec, SequenceMode, SequenceOptions } from './sequence-types.js';

interface Variant {
  name: string;
  mode: SequenceMode;
  T?: number;
  B?: number;
  I?: number;
  H?: number;
  proj?: number;
  bias?: boolean;
  peep?: boolean;
  h0?: boolean;
  c0?: boolean;
  opts?: Partial<SequenceOptions>;
  lengths?: number[];
}

function gates(mode: SequenceMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

/** Random inputs of a variant; `requiresGrad` on all of them for gradchecks. */
function make(v: Variant, dtype: DType, seed: number) {
  const rng = new Rng(seed);
  const T = v.T ?? 4;
  const B = v.B ?? 2;
  const I = v.I ?? 3;
  const H = v.H ?? 3;
  const G = gates(v.mode);
  const Hout = v.proj ?? H;
  const r = (shape: number[], scale = 0.6) => {
    const t = randn(shape, { dtype, rng });
    for (let i = 0; i < t.size; i++) t.data[i] *= scale;
    t.requiresGrad = true;
    return t;
  };
  const bias = v.bias ?? true;
  return {
    T,
    B,
    I,
    x: r([T, B, I], 1),
    wIh: r([G * H, I]),
    wHh: r([G * H, Hout]),
    bIh: bias ? r([G * H]) : null,
    bHh: bias ? r([G * H]) : null,
    wHr: v.proj ? r([v.proj, H]) : null,
    peep: v.peep ? r([3 * H]) : null,
    h0: (v.h0 ?? true) ? r([B, Hout]) : null,
    c0: v.mode === 'LSTM' && (v.c0 ?? true) ? r([B, H], 1) : null,
    opts: {
      reverse: false,
      lengths: v.lengths ? Int32Array.from(v.lengths) : null,
      ...v.opts,
    } as SequenceOptions,
  };
}

type Made = ReturnType<typeof make>;

function run(v: Variant, m: Made) {
  return genericSequence(
    v.mode,
    m.x,
    { wIh: m.wIh, wHh: m.wHh, bIh: m.bIh, bHh: m.bHh, wHr: m.wHr, peep: m.peep },
    m.h0,
    m.c0,
    m.opts,
  );
}

function reference(v: Variant, m: Made) {
  const d = (t: Tensor | null) => (t ? t.data : null);
  return referenceSequence(
    v.mode,
    m.x.data,
    [m.T, m.B, m.I],
    { wIh: m.wIh.data, wHh: m.wHh.data, bIh: d(m.bIh), bHh: d(m.bHh), wHr: d(m.wHr), peep: d(m.peep) },
    d(m.h0),
    d(m.c0),
    { ...m.opts, lengths: m.opts.lengths },
  );
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const act = (kind: ActivationSpec['kind'], alpha?: number, beta?: number): ActivationSpec => ({
  kind,
  alpha,
  beta,
});
const ALL_ACTS: ActivationSpec[] = [
  act('relu'),
  act('tanh'),
  act('sigmoid'),
  act('affine', 0.75, 0.25),
  act('leakyrelu', 0.125),
  act('thresholdedrelu', 0.25),
  act('scaledtanh', 1.5, 0.625),
  act('hardsigmoid', 0.25, 0.5),
  act('elu', 0.75),
  act('softsign'),
  act('softplus'),
];

const VARIANTS: Variant[] = [
  { name: 'RNN tanh defaults', mode: 'RNN_TANH' },
  { name: 'RNN relu, no bias, no h0', mode: 'RNN_RELU', bias: false, h0: false },
  ...ALL_ACTS.map(
    (a): Variant => ({ name: `RNN activation ${a.kind}`, mode: 'RNN_TANH', opts: { activations: [a] } }),
  ),
  { name: 'RNN clip 0.5', mode: 'RNN_TANH', opts: { clip: 0.5 } },
  { name: 'GRU defaults (linearBeforeReset true)', mode: 'GRU' },
  { name: 'GRU linearBeforeReset false', mode: 'GRU', opts: { linearBeforeReset: false } },
  {
    name: 'GRU lbr false, clip 0.4, reverse',
    mode: 'GRU',
    opts: { linearBeforeReset: false, clip: 0.4, reverse: true },
  },
  {
    name: 'GRU activations hardsigmoid/softsign',
    mode: 'GRU',
    opts: { activations: [act('hardsigmoid', 0.3, 0.5), act('softsign')] },
  },
  {
    name: 'GRU activations elu/scaledtanh, lbr false',
    mode: 'GRU',
    opts: { activations: [act('sigmoid'), act('scaledtanh', 1.25, 0.75)], linearBeforeReset: false },
  },
  { name: 'LSTM defaults', mode: 'LSTM' },
  { name: 'LSTM peepholes', mode: 'LSTM', peep: true },
  { name: 'LSTM inputForget', mode: 'LSTM', opts: { inputForget: true } },
  {
    name: 'LSTM inputForget + peepholes, reverse',
    mode: 'LSTM',
    peep: true,
    opts: { inputForget: true, reverse: true },
  },
  { name: 'LSTM clip 0.7 with peepholes', mode: 'LSTM', peep: true, opts: { clip: 0.7 } },
  {
    name: 'LSTM activations hardsigmoid/scaledtanh/affine',
    mode: 'LSTM',
    opts: {
      activations: [act('hardsigmoid', 0.25, 0.5), act('scaledtanh', 1.5, 0.625), act('affine', 0.75, 0.125)],
    },
  },
  {
    name: 'LSTM activations softplus/elu/leakyrelu',
    mode: 'LSTM',
    opts: { activations: [act('sigmoid'), act('elu', 0.5), act('leakyrelu', 0.125)] },
  },
  { name: 'LSTM projection 2, no c0', mode: 'LSTM', proj: 2, c0: false },
  { name: 'LSTM forgetBias 1', mode: 'LSTM', opts: { forgetBias: 1 } },
  {
    name: 'LSTM projection + peepholes + clip, lengths',
    mode: 'LSTM',
    proj: 2,
    peep: true,
    B: 3,
    lengths: [4, 1, 3],
    opts: { clip: 0.8 },
  },
];

for (const mode of ['RNN_TANH', 'GRU', 'LSTM'] as const) {
  for (const dilation of [1, 2, 3]) {
    VARIANTS.push({ name: `${mode} dilation ${dilation}`, mode, T: 6, opts: { dilation } });
    VARIANTS.push({
      name: `${mode} dilation ${dilation}, lengths [6, 2, 5], reverse`,
      mode,
      T: 6,
      B: 3,
      lengths: [6, 2, 5],
      opts: { dilation, reverse: true },
    });
  }
  VARIANTS.push({ name: `${mode} lengths [3, 4, 1] forward`, mode, B: 3, lengths: [3, 4, 1] });
  VARIANTS.push({
    name: `${mode} lengths [2, 4, 3] reverse`,
    mode,
    B: 3,
    lengths: [2, 4, 3],
    opts: { reverse: true },
  });
}
VARIANTS.push({
  name: 'GRU lbr false, dilation 2, lengths, reverse, clip',
  mode: 'GRU',
  T: 5,
  B: 3,
  lengths: [5, 3, 4],
  opts: { dilation: 2, reverse: true, linearBeforeReset: false, clip: 0.6 },
});
VARIANTS.push({
  name: 'LSTM peepholes + inputForget, dilation 2, lengths',
  mode: 'LSTM',
  T: 5,
  B: 3,
  lengths: [2, 5, 4],
  peep: true,
  opts: { dilation: 2, inputForget: true },
});

describe('genericSequence forward equals the plain-JS reference loop', () => {
  for (const [i, v] of VARIANTS.entries()) {
    it(`${v.name} (float64 exact, float32 within 2e-6)`, () => {
      for (const dtype of ['float64', 'float32'] as const) {
        const m = make(v, dtype, 100 + i);
        const got = run(v, m);
        const ref = reference(v, m);
        const tol = dtype === 'float64' ? 1e-12 : 2e-6;
        assert.ok(maxDiff(got.output.data, ref.output) <= tol, `${dtype} output differs`);
        assert.ok(maxDiff(got.h.data, ref.h) <= tol, `${dtype} h differs`);
        if (ref.c) assert.ok(maxDiff((got.c as Tensor).data, ref.c) <= tol, `${dtype} c differs`);
        else assert.equal(got.c, null);
      }
    });
  }
});

describe('genericSequence gradients (float64 gradcheck of output, h and c)', () => {
  for (const [i, v] of VARIANTS.entries()) {
    it(v.name, () => {
      const m = make(v, 'float64', 500 + i);
      const names = ['x', 'wIh', 'wHh', 'bIh', 'bHh', 'wHr', 'peep', 'h0', 'c0'] as const;
      const present = names.filter((n) => m[n] !== null);
      const inputs = present.map((n) => m[n] as Tensor);
      const report = gradcheck(
        (...ts) => {
          const mm = { ...m } as Record<string, unknown>;
          present.forEach((n, k) => {
            mm[n] = ts[k];
          });
          const res = run(v, mm as Made);
          return res.c ? [res.output, res.h, res.c] : [res.output, res.h];
        },
        inputs,
        { atol: 1e-6, rtol: 1e-5 },
      );
      assert.ok(report.ok, `gradcheck failed: ${JSON.stringify(report)}`);
    });
  }
});

describe('genericSequence details', () => {
  it('zeroes outputs past each length and returns the state at each entry last step', () => {
    const v: Variant = { name: '', mode: 'GRU', T: 5, B: 2, lengths: [5, 2], opts: { reverse: true } };
    const m = make(v, 'float64', 7);
    const res = run(v, m);
    const H = 3;
    for (let t = 2; t < 5; t++)
      for (let j = 0; j < H; j++) assert.equal(res.output.data[(t * 2 + 1) * H + j], 0);
    // Reverse: the final state of entry 1 is its output at time 0.
    for (let j = 0; j < H; j++) assert.equal(res.h.data[H + j], res.output.data[H + j]);
  });

  it('with dilation d, the d interleaved chains are independent and each starts from h0', () => {
    // Steps 0, 2, 4 (chain 0) of a dilation-2 run equal a dilation-1 run over x[0], x[2], x[4].
    const v: Variant = { name: '', mode: 'LSTM', T: 5, B: 2, opts: { dilation: 2 } };
    const m = make(v, 'float64', 8);
    const full = run(v, m);
    const sub = new Tensor(new Float64Array(3 * 2 * 3), [3, 2, 3]);
    for (let k = 0; k < 3; k++) sub.data.set(m.x.data.subarray(2 * k * 6, 2 * k * 6 + 6), k * 6);
    const chain = run({ ...v, opts: {} }, { ...m, x: sub, T: 3, opts: { reverse: false, lengths: null } });
    for (let k = 0; k < 3; k++) {
      assert.ok(
        maxDiff(
          full.output.data.subarray(2 * k * 6, 2 * k * 6 + 6),
          chain.output.data.subarray(k * 6, k * 6 + 6),
        ) < 1e-15,
      );
    }
    // The final state is the state after the last step (t = 4, chain 0).
    assert.ok(maxDiff(full.h.data, chain.h.data) < 1e-15);
  });

  it('inputForget makes the forget peephole and forget weights irrelevant', () => {
    const v: Variant = { name: '', mode: 'LSTM', peep: true, opts: { inputForget: true } };
    const m = make(v, 'float64', 9);
    const a = run(v, m);
    for (let j = 6; j < 9; j++) m.peep!.data[j] += 1;
    for (let k = 9; k < 18; k++) m.wIh.data[k] += 1;
    const b = run(v, m);
    assert.equal(maxDiff(a.output.data, b.output.data), 0);
  });

  it('rejects bad shapes and options with named errors', () => {
    const v: Variant = { name: '', mode: 'LSTM' };
    const m = make(v, 'float64', 10);
    const p = { wIh: m.wIh, wHh: m.wHh, bIh: m.bIh, bHh: m.bHh };
    assert.throws(
      () => genericSequence('LSTM', m.x, p, m.h0, m.c0, { reverse: false, lengths: null, dilation: 0 }),
      (e: Error) =>
        e instanceof ConfigError && /opts\.dilation must be an integer >= 1, got 0/.test(e.message),
    );
    assert.throws(
      () =>
        genericSequence('LSTM', m.x, p, m.h0, m.c0, {
          reverse: false,
          lengths: null,
          activations: [act('tanh')],
        }),
      (e: Error) => e instanceof ConfigError && /activations for LSTM must list 3 functions/.test(e.message),
    );
    assert.throws(
      () => genericSequence('GRU', m.x, p, m.h0, null, { reverse: false, lengths: null }),
      (e: Error) => e instanceof ShapeError && /params\.wHh must be \[12, 4\]/.test(e.message),
    );
    assert.throws(
      () => genericSequence('LSTM', m.x, p, m.h0, m.c0, { reverse: false, lengths: Int32Array.from([1, 9]) }),
      (e: Error) => e instanceof ShapeError && /lengths\[1\] must be in \[0, 4\]/.test(e.message),
    );
    assert.throws(
      () => {
        const r = make({ name: '', mode: 'RNN_TANH' }, 'float64', 11);
        const rp = { wIh: r.wIh, wHh: r.wHh, bIh: null, bHh: null };
        genericSequence('RNN_TANH', r.x, rp, r.h0, null, {
          reverse: false,
          lengths: null,
          inputForget: true,
        });
      },
      (e: Error) => e instanceof ConfigError && /inputForget is only supported for LSTM/.test(e.message),
    );
    assert.throws(
      () =>
        genericSequence('LSTM', m.x, p, m.h0, m.c0, {
          reverse: false,
          lengths: null,
          activations: [act('tanh', 2), act('tanh'), act('tanh')],
        }),
      (e: Error) => e instanceof ConfigError && /'tanh' takes no alpha/.test(e.message),
    );
  });
});

describe('genericSequence with default options equals the fused PyTorch-standard path', () => {
  const cases: Variant[] = [
    { name: 'RNN_TANH', mode: 'RNN_TANH' },
    { name: 'RNN_RELU', mode: 'RNN_RELU' },
    { name: 'GRU', mode: 'GRU', B: 3, lengths: [4, 2, 3] },
    { name: 'GRU reverse', mode: 'GRU', B: 3, lengths: [1, 4, 3], opts: { reverse: true } },
    { name: 'LSTM', mode: 'LSTM', B: 3, lengths: [3, 4, 1] },
    { name: 'LSTM projection, reverse', mode: 'LSTM', proj: 2, opts: { reverse: true } },
  ];
  for (const [i, v] of cases.entries()) {
    it(`${v.name}: outputs and gradients agree in float64`, () => {
      const m = make(v, 'float64', 900 + i);
      const names = ['x', 'wIh', 'wHh', 'bIh', 'bHh', 'wHr', 'h0', 'c0'] as const;
      const results = [genericSequence, fusedSequence].map((fn) => {
        for (const n of names) if (m[n]) (m[n] as Tensor).grad = null;
        const p = { wIh: m.wIh, wHh: m.wHh, bIh: m.bIh, bHh: m.bHh, wHr: m.wHr };
        const r = fn(v.mode, m.x, p, m.h0 as Tensor, m.c0, m.opts);
        const outs = r.c ? [r.output, r.h, r.c] : [r.output, r.h];
        const seeds = outs.map(
          (o) =>
            new Tensor(
              Float64Array.from(o.data, (_, k) => Math.sin(k + 1)),
              o.shape,
            ),
        );
        backwardMany(outs, seeds);
        return { outs: outs.map((o) => o.data), grads: names.map((n) => m[n]?.grad?.data ?? null) };
      });
      const [g, f] = results;
      for (const [k, o] of g.outs.entries()) assert.ok(maxDiff(o, f.outs[k]) < 1e-12, `output ${k}`);
      g.grads.forEach((gr, k) => {
        if (gr === null) return;
        assert.ok(maxDiff(gr, f.grads[k] as ArrayLike<number>) < 1e-11, `gradient of ${names[k]}`);
      });
    });
  }
});
