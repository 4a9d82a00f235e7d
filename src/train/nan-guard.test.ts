import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backward } from '../autograd/backward.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { softmax } from '../ops/softmax.js';
import { log, sqrt } from '../ops/unary.js';
import { maskedFill } from '../ops/where.js';
import { tensor } from '../tensor/tensor.js';
import { NumericError } from '../util/errors.js';
import {
  allFinite,
  detectAnomaly,
  findForwardAnomaly,
  findNonFiniteGradient,
  firstNonFinite,
  watchBackward,
} from './nan-guard.js';

const f64 = { dtype: 'float64' as const };

describe('nan-guard: scanning values', () => {
  it('finds the first NaN or infinity of an array', () => {
    assert.deepEqual(firstNonFinite(new Float64Array([1, 2, Number.POSITIVE_INFINITY, Number.NaN])), {
      index: 2,
      value: Number.POSITIVE_INFINITY,
    });
    assert.equal(firstNonFinite(new Float32Array([0, -1e30, 3])), null);
    assert.equal(allFinite(new Float32Array([Number.NaN])), false);
  });

  it('names the first parameter whose gradient is not finite', () => {
    const a = tensor([1, 2], { ...f64, requiresGrad: true });
    const b = tensor([3], { ...f64, requiresGrad: true });
    b.grad = tensor([Number.NEGATIVE_INFINITY], f64);
    a.grad = tensor([0, 1], f64);
    assert.deepEqual(
      findNonFiniteGradient([
        ['a', a],
        ['b', b],
      ]),
      { name: 'b', index: 0, value: Number.NEGATIVE_INFINITY },
    );
    b.grad = null;
    assert.equal(findNonFiniteGradient([['b', b]]), null);
  });
});

describe('nan-guard: the op behind a non-finite forward value', () => {
  it('names the op that produced the first NaN from finite inputs', () => {
    const w = tensor([1, -3], { ...f64, requiresGrad: true });
    const loss = sum(mul(log(add(w, 1)), 2)); // log(-2) = NaN, then mul and sum pass it on
    const a = findForwardAnomaly(loss, new Map([[w, 'w']]));
    assert.equal(a?.phase, 'forward');
    assert.equal(a?.op, 'log');
    assert.match(a?.description ?? '', /op 'log' produced NaN/);
  });

  it('names a parameter that already holds a NaN', () => {
    const w = tensor([1, Number.NaN], { ...f64, requiresGrad: true });
    const a = findForwardAnomaly(sum(mul(w, 2)), new Map([[w, 'lstm.weight_hh_l0']]));
    assert.equal(a?.parameter, 'lstm.weight_hh_l0');
    assert.match(a?.description ?? '', /parameter 'lstm\.weight_hh_l0' of op '\w+' already holds NaN/);
  });

  it('does not blame a deliberate -Infinity mask for a NaN that arose elsewhere', () => {
    const x = tensor([[1, 2, 3]], { ...f64, requiresGrad: true });
    const p = softmax(maskedFill(x, [0, 0, 1], Number.NEGATIVE_INFINITY)); // finite
    const loss = sum(log(sub(p, 0.6))); // log of a negative number: NaN
    assert.equal(findForwardAnomaly(loss)?.op, 'log');
    // With no NaN anywhere, an infinity is reported: fit asks only when the loss is not finite.
    assert.equal(findForwardAnomaly(sum(p))?.op, 'maskedFill');
    assert.equal(findForwardAnomaly(sum(x)), null);
  });
});

describe('nan-guard: the op behind a non-finite gradient', () => {
  it('watches every backward rule once and restores them', () => {
    const w = tensor([0, 4], { ...f64, requiresGrad: true });
    const loss = sum(sqrt(w)); // finite forward; d sqrt(w)/dw = 1/(2 sqrt(w)) is Infinity at 0
    const nodes = [loss.gradFn, loss.gradFn?.inputs[0].gradFn];
    const a = watchBackward(loss, () => backward(loss), new Map([[w, 'w']]));
    assert.equal(a?.phase, 'backward');
    assert.equal(a?.op, 'sqrt');
    assert.equal(a?.parameter, 'w');
    assert.match(
      a?.description ?? '',
      /backward of op 'sqrt' produced Infinity \(at flat index 0\) in the gradient of parameter 'w'/,
    );
    assert.deepEqual(Array.from(w.grad?.data ?? []), [Number.POSITIVE_INFINITY, 0.25]);
    for (const n of nodes) assert.equal(Object.hasOwn(n as object, 'backward'), false);
  });

  it('returns null when every gradient is finite', () => {
    const w = tensor([1, 4], { ...f64, requiresGrad: true });
    const loss = sum(sqrt(w));
    assert.equal(
      watchBackward(loss, () => backward(loss)),
      null,
    );
  });
});

describe('detectAnomaly', () => {
  it('throws a NumericError naming the op at the first non-finite gradient', () => {
    const w = tensor([0, 4], { ...f64, requiresGrad: true });
    assert.throws(
      () => detectAnomaly(() => sum(sqrt(w)).backward(), { names: [['w', w]] }),
      (e: unknown) =>
        e instanceof NumericError &&
        /detectAnomaly: the backward of op 'sqrt'.*parameter 'w'/.test(e.message),
    );
  });

  it('throws naming the op of a NaN in the forward pass, before any backward', () => {
    const w = tensor([-2], { ...f64, requiresGrad: true });
    assert.throws(
      () => detectAnomaly(() => sum(log(w)).backward()),
      (e: unknown) =>
        e instanceof NumericError && /in the forward pass, op 'log' produced NaN/.test(e.message),
    );
    assert.equal(w.grad, null);
  });

  it('returns the value of fn and leaves the ordinary backward in place afterwards', () => {
    const w = tensor([0, 4], { ...f64, requiresGrad: true });
    assert.equal(
      detectAnomaly(() => 42),
      42,
    );
    sum(sqrt(w)).backward(); // no watch: Infinity passes silently, as in PyTorch outside anomaly mode
    assert.equal(w.grad?.data[0], Number.POSITIVE_INFINITY);
    const v = tensor([1, 4], { ...f64, requiresGrad: true });
    detectAnomaly(() => detectAnomaly(() => sum(sqrt(v)).backward()));
    assert.deepEqual(Array.from(v.grad?.data ?? []), [0.5, 0.25]);
  });
});
