/**
 * Kernel benchmark: GEMM GFLOP/s and LSTM gate-step ns/value for the TypeScript and wasm backends.
 *
 *   npm run build && npm run bench:kernels        (node dist/bench/kernels.js)
 *
 * stdout: one JSON line per (benchmark, backend, shape); stderr: a readable table.
 *
 * Method (DESIGN.md §3): every configuration is warmed up first (~300 ms: V8 runs new wasm code in
 * its baseline tier before the optimising tier takes over), then timed as repeated samples of
 * at least ~30 ms each, and the median sample is reported. GEMM is the hot-path form used by the
 * recurrent layers: B = W [N, K] packed once with transB (W_hh is stored [G*H, H]), A and C
 * allocated by the backend (wasm memory for wasm), C overwritten. Peers run side by side in the
 * same process, so ratios are meaningful even when another process shares the machine.
 */
import { cpus } from 'node:os';
import { tsKernels } from '../src/kernels/ts/index.js';
import type { Kernels } from '../src/kernels/types.js';
import { loadWasmKernelsSync, wasmInfo } from '../src/kernels/wasm/index.js';

const WARMUP_MS = 300;
const SAMPLE_MS = 30;
const SAMPLES = 9;
/** Cap per configuration, so the slow TS GEMM at 1024^3 still finishes in seconds. */
const MAX_TOTAL_MS = 4000;

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

/** Median milliseconds per call of `fn`, after warm-up. */
function timeMedian(fn: () => void): { ms: number; samples: number } {
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < WARMUP_MS || calls < 2) {
    fn();
    calls++;
  }
  // Calls per sample from the warm-up rate (at least one).
  const perCall = (performance.now() - t0) / calls;
  const reps = Math.max(1, Math.round(SAMPLE_MS / perCall));
  const times: number[] = [];
  const start = performance.now();
  while (times.length < SAMPLES && (times.length < 3 || performance.now() - start < MAX_TOTAL_MS)) {
    const s = performance.now();
    for (let r = 0; r < reps; r++) fn();
    times.push((performance.now() - s) / reps);
  }
  times.sort((x, y) => x - y);
  return { ms: times[times.length >> 1], samples: times.length };
}

interface Row {
  bench: string;
  backend: string;
  shape: string;
  value: number;
  unit: string;
}
const rows: Row[] = [];

function emit(obj: Record<string, unknown>, row: Row): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
  rows.push(row);
}

function benchGemm(label: string, k: Kernels, M: number, K: number, N: number): void {
  const A = k.alloc(M * K, 'float32') as Float32Array;
  const C = k.alloc(M * N, 'float32') as Float32Array;
  const W = new Float32Array(N * K);
  rand(A, 1);
  rand(W, 0.1);
  const packed = k.packB(true, K, N, W, 0, K);
  const { ms, samples } = timeMedian(() => k.gemmPacked(M, A, 0, K, packed, C, 0, N, false));
  const gflops = (2 * M * N * K) / (ms * 1e6);
  emit(
    {
      bench: 'gemm',
      backend: label,
      M,
      K,
      N,
      gflops: +gflops.toFixed(2),
      msPerCall: +ms.toFixed(4),
      samples,
    },
    { bench: 'gemm', backend: label, shape: `${M}x${K}x${N}`, value: gflops, unit: 'GFLOP/s' },
  );
  packed.dispose();
  k.free(A);
  k.free(C);
}

/**
 * A straightforward JavaScript LSTM gate step built on Math.exp only (tanh(x) = 2σ(2x) - 1),
 * the baseline the fused wasm kernel is meant to beat.
 */
function lstmGatesMathExp(
  rows: number,
  H: number,
  g: Float32Array,
  cp: Float32Array,
  c: Float32Array,
  tc: Float32Array,
  h: Float32Array,
): void {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  for (let r = 0; r < rows; r++) {
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

/**
 * ns per value (one of the rows*H hidden units, i.e. 4 gate activations + the cell update) of
 * the LSTM pointwise step. The gates are overwritten in place by their activations, so later
 * calls see values in (-1, 1): this only makes the JS baselines' sign branches predictable,
 * i.e. it flatters them; the wasm code is branch-free.
 */
function benchGates(label: string, k: Kernels | 'math-exp', rowsN: number, H: number): void {
  const mk = (n: number) =>
    k === 'math-exp' ? new Float32Array(n) : (k.alloc(n, 'float32') as Float32Array);
  const n = rowsN * H;
  const g = mk(4 * n);
  const cp = mk(n);
  const c = mk(n);
  const tc = mk(n);
  const h = mk(n);
  rand(g, 3);
  rand(cp, 1);
  const fn =
    k === 'math-exp'
      ? () => lstmGatesMathExp(rowsN, H, g, cp, c, tc, h)
      : () => k.lstmGatesForward(rowsN, H, g, 0, cp, 0, c, 0, tc, 0, h, 0);
  const { ms, samples } = timeMedian(fn);
  const ns = (ms * 1e6) / n;
  emit(
    { bench: 'lstm-gates-forward', backend: label, rows: rowsN, H, nsPerValue: +ns.toFixed(3), samples },
    { bench: 'lstm gates fwd', backend: label, shape: `${rowsN}x${H}`, value: ns, unit: 'ns/value' },
  );
  if (k !== 'math-exp') for (const a of [g, cp, c, tc, h]) k.free(a);
}

function main(): void {
  const relaxed = loadWasmKernelsSync({ build: 'relaxed' });
  const plain = loadWasmKernelsSync({ build: 'plain' });
  const backends: [string, Kernels][] = [['ts', tsKernels]];
  if (relaxed && wasmInfo(relaxed).relaxed) backends.push(['wasm-relaxed', relaxed]);
  if (plain) backends.push(['wasm-simd', plain]);
  if (backends.length === 1) console.error('bench: wasm kernels unavailable (run npm run build:wasm)');
  const cpu = cpus()[0]?.model ?? 'unknown';
  process.stdout.write(
    `${JSON.stringify({ bench: 'env', node: process.version, cpu, cores: cpus().length, backends: backends.map((b) => b[0]) })}\n`,
  );

  for (const [M, K, N] of GEMM_SHAPES) for (const [label, k] of backends) benchGemm(label, k, M, K, N);
  benchGates('math-exp', 'math-exp', 32, 256);
  for (const [label, k] of backends) benchGates(label, k, 32, 256);

  const lines = [`cpu: ${cpu}, node ${process.version}`, ''];
  lines.push(`${'benchmark'.padEnd(16)}${'backend'.padEnd(14)}${'shape'.padEnd(16)}value`);
  for (const r of rows) {
    const v = r.unit === 'GFLOP/s' ? r.value.toFixed(1) : r.value.toFixed(2);
    lines.push(`${r.bench.padEnd(16)}${r.backend.padEnd(14)}${r.shape.padEnd(16)}${v} ${r.unit}`);
  }
  const exp = rows.find((r) => r.backend === 'math-exp');
  for (const r of rows) {
    if (exp && r.unit === 'ns/value' && r !== exp)
      lines.push(`${r.backend}: ${(exp.value / r.value).toFixed(2)}x the Math.exp step`);
  }
  console.error(lines.join('\n'));
}

main();
