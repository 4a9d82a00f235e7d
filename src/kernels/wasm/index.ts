/**
 * Public entry of the wasm kernel backend (float32 WebAssembly SIMD; float64 goes to the
 * TypeScript kernels).
 *
 * - `loadWasmKernelsSync()` (Node) / `await loadWasmKernels()` (anywhere) load the default
 *   instance once and return it; pass options for a separate instance (e.g. a specific build).
 * - `wasmKernels` is a stable object for code that wants a backend value at import time: it
 *   forwards every call to the default instance, loading it synchronously on first use in Node.
 *   Hot loops may prefer the instance itself (one call less per kernel).
 * - `setThreads(1 | 2)` / `getThreads()` (default: RECUR_THREADS, else 2 where Node worker
 *   threads and two cores exist): with 2, large calls are split between the main thread and one
 *   worker per instance (threads.ts). `await wasmThreadsReady()` starts the worker early.
 */
import type { Kernels } from '../types.js';
import { WasmBackend } from './backend.js';
import { instantiate, instantiateSync, type WasmLoadOptions } from './loader.js';
import type { TeamStats } from './threads.js';

export type { WasmBuild, WasmLoadOptions } from './loader.js';
export { getThreads, setThreads, type ThreadCount, threadsAvailable } from './thread-setting.js';
export type { TeamStats } from './threads.js';

/** undefined: not tried yet; null: tried and unavailable. */
let defaultBackend: WasmBackend | null | undefined;

/**
 * Loads the wasm kernels synchronously (Node >= 20.16, or with `options.bytes`). Returns null
 * when WebAssembly SIMD or shared memory is unavailable or the module was not built. Without
 * options the instance is the shared default (created once).
 */
export function loadWasmKernelsSync(options?: WasmLoadOptions): Kernels | null {
  if (options) return instantiateSync(options);
  if (defaultBackend === undefined) defaultBackend = instantiateSync();
  return defaultBackend;
}

/** Loads the wasm kernels (browsers: fetches build/wasm/*.wasm unless `options.bytes` is given). */
export async function loadWasmKernels(options?: WasmLoadOptions): Promise<Kernels> {
  if (options) return instantiate(options);
  if (!defaultBackend) defaultBackend = await instantiate();
  return defaultBackend;
}

function current(): WasmBackend {
  if (defaultBackend === undefined) defaultBackend = instantiateSync();
  if (!defaultBackend) {
    throw new Error('wasm kernels are not loaded: call `await loadWasmKernels()` first (or use tsKernels)');
  }
  return defaultBackend;
}

/** Which build an instance runs (default: the shared instance) and its memory size in bytes. */
export function wasmInfo(kernels?: Kernels): { relaxed: boolean; memoryBytes: number } {
  const k = kernels instanceof WasmBackend ? kernels : current();
  return { relaxed: k.relaxed, memoryBytes: k.heap.byteLength };
}

/**
 * Starts the worker thread of a wasm instance (default: the shared instance) now instead of at
 * the first large call, and resolves true once it can take work; false with 1 thread (see
 * `getThreads`) or when the worker could not start. Optional: without it the first large call
 * starts the worker and calls run on one thread until it is up.
 */
export async function wasmThreadsReady(kernels?: Kernels): Promise<boolean> {
  const k = kernels instanceof WasmBackend ? kernels : kernels ? null : current();
  const team = k?.startTeam();
  return team ? team.whenReady() : false;
}

/** Counters of the worker thread of a wasm instance (default: the shared one); null if none started. */
export function wasmThreadStats(kernels?: Kernels): TeamStats | null {
  const k = kernels instanceof WasmBackend ? kernels : kernels ? null : current();
  return k?.workerTeam?.stats() ?? null;
}

/** The default wasm backend as a plain object (forwards to the instance; see the module doc). */
export const wasmKernels: Kernels = {
  name: 'wasm',
  alloc: (n, dtype, zeroed) => current().alloc(n, dtype, zeroed),
  free: (a) => current().free(a),
  resident: (a) => current().resident(a),
  allocResident: (n) => current().allocResident(n),
  arena: () => current().arena(),
  adamStep: (entries) => current().adamStep(entries),
  gemm: (...args) => current().gemm(...args),
  packB: (...args) => current().packB(...args),
  gemmPacked: (...args) => current().gemmPacked(...args),
  sumRows: (...args) => current().sumRows(...args),
  unary: (...args) => current().unary(...args),
  lstmGatesForward: (...args) => current().lstmGatesForward(...args),
  lstmGatesBackward: (...args) => current().lstmGatesBackward(...args),
  lstmSequenceForward: (...args) => current().lstmSequenceForward(...args),
  gruGatesForward: (...args) => current().gruGatesForward(...args),
  gruGatesBackward: (...args) => current().gruGatesBackward(...args),
};
