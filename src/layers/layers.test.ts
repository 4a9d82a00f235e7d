import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backwardMany } from '../autograd/backward.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { transpose } from '../ops/shape.js';
import { randn } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { ConfigError, DTypeError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { genericSequence } from './generic-sequence.js';
import { GRU } from './gru.js';
import { LSTM } from './lstm.js';
import { RNN } from './rnn.js';

const f64 = (shape: number[], seed: number, requiresGrad = false) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad });

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

describe('layer shapes and parameters', () => {
  it('LSTM bidirectional with projection: output, h, c shapes and PyTorch parameter names in order', () => {
    const lstm = new LSTM(3, 5, {
      numLayers: 2,
      bidirectional: true,
      projSize: 2,
      dtype: 'float64',
      rng: new Rng(1),
    });
    const names = lstm.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    const layer = (k: number, sfx: string, inK: number) => [
      `weight_ih_l${k}${sfx}:20x${inK}`,
      `weight_hh_l${k}${sfx}:20x2`,
      `bias_ih_l${k}${sfx}:20`,
      `bias_hh_l${k}${sfx}:20`,
      `weight_hr_l${k}${sfx}:2x5`,
    ];
    assert.deepEqual(names, [
      ...layer(0, '', 3),
      ...layer(0, '_reverse', 3),
      ...layer(1, '', 4),
      ...layer(1, '_reverse', 4),
    ]);
    const r = lstm.forward(f64([6, 4, 3], 2));
    assert.deepEqual(r.output.shape, [6, 4, 4]);
    assert.deepEqual(r.h.shape, [4, 4, 2]);
    assert.deepEqual(r.c.shape, [4, 4, 5]);
  });

  it('GRU and RNN shapes; c is null; bias=false registers no bias', () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 3, dtype: 'float64' });
    const g = gru.forward(f64([2, 5, 3], 3));
    assert.deepEqual(g.output.shape, [2, 5, 4]);
    assert.deepEqual(g.h.shape, [3, 5, 4]);
    assert.equal(g.c, null);
    const rnn = new RNN(3, 4, { bias: false, nonlinearity: 'relu' });
    assert.deepEqual(
      rnn.namedParameters().map(([n]) => n),
      ['weight_ih_l0', 'weight_hh_l0'],
    );
    assert.deepEqual(rnn.forward(randn([2, 1, 3])).h.shape, [1, 1, 4]);
  });

  it('toString names the sizes, the non-default options and the parameter count', () => {
    assert.equal(
      new LSTM(64, 256, { numLayers: 2 }).toString(),
      'LSTM(64, 256, numLayers=2)  # 856,064 parameters',
    );
    assert.equal(
      new RNN(3, 4, { nonlinearity: 'relu', bidirectional: true, batchFirst: true }).toString(),
      "RNN(3, 4, nonlinearity='relu', batchFirst=true, bidirectional=true)  # 72 parameters",
    );
    assert.equal(new GRU(2, 3, { bias: false }).toString(), 'GRU(2, 3, bias=false)  # 45 parameters');
  });

  it('initializes in U(-1/sqrt(H), 1/sqrt(H)) and the same seed gives the same weights', () => {
    const a = new GRU(4, 16, { rng: new Rng(5) });
    const b = new GRU(4, 16, { rng: new Rng(5) });
    for (const [n, p] of a.namedParameters()) {
      assert.ok(
        p.data.every((v) => Math.abs(v) <= 0.25),
        n,
      );
      assert.deepEqual(p.data, b.stateDict().get(n)?.data);
    }
  });

  it('stateDict / loadStateDict round-trip by PyTorch names', () => {
    const a = new LSTM(3, 4, { numLayers: 2, bidirectional: true, rng: new Rng(1) });
    const b = new LSTM(3, 4, { numLayers: 2, bidirectional: true, rng: new Rng(2) });
    b.loadStateDict(a.stateDict());
    const x = randn([3, 2, 3], { rng: new Rng(3) });
    assert.deepEqual(a.forward(x).output.data, b.forward(x).output.data);
  });
});

describe('layer options and input validation', () => {
  it('names the expected and received input shape', () => {
    const lstm = new LSTM(8, 4);
    assert.throws(
      () => lstm.forward(randn([5, 3, 7])),
      (e: Error) =>
        e instanceof ShapeError &&
        e.message === 'LSTM.forward: input must be [seqLen, batch, 8] (inputSize 8), got [5, 3, 7]',
    );
    assert.throws(() => lstm.forward(randn([5, 8])), ShapeError);
    assert.throws(
      () => new LSTM(8, 4, { batchFirst: true }).forward(randn([5, 3, 7])),
      /\[batch, seqLen, 8\]/,
    );
  });

  it('checks h0, c0, dtype and lengths', () => {
    const lstm = new LSTM(2, 3, { numLayers: 2 });
    const x = randn([4, 2, 2]);
    assert.throws(() => lstm.forward(x, { h0: randn([1, 2, 3]) }), /h0 must be \[2, 2, 3\]/);
    assert.throws(() => lstm.forward(x, { c0: randn([2, 2, 2]) }), ShapeError);
    assert.throws(() => new GRU(2, 3).forward(x, { c0: randn([1, 2, 3]) }), ConfigError);
    assert.throws(() => lstm.forward(randn([4, 2, 2], { dtype: 'float64' })), DTypeError);
    assert.throws(() => lstm.forward(x, { lengths: [5, 1] }), /lengths\[0\] must be an integer in \[1, 4\]/);
    assert.throws(() => lstm.forward(x, { lengths: [0, 1] }), ShapeError);
    assert.throws(() => lstm.forward(x, { lengths: [1, 2, 3] }), /one entry per batch element/);
    assert.throws(() => lstm.forward(x, { lengths: [1.5, 2] }), ShapeError);
  });

  it('rejects bad options eagerly', () => {
    assert.throws(() => new LSTM(3, 4, { projSize: 4 }), /projSize must be smaller than hiddenSize/);
    assert.throws(
      () => new GRU({ inputSize: 3, hiddenSize: 4, projSize: 2 } as never),
      /projSize applies to LSTM only/,
    );
    assert.throws(() => new RNN(3, 4, { dropout: 1, numLayers: 2 }), /dropout must be a number in \[0, 1\)/);
    assert.throws(() => new RNN(3, 4, { dropout: -0.1, numLayers: 2 }), ConfigError);
    assert.throws(() => new RNN(3, 4, { dropout: 0.5 }), /numLayers=1/);
    assert.throws(() => new RNN(3.5, 4), /inputSize must be an integer/);
    assert.throws(() => new LSTM(3, 0), /hiddenSize must be an integer >= 1/);
    assert.throws(() => new LSTM(3, 4, { numLayers: 0 }), ConfigError);
    assert.throws(() => new RNN(3, 4, { nonlinearity: 'sigmoid' as never }), /nonlinearity/);
    assert.throws(
      () => new RNN({ inputSize: 3, hiddenSize: 4, peepholes: true } as never),
      /peepholes applies to LSTM only/,
    );
    assert.throws(
      () => new GRU({ inputSize: 3, hiddenSize: 4, hiden: 3 } as never),
      /unknown option 'hiden'/,
    );
    assert.throws(() => new LSTM(3, 4, { clip: -1 }), /clip must be a positive/);
    assert.throws(() => new LSTM(3, 4, { dilation: 0 }), /dilation/);
    assert.throws(
      () => new LSTM(3, 4, { activations: ['sigmoid', 'tanh'] }),
      /activations must be an array of 3/,
    );
    assert.throws(
      () => new LSTM(3, 4, { activations: ['sigmoid', 'tanh', 'cosh' as never] }),
      /activations\[2\]/,
    );
    assert.throws(
      () => new GRU(3, 4, { linearBeforeReset: 'no' as never }),
      /linearBeforeReset must be true or false/,
    );
  });
});

describe('layer semantics', () => {
  it('batchFirst gives the transposed result of the same weights', () => {
    const a = new GRU(3, 4, { bidirectional: true, numLayers: 2, rng: new Rng(1), dtype: 'float64' });
    const b = new GRU(3, 4, {
      bidirectional: true,
      numLayers: 2,
      rng: new Rng(1),
      dtype: 'float64',
      batchFirst: true,
    });
    const x = f64([5, 2, 3], 4);
    const ra = a.forward(x, { lengths: [3, 5] });
    const rb = b.forward(transpose(x, 0, 1), { lengths: [3, 5] });
    assert.deepEqual(rb.output.shape, [2, 5, 8]);
    assertClose(transpose(rb.output, 0, 1).data, ra.output.data, 0, 'output');
    assertClose(rb.h.data, ra.h.data, 0, 'h');
  });

  it('a two-layer bidirectional packed LSTM passes gradcheck through the whole layer', () => {
    const lstm = new LSTM(2, 3, {
      numLayers: 2,
      bidirectional: true,
      projSize: 2,
      dtype: 'float64',
      rng: new Rng(2),
    });
    const params = lstm.parameters();
    const x = f64([3, 2, 2], 5, true);
    const h0 = f64([4, 2, 2], 6, true);
    const c0 = f64([4, 2, 3], 7, true);
    const report = gradcheck(
      (xi, hi, ci) => {
        const r = lstm.forward(xi, { h0: hi, c0: ci, lengths: [3, 1] });
        return [r.output, r.h, r.c];
      },
      [x, h0, c0],
    );
    assert.ok(report.ok, JSON.stringify(report));
    assert.ok(params.every((p) => p.grad !== null));
  });

  it('dropout between layers acts only in training mode and is seeded', () => {
    const make = () => new RNN(3, 6, { numLayers: 2, dropout: 0.5, rng: new Rng(3), dtype: 'float64' });
    const x = f64([4, 2, 3], 8);
    const a = make();
    const b = make();
    assert.deepEqual(a.forward(x).output.data, b.forward(x).output.data);
    const trained = a.forward(x).output.data;
    a.eval();
    b.eval();
    const e1 = a.forward(x).output.data;
    assert.deepEqual(e1, b.forward(x).output.data);
    assert.notDeepEqual(trained, e1);
  });

  it('truncated BPTT: detached states chain chunks to the full-sequence forward, and no gradient crosses', () => {
    const lstm = new LSTM(2, 3, { dtype: 'float64', rng: new Rng(4) });
    const x = f64([6, 2, 2], 9);
    const full = lstm.forward(x);
    const first = new Tensor(x.data.slice(0, 3 * 2 * 2), [3, 2, 2]);
    const second = new Tensor(x.data.slice(3 * 2 * 2), [3, 2, 2], true);
    const r1 = lstm.forward(first);
    const h = r1.h.detach();
    const c = r1.c.detach();
    const r2 = lstm.forward(second, { h0: h, c0: c });
    assertClose(r2.output.data, full.output.data.subarray(3 * 2 * 3), 1e-15, 'second chunk output');
    assertClose(r2.h.data, full.h.data, 1e-15, 'final h');
    lstm.zeroGrad();
    backwardMany([r2.output], [f64([3, 2, 3], 10)]);
    assert.equal(h.grad, null);
    assert.equal(r1.h.grad, null);
    assert.ok(second.grad !== null);
  });

  it("variant options run on the generic sequence path with the layer's options", () => {
    const lstm = new LSTM(2, 3, { peepholes: true, clip: 2, bidirectional: true, dtype: 'float64' });
    assert.ok(lstm.namedParameters().some(([n, p]) => n === 'weight_p_l0_reverse' && p.shape[0] === 9));
    const x = f64([4, 1, 2], 21);
    const got = lstm.forward(x);
    const p = new Map(lstm.namedParameters());
    const dir = (sfx: string, reverse: boolean) =>
      genericSequence(
        'LSTM',
        x,
        {
          wIh: p.get(`weight_ih_l0${sfx}`)!,
          wHh: p.get(`weight_hh_l0${sfx}`)!,
          bIh: p.get(`bias_ih_l0${sfx}`)!,
          bHh: p.get(`bias_hh_l0${sfx}`)!,
          peep: p.get(`weight_p_l0${sfx}`)!,
        },
        new Tensor(new Float64Array(3), [1, 3]),
        new Tensor(new Float64Array(3), [1, 3]),
        { reverse, lengths: null, clip: 2 },
      );
    const fwd = dir('', false);
    const rev = dir('_reverse', true);
    for (let t = 0; t < 4; t++) {
      for (let j = 0; j < 3; j++) {
        assert.equal(got.output.data[t * 6 + j], fwd.output.data[t * 3 + j]);
        assert.equal(got.output.data[t * 6 + 3 + j], rev.output.data[t * 3 + j]);
      }
    }
    // Default-valued variant options stay on the fused path.
    const plain = new GRU(2, 3, { linearBeforeReset: true, dilation: 1, activations: ['sigmoid', 'tanh'] });
    assert.deepEqual(plain.forward(randn([2, 1, 2])).output.shape, [2, 1, 3]);
  });
});

describe('variant option validation at construction', () => {
  it('rejects forgetBias together with inputForget', () => {
    assert.throws(
      () => new LSTM({ inputSize: 2, hiddenSize: 3, inputForget: true, forgetBias: 1 }),
      /forgetBias has no effect with inputForget/,
    );
  });
  it('rejects alpha on an activation that takes none', () => {
    assert.throws(
      () => new RNN({ inputSize: 2, hiddenSize: 3, activations: [{ kind: 'tanh', alpha: 2 }] }),
      ConfigError,
    );
  });
});
