/**
 * Shared helpers of the data layer: option validation with messages in the house style
 * (`fn: arg must be ..., got ...`) and compact id storage.
 *
 * Token ids of a whole corpus are the largest thing the data layer holds, so they are stored in
 * the narrowest unsigned array that fits the vocabulary (a character vocabulary almost always fits
 * in a Uint8Array or Uint16Array: a 100 MB corpus then costs 100-200 MB of ids, not 400 MB).
 * Everything handed to a model (batches, windows) is Int32Array, which is what Embedding indexes.
 */
import { ConfigError, DataError } from '../util/errors.js';

/** Storage for a sequence of token ids. Unsigned narrow arrays are used when the vocabulary fits. */
export type IdArray = Int32Array | Uint16Array | Uint8Array;

/** A float array of features (per-step feature vectors, series values). */
export type FloatData = Float32Array | Float64Array;

/** The largest vocabulary an id array of this kind can index. */
export function idCapacity(ids: IdArray): number {
  if (ids instanceof Uint8Array) return 256;
  if (ids instanceof Uint16Array) return 65536;
  return 2147483648;
}

/**
 * Allocates `n` ids in the narrowest array that holds ids `0 .. vocabSize-1`:
 * Uint8Array up to 256 entries, Uint16Array up to 65,536, Int32Array beyond.
 */
export function allocIds(vocabSize: number, n: number): IdArray {
  checkPositiveInt(vocabSize, 'allocIds', 'vocabSize');
  checkNonNegInt(n, 'allocIds', 'n');
  if (vocabSize <= 256) return new Uint8Array(n);
  if (vocabSize <= 65536) return new Uint16Array(n);
  return new Int32Array(n);
}

export function isIdArray(x: unknown): x is IdArray {
  return x instanceof Int32Array || x instanceof Uint16Array || x instanceof Uint8Array;
}

/** A short rendering of any received value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  return typeof v;
}

export function checkPositiveInt(v: unknown, fn: string, arg: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ConfigError(`${fn}: ${arg} must be a positive integer, got ${describe(v)}`);
  }
  return v;
}

export function checkNonNegInt(v: unknown, fn: string, arg: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ConfigError(`${fn}: ${arg} must be a non-negative integer, got ${describe(v)}`);
  }
  return v;
}

export function checkInt(v: unknown, fn: string, arg: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ConfigError(`${fn}: ${arg} must be an integer, got ${describe(v)}`);
  }
  return v;
}

export function checkBool(v: unknown, fn: string, arg: string): boolean {
  if (typeof v !== 'boolean')
    throw new ConfigError(`${fn}: ${arg} must be true or false, got ${describe(v)}`);
  return v;
}

/** A fraction in [0, 1]. */
export function checkFraction(v: unknown, fn: string, arg: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
    throw new ConfigError(`${fn}: ${arg} must be a number in [0, 1], got ${describe(v)}`);
  }
  return v;
}

/** Rejects option keys a function does not know, so a misspelled option is never silently ignored. */
export function checkKeys(options: object, allowed: readonly string[], fn: string): void {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(`${fn}: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(
        `${fn}: unknown option ${JSON.stringify(k)}; expected one of ${allowed.join(', ')}`,
      );
    }
  }
}

/**
 * Copies a token sequence (typed array or number[]) to a fresh Int32Array, checking that every
 * value is an integer. `where` names the function and argument for the message.
 */
export function toInt32(seq: unknown, where: string): Int32Array {
  if (seq instanceof Int32Array) return seq;
  if (!(Array.isArray(seq) || isIdArray(seq))) {
    throw new DataError(`${where} must be an Int32Array or an array of integers, got ${describe(seq)}`);
  }
  const a = seq as ArrayLike<number>;
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new DataError(`${where}[${i}] must be an int32 integer, got ${describe(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/** Index of the first non-finite value of `a` in `[start, end)`, or -1. */
export function firstNonFinite(a: ArrayLike<number>, start = 0, end = a.length): number {
  for (let i = start; i < end; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}
