import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randn } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { ConfigError, DTypeError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { genericSequence } from './generic-sequence.js';
import { onnx } from './onnx-node.js';

const rnd = (shape: number[], rng: Rng) => randn(shape, { dtype: 'float64', rng });

/** LSTM inputs, layout 0: seq 4, batch 2, input 3, hidden 2, both directions. */
function lstmInputs(seed: number): Record<'X' | 'W' | 'R' | 'B' | 'initial_h' | 'initial_c' | 'P', Tensor> {
  const rng = new Rng(seed);
  return {
    X: rnd([4, 2, 3], rng),
    W: rnd([2, 8, 3], rng),
    R: rnd([2, 8, 2], rng),
    B: rnd([2, 16], rng),
    initial_h: rnd([2, 2, 2], rng),
    initial_c: rnd([2, 2, 2], rng),
    P: rnd([2, 6], rng),
  };
}

function transpose01(t: Tensor): Tensor {
  const [a, b, ...rest] = t.shape;
  const inner = rest.reduce((p, q) => p * q, 1);
  const out = new Float64Array(t.size);
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++)
      out.set(t.data.subarray((i * b + j) * inner, (i * b + j + 1) * inner), (j * a + i) * inner);
  return new Tensor(out, [b, a, ...rest]);
}

describe('onnx.runNode', () => {
  it('maps LSTM gates i, o, f, c and B = [Wb, Rb] onto the PyTorch layout of genericSequence', () => {
    const inp = lstmInputs(1);
    const res = onnx.runNode(
      { opType: 'LSTM', attributes: { hidden_size: 2 } },
      { X: inp.X, W: sliceDir(inp.W), R: sliceDir(inp.R), B: sliceDir(inp.B) },
    );
    // Reorder by hand: ONNX blocks [i, o, f, c] -> PyTorch [i, f, g, o].
    const H = 2;
    const perm = [0, 2, 3, 1];
    const reorder = (src: Float64Array, cols: number) => {
      const out = new Float64Array(src.length);
      for (let k = 0; k < 4; k++)
        out.set(src.subarray(perm[k] * H * cols, (perm[k] + 1) * H * cols), k * H * cols);
      return out;
    };
    const W = sliceDir(inp.W).data as Float64Array;
    const R = sliceDir(inp.R).data as Float64Array;
    const B = sliceDir(inp.B).data as Float64Array;
    const ref = genericSequence(
      'LSTM',
      inp.X as Tensor,
      {
        wIh: new Tensor(reorder(W, 3), [8, 3]),
        wHh: new Tensor(reorder(R, 2), [8, 2]),
        bIh: new Tensor(reorder(B.slice(0, 8), 1), [8]),
        bHh: new Tensor(reorder(B.slice(8), 1), [8]),
      },
      null,
      null,
      { reverse: false, lengths: null },
    );
    assert.deepEqual(res.Y.shape, [4, 1, 2, 2]);
    assert.deepEqual(Array.from(res.Y.data), Array.from(ref.output.data));
    assert.deepEqual(Array.from(res.Y_h.data), Array.from(ref.h.data));
    assert.deepEqual(Array.from((res.Y_c as Tensor).data), Array.from((ref.c as Tensor).data));
  });

  it('layout 1 gives the transposed results of layout 0', () => {
    const inp = lstmInputs(2);
    const attrs = { direction: 'bidirectional' as const, clip: 2.5 };
    const a = onnx.runNode({ opType: 'LSTM', attributes: attrs }, { ...inp, sequence_lens: [3, 4] });
    const b = onnx.runNode(
      { opType: 'LSTM', attributes: { ...attrs, layout: 1 } },
      {
        ...inp,
        X: transpose01(inp.X as Tensor),
        initial_h: transpose01(inp.initial_h as Tensor),
        initial_c: transpose01(inp.initial_c as Tensor),
        sequence_lens: Int32Array.from([3, 4]),
      },
    );
    assert.deepEqual(b.Y.shape, [2, 4, 2, 2]);
    // Y: [seq, nd, batch, H] (layout 0) vs [batch, seq, nd, H] (layout 1).
    for (let t = 0; t < 4; t++) {
      for (let d = 0; d < 2; d++) {
        for (let bb = 0; bb < 2; bb++) {
          for (let j = 0; j < 2; j++)
            assert.equal(b.Y.data[((bb * 4 + t) * 2 + d) * 2 + j], a.Y.data[((t * 2 + d) * 2 + bb) * 2 + j]);
        }
      }
    }
    assert.deepEqual(Array.from(b.Y_h.data), Array.from(transpose01(a.Y_h).data));
    assert.deepEqual(Array.from((b.Y_c as Tensor).data), Array.from(transpose01(a.Y_c as Tensor).data));
  });

  it('accepts plain { dtype, shape, data } inputs and converts them to the requested dtype', () => {
    const plain = (t: Tensor) => ({ dtype: 'float32', shape: t.shape.slice(), data: Array.from(t.data) });
    const rng = new Rng(3);
    const X = rnd([2, 1, 2], rng);
    const W = rnd([1, 3, 2], rng);
    const R = rnd([1, 3, 3], rng);
    const r64 = onnx.runNode(
      { opType: 'RNN' },
      { X: plain(X), W: plain(W), R: plain(R) },
      { dtype: 'float64' },
    );
    const r32 = onnx.runNode({ opType: 'RNN' }, { X: plain(X), W: plain(W), R: plain(R) });
    assert.equal(r64.Y.dtype, 'float64');
    assert.equal(r32.Y.dtype, 'float32');
    assert.equal(r64.Y_c, null);
    for (let i = 0; i < r64.Y.size; i++) assert.ok(Math.abs(r64.Y.data[i] - r32.Y.data[i]) < 1e-6);
  });

  it('consumes activation_alpha / activation_beta only by the activations that take them', () => {
    const rng = new Rng(4);
    const inputs = { X: rnd([3, 2, 2], rng), W: rnd([2, 2, 2], rng), R: rnd([2, 2, 2], rng) };
    const a = onnx.runNode(
      {
        opType: 'RNN',
        attributes: {
          direction: 'bidirectional',
          activations: ['Softsign', 'HardSigmoid'],
          activation_alpha: [0.375],
          activation_beta: [0.5],
        },
      },
      inputs,
    );
    const b = onnx.runNode(
      {
        opType: 'RNN',
        attributes: {
          direction: 'bidirectional',
          activations: ['Softsign', 'HardSigmoid'],
          activation_alpha: [0.2],
          activation_beta: [0.5],
        },
      },
      inputs,
    );
    assert.notDeepEqual(Array.from(a.Y.data), Array.from(b.Y.data));
    assert.throws(
      () =>
        onnx.runNode(
          {
            opType: 'RNN',
            attributes: { direction: 'bidirectional', activations: ['Tanh', 'Relu'], activation_alpha: [1] },
          },
          inputs,
        ),
      (e: Error) => e instanceof ConfigError && /activation_alpha has 1 values/.test(e.message),
    );
  });

  it('rejects bad attributes and inputs with errors naming them', () => {
    const inp = lstmInputs(5);
    const one = { X: inp.X, W: sliceDir(inp.W), R: sliceDir(inp.R) };
    const cases: [() => unknown, new (m: string) => Error, RegExp][] = [
      [
        () => onnx.runNode({ opType: 'LSTM', attributes: { linear_before_reset: 1 } as never }, one),
        ConfigError,
        /LSTM has no attribute 'linear_before_reset'/,
      ],
      [
        () => onnx.runNode({ opType: 'LSTM', attributes: { direction: 'both' as never } }, one),
        ConfigError,
        /attribute direction must be/,
      ],
      [
        () => onnx.runNode({ opType: 'LSTM', attributes: { hidden_size: 3 } }, one),
        ShapeError,
        /input W must be \[1, 12, 3\] \(hidden_size 3\), got \[1, 8, 3\]/,
      ],
      [
        () => onnx.runNode({ opType: 'LSTM', attributes: { activations: ['Sigmoid', 'Tanh'] } }, one),
        ConfigError,
        /activations must list 3 functions/,
      ],
      [
        () =>
          onnx.runNode({ opType: 'LSTM', attributes: { activations: ['Sigmoid', 'Tanh', 'Swish'] } }, one),
        ConfigError,
        /unknown activation 'Swish'/,
      ],
      [
        () => onnx.runNode({ opType: 'LSTM', attributes: { input_forget: 2 } }, one),
        ConfigError,
        /input_forget must be 0 or 1, got 2/,
      ],
      [
        () => onnx.runNode({ opType: 'LSTM', attributes: { clip: -1 } }, one),
        ConfigError,
        /clip must be a positive number/,
      ],
      [
        () => onnx.runNode({ opType: 'LSTM' }, { ...one, R: inp.R }),
        ShapeError,
        /input R must be \[1, 8, 2\]/,
      ],
      [
        () => onnx.runNode({ opType: 'LSTM' }, { ...one, initial_h: inp.initial_h }),
        ShapeError,
        /input initial_h must be \[1, 2, 2\]/,
      ],
      [
        () => onnx.runNode({ opType: 'LSTM' }, { ...one, sequence_lens: [1, 5] }),
        ShapeError,
        /sequence_lens\[1\] must be in \[0, 4\]/,
      ],
      [
        () => onnx.runNode({ opType: 'GRU' }, { ...one, P: sliceDir(inp.P) }),
        ShapeError,
        /GRU has no input P/,
      ],
      [
        () => onnx.runNode({ opType: 'LSTM' }, { ...one, W: randn([1, 8, 3]) }),
        DTypeError,
        /input W is float32 but the node runs in float64/,
      ],
    ];
    for (const [fn, cls, re] of cases)
      assert.throws(fn, (e: Error) => e instanceof cls && re.test(e.message), String(re));
  });
});

/** Direction 0 of a [2, ...] tensor as a [1, ...] tensor. */
function sliceDir(tt: Tensor): Tensor {
  const n = tt.size / tt.shape[0];
  return new Tensor(tt.data.slice(0, n), [1, ...tt.shape.slice(1)]);
}
