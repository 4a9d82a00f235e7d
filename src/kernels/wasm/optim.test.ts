/**
 * The multi-parameter Adam kernel of the wasm backend (assembly/optim.ts) against the TypeScript
 * loop in float64, on both builds: lengths with a scalar tail, both lerp branches, L2 penalty,
 * decoupled decay, amsgrad, maximize, several steps, arrays inside and outside wasm memory; and
 * storage from `allocResident` being freed once collected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { adamStepTs } from '../ts/optim.js';
import type { AdamEntry, Kernels } from '../types.js';
import type { WasmBackend } from './backend.js';
import { loadWasmKernelsSync } from './index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Case {
  n: number;
  beta1: number;
  beta2: number;
  lr: number;
  wd: number;
  decoupled: boolean;
  amsgrad: boolean;
  maximize: boolean;
}

const CASES: Case[] = [
  { n: 1, beta1: 0.9, beta2: 0.999, lr: 1e-3, wd: 0, decoupled: false, amsgrad: false, maximize: false },
  { n: 7, beta1: 0.3, beta2: 0.99, lr: 1e-2, wd: 0.1, decoupled: false, amsgrad: false, maximize: false },
  { n: 64, beta1: 0.9, beta2: 0.999, lr: 3e-3, wd: 1e-2, decoupled: true, amsgrad: true, maximize: false },
  { n: 1003, beta1: 0.8, beta2: 0.95, lr: 1e-3, wd: 0, decoupled: false, amsgrad: true, maximize: true },
];

/** Runs `steps` Adam steps of every case with `K`, float32 arrays made by `make`; returns p, m, v. */
function run(K: Kernels, make: (n: number) => Float32Array | Float64Array, steps: number): Float64Array[][] {
  const r = rng(7);
  const state = CASES.map((c) => {
    const fill = (a: Float32Array | Float64Array, scale: number) => {
      for (let i = 0; i < a.length; i++) a[i] = (r() * 2 - 1) * scale;
      return a;
    };
    return { c, p: fill(make(c.n), 1), m: make(c.n), v: make(c.n), vmax: c.amsgrad ? make(c.n) : null };
  });
  for (let t = 1; t <= steps; t++) {
    const entries: AdamEntry[] = state.map(({ c, p, m, v, vmax }) => {
      const g = make(c.n);
      // the same gradients on every backend: a function of the step and the index only
      for (let i = 0; i < c.n; i++) g[i] = Math.sin(0.37 * i + 1.3 * t) * (1 + (i % 5));
      return {
        p,
        g,
        m,
        v,
        vmax,
        stepSize: c.lr / (1 - c.beta1 ** t),
        bc2Sqrt: Math.sqrt(1 - c.beta2 ** t),
        beta1: c.beta1,
        beta2: c.beta2,
        eps: 1e-8,
        decay: c.decoupled ? 1 - c.lr * c.wd : 1,
        l2: c.decoupled ? 0 : c.wd,
        sign: c.maximize ? -1 : 1,
      };
    });
    K.adamStep(entries);
  }
  return state.map((s) => [s.p, s.m, s.v].map((a) => Float64Array.from(a)));
}

/**
 * Worst error relative to max(|want|, 1% of the array's largest value): moments that cancel to
 * near zero carry the float32 rounding of their larger terms.
 */
function maxRelErr(got: Float64Array, want: Float64Array): number {
  const floor = 0.01 * want.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
  let worst = 0;
  for (let i = 0; i < got.length; i++)
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), floor));
  return worst;
}

const reference = run({ adamStep: adamStepTs } as unknown as Kernels, (n) => new Float64Array(n), 12);

for (const build of ['relaxed', 'plain'] as const) {
  describe(`wasm adamStep (${build} build)`, () => {
    const K = loadWasmKernelsSync({ build }) as WasmBackend;
    assert.ok(K, 'wasm kernels must load (run npm run build:wasm)');

    for (const [where, make] of [
      ['in wasm memory', (n: number) => K.allocResident(n)],
      ['on the JS heap (staged)', (n: number) => new Float32Array(n)],
    ] as const) {
      it(`matches the float64 loop over 12 steps, arrays ${where}`, () => {
        const got = run(K, make, 12);
        got.forEach((arrays, ci) => {
          arrays.forEach((a, k) => {
            const e = maxRelErr(a, reference[ci][k]);
            assert.ok(
              e < 2e-5,
              `case ${ci} (${JSON.stringify(CASES[ci])}) ${['p', 'm', 'v'][k]}: rel error ${e}`,
            );
          });
        });
      });
    }

    it('moves nothing it should not: float64 entries take the TypeScript loop, bit for bit', () => {
      const a = run(K, (n) => new Float64Array(n), 3);
      const b = run({ adamStep: adamStepTs } as unknown as Kernels, (n) => new Float64Array(n), 3);
      assert.deepEqual(a, b);
    });

    it('rejects an entry whose arrays differ in length, naming the expected length', () => {
      const p = K.allocResident(8);
      const bad: AdamEntry = {
        p,
        g: new Float32Array(7),
        m: new Float32Array(8),
        v: new Float32Array(8),
        vmax: null,
        stepSize: 1e-3,
        bc2Sqrt: 1,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        decay: 1,
        l2: 0,
        sign: 1,
      };
      assert.throws(
        () => K.adamStep([bad]),
        /adamStep: entry 0: g must be a Float32Array of 8 values \(as p\), got a Float32Array of 7/,
      );
    });
  });
}

describe('allocResident', () => {
  it('returns zeroed views into wasm memory whose blocks are freed once the views are collected', async () => {
    const K = loadWasmKernelsSync({ build: 'plain', initialPages: 2 }) as WasmBackend;
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const before = K.heap.allocatedBytes;
    let views: Float32Array[] | null = Array.from({ length: 8 }, () => K.allocResident(4096));
    assert.ok(views.every((v) => K.resident(v) && v.every((x) => x === 0)));
    assert.equal(K.heap.allocatedBytes - before, 8 * 4096 * 4);
    const kept = views[3];
    kept.fill(2);
    views = null;
    for (let i = 0; i < 5 && K.heap.allocatedBytes - before > 4096 * 4; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(
      K.heap.allocatedBytes - before,
      4096 * 4,
      'only the block of the view still referenced stays',
    );
    assert.ok(kept.every((x) => x === 2));
  });

  it('refuses an explicit free of such an array, saying why', () => {
    const K = loadWasmKernelsSync({ build: 'plain', initialPages: 2 }) as WasmBackend;
    const a = K.allocResident(16);
    assert.throws(() => K.free(a), /comes from allocResident and is freed when it is garbage-collected/);
    assert.ok(K.resident(a), 'still usable');
  });
});
