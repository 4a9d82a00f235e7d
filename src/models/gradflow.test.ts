import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mse } from '../ops/loss.js';
import { sum } from '../ops/reduce.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import { gradientFlow, gradientProbe } from './gradflow.js';
import { addingProblem, addingTensors } from './long-range.js';
import { type CellKind, SequenceModel } from './sequence-model.js';

function addingFlow(cell: CellKind, T: number) {
  const model = new SequenceModel(
    { cell, inputSize: 2, hiddenSize: 16, outputSize: 1, gateInit: 'forget-bias' },
    { rng: new Rng(1) },
  );
  const b = addingProblem(new Rng(2), 8, T, { fixedLength: true });
  const t = addingTensors(b);
  const flow = gradientFlow(model.rnn, t.input, (hs) =>
    mse(model.head.forward(hs[hs.length - 1]), t.target, { reduction: 'sum' }),
  );
  return { model, t, b, flow };
}

describe('gradientProbe', () => {
  it('is the identity forward and passes the gradient on while recording it', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    let seen: number[] = [];
    const y = gradientProbe(x, (g) => {
      seen = Array.from(g.data);
    });
    assert.deepEqual(Array.from(y.data), [1, 2, 3]);
    sum(y, {}).backward();
    assert.deepEqual(seen, [1, 1, 1]);
    assert.deepEqual(Array.from(x.grad?.data ?? []), [1, 1, 1]);
  });
});

describe('gradientFlow', () => {
  it('gives one norm per step (and c norms for an LSTM) and leaves parameter gradients alone', () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      const { model, flow } = addingFlow(cell, 12);
      assert.equal(flow.steps, 12);
      assert.equal(flow.hNorm.length, 12);
      assert.equal(flow.cNorm === null, cell !== 'lstm');
      assert.ok(
        flow.hNorm.every((v) => Number.isFinite(v) && v > 0),
        `${cell}: ${flow.hNorm}`,
      );
      assert.ok(model.rnn.parameters().every((p) => p.grad === null));
    }
  });

  it('runs the layer on its own weights: the weight gradients equal the fused layer’s', () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      const { model, t, b } = addingFlow(cell, 10);
      const ref = mse(model.forwardLast(t.input, b.lengths), t.target, { reduction: 'sum' });
      ref.backward();
      const fused = model.rnn.parameters().map((p) => Float64Array.from(p.grad?.data ?? []));
      model.zeroGrad();
      // Same loss through the step-by-step path, keeping the gradients this time.
      const hs: Tensor[] = [];
      gradientFlow(model.rnn, t.input, (h) => {
        hs.push(...h);
        return mse(model.head.forward(h[h.length - 1]), t.target, { reduction: 'sum' });
      });
      const again = mse(model.head.forward(hs[hs.length - 1]), t.target, { reduction: 'sum' });
      again.backward();
      model.rnn.parameters().forEach((p, i) => {
        const g = p.grad?.data ?? [];
        for (let k = 0; k < g.length; k++)
          assert.ok(Math.abs(g[k] - fused[i][k]) < 1e-5, `${cell} param ${i}[${k}]`);
      });
    }
  });

  it('a vanilla RNN’s gradient decays faster than an LSTM’s (forget bias 1) on the adding task', () => {
    const T = 30;
    const rnn = addingFlow('rnn', T).flow.hNorm;
    const lstm = addingFlow('lstm', T).flow.hNorm;
    const ratio = (v: Float64Array) => v[0] / v[T - 1];
    assert.ok(ratio(rnn) < ratio(lstm) / 100, `rnn ${ratio(rnn)} vs lstm ${ratio(lstm)}`);
  });
});
