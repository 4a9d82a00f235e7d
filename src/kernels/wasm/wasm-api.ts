/**
 * Minimal typings for the WebAssembly JS API used by the loader and allocator.
 *
 * The project compiles with `lib: ["ES2022"]` and Node 20 types, neither of which declares the
 * global `WebAssembly` namespace (it lives in lib.dom). Declaring it globally here could clash
 * with a consumer that does include DOM types, so the global is read once through `globalThis`
 * and typed locally instead.
 */

export type WasmBytes = ArrayBuffer | ArrayBufferView;

export interface WasmMemory {
  /** For a shared memory a SharedArrayBuffer; a new object after each `grow`. */
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}

// biome-ignore lint/suspicious/noEmptyInterface: opaque handle
export interface WasmModule {}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  validate(bytes: WasmBytes): boolean;
  compile(bytes: WasmBytes): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
  Module: new (bytes: WasmBytes) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** The engine's WebAssembly object, or undefined where there is none. */
export const wasmApi: WasmApi | undefined = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** The import object of the kernel module: the shared memory and an abort that throws. */
export function wasmImports(memory: WasmMemory): object {
  return {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernels: abort');
      },
    },
  };
}
