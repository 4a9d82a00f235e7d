/**
 * Two-thread wasm kernels (threads.ts, worker.ts, jobs.ts): split calls must equal one-thread calls
 * bit for bit (random and odd shapes, the main thread's or the worker's share empty, operands in
 * and out of wasm memory, memory grown after the worker started), and the late-worker fallback.
 * The thread setting, RECUR_THREADS, process exit and the browser build: threads-process.test.ts.
 *
 * Splitting is forced on for small calls with `tuneThreads` (no size threshold, tiny chunks), so
 * every shape below is cut into several chunks. No assertion depends on timing except the
 * fallback test, which makes the worker late on purpose by milliseconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lstmSequenceLoop } from '../sequence.js';
import type { Kernels } from '../types.js';
import { loadWasmKernelsSync, setThreads, wasmThreadStats, wasmThreadsReady } from './index.js';
import { tuneThreads } from './tuning.js';

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

/** Forces splitting of every call into many small chunks; fallback off unless asked. */
const FORCE = {
  minFlopHot: 0,
  minFlopCold: 0,
  chunkFlop: 2000,
  maxChunks: 64,
  fallback: false,
  mainClaims: true,
  workerDelayUs: 0,
} as const;

function filled(k: Kernels, n: number, inside: boolean, rand: () => number, scale = 1): Float32Array {
  const a = inside ? (k.alloc(n, 'float32') as Float32Array) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

/** Bitwise equality (so -0 vs 0 and NaN payloads count). */
function assertSame(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i])
      assert.fail(`${what}: element ${i} differs: ${got[i]} (2 threads) vs ${want[i]} (1 thread)`);
  }
}

/**
 * Runs `call(outs)` once with 1 thread and once with 2 on copies of the same output buffers
 * (which may also be inputs, e.g. accumulate or in-place gates) and compares them bitwise.
 */
function sameBothWays(outs: Float32Array[], call: (o: Float32Array[]) => void, what: string): void {
  const one = outs.map((o) => Float32Array.from(o));
  // One thread on the original buffers (they may live in wasm memory), keep the results...
  setThreads(1);
  call(outs);
  const ref = outs.map((o) => Float32Array.from(o));
  // ...then restore the inputs and run split.
  for (let i = 0; i < outs.length; i++) outs[i].set(one[i]);
  setThreads(2);
  call(outs);
  for (let i = 0; i < outs.length; i++) assertSame(outs[i], ref[i], `${what} output ${i}`);
}

const builds = (['relaxed', 'plain'] as const).map((b) => {
  const k = loadWasmKernelsSync({ build: b });
  assert.ok(k, `the ${b} wasm build must load (run npm run build:wasm)`);
  return [b, k] as const;
});

for (const [build, k] of builds) {
  describe(`wasm threads (${build})`, () => {
    before(async () => {
      setThreads(2);
      assert.equal(await wasmThreadsReady(k), true, 'the worker must start');
      tuneThreads(FORCE);
    });
    after(() => {
      tuneThreads();
    });

    it('gemm and gemmPacked: split equals one thread, random and odd shapes, in and out of memory', () => {
      const rand = rng(build === 'relaxed' ? 1 : 2);
      const before = wasmThreadStats(k)!;
      const dim = (max: number) => 1 + Math.floor(rand() * max);
      const shapes: [number, number, number][] = [
        [1, 17, 3],
        [2, 33, 1],
        [3, 300, 400],
        [33, 16, 5],
        [17, 47, 390],
        [64, 257, 64],
        // Over two row blocks of the packed A (120 rows): packA is split too.
        [250, 40, 70],
      ];
      for (let r = 0; r < 14; r++) shapes.push([dim(40), dim(300), dim(450)]);
      for (const [m, n, kk] of shapes) {
        const tA = rand() < 0.5;
        const tB = rand() < 0.5;
        const acc = rand() < 0.5;
        const inside = rand() < 0.7;
        const pad = Math.floor(rand() * 3);
        const lda = (tA ? m : kk) + pad;
        const ldb = (tB ? kk : n) + pad;
        const ldc = n + pad;
        const A = filled(k, (tA ? kk : m) * lda, inside, rand);
        const B = filled(k, (tB ? n : kk) * ldb, inside, rand);
        const C = filled(k, m * ldc + pad, inside, rand);
        const what = `gemm ${JSON.stringify({ tA, tB, m, n, kk, acc, inside, pad })}`;
        sameBothWays([C], ([c]) => k.gemm(tA, tB, m, n, kk, A, 0, lda, B, 0, ldb, c, pad, ldc, acc), what);
        const P = k.packB(tB, kk, n, B, 0, ldb);
        const A2 = filled(k, m * (kk + pad), inside, rand);
        sameBothWays([C], ([c]) => k.gemmPacked(m, A2, 0, kk + pad, P, c, pad, ldc, acc), `packed ${what}`);
        P.dispose();
        for (const x of [A, B, C, A2]) k.free(x);
      }
      const s = wasmThreadStats(k)!;
      assert.ok(s.jobs > before.jobs, 'calls were split');
    });

    it('matrix-vector products (rows layout): split equals one thread', () => {
      const rand = rng(build === 'relaxed' ? 5 : 6);
      const before = wasmThreadStats(k)!;
      for (const [n, kk, tB] of [
        [1024, 256, true],
        [333, 129, false],
        [17, 3, true],
      ] as [number, number, boolean][]) {
        const ldb = tB ? kk : n;
        const B = filled(k, n * kk, true, rand);
        const P = k.packB(tB, kk, n, B, 0, ldb, 1);
        const A = filled(k, kk, rand() < 0.5, rand);
        const C = filled(k, n, true, rand);
        sameBothWays([C], ([c]) => k.gemmPacked(1, A, 0, kk, P, c, 0, n, true), `gemv n=${n} k=${kk}`);
        P.dispose();
        for (const x of [A, B, C]) k.free(x);
      }
      assert.ok(wasmThreadStats(k)!.jobs > before.jobs, 'calls were split');
    });

    it('pointwise kernels: split equals one thread', () => {
      const rand = rng(3);
      for (const n of [1, 17, 100, 1000, 4099]) {
        for (const op of ['exp', 'tanh', 'sigmoid', 'relu'] as const) {
          const x = filled(k, n, true, rand, 5);
          const y = filled(k, n, n % 2 === 0, rand);
          sameBothWays([y], ([yy]) => k.unary(op, n, x, 0, yy, 0), `unary ${op} n=${n}`);
          k.free(x);
          k.free(y);
        }
      }
      for (const [rows, H] of [
        [1, 1],
        [3, 5],
        [2, 17],
        [5, 64],
        [9, 131],
        [4, 256],
      ]) {
        const n = rows * H;
        const inside = H !== 17;
        const mk = (len: number, scale = 2) => filled(k, len, inside, rand, scale);
        const [g, cp, c, tc, h, dh, dc, dg] = [
          mk(4 * n),
          mk(n),
          mk(n),
          mk(n),
          mk(n),
          mk(n),
          mk(n),
          mk(4 * n),
        ];
        const tag = `rows=${rows} H=${H}`;
        sameBothWays(
          [g, c, tc, h],
          ([gg, cc, tt, hh]) => k.lstmGatesForward(rows, H, gg, 0, cp, 0, cc, 0, tt, 0, hh, 0),
          `lstm fwd ${tag}`,
        );
        sameBothWays(
          [dc, dg],
          ([dd, gg]) => k.lstmGatesBackward(rows, H, g, 0, cp, 0, tc, 0, dh, 0, dd, 0, gg, 0),
          `lstm bwd ${tag}`,
        );
        const [xg, hg, dx, dhg] = [mk(3 * n), mk(3 * n), mk(3 * n), mk(3 * n)];
        sameBothWays(
          [xg, h],
          ([xx, hh]) => k.gruGatesForward(rows, H, xx, 0, hg, 0, cp, 0, hh, 0),
          `gru fwd ${tag}`,
        );
        sameBothWays(
          [dx, dhg, dc],
          ([a, b, d]) => k.gruGatesBackward(rows, H, xg, 0, hg, 0, cp, 0, dh, 0, a, 0, b, 0, d, 0),
          `gru bwd ${tag}`,
        );
        for (const x of [g, cp, c, tc, h, dh, dc, dg, xg, hg, dx, dhg]) k.free(x);
      }
    });

    it('whole-sequence LSTM at batch 1: equals the step loop, split or not, whoever takes the steps', () => {
      const rand = rng(build === 'relaxed' ? 11 : 12);
      const before = wasmThreadStats(k)!;
      // 16 and 256 split each step in two; 8 and 37 run one chunk per step (not whole row blocks).
      for (const [T, H, reverse] of [
        [5, 16, false],
        [30, 256, true],
        [1, 8, false],
        [12, 37, true],
        [40, 24, false],
      ] as [number, number, boolean][]) {
        const W = filled(k, 4 * H * H, true, rand, 0.3);
        const P = k.packB(true, H, 4 * H, W, 0, H, 1);
        const gates = filled(k, T * 4 * H, true, rand, 2);
        const [cAll, hAll] = [0, 1].map(() => filled(k, (T + 1) * H, true, rand));
        const tcAll = filled(k, T * H, true, rand);
        const outs = [gates, cAll, tcAll, hAll];
        const what = `T=${T} H=${H} reverse=${reverse}`;
        const inputs = outs.map((o) => Float32Array.from(o));
        setThreads(1);
        lstmSequenceLoop(k, T, 1, H, gates, cAll, tcAll, hAll, P, reverse);
        const loop = outs.map((o) => Float32Array.from(o));
        const restore = () => {
          for (let i = 0; i < outs.length; i++) outs[i].set(inputs[i]);
        };
        for (const [delay, mainClaims] of [
          [0, true],
          [0, false],
          [500, true],
        ] as [number, boolean][]) {
          tuneThreads({ ...FORCE, workerDelayUs: delay, mainClaims });
          restore();
          setThreads(2);
          k.lstmSequenceForward(T, 1, H, gates, cAll, tcAll, hAll, P, reverse);
          for (let i = 0; i < outs.length; i++)
            assertSame(outs[i], loop[i], `${what} delay ${delay} main ${mainClaims}: output ${i}`);
          restore();
          sameBothWays(
            outs,
            ([g, c, tc, h]) => k.lstmSequenceForward(T, 1, H, g, c, tc, h, P, reverse),
            what,
          );
        }
        tuneThreads(FORCE);
        P.dispose();
        for (const x of [W, ...outs]) k.free(x);
      }
      assert.ok(wasmThreadStats(k)!.workerChunks > before.workerChunks, 'the worker took part');
    });

    it("the main thread's share empty: the worker runs every chunk, results unchanged", () => {
      const rand = rng(4);
      const before = wasmThreadStats(k)!;
      tuneThreads({ ...FORCE, mainClaims: false });
      try {
        for (const [m, n, kk] of [
          [5, 100, 70],
          [32, 1024, 256],
          [1, 33, 9],
        ]) {
          const A = filled(k, m * kk, true, rand);
          const W = filled(k, n * kk, false, rand);
          const C = filled(k, m * n, true, rand);
          const P = k.packB(true, kk, n, W, 0, kk);
          sameBothWays(
            [C],
            ([c]) => k.gemmPacked(m, A, 0, kk, P, c, 0, n, true),
            `worker-only ${m}x${kk}x${n}`,
          );
          sameBothWays(
            [C],
            ([c]) => k.gemm(false, true, m, n, kk, A, 0, kk, W, 0, kk, c, 0, n, false),
            'gemm',
          );
          P.dispose();
          for (const x of [A, W, C]) k.free(x);
        }
        const rows = 3;
        const H = 37;
        const g = filled(k, 4 * rows * H, true, rand, 3);
        const [cp, c, tc, h] = [0, 1, 2, 3].map(() => filled(k, rows * H, true, rand));
        sameBothWays(
          [g, c, tc, h],
          ([gg, cc, tt, hh]) => k.lstmGatesForward(rows, H, gg, 0, cp, 0, cc, 0, tt, 0, hh, 0),
          'worker-only lstm',
        );
      } finally {
        tuneThreads(FORCE);
      }
      const s = wasmThreadStats(k)!;
      assert.ok(s.workerChunks > before.workerChunks, 'the worker ran chunks');
      assert.equal(s.mainChunks, before.mainChunks, 'the main thread ran none');
    });

    it("the worker's share empty or tiny: single-panel calls and a stalled worker", () => {
      const rand = rng(5);
      // n <= 16 is one panel: never split. A worker delayed by 1 ms per chunk takes at most one
      // chunk while the main thread does the rest.
      for (const delay of [0, 1000]) {
        tuneThreads({ ...FORCE, workerDelayUs: delay });
        for (const [m, n, kk] of [
          [7, 16, 50],
          [3, 1, 200],
          [32, 512, 128],
        ]) {
          const A = filled(k, m * kk, true, rand);
          const W = filled(k, n * kk, true, rand);
          const C = filled(k, m * n, true, rand);
          const P = k.packB(true, kk, n, W, 0, kk);
          sameBothWays(
            [C],
            ([c]) => k.gemmPacked(m, A, 0, kk, P, c, 0, n, false),
            `${m}x${kk}x${n} d${delay}`,
          );
          P.dispose();
          for (const x of [A, W, C]) k.free(x);
        }
      }
      tuneThreads(FORCE);
    });

    it('operands in memory grown after the worker started', () => {
      const rand = rng(6);
      // 32 MiB more: the shared memory grows while the worker is parked; A and C live at the end.
      const big = k.alloc(8 << 20, 'float32') as Float32Array;
      const [m, n, kk] = [16, 200, 100];
      const cOff = big.length - m * n;
      const aOff = cOff - m * kk;
      for (let i = aOff; i < big.length; i++) big[i] = rand() * 2 - 1;
      const W = filled(k, n * kk, true, rand);
      const P = k.packB(true, kk, n, W, 0, kk);
      const before = wasmThreadStats(k)!.jobs;
      sameBothWays(
        [big.subarray(cOff)],
        () => k.gemmPacked(m, big, aOff, kk, P, big, cOff, n, true),
        'grown memory',
      );
      assert.ok(wasmThreadStats(k)!.jobs > before);
      P.dispose();
      for (const x of [big, W]) k.free(x);
    });

    it('falls back to one thread when the worker is late, and tries again later', async () => {
      const rand = rng(7);
      // The worker needs > 3 ms per chunk while the main thread needs microseconds, so every job
      // it joins is late; it spins long between jobs so that it joins (on a loaded machine it may
      // still miss jobs, which also switches splitting off: then wait out the backoff and retry).
      const late = { ...FORCE, fallback: true, workerDelayUs: 3000, workerSpinUs: 20_000 };
      tuneThreads({ ...late, backoffMinMs: 30, backoffMaxMs: 30 });
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      try {
        const [m, n, kk] = [16, 512, 64];
        const A = filled(k, m * kk, true, rand);
        const W = filled(k, n * kk, true, rand);
        const C = filled(k, m * n, true, rand);
        const P = k.packB(true, kk, n, W, 0, kk);
        const s0 = wasmThreadStats(k)!;
        const t0 = performance.now();
        let s = s0;
        while (
          !(s.late > s0.late && s.disables > s0.disables && s.disabled) &&
          performance.now() - t0 < 5000
        ) {
          if (s.disabled) await sleep(35);
          sameBothWays([C], ([c]) => k.gemmPacked(m, A, 0, kk, P, c, 0, n, false), 'late worker');
          s = wasmThreadStats(k)!;
        }
        assert.ok(s.late > s0.late, 'a late job was detected');
        // Jobs slower split than on one thread (judged per 50 ms window) switch splitting off.
        assert.equal(s.disabled, true, 'splitting is off');
        assert.ok(s.disables > s0.disables);
        // While off, calls run on one thread: no job is posted.
        for (let i = 0; i < 5; i++) k.gemmPacked(m, A, 0, kk, P, C, 0, n, false);
        assert.equal(wasmThreadStats(k)!.jobs, s.jobs);
        // After the backoff it tries again.
        await sleep(40);
        tuneThreads({ ...late, workerDelayUs: 0 });
        k.gemmPacked(m, A, 0, kk, P, C, 0, n, false);
        assert.equal(wasmThreadStats(k)!.jobs, s.jobs + 1);
        P.dispose();
        for (const x of [A, W, C]) k.free(x);
      } finally {
        tuneThreads();
        tuneThreads(FORCE);
      }
    });
  });
}
