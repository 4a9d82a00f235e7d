import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { EchoStateNetwork } from './esn.js';
import { csrMatVec, ridgeRegression, spectralRadius } from './linalg.js';

describe('EchoStateNetwork', () => {
  it('rescales the seeded reservoir to the requested spectral radius', () => {
    for (const rho of [0.5, 0.95, 1.2]) {
      const esn = new EchoStateNetwork({
        inputSize: 1,
        reservoirSize: 60,
        spectralRadius: rho,
        sparsity: 0.8,
        seed: 7,
      });
      // An independent estimate: another start vector, a longer run.
      const est = spectralRadius((x, y) => csrMatVec(esn.reservoir, x, y), 60, {
        rng: new Rng(99),
        iterations: 3000,
      });
      assert.ok(Math.abs(est - rho) < 0.02 * rho, `rho ${rho}: estimated ${est}`);
      assert.ok(esn.rawSpectralRadius > 0);
    }
  });

  it('is reproducible from its seed and differs across seeds', () => {
    const a = new EchoStateNetwork({ inputSize: 2, reservoirSize: 30, seed: 5 });
    const b = new EchoStateNetwork({ inputSize: 2, reservoirSize: 30, seed: 5 });
    const c = new EchoStateNetwork({ inputSize: 2, reservoirSize: 30, seed: 6 });
    assert.deepEqual(a.reservoir.val, b.reservoir.val);
    assert.deepEqual(a.inputWeights, b.inputWeights);
    assert.notDeepEqual(a.inputWeights, c.inputWeights);
  });

  it('forgets its initial state (echo state property) with spectral radius < 1', () => {
    const esn = new EchoStateNetwork({
      inputSize: 1,
      reservoirSize: 50,
      spectralRadius: 0.8,
      leakRate: 0.5,
      seed: 1,
    });
    const u = Float64Array.from({ length: 200 }, (_, t) => Math.sin(t / 4));
    const x0 = esn.initialState();
    const x1 = Float64Array.from({ length: 50 }, (_, i) => (i % 2 ? 0.9 : -0.9));
    const s0 = esn.run(u, 200, x0);
    const s1 = esn.run(u, 200, x1);
    const gap = (t: number) =>
      Math.hypot(...Array.from({ length: 50 }, (_, i) => s0[t * 50 + i] - s1[t * 50 + i]));
    assert.ok(gap(199) < 1e-6 * gap(0), `gap ${gap(0)} -> ${gap(199)}`);
  });

  it('leaky update: x(n) = (1 - a) x(n-1) + a tanh(W_in u + W x(n-1) + b) on a hand-checked step', () => {
    const esn = new EchoStateNetwork({
      inputSize: 1,
      reservoirSize: 3,
      sparsity: 0,
      leakRate: 0.3,
      biasScaling: 0.5,
      seed: 2,
    });
    const x = Float64Array.from([0.1, -0.2, 0.3]);
    const prev = x.slice();
    esn.step([0.7], x);
    const wx = new Float64Array(3);
    csrMatVec(esn.reservoir, prev, wx);
    for (let i = 0; i < 3; i++) {
      const want = 0.7 * prev[i] + 0.3 * Math.tanh(esn.inputWeights[i] * 0.7 + wx[i] + esn.bias[i]);
      assert.ok(Math.abs(x[i] - want) < 1e-15);
    }
  });

  it('forecasts a sine wave one step ahead with a ridge readout on teacher-forced states', () => {
    const esn = new EchoStateNetwork({
      inputSize: 1,
      reservoirSize: 80,
      spectralRadius: 0.9,
      sparsity: 0.8,
      ridge: 1e-8,
      seed: 3,
    });
    const T = 600;
    const u = Float64Array.from({ length: T + 1 }, (_, t) => Math.sin(t * 0.3) * 0.8);
    const states = esn.run(u.subarray(0, T), T);
    const washout = 100;
    const rows = T - washout;
    const feats = esn.features(states.subarray(washout * 80), u.subarray(washout, T), rows);
    esn.fitReadout(feats, u.subarray(washout + 1, T + 1), rows, 1);
    const pred = esn.predict(feats, rows);
    let se = 0;
    for (let r = 0; r < rows; r++) se += (pred[r] - u[washout + 1 + r]) ** 2;
    assert.ok(Math.sqrt(se / rows) < 1e-3, `rmse ${Math.sqrt(se / rows)}`);
    // The readout is the ridge solution on those features.
    const ref = ridgeRegression(feats, u.subarray(washout + 1, T + 1), rows, esn.featureSize, 1, 1e-8);
    assert.deepEqual(esn.readout?.weight, ref.weight);
    const again = EchoStateNetwork.fromJSON(JSON.parse(JSON.stringify(esn.toJSON())));
    assert.deepEqual(again.predict(feats, rows), pred);
  });

  it('classifies sequences by frequency from the mean state, and from the last state', () => {
    const rng = new Rng(4);
    const make = (n: number) =>
      Array.from({ length: n }, (_, k) => {
        const label = k % 2;
        const f = label ? 0.9 : 0.35;
        const ph = rng.uniform() * 6;
        const len = 30 + rng.int(10);
        return {
          input: Float64Array.from({ length: len }, (_, t) => Math.sin(f * t + ph)),
          length: len,
          label,
        };
      });
    const train = make(60);
    const test = make(40);
    // A bias breaks tanh's odd symmetry: without one, the mean state of any zero-mean input is ~0.
    for (const pooling of ['mean', 'last'] as const) {
      const esn = new EchoStateNetwork({
        inputSize: 1,
        reservoirSize: 40,
        spectralRadius: 0.9,
        biasScaling: 1,
        ridge: 1e-4,
        seed: 8,
      });
      const acc = esn.fitClassifier(
        train,
        train.map((s) => s.label),
        2,
        { pooling, washout: 5 },
      );
      assert.equal(acc, 1, `${pooling}: train accuracy`);
      const pred = esn.classify(test, { pooling, washout: 5 });
      const ok = test.filter((s, i) => pred[i] === s.label).length;
      assert.ok(ok >= 38, `${pooling}: test ${ok}/40`);
    }
  });

  it('validates its options eagerly', () => {
    assert.throws(() => new EchoStateNetwork({ inputSize: 1, reservoirSize: 10, leakRate: 0 }), ConfigError);
    assert.throws(() => new EchoStateNetwork({ inputSize: 1, reservoirSize: 10, sparsity: 1 }), ConfigError);
    assert.throws(
      () => new EchoStateNetwork({ inputSize: 1, reservoirSize: 10, spectral: 1 } as never),
      /unknown option 'spectral'/,
    );
    assert.match(
      new EchoStateNetwork({ inputSize: 1, reservoirSize: 10 }).toString(),
      /^EchoStateNetwork\(1, 10, spectralRadius=0.9/,
    );
  });
});
