/**
 * `tidy(fn)`: a scope that frees the tensors `fn` makes, as TensorFlow.js' `tf.tidy`.
 *
 * Why: on the wasm backend a tensor's float32 values should live in the WebAssembly memory, so
 * that kernels take them in place instead of copying them in and out on every call. Memory there
 * is managed by us, not by the garbage collector, and finalizers run far too late to free the tens
 * of megabytes a training step makes (bench/finalizer-lag.ts measured gigabytes waiting). A scope
 * knows when its tensors die: at its end.
 *
 * Inside a scope, tensors created by ops and creation functions take their float32 storage from
 * the backend's arena (`Kernels.arena()`, a bump allocator over wasm memory; plain typed arrays on
 * the ts backend). When `fn` returns:
 * - the tensors in its result (a tensor, or arrays and plain objects holding tensors, searched
 *   deeply) are kept: their values move to ordinary memory, and one that was computed by an op is
 *   detached from the graph (its graph, made in the scope, is freed with the scope);
 * - every other tensor made in the scope is disposed: reading its data throws an error that says
 *   so, and its graph link is cut. The same happens on every backend, so code that works on one
 *   works on the other;
 * - gradients that `backward()` accumulates into leaves made outside (parameters) are unaffected,
 *   and so are tensors passed to `keep()` (module parameters are, when registered).
 *
 * Scopes nest; a tensor kept by an inner scope belongs to the outer one. `fn` must be synchronous.
 * Raw arrays read from a tensor inside (`t.data`) must be copied if they are needed afterwards.
 */
import { kernels } from '../kernels/registry.js';
import type { Arena, DType, FloatArray } from '../kernels/types.js';
import { ConfigError } from '../util/errors.js';
import type { Tensor } from './tensor.js';

class Scope {
  readonly created: Tensor[] = [];
  constructor(
    readonly arena: Arena | null,
    readonly mark: number,
  ) {}
}

/** Open scopes, innermost last; null marks an `unscoped` region inside one. */
const stack: (Scope | null)[] = [];
let top: Scope | null = null;

/** Records a new tensor in the innermost scope (called by the Tensor constructor). */
export function trackTensor(t: Tensor): void {
  if (top !== null) top.created.push(t);
}

/** Zeroed storage for a tensor's values: from the scope's arena inside `tidy`, else a typed array. */
export function scopedData(n: number, dtype: DType): FloatArray {
  if (dtype === 'float64') return new Float64Array(n);
  const a = top?.arena;
  return a ? a.alloc(n) : new Float32Array(n);
}

/**
 * A float32 array from the innermost scope's arena (zeroed unless `zeroed` is false), or null
 * outside a scope or on a backend without an arena. For kernel workspaces of one op call: they
 * then die with the scope instead of being freed one by one (or by a finalizer).
 */
export function arenaArray(n: number, zeroed: boolean): Float32Array | null {
  const a = top?.arena;
  return a ? a.alloc(n, zeroed) : null;
}

/**
 * Runs `fn` outside every scope: the tensors it makes are neither tracked nor placed in an arena
 * (for values that outlive the scope by design, such as the gradients of parameters).
 */
export function unscoped<T>(fn: () => T): T {
  if (top === null) return fn();
  stack.push(null);
  top = null;
  try {
    return fn();
  } finally {
    stack.pop();
    top = stack[stack.length - 1] ?? null;
  }
}

/** Tensors that no scope disposes (`keep`). */
const pinned = new WeakSet<Tensor>();

/**
 * Exempts `t` from disposal by the scopes it was made in (TensorFlow.js' `tf.keep`): its values
 * move out of the arena now (a copy: tensors that shared its storage do not follow), and when the
 * scope ends a tensor computed in it is detached, as a returned one is. Module parameters are
 * kept this way when registered, so a model may be built inside a scope. Outside a scope it does
 * nothing. Returns `t`.
 */
export function keep<T extends Tensor>(t: T): T {
  if (top === null) return t;
  pinned.add(t);
  t._keepAfterScope(top.arena, new Map(), false);
  return t;
}

/** Runs `fn` in a scope that disposes the tensors it makes, except those in its result. */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') {
    throw new ConfigError(`tidy: fn must be a function, got ${fn === null ? 'null' : typeof fn}`);
  }
  const arena = kernels().arena();
  const scope = new Scope(arena, arena ? arena.mark() : 0);
  stack.push(scope);
  top = scope;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    end(scope, undefined);
    throw e;
  }
  if (isThenable(result)) {
    end(scope, undefined);
    throw new ConfigError(
      'tidy: fn must be synchronous, it returned a Promise (tensors made after an await would escape the scope); await inside an async function and call tidy around each synchronous part',
    );
  }
  end(scope, result);
  return result;
}

function isThenable(x: unknown): boolean {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

function end(scope: Scope, result: unknown): void {
  if (stack[stack.length - 1] !== scope) throw new Error('tidy: scopes ended out of order');
  stack.pop();
  top = stack[stack.length - 1] ?? null;
  const made = new Set<Tensor>(scope.created);
  const kept = new Set<Tensor>();
  if (result !== undefined) collect(result, made, kept, new Set());
  const arena = scope.arena;
  const copies = new Map<FloatArray, FloatArray>();
  for (const t of kept) t._keepAfterScope(arena, copies, true);
  for (const t of scope.created) {
    if (kept.has(t)) continue;
    if (pinned.has(t)) t._keepAfterScope(arena, copies, true);
    else t._dispose();
  }
  if (arena) arena.release(scope.mark);
  if (top !== null) for (const t of kept) top.created.push(t);
}

/** Finds the tensors made in the scope inside `x` (tensors, arrays, plain objects, Maps, Sets). */
function collect(x: unknown, made: Set<Tensor>, keep: Set<Tensor>, seen: Set<unknown>): void {
  if (typeof x !== 'object' || x === null || seen.has(x)) return;
  seen.add(x);
  if (made.has(x as Tensor)) {
    keep.add(x as Tensor);
    return;
  }
  if (Array.isArray(x)) {
    for (const v of x) collect(v, made, keep, seen);
  } else if (x instanceof Map) {
    for (const v of x.values()) collect(v, made, keep, seen);
  } else if (x instanceof Set) {
    for (const v of x) collect(v, made, keep, seen);
  } else if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collect(v, made, keep, seen);
  }
}
