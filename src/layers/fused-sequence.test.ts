import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backwardMany } from '../autograd/backward.js';
import { noGrad } from '../autograd/grad-mode.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { fusedSequence } from './fused-sequence.js';
import { compositeSequence } from './sequence-twin.js';
import type { SequenceFn, SequenceMode, SequenceOptions, SequenceParams } from './sequence-types.js';

interface Setup {
  x: Tensor;
  params: SequenceParams;
  h0: Tensor;
  c0: Tensor | null;
}

/** Random float64 inputs for one layer and direction; every tensor requires grad. */
function setup(
  mode: SequenceMode,
  T: number,
  B: number,
  I: number,
  H: number,
  opts: { proj?: number; bias?: boolean; seed?: number } = {},
): Setup {
  const rng = new Rng(opts.seed ?? 7);
  const G = mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
  const P = opts.proj ?? H;
  const r = (shape: number[], scale = 0.5) => {
    const t = randn(shape, { dtype: 'float64', rng });
    for (let i = 0; i < t.size; i++) t.data[i] *= scale;
    t.requiresGrad = true;
    return t;
  };
  const bias = opts.bias ?? true;
  return {
    x: r([T, B, I], 1),
    params: {
      wIh: r([G * H, I]),
      wHh: r([G * H, P]),
      bIh: bias ? r([G * H]) : null,
      bHh: bias ? r([G * H]) : null,
      wHr: opts.proj ? r([P, H]) : null,
    },
    h0: r([B, P]),
    c0: mode === 'LSTM' ? r([B, H]) : null,
  };
}

function leaves(s: Setup): Tensor[] {
  const p = s.params;
  return [s.x, p.wIh, p.wHh, p.bIh, p.bHh, p.wHr, s.h0, s.c0].filter((t): t is Tensor => t instanceof Tensor);
}

/** Runs `fn`, seeds the backward with fixed random projections, returns outputs and leaf gradients. */
function runWithGrads(
  fn: SequenceFn,
  mode: SequenceMode,
  s: Setup,
  opts: SequenceOptions,
): { values: Float64Array[]; grads: Float64Array[] } {
  for (const t of leaves(s)) t.grad = null;
  const res = fn(mode, s.x, s.params, s.h0, s.c0, opts);
  const outs = [res.output, res.h, ...(res.c ? [res.c] : [])];
  const rng = new Rng(99);
  const seeds = outs.map((o) => randn(o.shape as number[], { dtype: 'float64', rng }));
  backwardMany(outs, seeds);
  return {
    values: outs.map((o) => o.data as Float64Array),
    grads: leaves(s).map((t) => (t.grad?.data as Float64Array) ?? new Float64Array(t.size)),
  };
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    assert.ok(e <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]} (error ${e})`);
  }
}

const MODES: SequenceMode[] = ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'];

const VARIANTS: {
  name: string;
  reverse: boolean;
  lengths: number[] | null;
  proj?: number;
  bias?: boolean;
}[] = [
  { name: 'forward', reverse: false, lengths: null },
  { name: 'reverse', reverse: true, lengths: null },
  { name: 'packed unsorted lengths', reverse: false, lengths: [3, 5, 1, 4] },
  { name: 'packed reverse', reverse: true, lengths: [2, 5, 5, 1] },
  { name: 'no bias', reverse: false, lengths: null, bias: false },
];

describe('fused sequence ops equal their composite twin (float64)', () => {
  for (const mode of MODES) {
    const variants =
      mode === 'LSTM'
        ? [...VARIANTS, { name: 'projection packed reverse', reverse: true, lengths: [4, 2, 5, 3], proj: 2 }]
        : VARIANTS;
    for (const v of variants) {
      it(`${mode} ${v.name}: outputs, states and every gradient`, () => {
        const s = setup(mode, 5, 4, 3, 3, { proj: v.proj, bias: v.bias });
        const opts: SequenceOptions = {
          reverse: v.reverse,
          lengths: v.lengths ? Int32Array.from(v.lengths) : null,
        };
        const fused = runWithGrads(fusedSequence, mode, s, opts);
        const twin = runWithGrads(compositeSequence, mode, s, opts);
        fused.values.forEach((a, i) => {
          assertClose(a, twin.values[i], 1e-12, `output ${i}`);
        });
        fused.grads.forEach((g, i) => {
          assertClose(g, twin.grads[i], 1e-12, `gradient of leaf ${i}`);
        });
      });
    }
  }
});

describe('fused sequence ops pass a finite-difference gradcheck (float64)', () => {
  for (const mode of MODES) {
    const cases: [string, SequenceOptions, number | undefined][] = [
      ['reverse', { reverse: true, lengths: null }, undefined],
      ['packed', { reverse: false, lengths: Int32Array.from([3, 1, 4]) }, undefined],
    ];
    if (mode === 'LSTM')
      cases.push(['projection packed reverse', { reverse: true, lengths: Int32Array.from([2, 4, 3]) }, 2]);
    for (const [name, opts, proj] of cases) {
      it(`${mode} ${name}`, () => {
        const s = setup(mode, 4, 3, 2, 3, { proj, seed: 3 });
        const ins = leaves(s);
        const report = gradcheck(
          (...t: Tensor[]) => {
            const [x, wIh, wHh, bIh, bHh, ...rest] = t;
            const wHr = proj ? rest.shift() : null;
            const h0 = rest[0];
            const c0 = mode === 'LSTM' ? rest[1] : null;
            const r = fusedSequence(mode, x, { wIh, wHh, bIh, bHh, wHr }, h0, c0, opts);
            return [r.output, r.h, ...(r.c ? [r.c] : [])];
          },
          ins,
          { eps: 1e-6, atol: 1e-7, rtol: 1e-5 },
        );
        assert.ok(report.ok, JSON.stringify(report));
      });
    }
  }
});

describe('packed sequences (lengths)', () => {
  it('all lengths equal to seqLen give exactly the unpacked result', () => {
    for (const mode of MODES) {
      const s = setup(mode, 4, 3, 2, 3);
      const a = runWithGrads(fusedSequence, mode, s, { reverse: true, lengths: Int32Array.from([4, 4, 4]) });
      const b = runWithGrads(fusedSequence, mode, s, { reverse: true, lengths: null });
      a.values.forEach((v, i) => {
        assert.deepEqual(v, b.values[i]);
      });
      a.grads.forEach((g, i) => {
        assert.deepEqual(g, b.grads[i]);
      });
    }
  });

  it('outputs past a length are zero, padding inputs get zero gradient, h is the state at the own last step', () => {
    for (const mode of MODES) {
      const T = 5;
      const B = 3;
      const H = 3;
      const lengths = [2, 5, 1];
      const s = setup(mode, T, B, 2, H);
      const r = runWithGrads(fusedSequence, mode, s, { reverse: false, lengths: Int32Array.from(lengths) });
      const out = r.values[0];
      const gx = r.grads[0];
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          const row = (t * B + b) * H;
          if (t >= lengths[b]) {
            for (let j = 0; j < H; j++) assert.equal(out[row + j], 0, `${mode} output[${t}, ${b}]`);
            for (let j = 0; j < 2; j++) assert.equal(gx[(t * B + b) * 2 + j], 0, `${mode} dx[${t}, ${b}]`);
          } else if (t === lengths[b] - 1) {
            // forward direction: h_n of row b is the output at its last valid step
            for (let j = 0; j < H; j++) assert.equal(r.values[1][b * H + j], out[row + j]);
          }
        }
      }
    }
  });

  it('a length-1 sequence in the reverse direction sees only its first element', () => {
    const s = setup('GRU', 4, 2, 2, 3);
    const full = fusedSequence('GRU', s.x, s.params, s.h0, null, {
      reverse: true,
      lengths: Int32Array.from([1, 4]),
    });
    // Row 0 alone, with a sequence of one step.
    const x0 = new Tensor(Float64Array.from(s.x.data.subarray(0, 2)), [1, 1, 2]);
    const h00 = new Tensor(Float64Array.from(s.h0.data.subarray(0, 3)), [1, 3]);
    const one = fusedSequence('GRU', x0, s.params, h00, null, { reverse: true, lengths: null });
    assertClose(full.h.data.subarray(0, 3), one.h.data, 0, 'h');
    assertClose(full.output.data.subarray(0, 3), one.output.data, 0, 'output[0]');
  });

  it('rejects lengths that are too long, zero, fractional or of the wrong count', () => {
    const s = setup('RNN_TANH', 3, 2, 2, 2);
    const run = (l: number[]) =>
      fusedSequence('RNN_TANH', s.x, s.params, s.h0, null, { reverse: false, lengths: Int32Array.from(l) });
    assert.throws(() => run([4, 1]), ShapeError);
    assert.throws(() => run([0, 1]), ShapeError);
    assert.throws(() => run([1]), ShapeError);
  });
});

describe('fused op lifecycle', () => {
  it('records no node and keeps nothing without requiresGrad or under noGrad', () => {
    const s = setup('LSTM', 3, 2, 2, 3);
    const r = noGrad(() =>
      fusedSequence('LSTM', s.x, s.params, s.h0, s.c0, { reverse: false, lengths: null }),
    );
    assert.equal(r.output.gradFn, null);
    assert.equal(r.output.requiresGrad, false);
  });

  it('a second backward through the same node is a clear error', () => {
    const s = setup('LSTM', 3, 2, 2, 3);
    const r = fusedSequence('LSTM', s.x, s.params, s.h0, s.c0, { reverse: false, lengths: null });
    const seed = randn([3, 2, 3], { dtype: 'float64' });
    backwardMany([r.output], [seed]);
    assert.throws(() => backwardMany([r.output], [seed]), ConfigError);
  });

  it('a weight changed in place between forward and backward is a clear error', () => {
    const s = setup('GRU', 3, 2, 2, 3);
    const r = fusedSequence('GRU', s.x, s.params, s.h0, null, { reverse: false, lengths: null });
    s.params.wHh.markChanged();
    assert.throws(() => backwardMany([r.h], [randn([2, 3], { dtype: 'float64' })]), /modified in place/);
  });

  it('float32 matches float64 to float32 precision', () => {
    for (const mode of MODES) {
      const s = setup(mode, 4, 3, 2, 3);
      const to32 = (t: Tensor | null | undefined) =>
        t ? new Tensor(Float32Array.from(t.data), t.shape) : null;
      const p = s.params;
      const r64 = fusedSequence(mode, s.x, p, s.h0, s.c0, {
        reverse: true,
        lengths: Int32Array.from([4, 2, 3]),
      });
      const p32 = { wIh: to32(p.wIh)!, wHh: to32(p.wHh)!, bIh: to32(p.bIh), bHh: to32(p.bHh) };
      const r32 = fusedSequence(mode, to32(s.x)!, p32, to32(s.h0)!, to32(s.c0), {
        reverse: true,
        lengths: Int32Array.from([4, 2, 3]),
      });
      assert.equal(r32.output.dtype, 'float32');
      assertClose(r32.output.data, r64.output.data, 1e-5, `${mode} output`);
    }
  });
});
