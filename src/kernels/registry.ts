import { BackendError } from '../util/errors.js';
import { tsKernels } from './ts/index.js';
import type { Kernels } from './types.js';
import { loadWasmKernelsSync } from './wasm/index.js';

export type BackendName = 'ts' | 'wasm';

const loaders: Partial<Record<BackendName, () => Kernels | null>> = {
  ts: () => tsKernels,
  wasm: () => {
    try {
      return loadWasmKernelsSync();
    } catch (e) {
      wasmError = e instanceof Error ? e.message : String(e);
      return null;
    }
  },
};
let current: Kernels | null = null;
/** Why the wasm backend failed to load, for error messages. */
let wasmError = '';

/** Replaces the loader of a backend (tests; embedders that supply their own wasm bytes). */
export function registerBackend(name: BackendName, load: () => Kernels | null): void {
  loaders[name] = load;
  if (current === null || current.name === name) current = null;
}

function envBackend(): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.RECUR_BACKEND;
}

function load(name: BackendName): Kernels | null {
  const l = loaders[name];
  return l ? l() : null;
}

/** The kernels in use: `RECUR_BACKEND` (ts | wasm) if set, else wasm where WebAssembly SIMD works, else ts. */
export function kernels(): Kernels {
  if (current) return current;
  const want = envBackend();
  if (want !== undefined && want !== '') {
    if (want !== 'ts' && want !== 'wasm') {
      throw new BackendError(`RECUR_BACKEND must be 'ts' or 'wasm', got ${JSON.stringify(want)}`);
    }
    const k = load(want);
    if (!k) throw new BackendError(`RECUR_BACKEND=${want}: that backend is not available here`);
    current = k;
    return k;
  }
  current = load('wasm') ?? tsKernels;
  return current;
}

/** Selects the backend for everything that follows; throws if it cannot load here. */
export function setBackend(name: BackendName): void {
  if (name !== 'ts' && name !== 'wasm') {
    throw new BackendError(`setBackend: name must be 'ts' or 'wasm', got ${JSON.stringify(name)}`);
  }
  const k = load(name);
  if (!k)
    throw new BackendError(
      `setBackend: the ${name} backend is not available here (${wasmError || 'WebAssembly SIMD or the built .wasm files are missing; run npm run build:wasm'})`,
    );
  current = k;
}

/** The name of the backend in use. */
export function getBackend(): BackendName {
  return kernels().name;
}

/** True when the backend `name` can load here (wasm: WebAssembly SIMD and the built module). */
export function backendAvailable(name: BackendName): boolean {
  return (name === 'ts' || name === 'wasm') && load(name) !== null;
}

/**
 * Runs `fn` with the backend `name` selected and selects the previous one again afterwards, also
 * when `fn` throws. `fn` must be synchronous: the part of an async function after its first
 * `await` would run on whatever backend is selected by then.
 */
export function withBackend<T>(name: BackendName, fn: () => T): T {
  const prev = kernels();
  setBackend(name);
  try {
    return fn();
  } finally {
    current = prev;
  }
}
