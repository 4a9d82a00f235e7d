import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { GRUCell } from './gru-cell.js';
import { LSTMCell } from './lstm-cell.js';
import { RNNCell } from './rnn-cell.js';

const f64 = (shape: number[], seed: number) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad: true });

type AnyCell = RNNCell | LSTMCell | GRUCell;

describe('cells', () => {
  it('use PyTorch parameter names and shapes', () => {
    const shapes = (c: AnyCell) => c.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    assert.deepEqual(shapes(new LSTMCell(3, 5)), [
      'weight_ih:20x3',
      'weight_hh:20x5',
      'bias_ih:20',
      'bias_hh:20',
    ]);
    assert.deepEqual(shapes(new GRUCell(3, 5, { bias: false })), ['weight_ih:15x3', 'weight_hh:15x5']);
    assert.deepEqual(shapes(new RNNCell({ inputSize: 2, hiddenSize: 4 })), [
      'weight_ih:4x2',
      'weight_hh:4x4',
      'bias_ih:4',
      'bias_hh:4',
    ]);
    assert.equal(new LSTMCell(3, 5).toString(), 'LSTMCell(3, 5)  # 200 parameters');
    assert.equal(
      new RNNCell(2, 4, { nonlinearity: 'relu', bias: false }).toString(),
      "RNNCell(2, 4, bias=false, nonlinearity='relu')  # 24 parameters",
    );
  });

  it('initialState is zeros of [batch, hiddenSize]; step without a state starts from it', () => {
    const cell = new LSTMCell(3, 4, { rng: new Rng(1) });
    const s = cell.initialState(2);
    assert.deepEqual(s.h.shape, [2, 4]);
    assert.ok(s.c.data.every((v) => v === 0));
    const x = randn([2, 3], { rng: new Rng(2) });
    assert.deepEqual(cell.step(x).h.data, cell.step(x, s).h.data);
  });

  it('validate input and state shapes', () => {
    const cell = new GRUCell(3, 4);
    assert.throws(() => cell.step(randn([2, 5])), /x must be \[batch, 3\] \(inputSize 3\), got \[2, 5\]/);
    assert.throws(() => cell.step(randn([2, 3]), { h: randn([3, 4]) }), ShapeError);
    assert.throws(() => new LSTMCell(0, 3), /inputSize/);
  });

  const cells: [string, () => AnyCell][] = [
    ['RNN tanh', () => new RNNCell(3, 4, { dtype: 'float64' })],
    ['RNN relu', () => new RNNCell(3, 4, { nonlinearity: 'relu', dtype: 'float64' })],
    ['LSTM', () => new LSTMCell(3, 4, { dtype: 'float64' })],
    ['GRU', () => new GRUCell(3, 4, { dtype: 'float64' })],
  ];
  for (const [name, makeCell] of cells) {
    it(`${name}: one cell step passes gradcheck`, () => {
      const cell = makeCell();
      const x = f64([2, 3], 7);
      const h = f64([2, 4], 8);
      const c = f64([2, 4], 9);
      const isLstm = cell instanceof LSTMCell;
      const report = gradcheck(
        (xi, hi, ci) => {
          if (isLstm) {
            const s = (cell as LSTMCell).step(xi, { h: hi, c: ci });
            return [s.h, s.c];
          }
          return (cell as GRUCell).step(xi, { h: hi }).h;
        },
        [x, h, c, ...cell.parameters()],
      );
      assert.ok(report.ok, JSON.stringify(report));
    });
  }
});
