/**
 * The computation the browser test runs in a page and in Node, through the package's root entry
 * only (what a browser app imports): an LSTM and a GRU forward and backward, with the loss and
 * every parameter gradient, inside a tidy() scope, and a float64 LSTM forward. Everything is
 * seeded, so the page's numbers can be compared with Node's on the same backend.
 */
import {
  Adam,
  GRU,
  getBackend,
  LSTM,
  mean,
  mul,
  noGrad,
  Rng,
  randn,
  type Tensor,
  tidy,
} from '../../src/index.js';

export interface WorkloadResult {
  backend: string;
  /** LSTM then GRU: output values, then the loss, then every parameter's gradient. */
  values: number[];
  /** The float64 LSTM's output (runs on the TypeScript kernels on every backend). */
  float64: number[];
  /** The LSTM's loss after three Adam steps (training works end to end). */
  trainedLoss: number;
}

function lossOf(out: Tensor): Tensor {
  return mean(mul(out, out));
}

function layerValues(kind: 'lstm' | 'gru', seed: number): number[] {
  const rng = new Rng(seed);
  const opts = { numLayers: 2, bidirectional: true, rng };
  const layer = kind === 'lstm' ? new LSTM(5, 6, opts) : new GRU(5, 6, opts);
  const x = randn([7, 3, 5], { rng });
  return tidy(() => {
    const out = layer.forward(x).output;
    const loss = lossOf(out);
    loss.backward();
    const grads = layer.parameters().flatMap((p) => Array.from(p.grad?.data ?? []));
    return [...Array.from(out.data), loss.item(), ...grads];
  });
}

function trainedLoss(seed: number): number {
  const rng = new Rng(seed);
  const lstm = new LSTM(4, 8, { rng });
  const x = randn([6, 2, 4], { rng });
  const opt = new Adam(lstm.parameters(), { lr: 0.05 });
  for (let i = 0; i < 3; i++) {
    tidy(() => {
      opt.zeroGrad();
      lossOf(lstm.forward(x).output).backward();
      opt.step();
    });
  }
  return noGrad(() => tidy(() => lossOf(lstm.forward(x).output).item()));
}

export function runWorkload(): WorkloadResult {
  const rng = new Rng(11);
  const lstm64 = new LSTM(3, 4, { rng, dtype: 'float64' });
  const x64 = randn([5, 2, 3], { rng, dtype: 'float64' });
  const float64 = noGrad(() => Array.from(lstm64.forward(x64).output.data));
  return {
    backend: getBackend(),
    values: [...layerValues('lstm', 1), ...layerValues('gru', 2)],
    float64,
    trainedLoss: trainedLoss(3),
  };
}
