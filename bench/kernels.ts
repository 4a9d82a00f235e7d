/**
 * Kernel benchmark: GEMM GFLOP/s and gate-step ns/value for the TypeScript and wasm backends,
 * the wasm ones on one thread and on two (main thread + worker, src/kernels/wasm/threads.ts).
 *
 *   npm run build && npm run bench:kernels        (node dist/bench/kernels.js)
 *   node dist/bench/kernels.js --sweep            (also: where splitting starts to pay)
 *   node dist/bench/kernels.js --raw              (2 threads without the late-worker fallback)
 *
 * stdout: one JSON line per (benchmark, backend, shape); stderr: a readable table.
 *
 * Method (DESIGN.md §3): every configuration is warmed up first (~300 ms: V8 runs new wasm code in
 * its baseline tier before the optimising tier takes over), then timed as repeated samples of
 * at least ~30 ms each, and the median sample is reported. The one- and two-thread timings of a
 * configuration are taken as alternating sample pairs, so both see the same load from other
 * processes. GEMM is the hot-path form used by the recurrent layers: B = W [N, K] packed once with
 * transB (W_hh is stored [G*H, H]), A and C allocated by the backend (wasm memory for wasm), C
 * overwritten. `gemm` rows are the unpacked entry (B packed inside the call): the input projection
 * X·W_ihᵀ and the weight gradient dGᵀ·H (transA) of a sequence. `fma peak` is the multiply-add
 * ceiling of one core (assembly/peak.ts), and the GEMM is also reported as a share of it. Peers run
 * side by side in the same process, so ratios are meaningful even when another process shares the
 * machine.
 */
import { cpus, loadavg } from 'node:os';
import { tsKernels } from '../src/kernels/ts/index.js';
import {
  getThreads,
  loadWasmKernelsSync,
  setThreads,
  wasmInfo,
  wasmThreadStats,
  wasmThreadsReady,
} from '../src/kernels/wasm/index.js';
import type { KernelExports } from '../src/kernels/wasm/kernel-exports.js';
import { tuneThreads } from '../src/kernels/wasm/tuning.js';
import {
  type Backend,
  cpuSnap,
  emit,
  median,
  othersCores,
  type Row,
  round,
  rows,
  timeFor,
  timeMedian,
  timeThreads,
} from './kernels-timing.js';

const GEMM_SHAPES: [number, number, number][] = [
  [32, 320, 1024],
  [32, 256, 1024],
  [1, 320, 1024],
  [256, 256, 1024],
  [1024, 1024, 1024],
];

function rand(a: Float32Array, scale: number): void {
  for (let i = 0; i < a.length; i++) a[i] = (Math.random() * 2 - 1) * scale;
}

function gflops(flop: number, ms: number): number {
  return flop / (ms * 1e6);
}

function benchGemmPacked(b: Backend, M: number, K: number, N: number): void {
  const { k } = b;
  const A = k.alloc(M * K, 'float32') as Float32Array;
  const C = k.alloc(M * N, 'float32') as Float32Array;
  const W = new Float32Array(N * K);
  rand(A, 1);
  rand(W, 0.1);
  const packed = k.packB(true, K, N, W, 0, K);
  const t = timeFor(b, () => k.gemmPacked(M, A, 0, K, packed, C, 0, N, false));
  const f = 2 * M * N * K;
  const [g1, g2] = [gflops(f, t.one), gflops(f, t.two)];
  emit(
    {
      bench: 'gemm-packed',
      backend: b.label,
      M,
      K,
      N,
      gflops: round(g1, 2),
      gflops2: round(g2, 2),
      msPerCall: round(t.one, 4),
      msPerCall2: round(t.two, 4),
      samples: t.samples,
    },
    { bench: 'gemm packed', backend: b.label, shape: `${M}x${K}x${N}`, one: g1, two: g2, unit: 'GFLOP/s' },
  );
  packed.dispose();
  k.free(A);
  k.free(C);
}

/**
 * The multiply-add peak of one thread (assembly/peak.ts: 12 independent chains, no memory), the
 * ceiling the GEMM rows are measured against: it reads the CPU's actual clock and FMA units.
 */
function benchPeak(b: Backend): void {
  const ex = (b.k as unknown as { ex: KernelExports }).ex;
  const iters = 100_000;
  const { ms } = timeMedian(() => ex.fmaPeak(iters));
  const g = gflops(iters * 96, ms);
  emit(
    { bench: 'fma-peak', backend: b.label, gflops: round(g, 2) },
    { bench: 'fma peak', backend: b.label, shape: '12 chains', one: g, two: Number.NaN, unit: 'GFLOP/s' },
  );
}

/**
 * The unpacked GEMM as a sequence layer uses it (B packed inside every call): `proj` is the
 * input projection C[TB, G] = X[TB, I] · W_ihᵀ, `wgrad` the weight gradient
 * dW[G, P] = dG[TB, G]ᵀ · H[TB, P] (transA).
 */
function benchGemm(b: Backend, form: 'proj' | 'wgrad', M: number, K: number, N: number): void {
  const { k } = b;
  const transA = form === 'wgrad';
  const transB = form === 'proj';
  const A = k.alloc(M * K, 'float32') as Float32Array;
  const B = k.alloc(K * N, 'float32') as Float32Array;
  const C = k.alloc(M * N, 'float32') as Float32Array;
  rand(A, 1);
  rand(B, 0.1);
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  const t = timeFor(b, () => k.gemm(transA, transB, M, N, K, A, 0, lda, B, 0, ldb, C, 0, N, false));
  const f = 2 * M * N * K;
  const [g1, g2] = [gflops(f, t.one), gflops(f, t.two)];
  emit(
    {
      bench: `gemm-${form}`,
      backend: b.label,
      transA,
      transB,
      M,
      K,
      N,
      gflops: round(g1, 2),
      gflops2: round(g2, 2),
      samples: t.samples,
    },
    { bench: `gemm ${form}`, backend: b.label, shape: `${M}x${K}x${N}`, one: g1, two: g2, unit: 'GFLOP/s' },
  );
  for (const x of [A, B, C]) k.free(x);
}

/**
 * A straightforward JavaScript LSTM gate step built on Math.exp only (tanh(x) = 2σ(2x) - 1),
 * the baseline the fused wasm kernel is meant to beat.
 */
function lstmGatesMathExp(
  rowsN: number,
  H: number,
  g: Float32Array,
  cp: Float32Array,
  c: Float32Array,
  tc: Float32Array,
  h: Float32Array,
): void {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  for (let r = 0; r < rowsN; r++) {
    const gr = r * 4 * H;
    const sr = r * H;
    for (let j = 0; j < H; j++) {
      const ig = sig(g[gr + j]);
      const fg = sig(g[gr + H + j]);
      const gg = 2 * sig(2 * g[gr + 2 * H + j]) - 1;
      const og = sig(g[gr + 3 * H + j]);
      g[gr + j] = ig;
      g[gr + H + j] = fg;
      g[gr + 2 * H + j] = gg;
      g[gr + 3 * H + j] = og;
      const cv = fg * cp[sr + j] + ig * gg;
      const t = 2 * sig(2 * cv) - 1;
      c[sr + j] = cv;
      tc[sr + j] = t;
      h[sr + j] = og * t;
    }
  }
}

type GateKind = 'lstm-fwd' | 'lstm-bwd' | 'gru-fwd' | 'gru-bwd';

/**
 * ns per value (one of the rows*H hidden units) of a fused gate step. The forward steps overwrite
 * their gates in place, so later calls see activations in (-1, 1): this only makes the JS
 * baselines' sign branches predictable, i.e. it flatters them; the wasm code is branch-free.
 */
function benchGates(b: Backend | 'math-exp', kind: GateKind, rowsN: number, H: number): void {
  const k = b === 'math-exp' ? null : b.k;
  const mk = (n: number) => (k ? (k.alloc(n, 'float32') as Float32Array) : new Float32Array(n));
  const n = rowsN * H;
  const G = kind.startsWith('lstm') ? 4 : 3;
  const bufs = [mk(G * n), mk(G * n), mk(G * n), mk(G * n), mk(n), mk(n), mk(n), mk(n)];
  for (const x of bufs) rand(x, 1);
  rand(bufs[0], 3);
  const [g, x2, x3, x4, s1, s2, s3, s4] = bufs;
  let fn: () => void;
  if (!k) fn = () => lstmGatesMathExp(rowsN, H, g, s1, s2, s3, s4);
  else if (kind === 'lstm-fwd') fn = () => k.lstmGatesForward(rowsN, H, g, 0, s1, 0, s2, 0, s3, 0, s4, 0);
  else if (kind === 'lstm-bwd')
    fn = () => k.lstmGatesBackward(rowsN, H, g, 0, s1, 0, s2, 0, s3, 0, s4, 0, x2, 0);
  else if (kind === 'gru-fwd') fn = () => k.gruGatesForward(rowsN, H, g, 0, x2, 0, s1, 0, s2, 0);
  else fn = () => k.gruGatesBackward(rowsN, H, g, 0, x2, 0, s1, 0, s2, 0, x3, 0, x4, 0, s3, 0);
  const label = b === 'math-exp' ? 'math-exp' : b.label;
  const t = b === 'math-exp' ? { ...timeMedian(fn), two: Number.NaN } : timeFor(b, fn);
  const one = 'ms' in t ? t.ms : t.one;
  const [n1, n2] = [(one * 1e6) / n, (t.two * 1e6) / n];
  emit(
    { bench: kind, backend: label, rows: rowsN, H, nsPerValue: round(n1, 3), nsPerValue2: round(n2, 3) },
    { bench: kind, backend: label, shape: `${rowsN}x${H}`, one: n1, two: n2, unit: 'ns/value' },
  );
  if (k) for (const x of bufs) k.free(x);
}

/** One LSTM time step as the fused layer runs it: gates += h·W_hhᵀ (packed), then the gate step. */
function benchLstmStep(b: Backend, rowsN: number, H: number): void {
  const { k } = b;
  const G = 4 * H;
  const h = k.alloc(rowsN * H, 'float32') as Float32Array;
  const gates = k.alloc(rowsN * G, 'float32') as Float32Array;
  const xg = k.alloc(rowsN * G, 'float32') as Float32Array;
  const [cp, c, tc] = [0, 1, 2].map(() => k.alloc(rowsN * H, 'float32') as Float32Array);
  const W = new Float32Array(G * H);
  rand(W, 0.05);
  rand(h, 1);
  rand(xg, 1);
  rand(cp, 1);
  const whh = k.packB(true, H, G, W, 0, H);
  const fn = () => {
    gates.set(xg);
    k.gemmPacked(rowsN, h, 0, H, whh, gates, 0, G, true);
    k.lstmGatesForward(rowsN, H, gates, 0, cp, 0, c, 0, tc, 0, h, 0);
  };
  const t = timeFor(b, fn);
  emit(
    {
      bench: 'lstm-step',
      backend: b.label,
      rows: rowsN,
      H,
      us: round(t.one * 1e3, 2),
      us2: round(t.two * 1e3, 2),
    },
    {
      bench: 'lstm step',
      backend: b.label,
      shape: `${rowsN}x${H}`,
      one: t.one * 1e3,
      two: t.two * 1e3,
      unit: 'µs/step',
    },
  );
  whh.dispose();
  for (const x of [h, gates, xg, cp, c, tc]) k.free(x);
}

/**
 * Where splitting starts to pay: gemmPacked (M = 32) over a range of sizes with splitting forced
 * on (no threshold), against one thread. `hot`: calls back to back (the worker is spinning);
 * `cold`: ~1 ms idle before each call, so the worker is asleep in Atomics.wait and must be woken.
 */
function sweep(b: Backend): void {
  const { k } = b;
  const idle = new Int32Array(new SharedArrayBuffer(4));
  const prev = tuneThreads({ minFlopHot: 0, minFlopCold: 0, fallback: false });
  const s0 = cpuSnap();
  const lines: string[] = [`threshold sweep (${b.label}, gemmPacked M=32, splitting forced on)`];
  lines.push(`${'K x N'.padEnd(12)}${'MFLOP'.padEnd(8)}${'hot 1t/2t µs'.padEnd(22)}cold 1t/2t µs`);
  for (const [K, N] of [
    [32, 64],
    [64, 64],
    [64, 128],
    [128, 128],
    [128, 256],
    [256, 256],
    [256, 512],
    [256, 1024],
    [512, 1024],
  ]) {
    const M = 32;
    const A = k.alloc(M * K, 'float32') as Float32Array;
    const C = k.alloc(M * N, 'float32') as Float32Array;
    const W = new Float32Array(N * K);
    rand(A, 1);
    rand(W, 0.1);
    const p = k.packB(true, K, N, W, 0, K);
    const call = () => k.gemmPacked(M, A, 0, K, p, C, 0, N, false);
    const hot = timeThreads(call, true);
    // Cold: time single calls after an idle gap, median of many.
    const cold = (n: 1 | 2) => {
      setThreads(n);
      const ts: number[] = [];
      for (let i = 0; i < 60; i++) {
        Atomics.wait(idle, 0, 0, 1);
        const s = performance.now();
        call();
        ts.push(performance.now() - s);
      }
      return median(ts);
    };
    const c1 = cold(1);
    const c2 = cold(2);
    const c1b = cold(1);
    const c2b = cold(2);
    const mf = (2 * M * N * K) / 1e6;
    const [h1, h2, k1, k2] = [hot.one, hot.two, Math.min(c1, c1b), Math.min(c2, c2b)].map((x) => x * 1e3);
    process.stdout.write(
      `${JSON.stringify({ bench: 'sweep', backend: b.label, M, K, N, mflop: +mf.toFixed(3), hot1: round(h1, 2), hot2: round(h2, 2), cold1: round(k1, 2), cold2: round(k2, 2) })}\n`,
    );
    lines.push(
      `${`${K}x${N}`.padEnd(12)}${mf.toFixed(2).padEnd(8)}${`${h1.toFixed(1)} / ${h2.toFixed(1)} (${(h1 / h2).toFixed(2)}x)`.padEnd(22)}${k1.toFixed(1)} / ${k2.toFixed(1)} (${(k1 / k2).toFixed(2)}x)`,
    );
    p.dispose();
    k.free(A);
    k.free(C);
  }
  setThreads(1);
  tuneThreads(prev);
  lines.push(`other processes used ${othersCores(s0, cpuSnap()).toFixed(2)} cores meanwhile`);
  console.error(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const doSweep = process.argv.includes('--sweep');
  // --raw: never switch splitting off (shows what the fallback saves on a shared machine).
  if (process.argv.includes('--raw')) tuneThreads({ fallback: false });
  const envThreads = getThreads();
  const relaxed = loadWasmKernelsSync({ build: 'relaxed' });
  const plain = loadWasmKernelsSync({ build: 'plain' });
  const backends: Backend[] = [{ label: 'ts', k: tsKernels, twoOk: false }];
  const wasm: Backend[] = [];
  if (relaxed && wasmInfo(relaxed).relaxed) wasm.push({ label: 'wasm-relaxed', k: relaxed, twoOk: false });
  if (plain) wasm.push({ label: 'wasm-simd', k: plain, twoOk: false });
  if (wasm.length === 0) console.error('bench: wasm kernels unavailable (run npm run build:wasm)');
  setThreads(2);
  for (const b of wasm) b.twoOk = getThreads() === 2 && (await wasmThreadsReady(b.k));
  setThreads(1);
  backends.push(...wasm);
  const cpu = cpus()[0]?.model ?? 'unknown';
  const load = loadavg().map((x) => +x.toFixed(2));
  process.stdout.write(
    `${JSON.stringify({ bench: 'env', node: process.version, cpu, cores: cpus().length, loadavg: load, threadsDefault: envThreads, twoThreads: wasm.map((b) => b.twoOk), backends: backends.map((b) => b.label) })}\n`,
  );

  if (doSweep) for (const b of wasm) sweep(b);
  // The plain build has no FMA; its mul + add chains are not a peak its GEMM is bounded by.
  for (const b of wasm) if (b.label === 'wasm-relaxed') benchPeak(b);
  for (const [M, K, N] of GEMM_SHAPES) for (const b of backends) benchGemmPacked(b, M, K, N);
  for (const b of wasm) {
    benchGemm(b, 'proj', 2048, 256, 1024);
    benchGemm(b, 'wgrad', 1024, 2048, 256);
  }
  benchGates('math-exp', 'lstm-fwd', 32, 256);
  for (const b of backends) benchGates(b, 'lstm-fwd', 32, 256);
  for (const b of wasm)
    for (const kind of ['lstm-bwd', 'gru-fwd', 'gru-bwd'] as const) benchGates(b, kind, 32, 256);
  for (const b of wasm) benchLstmStep(b, 32, 256);

  const fmt = (x: number, unit: Row['unit']) =>
    Number.isFinite(x) ? (unit === 'ns/value' ? x.toFixed(2) : x.toFixed(1)) : '-';
  const lines = [
    `cpu: ${cpu}, ${cpus().length} cores, node ${process.version}, load average at start ${load.join(' ')}`,
    '',
  ];
  lines.push(
    `${'benchmark'.padEnd(14)}${'backend'.padEnd(14)}${'shape'.padEnd(16)}${'1 thread'.padEnd(10)}${'2 threads'.padEnd(11)}${'2t/1t'.padEnd(7)}${'unit'.padEnd(10)}others`,
  );
  for (const r of rows) {
    const speed = r.unit === 'GFLOP/s' ? r.two / r.one : r.one / r.two;
    const ratio = Number.isFinite(speed) ? `${speed.toFixed(2)}x` : '-';
    lines.push(
      `${r.bench.padEnd(14)}${r.backend.padEnd(14)}${r.shape.padEnd(16)}${fmt(r.one, r.unit).padEnd(10)}${fmt(r.two, r.unit).padEnd(11)}${ratio.padEnd(7)}${r.unit.padEnd(10)}${Number.isFinite(r.others) ? r.others!.toFixed(2) : '-'}`,
    );
  }
  const exp = rows.find((r) => r.backend === 'math-exp');
  for (const r of rows) {
    if (exp && r.bench === 'lstm-fwd' && r !== exp)
      lines.push(`${r.backend}: ${(exp.one / r.one).toFixed(2)}x the Math.exp step (1 thread)`);
  }
  for (const peak of rows.filter((r) => r.bench === 'fma peak')) {
    const g = rows.find(
      (r) => r.bench === 'gemm packed' && r.backend === peak.backend && r.shape === '32x320x1024',
    );
    if (g)
      lines.push(
        `${peak.backend}: gemm packed 32x320x1024 at ${((100 * g.one) / peak.one).toFixed(0)}% of the multiply-add peak (1 thread)`,
      );
  }
  lines.push('others: CPU cores used by other processes during the row (from /proc/stat)');
  for (const b of wasm) {
    const s = wasmThreadStats(b.k);
    if (s) lines.push(`${b.label} worker: ${JSON.stringify(s)}`);
  }
  console.error(lines.join('\n'));
}

await main();
