/**
 * The wasm heap (alloc/free over the shared memory) and the loaders: reuse and zeroing,
 * alignment, coalescing, growth without detaching views, both builds, caller-supplied bytes,
 * the async loader and the `wasmKernels` facade.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tsKernels } from '../ts/index.js';
import type { WasmBackend } from './backend.js';
import { loadWasmKernels, loadWasmKernelsSync, wasmInfo, wasmKernels } from './index.js';

/** A fresh instance per test, so memory layouts do not depend on test order. */
function fresh(): WasmBackend {
  const k = loadWasmKernelsSync({ build: 'plain', initialPages: 2 });
  assert.ok(k, 'wasm kernels must load (run npm run build:wasm)');
  return k as WasmBackend;
}

describe('wasm heap', () => {
  it('alloc returns zeroed, 64-byte-aligned views into the shared memory', () => {
    const k = fresh();
    const a = k.alloc(10, 'float32') as Float32Array;
    assert.ok(a instanceof Float32Array);
    assert.equal(a.length, 10);
    assert.ok(a.buffer instanceof SharedArrayBuffer);
    assert.equal(a.byteOffset % 64, 0);
    assert.ok(a.every((v) => v === 0));
    const b = k.alloc(1, 'float32');
    assert.equal(b.byteOffset % 64, 0);
    assert.ok(b.byteOffset >= a.byteOffset + 64, 'blocks do not overlap');
  });

  it('free returns the block; the next alloc reuses it zeroed', () => {
    const k = fresh();
    const a = k.alloc(100, 'float32');
    a.fill(7);
    const off = a.byteOffset;
    k.free(a);
    const b = k.alloc(100, 'float32');
    assert.equal(b.byteOffset, off);
    assert.ok(b.every((v) => v === 0));
  });

  it('coalesces neighbouring free blocks', () => {
    const k = fresh();
    const xs = [k.alloc(16, 'float32'), k.alloc(16, 'float32'), k.alloc(16, 'float32')];
    const first = xs[0].byteOffset;
    k.free(xs[1]);
    k.free(xs[0]);
    k.free(xs[2]);
    const big = k.alloc(48, 'float32');
    assert.equal(big.byteOffset, first);
  });

  it('grows the memory without detaching earlier views, which stay usable in place', () => {
    const k = fresh();
    const before = wasmInfo(k).memoryBytes;
    const a = k.alloc(8, 'float32') as Float32Array;
    a.set([0, 1, 2, 3, 4, 5, 6, 7]);
    const big = k.alloc(1 << 20, 'float32');
    assert.ok(wasmInfo(k).memoryBytes > before, 'memory grew');
    assert.equal(a.length, 8, 'old view not detached');
    assert.notEqual(a.buffer, big.buffer, 'memory.buffer is a new object after grow');
    assert.ok(k.heap.owns(a) && k.heap.owns(big));
    k.unary('exp', 8, a, 0, big, 5);
    assert.ok(Math.abs(big[5 + 2] - Math.exp(2)) < 1e-5 * Math.exp(2));
    k.free(big);
    k.free(a);
    assert.equal(k.heap.allocatedBytes, 192, 'only the GEMM tile (6 x 8 floats) stays allocated');
  });

  it('float64 alloc gives an ordinary array; free ignores ordinary arrays and rejects double frees', () => {
    const k = fresh();
    const d = k.alloc(5, 'float64');
    assert.ok(d instanceof Float64Array);
    assert.ok(!(d.buffer instanceof SharedArrayBuffer));
    k.free(d);
    k.free(new Float32Array(4));
    const a = k.alloc(4, 'float32');
    k.free(a);
    assert.throws(() => k.free(a), /not a live allocation/);
  });

  it('packed matrices live in wasm memory until disposed', () => {
    const k = fresh();
    const b = k.alloc(17 * 20, 'float32');
    const used = k.heap.allocatedBytes;
    const p = k.packB(true, 20, 17, b, 0, 20);
    assert.equal(k.heap.allocatedBytes - used, 20 * 24 * 4, 'k rows of 3 panels of 8 columns');
    p.dispose();
    assert.equal(k.heap.allocatedBytes, used);
  });
});

describe('wasm loaders', () => {
  it('loads both builds explicitly and reports which one runs', () => {
    const r = loadWasmKernelsSync({ build: 'relaxed' });
    const p = loadWasmKernelsSync({ build: 'plain' });
    assert.ok(r && p);
    assert.equal(wasmInfo(r).relaxed, true);
    assert.equal(wasmInfo(p).relaxed, false);
    assert.equal(r.name, 'wasm');
  });

  it('accepts module bytes supplied by the caller', () => {
    const url = new URL('../../../../build/wasm/recur-simd.wasm', import.meta.url);
    const k = loadWasmKernelsSync({ build: 'plain', bytes: { plain: readFileSync(url) } });
    assert.ok(k);
    assert.equal(wasmInfo(k).relaxed, false);
  });

  it('async loader and the default facade work and agree with tsKernels', async () => {
    const k = await loadWasmKernels();
    assert.equal(k, loadWasmKernelsSync());
    assert.equal(wasmKernels.name, 'wasm');
    const info = wasmInfo();
    assert.equal(typeof info.relaxed, 'boolean');
    assert.ok(info.memoryBytes >= 65536);
    const x = wasmKernels.alloc(6, 'float32');
    x.set([-2, -1, 0, 0.5, 1, 3]);
    const y = new Float32Array(6);
    const ref = new Float32Array(6);
    wasmKernels.unary('sigmoid', 6, x, 0, y, 0);
    tsKernels.unary('sigmoid', 6, x, 0, ref, 0);
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(y[i] - ref[i]) <= 1e-6);
    wasmKernels.free(x);
    const other = await loadWasmKernels({ build: 'plain' });
    assert.notEqual(other, k);
  });
});

describe('wasm arena (the storage of tidy scopes)', () => {
  it('hands out aligned, zeroed, non-overlapping views and takes them all back at a mark', () => {
    const k = fresh();
    const arena = k.arena();
    const base = arena.mark();
    const a = arena.alloc(10);
    a.fill(5);
    const inner = arena.mark();
    const b = arena.alloc(3, false);
    assert.equal(a.byteOffset % 64, 0);
    assert.ok(b.byteOffset >= a.byteOffset + 64, 'no overlap');
    assert.ok(k.resident(a) && arena.owns(a) && arena.owns(b));
    arena.release(inner);
    assert.ok(arena.owns(a) && !arena.owns(b), 'released down to the inner mark only');
    const c = arena.alloc(3);
    assert.equal(c.byteOffset, b.byteOffset, 'the released space is reused');
    arena.release(base);
    assert.ok(!arena.owns(a));
    const d = arena.alloc(10);
    assert.equal(d.byteOffset, a.byteOffset);
    assert.ok(
      d.every((v) => v === 0),
      'zeroed on reuse',
    );
    assert.throws(() => arena.release(arena.mark() + 64), /mark ahead of the current position/);
  });

  it('gives an allocation larger than a chunk a chunk of its own, and frees unused chunks at the base', () => {
    const k = fresh();
    const arena = k.arena();
    const base = arena.mark();
    const big = arena.alloc(3 << 20); // 12 MB, more than the 8 MB default chunk
    assert.equal(big.length, 3 << 20);
    const small = arena.alloc(16);
    assert.ok(arena.owns(big) && arena.owns(small));
    assert.ok(arena.reservedBytes >= 12 << 20);
    const heapBefore = k.heap.allocatedBytes;
    arena.release(base);
    arena.alloc(16);
    arena.release(base);
    assert.ok(
      k.heap.allocatedBytes < heapBefore,
      'chunks the last scope did not reach went back to the heap',
    );
  });
});
