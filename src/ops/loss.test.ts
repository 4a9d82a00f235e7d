import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noGrad } from '../autograd/grad-mode.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { randn } from '../tensor/random.js';
import { type Tensor, tensor, zeros } from '../tensor/tensor.js';
import { ConfigError, DataError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { binaryCrossEntropyWithLogits, crossEntropy, mse, type Reduction } from './loss.js';

const f64 = (shape: number[], seed: number) =>
  randn(shape, { dtype: 'float64', rng: new Rng(seed), requiresGrad: true });

function assertGrad(report: ReturnType<typeof gradcheck>): void {
  assert.ok(report.ok, `gradcheck failed: ${JSON.stringify(report)}`);
  assert.ok(report.checked > 0);
}

function close(a: number, b: number, tol: number): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
}

/**
 * A plain reference transcribed from PyTorch's cross_entropy (aten/src/ATen/native/LossNLL.cpp):
 * (1-ε)·nll(weighted) + (ε/C)·smooth, both divided by Σ w_t for 'mean'.
 */
function reference(
  x: number[][],
  t: number[],
  w: number[] | null,
  eps: number,
  ignore: number,
  red: Reduction,
): number[] {
  const C = x[0].length;
  const rows: number[] = [];
  let den = 0;
  x.forEach((row, r) => {
    if (t[r] === ignore) {
      rows.push(0);
      return;
    }
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    const logp = row.map((v) => v - lse);
    const wt = w ? w[t[r]] : 1;
    let smooth = 0;
    for (let c = 0; c < C; c++) smooth -= (w ? w[c] : 1) * logp[c];
    rows.push((1 - eps) * -wt * logp[t[r]] + (eps / C) * smooth);
    den += wt;
  });
  const s = rows.reduce((p, q) => p + q, 0);
  return red === 'none' ? rows : red === 'sum' ? [s] : [s / den];
}

describe('crossEntropy', () => {
  it('gives log(e+e²+e³) - 1 for logits [1, 2, 3] and class 0', () => {
    const l = crossEntropy(tensor([[1, 2, 3]], { dtype: 'float64' }), [0]);
    close(l.item(), Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 1, 1e-15);
    assert.deepEqual(l.shape, []);
    close(
      crossEntropy(tensor([1, 2, 3], { dtype: 'float64' }), 2).item(),
      Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3,
      1e-15,
    );
  });
  const x = randn([5, 4], { dtype: 'float64', rng: new Rng(1) });
  const rows = x.toArray() as number[][];
  const t = [3, 0, -100, 1, 3];
  const w = [0.5, 2, 1, 3];
  for (const red of ['mean', 'sum', 'none'] as const) {
    for (const eps of [0, 0.2]) {
      for (const weight of [null, w]) {
        it(`matches the PyTorch formula: reduction=${red} labelSmoothing=${eps} weight=${weight ? 'yes' : 'no'} with an ignored row`, () => {
          const got = crossEntropy(x, Int32Array.from(t), {
            reduction: red,
            labelSmoothing: eps,
            ...(weight ? { weight } : {}),
          });
          const want = reference(rows, t, weight, eps, -100, red);
          assert.equal(got.size, want.length);
          want.forEach((v, i) => {
            close(got.data[i], v, 1e-14);
          });
        });
        it(`passes gradcheck: reduction=${red} labelSmoothing=${eps} weight=${weight ? 'yes' : 'no'}`, () => {
          const opts = { reduction: red, labelSmoothing: eps, ...(weight ? { weight: tensor(weight) } : {}) };
          assertGrad(gradcheck((l) => crossEntropy(l, t, opts), [f64([5, 4], 2)]));
        });
      }
    }
  }
  it('takes [T, B, C] logits with [T, B] Tensor targets and a custom ignoreIndex', () => {
    const l = f64([3, 2, 5], 3);
    const tt = tensor([
      [1, 0],
      [4, 2],
      [0, 3],
    ]);
    const out = crossEntropy(l, tt, { reduction: 'none', ignoreIndex: 0 });
    assert.deepEqual(out.shape, [3, 2]);
    assert.equal(out.data[1], 0);
    assert.equal(out.data[4], 0);
    assertGrad(gradcheck((z) => crossEntropy(z, tt, { ignoreIndex: 0 }), [l]));
  });
  it('mean over all-ignored targets is NaN (0/0) and its gradient is zero, as PyTorch', () => {
    const l = f64([2, 3], 4);
    const out = crossEntropy(l, [-100, -100]);
    assert.ok(Number.isNaN(out.item()));
    out.backward();
    assert.deepEqual(Array.from((l.grad as Tensor).data), [0, 0, 0, 0, 0, 0]);
    assert.equal(crossEntropy(l, [-100, -100], { reduction: 'sum' }).item(), 0);
  });
  it('empty batch: mean is NaN, sum is 0, none is [0]', () => {
    const l = zeros([0, 3]);
    assert.ok(Number.isNaN(crossEntropy(l, []).item()));
    assert.equal(crossEntropy(l, [], { reduction: 'sum' }).item(), 0);
    assert.deepEqual(crossEntropy(l, [], { reduction: 'none' }).shape, [0]);
  });
  it('is finite for huge logits and float32 agrees with float64', () => {
    const big = tensor([[1000, -1000, 0]], { dtype: 'float32' });
    assert.equal(crossEntropy(big, [0]).item(), 0);
    close(crossEntropy(big, [1]).item(), 2000, 1e-7);
    const l64 = randn([6, 9], { dtype: 'float64', rng: new Rng(5) });
    const l32 = tensor(l64.data, { shape: [6, 9], dtype: 'float32' });
    const tg = [1, 2, 3, 4, 5, 6];
    close(
      crossEntropy(l32, tg, { labelSmoothing: 0.1 }).item(),
      crossEntropy(l64, tg, { labelSmoothing: 0.1 }).item(),
      1e-6,
    );
  });
  it('names a bad target with its position', () => {
    const l = zeros([2, 2, 3]);
    assert.throws(
      () =>
        crossEntropy(
          l,
          tensor([
            [0, 1],
            [3, 2],
          ]),
        ),
      (e: Error) =>
        e instanceof DataError &&
        e.message.includes('targets[2] (position [1, 0]) is 3, expected a class in [0, 3)'),
    );
    assert.throws(
      () => crossEntropy(l, [0, 1, 2]),
      (e: Error) => e instanceof ShapeError && /targets must have shape \[2, 2\]/.test(e.message),
    );
    assert.throws(() => crossEntropy(zeros([1, 3]), [0.5]), DataError);
  });
  it('validates options', () => {
    const l = zeros([1, 3]);
    assert.throws(() => crossEntropy(l, [0], { reduction: 'avg' as Reduction }), ConfigError);
    assert.throws(() => crossEntropy(l, [0], { labelSmoothing: 1.5 }), ConfigError);
    assert.throws(
      () => crossEntropy(l, [0], { weight: [1, 2] }),
      (e: Error) => e instanceof ShapeError && /\[3\], got 2 values/.test(e.message),
    );
    assert.throws(
      () => crossEntropy(l, [0], { weight: tensor([1, 1, 1], { requiresGrad: true }) }),
      ConfigError,
    );
    noGrad(() => crossEntropy(l, [0], { weight: tensor([1, 1, 1], { requiresGrad: true }) }));
  });
});

describe('mse', () => {
  it('computes mean, sum and none', () => {
    const p = tensor([1, 2, 3]);
    const t = tensor([1, 0, 0]);
    close(mse(p, t).item(), 13 / 3, 1e-7);
    assert.equal(mse(p, t, { reduction: 'sum' }).item(), 13);
    assert.deepEqual(mse(p, t, { reduction: 'none' }).toArray(), [0, 4, 9]);
    assert.ok(Number.isNaN(mse(zeros([0]), zeros([0])).item()));
  });
  for (const red of ['mean', 'sum', 'none'] as const) {
    it(`passes gradcheck for both inputs (${red})`, () => {
      assertGrad(gradcheck((a, b) => mse(a, b, { reduction: red }), [f64([2, 3], 6), f64([2, 3], 7)]));
    });
  }
  it('requires equal shapes', () => {
    assert.throws(
      () => mse(zeros([2, 3]), zeros([3])),
      (e: Error) => e instanceof ShapeError && /mse: target must have the shape of pred/.test(e.message),
    );
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  const naive = (x: number, y: number, w = 1, pw = 1): number => {
    const s = 1 / (1 + Math.exp(-x));
    return -w * (pw * y * Math.log(s) + (1 - y) * Math.log(1 - s));
  };
  it('matches -[y log σ(x) + (1-y) log(1-σ(x))] and stays finite for large |x|', () => {
    const x = tensor([-2, -0.5, 0, 1.5], { dtype: 'float64' });
    const y = tensor([0, 1, 0.3, 1], { dtype: 'float64' });
    const got = binaryCrossEntropyWithLogits(x, y, { reduction: 'none' });
    [-2, -0.5, 0, 1.5].forEach((v, i) => {
      close(got.data[i], naive(v, y.data[i]), 1e-14);
    });
    const big = binaryCrossEntropyWithLogits(tensor([100, -100]), tensor([0, 1]), { reduction: 'none' });
    assert.deepEqual(Array.from(big.data), [100, 100]);
  });
  it('applies weight and posWeight with broadcasting', () => {
    const x = tensor(
      [
        [0.5, -1],
        [2, 0.1],
      ],
      { dtype: 'float64' },
    );
    const y = tensor(
      [
        [1, 0],
        [1, 1],
      ],
      { dtype: 'float64' },
    );
    const pw = tensor([3, 0.5], { dtype: 'float64' });
    const w = tensor([[2], [1]], { dtype: 'float64' });
    const got = binaryCrossEntropyWithLogits(x, y, { weight: w, posWeight: pw, reduction: 'sum' });
    let want = 0;
    for (let r = 0; r < 2; r++)
      for (let c = 0; c < 2; c++) want += naive(x.data[r * 2 + c], y.data[r * 2 + c], w.data[r], pw.data[c]);
    close(got.item(), want, 1e-14);
    assert.throws(
      () => binaryCrossEntropyWithLogits(x, y, { weight: tensor([1, 2, 3], { dtype: 'float64' }) }),
      ShapeError,
    );
  });
  it('float32 agrees with float64', () => {
    const x = randn([3, 4], { dtype: 'float64', rng: new Rng(11) });
    const y = tensor([1, 0, 1, 1, 0, 0, 1, 0, 0.5, 0.5, 1, 0], { shape: [3, 4], dtype: 'float64' });
    const f32 = (t: Tensor) => tensor(t.data, { shape: t.shape, dtype: 'float32' });
    close(
      binaryCrossEntropyWithLogits(f32(x), f32(y)).item(),
      binaryCrossEntropyWithLogits(x, y).item(),
      1e-6,
    );
    close(mse(f32(x), f32(y)).item(), mse(x, y).item(), 1e-6);
  });
  it('passes gradcheck for logits and targets', () => {
    const pw = tensor([2, 0.5, 1], { dtype: 'float64' });
    assertGrad(
      gradcheck(
        (a, b) => binaryCrossEntropyWithLogits(a, b, { posWeight: pw }),
        [f64([2, 3], 8), f64([2, 3], 9)],
      ),
    );
    assertGrad(
      gradcheck(
        (a) =>
          binaryCrossEntropyWithLogits(
            a,
            tensor(
              [
                [0, 1, 1],
                [1, 0, 0],
              ],
              { dtype: 'float64' },
            ),
            { reduction: 'none' },
          ),
        [f64([2, 3], 10)],
      ),
    );
  });
});
