// The packed recurrent weights are kept with the weight tensor between calls (fused-common.ts
// packedWeight): a second forward must reuse them, and any recorded in-place change (an optimizer
// step, loadStateDict, an initializer: all call markChanged) must be seen by the next forward.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noGrad } from '../autograd/grad-mode.js';
import { getBackend, setBackend } from '../kernels/registry.js';
import { randn } from '../tensor/random.js';
import { Rng } from '../util/rng.js';
import { GRU } from './gru.js';
import { LSTM } from './lstm.js';
import { RNN } from './rnn.js';
import type { RNNBase } from './rnn-base.js';

function outputOf(layer: RNNBase, x: ReturnType<typeof randn>): Float32Array {
  return Float32Array.from(noGrad(() => layer.forward(x)).output.data);
}

for (const backend of ['ts', 'wasm'] as const) {
  describe(`packed recurrent weights are reused until the weights change (${backend})`, () => {
    const make: [string, (seed: number) => RNNBase][] = [
      ['LSTM', (s) => new LSTM(5, 12, { rng: new Rng(s) })],
      ['LSTM projected', (s) => new LSTM(5, 12, { projSize: 4, rng: new Rng(s) })],
      ['GRU', (s) => new GRU(5, 12, { rng: new Rng(s) })],
      ['RNN', (s) => new RNN(5, 12, { rng: new Rng(s) })],
    ];
    for (const [name, layer] of make) {
      for (const batch of [1, 3]) {
        it(`${name}, batch ${batch}: same output twice, new weights seen after markChanged`, () => {
          const prev = getBackend();
          setBackend(backend);
          try {
            const x = randn([4, batch, 5], { rng: new Rng(9) });
            const a = layer(1);
            const b = layer(2);
            const first = outputOf(a, x);
            assert.deepEqual(outputOf(a, x), first, 'a second call gives the same numbers');
            const wB = outputOf(b, x);
            // Copy b's weights into a in place, as an optimizer would, and record the change.
            const sb = b.stateDict();
            for (const [k, t] of a.stateDict()) {
              t.data.set((sb.get(k) as typeof t).data);
              t.markChanged();
            }
            assert.deepEqual(outputOf(a, x), wB, "after markChanged a computes with b's weights");
            // loadStateDict is the other way weights change.
            a.loadStateDict(layer(1).stateDict());
            assert.deepEqual(outputOf(a, x), first, 'after loadStateDict the original weights again');
          } finally {
            setBackend(prev);
          }
        });
      }
    }
  });
}
