import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backwardMany } from '../autograd/backward.js';
import { GRUCell } from '../cells/gru-cell.js';
import { LSTMCell } from '../cells/lstm-cell.js';
import { RNNCell } from '../cells/rnn-cell.js';
import { select, stack } from '../ops/join.js';
import { randn } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import { GRU } from './gru.js';
import { LSTM } from './lstm.js';
import { RNN } from './rnn.js';
import type { RNNBase } from './rnn-base.js';

const f64 = (shape: number[], seed: number) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad: true });

type AnyCell = RNNCell | LSTMCell | GRUCell;

/** The layer's l0 parameters copied into the cell (names differ only by the `_l0` suffix). */
function cellFromLayer(layer: RNNBase, cell: AnyCell): void {
  const src = layer.stateDict();
  const dst = new Map<string, Tensor>();
  for (const [n] of cell.namedParameters()) dst.set(n, src.get(`${n}_l0`) as Tensor);
  cell.loadStateDict(dst);
}

describe('a cell looped over time equals the layer', () => {
  const layers: [string, () => RNNBase, () => AnyCell][] = [
    [
      'RNN tanh',
      () => new RNN(3, 4, { dtype: 'float64', rng: new Rng(1) }),
      () => new RNNCell(3, 4, { dtype: 'float64' }),
    ],
    [
      'RNN relu',
      () => new RNN(3, 4, { nonlinearity: 'relu', dtype: 'float64', rng: new Rng(1) }),
      () => new RNNCell(3, 4, { nonlinearity: 'relu', dtype: 'float64' }),
    ],
    [
      'LSTM',
      () => new LSTM(3, 4, { dtype: 'float64', rng: new Rng(1) }),
      () => new LSTMCell(3, 4, { dtype: 'float64' }),
    ],
    [
      'GRU',
      () => new GRU(3, 4, { dtype: 'float64', rng: new Rng(1) }),
      () => new GRUCell(3, 4, { dtype: 'float64' }),
    ],
  ];
  for (const [name, makeLayer, makeCell] of layers) {
    it(`${name}: the cell looped over time equals the layer, values and gradients`, () => {
      const layer = makeLayer();
      const cell = makeCell();
      cellFromLayer(layer, cell);
      const x = f64([5, 2, 3], 3);
      const h0 = f64([1, 2, 4], 4);
      const c0 = f64([1, 2, 4], 5);
      const isLstm = cell instanceof LSTMCell;
      const r = layer.forward(x, { h0, c0: isLstm ? c0 : undefined });
      const seed = randn([5, 2, 4], { dtype: 'float64', rng: new Rng(6) });
      backwardMany([r.output], [seed]);
      const layerGrads = layer.parameters().map((p) => p.grad?.data.slice());
      const gx = x.grad?.data.slice();
      x.grad = null;

      // biome-ignore lint/suspicious/noExplicitAny: the three cells share step(x, state) with their own state types
      let state: any = isLstm ? { h: select(h0, 0, 0), c: select(c0, 0, 0) } : { h: select(h0, 0, 0) };
      const outs: Tensor[] = [];
      for (let t = 0; t < 5; t++) {
        state = (cell as LSTMCell).step(select(x, 0, t), state);
        outs.push(state.h);
      }
      const out = stack(outs, 0);
      for (let i = 0; i < out.size; i++) assert.ok(Math.abs(out.data[i] - r.output.data[i]) < 1e-14);
      backwardMany([out], [seed]);
      cell.parameters().forEach((p, i) => {
        const g = layerGrads[i] as Float64Array;
        for (let j = 0; j < g.length; j++)
          assert.ok(Math.abs((p.grad?.data[j] ?? 0) - g[j]) < 1e-13, `param ${i}[${j}]`);
      });
      for (let j = 0; j < (gx as Float64Array).length; j++)
        assert.ok(Math.abs(((x.grad as Tensor | null)?.data[j] ?? 0) - (gx as Float64Array)[j]) < 1e-13);
    });
  }
});
