/**
 * The worker thread of the wasm kernels (started by threads.ts; Node only, never imported by
 * the library itself). It instantiates the compiled module it is given on the shared memory it
 * is given, then serves jobs from the control block for the life of the process: take a posted
 * job by CAS, claim chunks from the back, run them with its own tail tile, report DONE. Between
 * jobs it polls for `SPIN_US` microseconds and then blocks in Atomics.wait, so an idle worker
 * costs nothing. See threads.ts for the protocol.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CTRL, runChunk, STATE } from './jobs.js';
import type { KernelExports } from './kernel-exports.js';
import { type WasmMemory, type WasmModule, wasmApi, wasmImports } from './wasm-api.js';

interface Data {
  module: WasmModule;
  memory: WasmMemory;
  ctrl: SharedArrayBuffer;
  tile: number;
}

const data = workerData as Data;
const ctrl = new Int32Array(data.ctrl);
const tile = data.tile;
const instance = new wasmApi!.Instance(data.module, wasmImports(data.memory));
const ex = instance.exports as unknown as KernelExports;

function busyWait(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    // simulated busy core (test hook)
  }
}

/** Runs chunks from the back of the claim word until none are left. */
function work(): void {
  let done = 0;
  try {
    for (;;) {
      const w = Atomics.load(ctrl, CTRL.CLAIM);
      const hi = w >>> 16;
      if ((w & 0xffff) >= hi) break;
      if (Atomics.compareExchange(ctrl, CTRL.CLAIM, w, w - 0x10000) !== w) continue;
      const delay = ctrl[CTRL.DELAY_US];
      if (delay > 0) busyWait(delay);
      runChunk(ex, ctrl, hi - 1, tile);
      done++;
    }
  } catch (e) {
    Atomics.store(ctrl, CTRL.ERROR, 1);
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
  Atomics.add(ctrl, CTRL.WORKER_CHUNKS, done);
  Atomics.add(ctrl, CTRL.WORKER_JOBS, 1);
}

function serve(): void {
  for (;;) {
    const s = Atomics.load(ctrl, CTRL.STATE);
    if (s === STATE.POSTED) {
      if (Atomics.compareExchange(ctrl, CTRL.STATE, STATE.POSTED, STATE.TAKEN) === STATE.POSTED) {
        work();
        Atomics.store(ctrl, CTRL.STATE, STATE.DONE);
        if (Atomics.load(ctrl, CTRL.MAIN_SLEEPING) === 1) Atomics.notify(ctrl, CTRL.STATE, 1);
      }
      continue;
    }
    // Poll for a change for a while, then sleep until main posts (and notifies).
    const start = performance.now();
    const spinMs = ctrl[CTRL.SPIN_US] / 1000;
    let changed = false;
    for (let i = 1; ; i++) {
      if (Atomics.load(ctrl, CTRL.STATE) !== s) {
        changed = true;
        break;
      }
      if ((i & 63) === 0 && performance.now() - start > spinMs) break;
    }
    if (changed) continue;
    Atomics.store(ctrl, CTRL.WORKER_SLEEPING, 1);
    Atomics.wait(ctrl, CTRL.STATE, s);
    Atomics.store(ctrl, CTRL.WORKER_SLEEPING, 0);
  }
}

Atomics.store(ctrl, CTRL.READY, 1);
parentPort?.postMessage('ready');
serve();
