// The two backends and the two dtypes agree: every computation below runs in float64 on the
// TypeScript kernels (the reference), and in float32 on the TypeScript and the wasm kernels.
// float32 results of the two backends must agree within 1e-5 relative, and each must stay within
// float32 rounding of the float64 result. Values and input gradients are compared.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backwardMany } from '../src/autograd/backward.js';
import { backendAvailable, getBackend, setBackend } from '../src/kernels/registry.js';
import { GRU } from '../src/layers/gru.js';
import { LSTM } from '../src/layers/lstm.js';
import { RNN } from '../src/layers/rnn.js';
import { Linear } from '../src/nn/linear.js';
import { add, mul } from '../src/ops/elementwise.js';
import { embedding } from '../src/ops/embedding.js';
import { crossEntropy, mse } from '../src/ops/loss.js';
import { matmul } from '../src/ops/matmul.js';
import { mean } from '../src/ops/reduce.js';
import { logSoftmax, softmax } from '../src/ops/softmax.js';
import { exp, log, relu, sigmoid, tanh } from '../src/ops/unary.js';
import { randn } from '../src/tensor/random.js';
import { type DType, type Tensor, tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

type Case = {
  name: string;
  /** Shapes of the real-valued inputs (drawn N(0,1), seeded). */
  inputs: number[][];
  /** Builds the computation; `seed` makes any module weights identical across runs. */
  run: (xs: Tensor[], dtype: DType) => Tensor[];
};

const cases: Case[] = [
  {
    name: 'matmul',
    inputs: [
      [7, 33],
      [33, 19],
    ],
    run: ([a, b]) => [matmul(a, b)],
  },
  {
    name: 'matmul transA transB',
    inputs: [
      [33, 7],
      [19, 33],
    ],
    run: ([a, b]) => [matmul(a, b, { transA: true, transB: true })],
  },
  {
    name: 'batched matmul',
    inputs: [
      [3, 5, 17],
      [3, 17, 20],
    ],
    run: ([a, b]) => [matmul(a, b)],
  },
  {
    name: 'unary functions',
    inputs: [[5, 40]],
    run: ([x]) => [exp(x), tanh(mul(x, 3)), sigmoid(mul(x, 4)), relu(x), log(add(mul(x, x), 0.5))],
  },
  { name: 'softmax and logSoftmax', inputs: [[6, 11]], run: ([x]) => [softmax(mul(x, 3)), logSoftmax(x, 0)] },
  {
    name: 'cross-entropy and MSE',
    inputs: [
      [9, 7],
      [9, 7],
    ],
    run: ([x, y]) => [crossEntropy(x, [0, 1, 2, 3, 4, 5, 6, 0, 1]), mse(x, y), mean(mul(x, y), { axis: 1 })],
  },
  {
    name: 'embedding into a linear layer',
    inputs: [[10, 6]],
    run: ([w], dtype) => {
      const lin = new Linear(6, 4, { rng: new Rng(3), dtype });
      return [lin.forward(embedding(w, [1, 3, 3, 9, 0, 2], { shape: [2, 3] }))];
    },
  },
  {
    name: 'LSTM, 2 layers, bidirectional, variable lengths',
    inputs: [[6, 3, 5]],
    run: ([x], dtype) => {
      const m = new LSTM({
        inputSize: 5,
        hiddenSize: 7,
        numLayers: 2,
        bidirectional: true,
        rng: new Rng(4),
        dtype,
      });
      const r = m.forward(x, { lengths: [6, 2, 4] });
      return [r.output, r.h, r.c!];
    },
  },
  {
    name: 'LSTM with projection',
    inputs: [[5, 2, 4]],
    run: ([x], dtype) => {
      const r = new LSTM({ inputSize: 4, hiddenSize: 8, projSize: 3, rng: new Rng(5), dtype }).forward(x);
      return [r.output, r.h, r.c!];
    },
  },
  {
    name: 'GRU, 2 layers',
    inputs: [[7, 4, 6]],
    run: ([x], dtype) => {
      const r = new GRU({ inputSize: 6, hiddenSize: 9, numLayers: 2, rng: new Rng(6), dtype }).forward(x);
      return [r.output, r.h];
    },
  },
  {
    name: 'RNN relu, bidirectional',
    inputs: [[5, 3, 4]],
    run: ([x], dtype) => {
      const m = new RNN({
        inputSize: 4,
        hiddenSize: 6,
        nonlinearity: 'relu',
        bidirectional: true,
        rng: new Rng(7),
        dtype,
      });
      const r = m.forward(x);
      return [r.output, r.h];
    },
  },
  {
    name: 'LSTM with peepholes and clip (generic path)',
    inputs: [[5, 2, 3]],
    run: ([x], dtype) => {
      const m = new LSTM({ inputSize: 3, hiddenSize: 4, peepholes: true, clip: 2, rng: new Rng(8), dtype });
      const r = m.forward(x);
      return [r.output, r.h, r.c!];
    },
  },
];

/** Values of every output and the gradient of Σ out·R w.r.t. every input, as float64 arrays. */
function evaluate(c: Case, backend: 'ts' | 'wasm', dtype: DType): Float64Array[] {
  const prev = getBackend();
  setBackend(backend);
  try {
    const rng = new Rng(11);
    const xs = c.inputs.map((s) => randn(s, { rng, dtype: 'float64' }));
    const inputs = xs.map((x) => tensor(x.data, { shape: x.shape, dtype, requiresGrad: true }));
    const outs = c.run(inputs, dtype);
    const pr = new Rng(12);
    const seeds = outs.map((o) => randn(o.shape as number[], { rng: pr, dtype }));
    const roots = outs.filter((o) => o.requiresGrad);
    backwardMany(
      roots,
      seeds.filter((_, i) => outs[i].requiresGrad),
    );
    return [
      ...outs.map((o) => Float64Array.from(o.data)),
      ...inputs.map((x) => Float64Array.from(x.grad?.data ?? [])),
    ];
  } finally {
    setBackend(prev);
  }
}

function worst(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return w;
}

describe('backends and dtypes agree', {
  skip: backendAvailable('wasm') ? false : 'the wasm backend does not load here',
}, () => {
  for (const c of cases) {
    it(c.name, () => {
      const ref = evaluate(c, 'ts', 'float64');
      const ts32 = evaluate(c, 'ts', 'float32');
      const wasm32 = evaluate(c, 'wasm', 'float32');
      const wasm64 = evaluate(c, 'wasm', 'float64');
      ref.forEach((r, k) => {
        const label =
          k < ref.length - c.inputs.length
            ? `output ${k}`
            : `gradient of input ${k - (ref.length - c.inputs.length)}`;
        assert.ok(
          worst(wasm32[k], ts32[k]) <= 1e-5,
          `${label}: wasm vs ts float32 differ by ${worst(wasm32[k], ts32[k])}`,
        );
        assert.ok(
          worst(ts32[k], r) <= 1e-5,
          `${label}: ts float32 vs float64 differ by ${worst(ts32[k], r)}`,
        );
        assert.ok(
          worst(wasm32[k], r) <= 1e-5,
          `${label}: wasm float32 vs float64 differ by ${worst(wasm32[k], r)}`,
        );
        assert.ok(
          worst(wasm64[k], r) <= 1e-12,
          `${label}: float64 differs between backends by ${worst(wasm64[k], r)}`,
        );
      });
      // The comparison is not vacuous: some value is non-zero.
      assert.ok(ref.some((r) => r.some((v) => Math.abs(v) > 1e-3)));
    });
  }
});
