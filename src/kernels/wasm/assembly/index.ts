// Entry point of the wasm kernel module (compiled twice: relaxed-SIMD and plain SIMD).
//
// Built with `--runtime stub --importMemory --sharedMemory`: the module owns no heap. All
// buffers are allocated by the TypeScript side (src/kernels/wasm/allocator.ts) above
// `heapBase()`, and every export takes byte addresses into the shared memory. The same module is
// instantiated a second time in a worker thread on the same memory (src/kernels/wasm/worker.ts);
// nothing here keeps state in memory, and scratch space (the GEMM tail tile) is passed per call,
// so the two instances never write the same bytes unless asked to.

// The GEMM tile kernels are exported only so that the optimiser keeps them out of line (see gemm.ts).
export {
  gemmPacked,
  gemmTile1,
  gemmTile2,
  gemmTile3,
  gemmTile4,
  gemmTile5,
  gemmTile6,
  gemmWide1,
  gemmWide2,
  sumRows,
} from './gemm';
export { packA, packB, panelWidth, rowBlock } from './pack';
export { gemvRows, packRows } from './gemv';
export { adamMulti } from './optim';
export { fmaPeak } from './peak';
export { lstmSeqForward } from './seq';
export { gruGatesBackward, gruGatesForward, lstmGatesBackward, lstmGatesForward, unary } from './gates';

/** First byte past the module's static data; the TypeScript allocator starts above it. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 when this build uses relaxed-SIMD fused multiply-add, else 0 (reported by wasmInfo). */
export function isRelaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
