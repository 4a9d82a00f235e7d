import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backwardMany } from '../autograd/backward.js';
import { GRUCell } from '../cells/gru-cell.js';
import type { DType } from '../kernels/types.js';
import { genericSequence } from '../layers/generic-sequence.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import { randn } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { RTRL } from './rtrl.js';
import type { RTRLMode } from './rtrl-params.js';

const G: Record<RTRLMode, number> = { RNN_TANH: 1, RNN_RELU: 1, GRU: 3, LSTM: 4 };
const T = 6;
const B = 2;
const I = 3;
const H = 4;

function setup(mode: RTRLMode, dtype: DType, seed: number, bias = true) {
  const rng = new Rng(seed);
  const r = (shape: number[], s = 0.5) => {
    const t = randn(shape, { dtype, rng });
    for (let i = 0; i < t.size; i++) t.data[i] *= s;
    return t;
  };
  const params = {
    weight_ih_l0: r([G[mode] * H, I]),
    weight_hh_l0: r([G[mode] * H, H]),
    bias_ih_l0: bias ? r([G[mode] * H]) : null,
    bias_hh_l0: bias ? r([G[mode] * H]) : null,
  };
  return {
    params,
    x: r([T, B, I], 1),
    h0: r([B, H]),
    c0: mode === 'LSTM' ? r([B, H]) : null,
    seeds: r([T, B, H], 1),
    seedC: r([B, H], 1),
  };
}

/** Row t of a [T, B, n] tensor as a [B, n] tensor. */
function rowOf(t: Tensor, k: number): Tensor {
  const n = t.size / t.shape[0];
  return new Tensor(t.data.slice(k * n, (k + 1) * n), t.shape.slice(1));
}

/** RTRL over the whole sequence with dL/dh_t = seeds[t] (and dL/dc_T = seedC at the end). */
function rtrlGrads(mode: RTRLMode, s: ReturnType<typeof setup>, withC: boolean): Record<string, Tensor> {
  const r = new RTRL(s.params, { mode });
  r.reset(s.h0, s.c0);
  for (let t = 0; t < T; t++) {
    r.step(rowOf(s.x, t));
    r.accumulate(rowOf(s.seeds, t), withC && t === T - 1 ? s.seedC : null);
  }
  return r.gradients();
}

/** BPTT through genericSequence with the same loss. */
function bpttGrads(mode: RTRLMode, s: ReturnType<typeof setup>, withC: boolean): Record<string, Tensor> {
  const p = s.params;
  for (const t of Object.values(p)) if (t) t.requiresGrad = true;
  const res = genericSequence(
    mode,
    s.x,
    { wIh: p.weight_ih_l0, wHh: p.weight_hh_l0, bIh: p.bias_ih_l0, bHh: p.bias_hh_l0 },
    s.h0,
    s.c0,
    { reverse: false, lengths: null },
  );
  const roots = [res.output];
  const seeds = [s.seeds];
  if (withC && res.c) {
    roots.push(res.c);
    seeds.push(s.seedC);
  }
  backwardMany(roots, seeds);
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(p)) {
    if (t) {
      out[k] = t.grad as Tensor;
      t.grad = null;
      t.requiresGrad = false;
    }
  }
  return out;
}

function maxDiff(a: Record<string, Tensor>, b: Record<string, Tensor>): number {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  let m = 0;
  for (const k of Object.keys(a))
    for (let i = 0; i < a[k].size; i++) m = Math.max(m, Math.abs(a[k].data[i] - b[k].data[i]));
  return m;
}

describe('RTRL', () => {
  for (const mode of ['RNN_TANH', 'RNN_RELU', 'GRU', 'LSTM'] as const) {
    it(`${mode}: gradients equal BPTT's within 1e-9 (float64)`, () => {
      const s = setup(mode, 'float64', 10 + G[mode]);
      const a = rtrlGrads(mode, s, mode === 'LSTM');
      const b = bpttGrads(mode, s, mode === 'LSTM');
      assert.ok(maxDiff(a, b) < 1e-9, `max diff ${maxDiff(a, b)}`);
    });
  }

  it('without biases, and in float32 (within 1e-4 of BPTT)', () => {
    const s = setup('GRU', 'float64', 3, false);
    assert.ok(maxDiff(rtrlGrads('GRU', s, false), bpttGrads('GRU', s, false)) < 1e-9);
    const s32 = setup('LSTM', 'float32', 4);
    assert.ok(maxDiff(rtrlGrads('LSTM', s32, true), bpttGrads('LSTM', s32, true)) < 1e-4);
  });

  for (const mode of ['RNN_TANH', 'GRU', 'LSTM'] as const) {
    it(`${mode}: gradients match central finite differences of the loss`, () => {
      const s = setup(mode, 'float64', 20 + G[mode]);
      const loss = (): number => {
        const r = new RTRL(s.params, { mode });
        r.reset(s.h0, s.c0);
        let l = 0;
        for (let t = 0; t < T; t++) {
          const h = r.step(rowOf(s.x, t));
          const g = rowOf(s.seeds, t);
          for (let i = 0; i < h.size; i++) l += h.data[i] * g.data[i];
        }
        return l;
      };
      const grads = rtrlGrads(mode, s, false);
      const eps = 1e-6;
      for (const [name, p] of Object.entries(s.params)) {
        if (!p) continue;
        for (let i = 0; i < p.size; i++) {
          const v = p.data[i];
          p.data[i] = v + eps;
          const lp = loss();
          p.data[i] = v - eps;
          const lm = loss();
          p.data[i] = v;
          const num = (lp - lm) / (2 * eps);
          assert.ok(
            Math.abs(grads[name].data[i] - num) <= 1e-6 + 1e-5 * Math.abs(num),
            `${name}[${i}]: ${grads[name].data[i]} vs ${num}`,
          );
        }
      }
    });
  }

  it('takes a layer or a cell, names gradients like PyTorch and writes them to .grad', () => {
    const lstm = new LSTM(I, H, { dtype: 'float64' });
    const r = new RTRL(lstm);
    assert.equal(r.mode, 'LSTM');
    assert.equal(r.numParams, 4 * H * (I + H + 2));
    const x = randn([B, I], { dtype: 'float64', rng: new Rng(1) });
    r.step(x);
    r.accumulate(randn([B, H], { dtype: 'float64', rng: new Rng(2) }));
    assert.deepEqual(Object.keys(r.gradients()), [
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
    ]);
    r.applyToGrads();
    assert.deepEqual(
      Array.from(lstm.parameters()[0].grad?.data ?? []),
      Array.from(r.gradients().weight_ih_l0.data),
    );
    const cell = new GRUCell(I, H, { dtype: 'float64' });
    assert.deepEqual(Object.keys(new RTRL(cell).gradients()), [
      'weight_ih',
      'weight_hh',
      'bias_ih',
      'bias_hh',
    ]);
    assert.equal(new RTRL(new RNN(I, H, { nonlinearity: 'relu' })).mode, 'RNN_RELU');
  });

  it('learns online: updating the weights after every step lowers the loss on a fixed sequence', () => {
    const gru = new GRU(2, 3, { dtype: 'float64', rng: new Rng(5) });
    const xs = randn([8, 1, 2], { dtype: 'float64', rng: new Rng(6) });
    const target = randn([8, 1, 3], { dtype: 'float64', rng: new Rng(7) });
    for (let i = 0; i < target.size; i++) target.data[i] *= 0.5;
    const r = new RTRL(gru);
    const epoch = (learn: boolean): number => {
      r.reset();
      let l = 0;
      for (let t = 0; t < 8; t++) {
        const h = r.step(rowOf(xs, t));
        const d = new Tensor(new Float64Array(3), [1, 3]);
        for (let j = 0; j < 3; j++) {
          const e = h.data[j] - target.data[t * 3 + j];
          l += 0.5 * e * e;
          d.data[j] = e;
        }
        if (!learn) continue;
        r.zeroGrad();
        r.accumulate(d);
        for (const [name, g] of Object.entries(r.gradients())) {
          const p = gru.stateDict().get(name) as Tensor;
          for (let i = 0; i < p.size; i++) p.data[i] -= 0.2 * g.data[i];
        }
      }
      return l;
    };
    const before = epoch(false);
    for (let k = 0; k < 30; k++) epoch(true);
    assert.ok(epoch(false) < 0.5 * before);
  });

  it('rejects what it cannot run exactly', () => {
    assert.throws(
      () => new RTRL(new LSTM(2, 3, { numLayers: 2 })),
      (e: Error) => e instanceof ConfigError && /numLayers 1/.test(e.message),
    );
    assert.throws(
      () => new RTRL(new LSTM(2, 3, { peepholes: true })),
      /variant options are not supported \(the layer uses peepholes\)/,
    );
    assert.throws(
      () => new RTRL(new GRU(2, 3), { mode: 'LSTM' }),
      /options.mode is LSTM but the module is GRU/,
    );
    const s = setup('GRU', 'float64', 1);
    assert.throws(() => new RTRL(s.params), /options.mode must be/);
    const r = new RTRL(s.params, { mode: 'GRU' });
    assert.throws(() => r.step(randn([B, I + 1], { dtype: 'float64' })), ShapeError);
  });
});
