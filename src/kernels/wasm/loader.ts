/**
 * Finds, validates and instantiates the wasm kernel modules (sync for Node, async everywhere).
 *
 * Two builds exist (scripts/build-wasm.mjs): `relaxed` (relaxed-SIMD FMA) and `plain` (SIMD
 * only). The relaxed build is preferred when `WebAssembly.validate` accepts it. Node 20's V8
 * ships relaxed SIMD behind `--experimental-wasm-relaxed-simd`; the flag is set with
 * `v8.setFlagsFromString` before validating/compiling (it must precede compilation; Node 22+
 * has the feature on by default and the call is then only tried if validation fails).
 *
 * This module is the one Node-specific part of the kernels: it reaches node:fs / node:v8 through
 * `process.getBuiltinModule` (sync, Node >= 20.16) or dynamic `import()` (async), never through a
 * static import, so it still loads in browsers, where callers pass the module bytes themselves
 * (`bytes`) or the async loader fetches them relative to this file.
 */
import { MAX_PAGES, WasmHeap } from './allocator.js';
import { WasmBackend } from './backend.js';
import type { KernelExports } from './kernel-exports.js';
import {
  type WasmApi,
  type WasmBytes,
  type WasmInstance,
  type WasmMemory,
  type WasmModule,
  wasmApi,
  wasmImports,
} from './wasm-api.js';

export type WasmBuild = 'relaxed' | 'plain';

export interface WasmLoadOptions {
  /** Which build to load; 'auto' (default) prefers relaxed SIMD when the engine validates it. */
  build?: WasmBuild | 'auto';
  /** Module bytes supplied by the caller (browsers, bundlers, tests), per build. */
  bytes?: Partial<Record<WasmBuild, WasmBytes>>;
  /** Initial size of the shared memory in 64 KiB pages (default 16 = 1 MiB); it grows on demand. */
  initialPages?: number;
}

const FILES: Record<WasmBuild, string> = { relaxed: 'recur-relaxed.wasm', plain: 'recur-simd.wasm' };

/**
 * Where the .wasm files are, relative to this module: compiled, this file is
 * dist/src/kernels/wasm/loader.js and the files are in build/wasm/ at the package root (four
 * levels up). The second candidate covers running the TypeScript sources directly.
 */
function candidates(build: WasmBuild): URL[] {
  return [
    new URL(`../../../../build/wasm/${FILES[build]}`, import.meta.url),
    new URL(`../../../build/wasm/${FILES[build]}`, import.meta.url),
  ];
}

function buildOrder(build: WasmBuild | 'auto' | undefined): WasmBuild[] {
  if (build === 'relaxed' || build === 'plain') return [build];
  return ['relaxed', 'plain'];
}

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node ? p : undefined;
}

type V8Module = { setFlagsFromString(flag: string): void };
type FsModule = { existsSync(p: URL): boolean; readFileSync(p: URL): Uint8Array };

let relaxedFlagSet = false;

/** Validates the relaxed build, turning on Node 20's experimental flag first if needed. */
function validateRelaxed(wasm: WasmApi, bytes: WasmBytes, v8: V8Module | undefined): boolean {
  if (wasm.validate(bytes)) return true;
  if (!v8 || relaxedFlagSet) return false;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  relaxedFlagSet = true;
  return wasm.validate(bytes);
}

/** Creates the shared memory; null where shared memory is unavailable (no cross-origin isolation). */
function createMemory(wasm: WasmApi, initialPages: number | undefined): WasmMemory | null {
  try {
    return new wasm.Memory({ initial: Math.max(1, initialPages ?? 16), maximum: MAX_PAGES, shared: true });
  } catch {
    return null;
  }
}

/** The backend over one instance; `module` is kept so a worker thread can instantiate it too. */
function makeBackend(module: WasmModule, instance: WasmInstance, memory: WasmMemory): WasmBackend {
  const ex = instance.exports as unknown as KernelExports;
  return new WasmBackend(ex, new WasmHeap(memory, ex.heapBase()), ex.isRelaxed() === 1, module);
}

/**
 * Synchronous loader (Node; or anywhere when `bytes` are given). Returns null when the engine
 * lacks WebAssembly SIMD or shared memory, or the module files are missing (run
 * `npm run build:wasm`), so callers can fall back to the TypeScript kernels.
 */
export function instantiateSync(options: WasmLoadOptions = {}): WasmBackend | null {
  const wasm = wasmApi;
  if (!wasm) return null;
  const proc = nodeProcess();
  const get = proc?.getBuiltinModule;
  const fs = get ? (get('node:fs') as FsModule) : undefined;
  const v8 = get ? (get('node:v8') as V8Module) : undefined;
  for (const build of buildOrder(options.build)) {
    let bytes = options.bytes?.[build];
    if (!bytes && fs) {
      const url = candidates(build).find((u) => fs.existsSync(u));
      if (url) bytes = fs.readFileSync(url);
    }
    if (!bytes) continue;
    const ok = build === 'relaxed' ? validateRelaxed(wasm, bytes, v8) : wasm.validate(bytes);
    if (!ok) continue;
    const memory = createMemory(wasm, options.initialPages);
    if (!memory) return null;
    const module = new wasm.Module(bytes);
    const instance = new wasm.Instance(module, wasmImports(memory));
    return makeBackend(module, instance, memory);
  }
  return null;
}

async function readBytes(build: WasmBuild): Promise<WasmBytes | undefined> {
  if (nodeProcess()) {
    const fs = await import('node:fs/promises');
    for (const url of candidates(build)) {
      try {
        return await fs.readFile(url);
      } catch {
        // try the next location
      }
    }
    return undefined;
  }
  const res = await fetch(candidates(build)[0]);
  return res.ok ? await res.arrayBuffer() : undefined;
}

/** Asynchronous loader for every environment. Rejects when no build can be loaded. */
export async function instantiate(options: WasmLoadOptions = {}): Promise<WasmBackend> {
  const wasm = wasmApi;
  if (!wasm) throw new Error('wasm kernels: this engine has no WebAssembly');
  const v8 = nodeProcess() ? ((await import('node:v8')) as V8Module) : undefined;
  for (const build of buildOrder(options.build)) {
    const bytes = options.bytes?.[build] ?? (await readBytes(build));
    if (!bytes) continue;
    const ok = build === 'relaxed' ? validateRelaxed(wasm, bytes, v8) : wasm.validate(bytes);
    if (!ok) continue;
    const memory = createMemory(wasm, options.initialPages);
    if (!memory) throw new Error('wasm kernels: shared WasmMemory is unavailable');
    const module = await wasm.compile(bytes);
    const instance = await wasm.instantiate(module, wasmImports(memory));
    return makeBackend(module, instance, memory);
  }
  throw new Error(
    'wasm kernels: no loadable build (WebAssembly SIMD unsupported, or run npm run build:wasm)',
  );
}
