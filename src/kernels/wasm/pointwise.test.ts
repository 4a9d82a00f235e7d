/**
 * Unary activations and fused LSTM / GRU gate kernels of the wasm backend against the TypeScript
 * reference, on both builds, with H not a multiple of 4 (vector body plus scalar tail), operands
 * inside and outside wasm memory, extreme inputs, and float64 delegation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tsKernels } from '../ts/index.js';
import type { FloatArray, Kernels } from '../types.js';
import { loadWasmKernelsSync } from './index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const builds: [string, Kernels][] = (['relaxed', 'plain'] as const).map((b) => {
  const k = loadWasmKernelsSync({ build: b });
  assert.ok(k, `the ${b} wasm build must load (run npm run build:wasm)`);
  return [b, k];
});

/**
 * Relative error at most `tol`, measured against max(|expected|, floor). Unary functions use a
 * floor at the float32 denormal range (pure relative error); gate outputs, which are O(1)
 * activations and products that can cancel (c = f*cPrev + i*g), use a floor of 1e-2, i.e.
 * relative 1e-5 above 0.01 and an absolute 1e-7 (float32 rounding) below.
 */
function assertClose(got: FloatArray, want: FloatArray, what: string, floor = 1e-37, tol = 1e-5): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (g === w) continue;
    assert.ok(!Number.isNaN(g), `${what}[${i}] is NaN (want ${w})`);
    assert.ok(Math.abs(g - w) <= tol * Math.max(Math.abs(w), floor), `${what}[${i}]: ${g} vs ${w}`);
  }
}

function arr(k: Kernels, n: number, inside: boolean, rand: () => number, scale = 3): Float32Array {
  const a = inside ? (k.alloc(n, 'float32') as Float32Array) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

const OPS = ['exp', 'log', 'tanh', 'sigmoid', 'relu'] as const;
const SPECIAL = [0, -0, 1e-8, -1e-8, 1e-3, -0.6, 0.624, 0.626, 5, -5, 30, -30, 88, 89, -100, 100, -104, -110];

for (const [build, wk] of builds) {
  describe(`wasm pointwise (${build})`, () => {
    it('unary matches tsKernels, including tails, extremes and in-place use', () => {
      const rand = rng(11);
      for (const op of OPS) {
        for (const n of [0, 1, 3, 4, 7, 37, 1000]) {
          for (const inside of [true, false]) {
            const x = arr(wk, n + 2, inside, rand, 12);
            if (op === 'log') for (let i = 0; i < x.length; i++) x[i] = Math.abs(x[i]) + 1e-3;
            else for (let i = 0; i < Math.min(n, SPECIAL.length); i++) x[2 + i] = SPECIAL[i];
            const y = arr(wk, n + 1, inside, rand);
            const want = Float32Array.from(y);
            tsKernels.unary(op, n, x, 2, want, 1);
            wk.unary(op, n, x, 2, y, 1);
            assertClose(y, want, `${op} n=${n} inside=${inside}`);
            // In place: y aliases x exactly.
            const xi = Float32Array.from(x);
            tsKernels.unary(op, n, xi, 2, xi, 2);
            wk.unary(op, n, x, 2, x, 2);
            assertClose(x, xi, `${op} in place n=${n}`);
            wk.free(x);
            wk.free(y);
          }
        }
      }
    });

    it('exp, tanh and sigmoid stay within 5e-7 relative error of float64 on dense grids', () => {
      const sig = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
      const fns = { exp: Math.exp, tanh: Math.tanh, sigmoid: sig } as const;
      const N = 20000;
      const x = wk.alloc(N, 'float32');
      const y = wk.alloc(N, 'float32');
      // Near 0 is where a naive tanh = 1 - 2/(e^2x + 1) loses every digit.
      for (const [lo, hi] of [
        [-1e-4, 1e-4],
        [-1, 1],
        [-30, 30],
        [-87, 88],
      ]) {
        for (let i = 0; i < N; i++) x[i] = lo + ((hi - lo) * i) / (N - 1);
        for (const op of ['exp', 'tanh', 'sigmoid'] as const) {
          wk.unary(op, N, x, 0, y, 0);
          for (let i = 0; i < N; i++) {
            const want = fns[op](x[i]);
            if (want === 0) continue;
            const rel = Math.abs(y[i] - want) / Math.abs(want);
            assert.ok(rel <= 5e-7, `${op}(${x[i]}) = ${y[i]}, want ${want} (rel ${rel})`);
          }
        }
      }
      wk.free(x);
      wk.free(y);
    });

    it('large |x| gives no NaN and the right limits', () => {
      const x = wk.alloc(8, 'float32');
      x.set([100, -100, 1e4, -1e4, 88.5, -88.5, 50, -50]);
      const y = wk.alloc(8, 'float32');
      wk.unary('tanh', 8, x, 0, y, 0);
      assert.deepEqual(Array.from(y), [1, -1, 1, -1, 1, -1, 1, -1]);
      wk.unary('sigmoid', 8, x, 0, y, 0);
      assert.equal(y[0], 1);
      assert.equal(y[2], 1);
      // σ(-100) = 3.7e-44 is a float32 denormal; σ(-1e4) underflows (0 or the smallest denormal).
      assert.ok(y[1] > 0 && Math.abs(y[1] - 3.7e-44) < 3e-45, `sigmoid(-100) = ${y[1]}`);
      assert.ok(y[3] >= 0 && y[3] < 2e-45, `sigmoid(-1e4) = ${y[3]}`);
      wk.unary('exp', 8, x, 0, y, 0);
      assert.equal(y[0], Infinity);
      assert.equal(y[2], Infinity);
      assert.ok(y[1] < 2e-43 && y[3] < 2e-45);
      for (const v of y) assert.ok(!Number.isNaN(v));
      wk.free(x);
      wk.free(y);
    });

    for (const inside of [true, false]) {
      it(`LSTM gates forward/backward match tsKernels (operands ${inside ? 'in' : 'outside'} memory)`, () => {
        const rand = rng(inside ? 21 : 22);
        for (const [rows, H] of [
          [1, 1],
          [2, 3],
          [3, 5],
          [1, 7],
          [2, 16],
          [3, 37],
        ]) {
          const n = rows * H;
          const g = arr(wk, 4 * n, inside, rand);
          g[0] = 100;
          g[1 % (4 * n)] = -100;
          const cp = arr(wk, n, inside, rand);
          const [c, tc, h] = [arr(wk, n, inside, rand), arr(wk, n, inside, rand), arr(wk, n, inside, rand)];
          const r = [g, cp, c, tc, h].map((a) => Float32Array.from(a));
          tsKernels.lstmGatesForward(rows, H, r[0], 0, r[1], 0, r[2], 0, r[3], 0, r[4], 0);
          wk.lstmGatesForward(rows, H, g, 0, cp, 0, c, 0, tc, 0, h, 0);
          const names = ['gates', 'cPrev', 'c', 'tc', 'h'];
          for (const [i, a] of [g, cp, c, tc, h].entries()) {
            assertClose(a, r[i], `lstm fwd ${names[i]} H=${H}`, 1e-2);
          }
          // Backward from the reference forward state, so both sides see identical inputs.
          const gs = r[0];
          const tcs = r[3];
          const dh = arr(wk, n, inside, rand);
          const dc = arr(wk, n, inside, rand);
          const dg = arr(wk, 4 * n, inside, rand);
          const gIn = inside ? (wk.alloc(4 * n, 'float32') as Float32Array) : new Float32Array(4 * n);
          gIn.set(gs);
          const rdc = Float32Array.from(dc);
          const rdg = Float32Array.from(dg);
          tsKernels.lstmGatesBackward(rows, H, gs, 0, cp, 0, tcs, 0, dh, 0, rdc, 0, rdg, 0);
          wk.lstmGatesBackward(rows, H, gIn, 0, cp, 0, tcs, 0, dh, 0, dc, 0, dg, 0);
          assertClose(dc, rdc, `lstm bwd dc H=${H}`, 1e-2);
          assertClose(dg, rdg, `lstm bwd dGates H=${H}`, 1e-2);
          for (const a of [g, cp, c, tc, h, dh, dc, dg, gIn]) wk.free(a);
        }
      });

      it(`GRU gates forward/backward match tsKernels (operands ${inside ? 'in' : 'outside'} memory)`, () => {
        const rand = rng(inside ? 31 : 32);
        for (const [rows, H] of [
          [1, 1],
          [2, 3],
          [3, 6],
          [2, 13],
          [1, 32],
        ]) {
          const n = rows * H;
          const xg = arr(wk, 3 * n, inside, rand);
          const hg = arr(wk, 3 * n, inside, rand);
          xg[0] = 100;
          hg[1 % (3 * n)] = -100;
          const hp = arr(wk, n, inside, rand);
          const h = arr(wk, n, inside, rand);
          const r = [xg, hg, hp, h].map((a) => Float32Array.from(a));
          tsKernels.gruGatesForward(rows, H, r[0], 0, r[1], 0, r[2], 0, r[3], 0);
          wk.gruGatesForward(rows, H, xg, 0, hg, 0, hp, 0, h, 0);
          assertClose(xg, r[0], `gru fwd xg H=${H}`, 1e-2);
          assertClose(hg, r[1], `gru fwd hg H=${H}`, 1e-2);
          assertClose(h, r[3], `gru fwd h H=${H}`, 1e-2);
          const dh = arr(wk, n, inside, rand);
          const [dx, dhg, dhp] = [
            arr(wk, 3 * n, inside, rand),
            arr(wk, 3 * n, inside, rand),
            arr(wk, n, inside, rand),
          ];
          const ref = [dx, dhg, dhp].map((a) => Float32Array.from(a));
          const xs = inside ? (wk.alloc(3 * n, 'float32') as Float32Array) : new Float32Array(3 * n);
          xs.set(r[0]);
          tsKernels.gruGatesBackward(rows, H, r[0], 0, hg, 0, hp, 0, dh, 0, ref[0], 0, ref[1], 0, ref[2], 0);
          wk.gruGatesBackward(rows, H, xs, 0, hg, 0, hp, 0, dh, 0, dx, 0, dhg, 0, dhp, 0);
          assertClose(dx, ref[0], `gru bwd dXg H=${H}`, 1e-2);
          assertClose(dhg, ref[1], `gru bwd dHg H=${H}`, 1e-2);
          assertClose(dhp, ref[2], `gru bwd dhPrev H=${H}`, 1e-2);
          for (const a of [xg, hg, hp, h, dh, dx, dhg, dhp, xs]) wk.free(a);
        }
      });
    }

    it('delegates float64 operands to the TypeScript kernels (bit-identical)', () => {
      const rand = rng(41);
      const [rows, H] = [2, 5];
      const n = rows * H;
      const mk = (len: number) => Float64Array.from({ length: len }, () => rand() * 4 - 2);
      const x = mk(n);
      for (const op of OPS) {
        const y = new Float64Array(n);
        const want = new Float64Array(n);
        const xx = op === 'log' ? x.map(Math.abs) : x;
        wk.unary(op, n, xx, 0, y, 0);
        tsKernels.unary(op, n, xx, 0, want, 0);
        assert.deepEqual(y, want);
      }
      const lstm = [mk(4 * n), mk(n), mk(n), mk(n), mk(n)];
      const lref = lstm.map((a) => Float64Array.from(a));
      wk.lstmGatesForward(rows, H, lstm[0], 0, lstm[1], 0, lstm[2], 0, lstm[3], 0, lstm[4], 0);
      tsKernels.lstmGatesForward(rows, H, lref[0], 0, lref[1], 0, lref[2], 0, lref[3], 0, lref[4], 0);
      assert.deepEqual(lstm, lref);
      const gru = [mk(3 * n), mk(3 * n), mk(n), mk(n)];
      const gref = gru.map((a) => Float64Array.from(a));
      wk.gruGatesForward(rows, H, gru[0], 0, gru[1], 0, gru[2], 0, gru[3], 0);
      tsKernels.gruGatesForward(rows, H, gref[0], 0, gref[1], 0, gref[2], 0, gref[3], 0);
      assert.deepEqual(gru, gref);
      const lb = [mk(n), mk(4 * n)];
      const lbr = lb.map((a) => Float64Array.from(a));
      const dh = mk(n);
      wk.lstmGatesBackward(rows, H, lref[0], 0, lref[1], 0, lref[3], 0, dh, 0, lb[0], 0, lb[1], 0);
      tsKernels.lstmGatesBackward(rows, H, lref[0], 0, lref[1], 0, lref[3], 0, dh, 0, lbr[0], 0, lbr[1], 0);
      assert.deepEqual(lb, lbr);
      const gb = [mk(3 * n), mk(3 * n), mk(n)];
      const gbr = gb.map((a) => Float64Array.from(a));
      wk.gruGatesBackward(rows, H, gref[0], 0, gref[1], 0, gref[2], 0, dh, 0, gb[0], 0, gb[1], 0, gb[2], 0);
      tsKernels.gruGatesBackward(
        rows,
        H,
        gref[0],
        0,
        gref[1],
        0,
        gref[2],
        0,
        dh,
        0,
        gbr[0],
        0,
        gbr[1],
        0,
        gbr[2],
        0,
      );
      assert.deepEqual(gb, gbr);
    });
  });
}
