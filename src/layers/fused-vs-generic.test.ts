import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backwardMany } from '../autograd/backward.js';
import { randn } from '../tensor/random.js';
import { Rng } from '../util/rng.js';
import './generic-sequence.js';
import { GRU } from './gru.js';
import { LSTM } from './lstm.js';
import { RNN } from './rnn.js';
import type { RNNBase } from './rnn-base.js';

// A variant option at a value that changes nothing (clip far above every pre-activation) routes
// the layer through the generic sequence path; its numbers must be the fused path's.
describe('fused path and generic path agree when the variant is a no-op', () => {
  const cases: [string, (extra: object) => RNNBase][] = [
    [
      'LSTM with projection',
      (e) =>
        new LSTM(3, 4, {
          numLayers: 2,
          bidirectional: true,
          projSize: 2,
          dtype: 'float64',
          rng: new Rng(1),
          ...e,
        }),
    ],
    [
      'GRU',
      (e) => new GRU(3, 4, { numLayers: 2, bidirectional: true, dtype: 'float64', rng: new Rng(1), ...e }),
    ],
    [
      'RNN relu',
      (e) =>
        new RNN(3, 4, {
          numLayers: 2,
          bidirectional: true,
          nonlinearity: 'relu',
          dtype: 'float64',
          rng: new Rng(1),
          ...e,
        }),
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}, packed: outputs and parameter gradients`, () => {
      const run = (layer: RNNBase) => {
        const x = randn([5, 2, 3], { dtype: 'float64', rng: new Rng(2), requiresGrad: true });
        const r = layer.forward(x, { lengths: [5, 2] });
        backwardMany(
          [r.output, r.h],
          [
            randn(r.output.shape as number[], { dtype: 'float64', rng: new Rng(3) }),
            randn(r.h.shape as number[], { dtype: 'float64', rng: new Rng(4) }),
          ],
        );
        return [r.output.data, r.h.data, x.grad?.data, ...layer.parameters().map((p) => p.grad?.data)];
      };
      const a = run(make({}));
      const b = run(make({ clip: 1e9 }));
      a.forEach((v, i) => {
        assert.ok(v && b[i]);
        for (let j = 0; j < v.length; j++)
          assert.ok(Math.abs(v[j] - (b[i] as Float64Array)[j]) < 1e-12, `${i}[${j}]`);
      });
    });
  }
});
