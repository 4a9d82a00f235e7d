/**
 * How much memory would wait for the garbage collector if tensor storage lived in wasm memory and
 * were freed by a FinalizationRegistry (docs/architecture.md, "Where tensor data lives").
 *
 * Each simulated training step creates `tensors` small JS objects that each own `floats` float32
 * values of an imaginary wasm block, plus some ordinary JS garbage, and drops them all; a
 * finalizer "frees" a block. The collector only sees the small objects, so it runs no sooner
 * than for them, and finalizers run only when the event loop turns (`--yield immediate`, one
 * macrotask per step, the best case for a training loop) or never inside the loop (`--yield
 * micro`: awaits that resolve at once; `--yield none`: a synchronous loop).
 *
 * node dist/bench/finalizer-lag.js [--steps 2000] [--tensors 300] [--floats 32768] [--yield immediate|micro|none]
 */

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const steps = Number(flag('steps', '2000'));
const tensors = Number(flag('tensors', '300'));
const floats = Number(flag('floats', '32768'));
const yieldMode = flag('yield', 'immediate');
if (!['immediate', 'micro', 'none'].includes(yieldMode))
  throw new Error(`finalizer-lag: --yield must be immediate, micro or none, got '${yieldMode}'`);

let unfreed = 0;
let peak = 0;
let finalized = 0;
const registry = new FinalizationRegistry<number>((n) => {
  unfreed -= n;
  finalized++;
});

class FakeTensor {
  readonly shape: number[];
  constructor(readonly n: number) {
    this.shape = [n];
    unfreed += n;
    if (unfreed > peak) peak = unfreed;
    registry.register(this, n);
  }
}

const mb = (floatsCount: number) => Math.round((floatsCount * 4) / 1e6);

async function main(): Promise<void> {
  const t0 = performance.now();
  let sumUnfreed = 0;
  for (let step = 0; step < steps; step++) {
    let made: unknown[] | null = [];
    for (let i = 0; i < tensors; i++) made.push(new FakeTensor(floats), { tape: [i, i + 1], grad: null });
    made = null;
    if (yieldMode === 'immediate') await new Promise((r) => setImmediate(r));
    else if (yieldMode === 'micro') await Promise.resolve();
    sumUnfreed += unfreed;
  }
  const perStep = mb(tensors * floats);
  console.log(
    JSON.stringify({
      yield: yieldMode,
      steps,
      allocatedPerStepMB: perStep,
      meanUnfreedMB: mb(sumUnfreed / steps),
      peakUnfreedMB: mb(peak),
      peakInSteps: Math.round(peak / (tensors * floats)),
      finalized,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
    }),
  );
}

main();
