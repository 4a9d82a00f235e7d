/**
 * The wasm backend's heap: one shared WebAssembly memory and a free-list allocator over it.
 *
 * Why the TypeScript side allocates: the module is built with `--runtime stub` and an imported
 * shared memory, so it has no usable malloc (and a future worker instance on the same memory
 * must not run a second one). Why shared memory: growing a shared memory never detaches existing
 * views, so the Float32Arrays handed out by `alloc` stay valid forever, and a worker thread can
 * later be given the same memory.
 *
 * Blocks are 64-byte aligned (one cache line, and a whole 16-float panel row) and sized in
 * multiples of 64. Free blocks live in an address-sorted list and are coalesced with their
 * neighbours on `free`, first fit on `alloc`; when nothing fits, the memory grows.
 */

import type { WasmMemory } from './wasm-api.js';

const PAGE = 65536;
const ALIGN = 64;
/** 65536 pages = 4 GiB, the wasm32 limit; the module declares the same maximum. */
export const MAX_PAGES = 65536;

interface Block {
  ptr: number;
  size: number;
}

/**
 * RECUR_POISON_WORKSPACES=1 fills workspaces taken without zeroing with NaN, so that a kernel
 * reading an element before writing it shows up as NaN in tests instead of stale numbers.
 */
let POISON =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.RECUR_POISON_WORKSPACES === '1';

/** Turns the NaN filling of unzeroed workspaces on or off (tests switch it on). */
export function setWorkspacePoison(on: boolean): void {
  POISON = on;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export class WasmHeap {
  readonly memory: WasmMemory;
  /** View over the whole memory; replaced after every grow (the old one keeps the old length). */
  f32: Float32Array;
  /**
   * Every SharedArrayBuffer object this memory has exposed. `memory.buffer` returns a new object
   * after each grow, while views made earlier keep the old object, so "is this array ours" is a
   * set lookup rather than `arr.buffer === memory.buffer`.
   */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** The most recent buffer seen: a one-compare fast path for `owns` on every kernel call. */
  private lastBuffer: ArrayBufferLike;
  /** Address-sorted free blocks. */
  private readonly freeList: Block[] = [];
  /** Live blocks by address: size in bytes and the view handed out (null for internal blocks). */
  private readonly live = new Map<number, { size: number; view: Float32Array | null }>();
  /** Frees the blocks of `allocManaged` arrays once they are collected. */
  private readonly reaper = new FinalizationRegistry<number>((ptr) => this.freeBytes(ptr));

  constructor(memory: WasmMemory, heapBase: number) {
    this.memory = memory;
    this.f32 = new Float32Array(memory.buffer);
    this.buffers.add(memory.buffer);
    this.lastBuffer = memory.buffer;
    const start = roundUp(Math.max(heapBase, ALIGN), ALIGN);
    const end = memory.buffer.byteLength;
    if (end > start) this.freeList.push({ ptr: start, size: end - start });
  }

  /** Bytes currently reserved by the memory (its size, not what is allocated). */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** True when `a` is a Float32Array over this memory (then it can be passed to wasm in place). */
  owns(a: ArrayBufferView): boolean {
    const buf = a.buffer;
    if (buf === this.lastBuffer) return true;
    if (this.buffers.has(buf)) {
      this.lastBuffer = buf;
      return true;
    }
    if (buf === this.memory.buffer) {
      // Grown by someone else (e.g. a future worker): remember the new buffer object.
      this.refresh();
      return true;
    }
    return false;
  }

  /** Reserves `bytes` (rounded up to 64) and returns the 64-aligned byte address. */
  allocBytes(bytes: number): number {
    const size = roundUp(Math.max(bytes, 1), ALIGN);
    let ptr = this.take(size);
    if (ptr < 0) {
      this.grow(size);
      ptr = this.take(size);
      if (ptr < 0) throw new RangeError(`wasm heap: cannot allocate ${bytes} bytes`);
    }
    this.live.set(ptr, { size, view: null });
    return ptr;
  }

  /**
   * A Float32Array of `n` elements inside the memory, zeroed unless `zeroed` is false (then it
   * holds what the block last held). Release it with `freeView`.
   */
  allocView(n: number, zeroed = true): Float32Array {
    const ptr = this.allocBytes(n * 4);
    const view = new Float32Array(this.memory.buffer, ptr, n);
    if (zeroed) view.fill(0);
    else if (POISON) view.fill(Number.NaN);
    this.live.get(ptr)!.view = view;
    return view;
  }

  /**
   * A zeroed Float32Array of `n` elements inside the memory that is freed when the array object
   * itself is garbage-collected, for long-lived storage (parameters, optimizer state). Nothing
   * here holds the array, so whoever still references it keeps the block; a subarray does not.
   */
  allocManaged(n: number): Float32Array {
    const ptr = this.allocBytes(n * 4);
    const view = new Float32Array(this.memory.buffer, ptr, n);
    view.fill(0);
    this.reaper.register(view, ptr);
    return view;
  }

  /** Frees a view from `allocView`. Throws for a view of this memory that is not a live block. */
  freeView(view: Float32Array): void {
    const rec = this.live.get(view.byteOffset);
    if (rec && rec.view === null && rec.size >= view.byteLength) {
      throw new Error(
        'wasm free: this array comes from allocResident and is freed when it is garbage-collected; do not free it',
      );
    }
    if (!rec || rec.view !== view) {
      throw new Error('wasm free: not a live allocation of this backend (double free or a subarray?)');
    }
    this.release(view.byteOffset, rec.size);
  }

  /** Frees a block from `allocBytes`. */
  freeBytes(ptr: number): void {
    const rec = this.live.get(ptr);
    if (!rec || rec.view !== null) throw new Error('wasm heap: bad internal free');
    this.release(ptr, rec.size);
  }

  /** Total bytes in live blocks (for tests and diagnostics). */
  get allocatedBytes(): number {
    let s = 0;
    for (const r of this.live.values()) s += r.size;
    return s;
  }

  private release(ptr: number, size: number): void {
    this.live.delete(ptr);
    this.insertFree(ptr, size);
  }

  /** First fit: carve `size` bytes off the front of the first free block that is large enough. */
  private take(size: number): number {
    const list = this.freeList;
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (b.size < size) continue;
      const ptr = b.ptr;
      if (b.size === size) list.splice(i, 1);
      else {
        b.ptr += size;
        b.size -= size;
      }
      return ptr;
    }
    return -1;
  }

  /** Inserts a free block in address order, merging it with adjacent free blocks. */
  private insertFree(ptr: number, size: number): void {
    const list = this.freeList;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].ptr < ptr) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo > 0 ? list[lo - 1] : undefined;
    const next = lo < list.length ? list[lo] : undefined;
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += size;
      if (next && prev.ptr + prev.size === next.ptr) {
        prev.size += next.size;
        list.splice(lo, 1);
      }
    } else if (next && ptr + size === next.ptr) {
      next.ptr = ptr;
      next.size += size;
    } else {
      list.splice(lo, 0, { ptr, size });
    }
  }

  /** Grows the memory so that a block of `size` bytes fits at its end (at least doubling). */
  private grow(size: number): void {
    const oldBytes = this.memory.buffer.byteLength;
    const last = this.freeList[this.freeList.length - 1];
    const tailFree = last && last.ptr + last.size === oldBytes ? last.size : 0;
    const needPages = Math.ceil((size - tailFree) / PAGE);
    const oldPages = oldBytes / PAGE;
    const pages = Math.min(Math.max(needPages, oldPages), MAX_PAGES - oldPages);
    if (pages < needPages) throw new RangeError('wasm heap: the 4 GiB memory limit was reached');
    this.memory.grow(pages);
    this.refresh();
    this.insertFree(oldBytes, pages * PAGE);
  }

  /** Picks up the current `memory.buffer` after a grow. */
  private refresh(): void {
    const buf = this.memory.buffer;
    this.buffers.add(buf);
    if (buf.byteLength !== this.f32.byteLength) this.f32 = new Float32Array(buf);
  }
}

interface Chunk {
  ptr: number;
  bytes: number;
}

/**
 * Stack-ordered float32 storage for the tensors made inside `tidy()` (src/tensor/scope.ts): a
 * bump pointer over chunks taken from the heap. A scope records `mark()` on entry and calls
 * `release(mark)` on exit, which frees everything allocated since in one assignment; the chunks
 * stay for the next scope. Releasing to the base mark also returns to the heap the chunks the
 * scope just ended did not reach, so the arena follows the working set down as well as up.
 */
export class WasmArena {
  private readonly chunks: Chunk[] = [];
  /** Index of the chunk being filled (-1: none yet) and the byte offset inside it. */
  private cur = -1;
  private off = 0;
  /** Highest chunk index used since the arena was last released to its base. */
  private high = -1;

  constructor(
    private readonly heap: WasmHeap,
    /** Bytes of a new chunk unless one allocation needs more. */
    private readonly chunkBytes = 8 << 20,
  ) {}

  /** The current position, to pass to `release` later. */
  mark(): number {
    // Offsets stay below 4 GiB, so the pair packs exactly into one double.
    return (this.cur + 1) * 4294967296 + this.off;
  }

  /** An array of `n` floats valid until the arena is released below this point (see Arena). */
  alloc(n: number, zeroed = true): Float32Array {
    const bytes = roundUp(Math.max(n * 4, 4), ALIGN);
    let c = this.cur >= 0 ? this.chunks[this.cur] : undefined;
    if (!c || this.off + bytes > c.bytes) {
      const next = this.cur + 1;
      const have = this.chunks[next];
      if (!have || have.bytes < bytes) {
        const size = Math.max(this.chunkBytes, bytes);
        this.chunks.splice(next, 0, { ptr: this.heap.allocBytes(size), bytes: size });
      }
      this.cur = next;
      this.off = 0;
      if (next > this.high) this.high = next;
      c = this.chunks[next];
    }
    const view = new Float32Array(this.heap.memory.buffer, c.ptr + this.off, n);
    this.off += bytes;
    if (zeroed) view.fill(0);
    else if (POISON) view.fill(Number.NaN);
    return view;
  }

  /** Frees everything allocated after `mark` (from `mark()`). */
  release(mark: number): void {
    const chunk = Math.floor(mark / 4294967296) - 1;
    const off = mark - (chunk + 1) * 4294967296;
    if (chunk > this.cur || (chunk === this.cur && off > this.off)) {
      throw new Error('wasm arena: release to a mark ahead of the current position (scopes out of order?)');
    }
    this.cur = chunk;
    this.off = off;
    if (chunk === -1) {
      for (let i = this.chunks.length - 1; i > this.high; i--) this.heap.freeBytes(this.chunks[i].ptr);
      this.chunks.length = Math.min(this.chunks.length, this.high + 1);
      this.high = -1;
    }
  }

  /** True for an array inside the part of a chunk in use (what `alloc` handed out since the base). */
  owns(a: ArrayBufferView): boolean {
    if (!(a instanceof Float32Array) || !this.heap.owns(a)) return false;
    const at = a.byteOffset;
    for (let i = 0; i <= this.cur; i++) {
      const c = this.chunks[i];
      const end = i === this.cur ? c.ptr + this.off : c.ptr + c.bytes;
      if (at >= c.ptr && at < end) return true;
    }
    return false;
  }

  /** Bytes reserved in chunks (for tests and diagnostics). */
  get reservedBytes(): number {
    let s = 0;
    for (const c of this.chunks) s += c.bytes;
    return s;
  }
}
