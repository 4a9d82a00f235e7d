/**
 * Do the machine's cores deliver full speed at the same time? One-thread wasm GEMM throughput
 * (packed 32x256x1024, the W1 recurrent product) measured alone and then in two threads that run
 * the same loop at once, each on its own wasm instance (no shared work, no synchronisation).
 * On a machine whose two vCPUs are two physical cores, each of the two concurrent threads keeps
 * its solo speed; where the hypervisor places both vCPUs on the two hardware threads of one core,
 * or a neighbour loads the host, the concurrent speed drops. Training and benchmark runs with two
 * threads inherit that drop, so a benchmark note can quote this probe next to its numbers.
 *
 *   node dist/bench/cores.js [--seconds 6] [--rounds 3] [--shape 32,256,1024]
 *
 * Prints one JSON line per round: solo GFLOP/s, the two concurrent threads' GFLOP/s, and their
 * ratio to solo; and the machine's steal time (from /proc/stat, Linux) over the round.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadWasmKernelsSync, setThreads } from '../src/kernels/wasm/index.js';

/** The GEMM shape, --shape M,K,N (default the W1 recurrent product). */
const shapeArg = (() => {
  const i = process.argv.indexOf('--shape');
  const d = isMainThread ? null : (workerData as { shape: number[] }).shape;
  return d ?? (i >= 0 ? process.argv[i + 1].split(',').map(Number) : [32, 256, 1024]);
})();
if (shapeArg.length !== 3 || !shapeArg.every((v) => Number.isInteger(v) && v > 0))
  throw new Error(`bench/cores: --shape must be M,K,N (three positive integers), got ${shapeArg.join(',')}`);
const [M, K, N] = shapeArg;

/** GFLOP/s of a one-thread packed GEMM loop over `seconds`, after a 300 ms warm-up. */
function gemmLoop(seconds: number): number {
  const k = loadWasmKernelsSync({});
  if (!k) throw new Error('bench/cores: WebAssembly SIMD is not available here');
  setThreads(1);
  const a = k.alloc(M * K, 'float32');
  const w = new Float32Array(N * K);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  for (let i = 0; i < a.length; i++) a[i] = ((i * 104729) % 1000) / 1000 - 0.5;
  const c = k.alloc(M * N, 'float32');
  const packed = k.packB(true, K, N, w, 0, K);
  const run = (ms: number): number => {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < ms) {
      for (let r = 0; r < 20; r++) k.gemmPacked(M, a, 0, K, packed, c, 0, N, false);
      n += 20;
    }
    return (2 * M * K * N * n) / ((performance.now() - t0) * 1e6);
  };
  run(300);
  return run(seconds * 1000);
}

/** Total steal jiffies of the machine (Linux /proc/stat), or null elsewhere. */
function steal(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    return Number(f[8]);
  } catch {
    return null;
  }
}

function inWorker(seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { seconds, shape: shapeArg } });
    w.once('message', (v: number) => resolve(v));
    w.once('error', reject);
  });
}

async function main(): Promise<void> {
  const arg = (name: string, d: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : d;
  };
  const seconds = arg('seconds', 6);
  const rounds = arg('rounds', 3);
  for (let r = 0; r < rounds; r++) {
    const s0 = steal();
    const solo = await inWorker(seconds);
    const pair = await Promise.all([inWorker(seconds), inWorker(seconds)]);
    const s1 = steal();
    const fmt = (x: number) => Number(x.toFixed(1));
    console.log(
      JSON.stringify({
        round: r + 1,
        shape: [M, K, N],
        soloGflops: fmt(solo),
        pairGflops: pair.map(fmt),
        pairOverSolo: pair.map((x) => Number((x / solo).toFixed(2))),
        stealSeconds: s0 !== null && s1 !== null ? (s1 - s0) / 100 : null,
      }),
    );
  }
}

if (isMainThread) main();
else parentPort?.postMessage(gemmLoop((workerData as { seconds: number }).seconds));
