/**
 * tidy(): what it keeps and disposes, on both backends; that op outputs and kernel workspaces
 * live in the wasm arena inside a scope and the arena is reused, not grown, from scope to scope;
 * and that a training step gives the same numbers inside a scope as outside.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../autograd/backward.js';
import { kernels, withBackend } from '../kernels/registry.js';
import { setWorkspacePoison, type WasmArena } from '../kernels/wasm/allocator.js';
import { LSTM } from '../layers/lstm.js';
import { add, mul } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { tanh } from '../ops/unary.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { keep, tidy } from './scope.js';
import { type Tensor, tensor } from './tensor.js';

const BACKENDS = ['ts', 'wasm'] as const;

for (const backend of BACKENDS) {
  describe(`tidy on the ${backend} backend`, () => {
    it('disposes what the function made and did not return, with an error that says so', () => {
      withBackend(backend, () => {
        const x = tensor([1, 2, 3], { requiresGrad: true });
        let inner: Tensor | null = null;
        const y = tidy(() => {
          inner = mul(x, x);
          return add(inner, x);
        });
        assert.deepEqual(Array.from(y.data), [2, 6, 12]);
        assert.deepEqual(Array.from(x.data), [1, 2, 3], 'a tensor made outside is untouched');
        const t = inner as unknown as Tensor;
        assert.equal(t.isDisposed, true);
        assert.throws(
          () => t.data,
          (e: unknown) => {
            assert.ok(e instanceof ConfigError);
            assert.match(
              e.message,
              /Tensor \[3\] float32 \(made by mul\) was disposed when the tidy\(\) scope/,
            );
            assert.match(e.message, /return it from the scope's function/);
            return true;
          },
        );
        assert.equal(t.toString(), 'Tensor([3], float32, disposed)');
        assert.equal(t.gradFn, null, 'the graph link is cut');
      });
    });

    it('keeps returned tensors (deep in arrays, objects, Maps), detached; leaves keep requiresGrad', () => {
      withBackend(backend, () => {
        const w = tensor([0.5, -1], { requiresGrad: true });
        const r = tidy(() => {
          const a = mul(w, w);
          const leaf = tensor([7], { requiresGrad: true });
          return { list: [a, { deep: tanh(a) }], map: new Map([['k', leaf]]), n: 3 };
        });
        const a = r.list[0] as Tensor;
        const deep = (r.list[1] as { deep: Tensor }).deep;
        assert.deepEqual(Array.from(a.data), [0.25, 1]);
        assert.ok(Math.abs(deep.data[0] - Math.tanh(0.25)) < 1e-7);
        assert.equal(a.gradFn, null);
        assert.equal(a.requiresGrad, false, 'a computed result is detached: its graph died with the scope');
        const leaf = r.map.get('k') as Tensor;
        assert.equal(leaf.requiresGrad, true);
        assert.equal(leaf.data[0], 7);
        assert.equal(r.n, 3);
      });
    });

    it('keeps two returned tensors that share storage sharing it', () => {
      withBackend(backend, () => {
        const [a, b] = tidy(() => {
          const m = add(tensor([1, 2, 3, 4]), tensor([1, 1, 1, 1]));
          return [m, reshape(m, [2, 2])];
        });
        a.data[0] = 42;
        assert.equal(b.data[0], 42);
      });
    });

    it('leaves the gradients of parameters made outside, accumulated over scopes', () => {
      withBackend(backend, () => {
        const w = tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { requiresGrad: true },
        );
        const x = tensor([[0.5], [-1]]);
        for (let i = 0; i < 2; i++) tidy(() => sum(tanh(matmul(w, x))).backward());
        const ref = tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { requiresGrad: true },
        );
        sum(tanh(matmul(ref, x))).backward();
        assert.ok(w.grad && ref.grad);
        const twice = Array.from(ref.grad.data, (v) => 2 * v);
        assert.deepEqual(Array.from(w.grad.data), twice);
        assert.equal(w.grad.isDisposed, false);
      });
    });

    it('nests: what an inner scope keeps belongs to the outer one', () => {
      withBackend(backend, () => {
        let fromInner: Tensor | null = null;
        const kept = tidy(() => {
          fromInner = tidy(() => mul(tensor([2]), tensor([3])));
          assert.equal(fromInner.data[0], 6, 'readable in the outer scope');
          return tidy(() => add(fromInner as unknown as Tensor, tensor([1])));
        });
        assert.equal(kept.data[0], 7);
        assert.equal((fromInner as unknown as Tensor).isDisposed, true, 'the outer scope did not return it');
      });
    });

    it('keep(): exempts a tensor from disposal (detached at the scope end); module parameters are kept', () => {
      withBackend(backend, () => {
        let pinnedT: Tensor | null = null;
        const lstm = tidy(() => {
          const m = new LSTM({ inputSize: 3, hiddenSize: 4, rng: new Rng(1) });
          const w = tensor([1, 2], { requiresGrad: true });
          pinnedT = keep(mul(w, w));
          return m;
        });
        const p = pinnedT as unknown as Tensor;
        assert.deepEqual(Array.from(p.data), [1, 4]);
        assert.equal(p.gradFn, null);
        if (backend === 'wasm') assert.ok(!kernels().resident(p.data), 'moved out of the arena');
        for (const q of lstm.parameters()) {
          assert.equal(q.isDisposed, false);
          assert.equal(q.requiresGrad, true);
        }
        const out = tidy(() =>
          sum(
            lstm.forward(tensor(new Float32Array(2 * 1 * 3).fill(0.5), { shape: [2, 1, 3] })).output,
          ).item(),
        );
        assert.ok(Number.isFinite(out));
        const outside = tensor([3]);
        assert.equal(keep(outside), outside, 'outside a scope keep() returns the tensor as it is');
      });
    });

    it('disposes everything and rethrows when the function throws; refuses an async function', () => {
      withBackend(backend, () => {
        let made: Tensor | null = null;
        assert.throws(
          () =>
            tidy(() => {
              made = mul(tensor([1]), tensor([2]));
              throw new RangeError('boom');
            }),
          RangeError,
        );
        assert.equal((made as unknown as Tensor).isDisposed, true);
        assert.throws(
          () => tidy((async () => tensor([1])) as unknown as () => Tensor),
          /tidy: fn must be synchronous, it returned a Promise/,
        );
        assert.throws(() => tidy(3 as unknown as () => void), /tidy: fn must be a function, got number/);
      });
    });
  });
}

/** An LSTM forward and backward on a fixed batch; the loss and every gradient, as plain arrays. */
function lstmStep(inScope: boolean): number[][] {
  const lstm = new LSTM({ inputSize: 5, hiddenSize: 8, rng: new Rng(3) });
  const rng = new Rng(9);
  const x = tensor(
    Array.from({ length: 6 * 4 * 5 }, () => rng.uniform() * 2 - 1),
    { shape: [6, 4, 5] },
  );
  const run = () => {
    const out = lstm.forward(x);
    const loss = sum(mul(out.output, out.output));
    loss.backward();
    return [loss.item()];
  };
  const loss = inScope ? tidy(run) : run();
  return [loss, ...lstm.parameters().map((p) => Array.from(p.grad?.data ?? []))];
}

describe('tidy on the wasm backend: the arena', () => {
  it('puts op outputs in wasm memory and reuses the same memory from scope to scope', () => {
    withBackend('wasm', () => {
      const arena = kernels().arena() as WasmArena;
      assert.ok(arena, 'the wasm backend has an arena');
      const w = tensor(
        Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i)),
        { shape: [64, 64] },
      );
      let reserved = -1;
      for (let i = 0; i < 20; i++) {
        tidy(() => {
          const y = tanh(matmul(w, w));
          assert.ok(kernels().resident(y.data), 'an op output inside a scope lives in wasm memory');
          assert.ok(arena.owns(y.data));
          assert.ok(!arena.owns(w.data), 'a tensor made outside is not in the arena');
        });
        if (i === 0) reserved = arena.reservedBytes;
        else assert.equal(arena.reservedBytes, reserved, `scope ${i} grew the arena`);
      }
      const y = tidy(() => matmul(w, w));
      assert.ok(!kernels().resident(y.data), 'a kept result moves to ordinary memory');
    });
  });

  it('returns to the heap the chunks a smaller working set no longer needs', () => {
    withBackend('wasm', () => {
      const arena = kernels().arena() as WasmArena;
      tidy(() => mul(tensor(new Float32Array(6 << 20)), tensor([2])));
      const big = arena.reservedBytes;
      tidy(() => mul(tensor([1]), tensor([2])));
      assert.ok(arena.reservedBytes < big, `${arena.reservedBytes} < ${big}`);
    });
  });

  it('gives an LSTM step the same loss and gradients inside a scope as outside (workspaces poisoned)', () => {
    withBackend('wasm', () => {
      setWorkspacePoison(true);
      try {
        assert.deepEqual(lstmStep(true), lstmStep(false));
      } finally {
        setWorkspacePoison(false);
      }
    });
  });
});
