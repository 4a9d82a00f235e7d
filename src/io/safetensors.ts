import { readFileSync } from 'node:fs';
import { Tensor } from '../tensor/tensor.js';
import { CheckpointError, ConfigError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';
import { JsonSyntaxError, parseJsonStrict } from './strict-json.js';

/**
 * The safetensors format (github.com/huggingface/safetensors): an 8-byte little-endian header
 * length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__": {string: string}}`, then the data, row-major and little-endian, with offsets
 * relative to the start of the data. The tensors must tile the data exactly: no gap, no overlap,
 * nothing left over (the reference implementation's `validate`).
 *
 * Writing follows the reference implementation: tensors ordered by dtype alignment (largest first)
 * then by name, so every tensor is aligned; the header is padded with spaces to a multiple of 8.
 *
 * Reading treats the bytes as hostile: every length, offset, shape and dtype is checked against
 * the actual byte count before anything is allocated, and every problem is a CheckpointError
 * naming the file. float32 and float64 come back as such; F16, BF16, I8, U8, I16 and BOOL become
 * float32 (exact); I32 becomes float64 (exact); I64 becomes float64 when every value is a safe
 * integer (|v| <= 2^53 - 1) and is rejected otherwise. Other dtypes are rejected.
 */

/** The dtypes this reader accepts, with their sizes in bytes. */
export const SAFETENSORS_DTYPE_SIZES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;
export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_SIZES;

/** Headers larger than this are rejected (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;
const MAX_JSON_DEPTH = 16;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface SafetensorsContents {
  tensors: Map<string, Tensor>;
  /** The `__metadata__` strings ({} when absent). */
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file. */
  dtypes: Map<string, SafetensorsDType>;
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Encodes tensors (float32 as F32, float64 as F64) and optional metadata strings into the bytes of
 * a safetensors file.
 */
export function encodeSafetensors(
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const where = 'encodeSafetensors';
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name, t] of entries) {
    if (typeof name !== 'string') throw new ConfigError(`${where}: tensor names must be strings`);
    if (name === '__metadata__')
      throw new ConfigError(`${where}: '__metadata__' is reserved and cannot name a tensor`);
    if (!(t instanceof Tensor)) throw new ConfigError(`${where}: '${name}' is not a Tensor`);
  }
  if (typeof metadata !== 'object' || metadata === null)
    throw new ConfigError(`${where}: metadata must be an object`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') {
      throw new ConfigError(
        `${where}: metadata values must be strings, '${k}' is ${typeof v} (JSON.stringify it)`,
      );
    }
  }
  const size = (t: Tensor) => (t.dtype === 'float64' ? 8 : 4);
  entries.sort(([na, a], [nb, b]) => size(b) - size(a) || (na < nb ? -1 : na > nb ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = t.size * size(t);
    header[name] = {
      dtype: t.dtype === 'float64' ? 'F64' : 'F32',
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const [, t] of entries) {
    const d = t.data;
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    } else {
      const view = new DataView(out.buffer, pos, d.byteLength);
      if (d instanceof Float64Array) for (let i = 0; i < d.length; i++) view.setFloat64(i * 8, d[i], true);
      else for (let i = 0; i < d.length; i++) view.setFloat32(i * 4, d[i], true);
    }
    pos += d.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically (see writeFileAtomic). */
export function saveSafetensors(
  path: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Decodes the bytes of a safetensors file. `file` names the source in error messages. Throws
 * CheckpointError for anything that is not a valid file (see the module comment for the checks).
 */
export function decodeSafetensors(bytes: Uint8Array, file = '<bytes>'): SafetensorsContents {
  const fail = (msg: string): never => {
    throw new CheckpointError(`safetensors file ${file}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) return fail('expected the file contents as a Uint8Array');
  const total = bytes.length;
  if (total < 8)
    return fail(`the file is ${total} bytes long, too short for the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    return fail(
      `the header length field says ${n64} bytes, more than the ${MAX_HEADER_BYTES}-byte limit (corrupt file?)`,
    );
  }
  const n = Number(n64);
  if (8 + n > total)
    return fail(`the header length field says ${n} bytes but only ${total - 8} follow (truncated?)`);
  if (n < 2) return fail(`the header length field says ${n} bytes, too short for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  if (text[0] !== '{')
    return fail(
      `the header must be a JSON object starting with '{', got ${JSON.stringify(text.slice(0, 20))}`,
    );
  let header: Map<string, unknown>;
  try {
    header = parseJsonStrict(text, MAX_JSON_DEPTH) as Map<string, unknown>;
  } catch (e) {
    if (e instanceof JsonSyntaxError) return fail(`the header is not valid JSON: ${e.message}`);
    throw e;
  }
  const dataStart = 8 + n;
  const dataLen = total - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of header) {
    if (name === '__metadata__') {
      if (info === null) continue;
      if (!(info instanceof Map)) return fail('__metadata__ must be an object of strings');
      for (const [k, v] of info) {
        if (typeof v !== 'string') return fail(`__metadata__.${k} must be a string, got ${describe(v)}`);
        Object.defineProperty(metadata, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      continue;
    }
    const what = `tensor ${JSON.stringify(name)}`;
    if (!(info instanceof Map)) return fail(`${what} must be described by an object, got ${describe(info)}`);
    for (const k of info.keys()) {
      if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets')
        return fail(`${what} has an unknown field ${JSON.stringify(k)}`);
    }
    const dtype = info.get('dtype');
    if (typeof dtype !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPE_SIZES, dtype)) {
      return fail(
        `${what} has dtype ${describe(dtype)}, which this reader does not support (supported: ${Object.keys(SAFETENSORS_DTYPE_SIZES).join(', ')})`,
      );
    }
    const shape = info.get('shape');
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return fail(`${what}: shape must be a list of non-negative integers, got ${describe(shape)}`);
    }
    const offs = info.get('data_offsets');
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      return fail(
        `${what}: data_offsets must be [begin, end], two non-negative integers, got ${describe(offs)}`,
      );
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) return fail(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLen)
      return fail(
        `${what}: data_offsets [${begin}, ${end}] run past the ${dataLen} bytes of data (truncated?)`,
      );
    // Bound the size before multiplying it out: every dimension is a safe integer, but a product
    // can overflow (and Infinity * 0 is NaN), so zero-size tensors are checked for absurd shapes too.
    const esize = SAFETENSORS_DTYPE_SIZES[dtype as SafetensorsDType];
    let nonzero = 1;
    for (const d of shape as number[]) {
      if (d !== 0) nonzero *= d;
      if (nonzero > Number.MAX_SAFE_INTEGER)
        return fail(`${what}: shape ${describe(shape)} is absurdly large`);
    }
    const count = (shape as number[]).includes(0) ? 0 : nonzero;
    if (count * esize > dataLen)
      return fail(`${what}: shape ${describe(shape)} of ${dtype} needs more bytes than the file holds`);
    if (count * esize !== end - begin) {
      return fail(
        `${what}: shape ${describe(shape)} of ${dtype} needs ${count * esize} bytes but data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end });
  }
  // The tensors must cover the data exactly, without gaps or overlaps.
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    if (e.begin !== covered) {
      return fail(
        `tensor ${JSON.stringify(e.name)} starts at data byte ${e.begin} but the previous tensors end at ${covered} (${e.begin < covered ? 'overlap' : 'gap'})`,
      );
    }
    covered = e.end;
  }
  if (covered !== dataLen)
    return fail(`the tensors cover ${covered} bytes of data but the file holds ${dataLen} (trailing bytes)`);
  const tensors = new Map<string, Tensor>();
  const dtypes = new Map<string, SafetensorsDType>();
  for (const e of entries) {
    tensors.set(e.name, readTensor(view, dataStart + e.begin, e, fail));
    dtypes.set(e.name, e.dtype);
  }
  return { tensors, metadata, dtypes };
}

function describe(v: unknown): string {
  if (v instanceof Map) return 'an object';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function readTensor(view: DataView, pos: number, e: Entry, fail: (msg: string) => never): Tensor {
  const count = e.shape.includes(0) ? 0 : e.shape.reduce((a, b) => a * b, 1);
  const f32 = (): Float32Array => new Float32Array(count);
  const abs = view.byteOffset + pos;
  let data: Float32Array | Float64Array;
  switch (e.dtype) {
    case 'F64':
      if (LITTLE_ENDIAN && abs % 8 === 0) {
        data = new Float64Array(view.buffer, abs, count).slice();
      } else {
        data = new Float64Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getFloat64(pos + 8 * i, true);
      }
      break;
    case 'F32':
      if (LITTLE_ENDIAN && abs % 4 === 0) {
        data = new Float32Array(view.buffer, abs, count).slice();
      } else {
        data = f32();
        for (let i = 0; i < count; i++) data[i] = view.getFloat32(pos + 4 * i, true);
      }
      break;
    case 'F16':
      data = f32();
      for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(pos + 2 * i, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      data = f32();
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        tmp.setUint16(0, view.getUint16(pos + 2 * i, true), false);
        data[i] = tmp.getFloat32(0, false);
      }
      break;
    }
    case 'I64':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(pos + 8 * i, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          fail(
            `tensor ${JSON.stringify(e.name)}: I64 value ${v} at index ${i} is not exactly representable as a float64`,
          );
        }
        data[i] = Number(v);
      }
      break;
    case 'I32':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(pos + 4 * i, true);
      break;
    case 'I16':
      data = f32();
      for (let i = 0; i < count; i++) data[i] = view.getInt16(pos + 2 * i, true);
      break;
    case 'I8':
      data = f32();
      for (let i = 0; i < count; i++) data[i] = view.getInt8(pos + i);
      break;
    case 'U8':
      data = f32();
      for (let i = 0; i < count; i++) data[i] = view.getUint8(pos + i);
      break;
    case 'BOOL':
      data = f32();
      for (let i = 0; i < count; i++) data[i] = view.getUint8(pos + i) !== 0 ? 1 : 0;
      break;
  }
  return new Tensor(data, e.shape);
}

/** Reads and decodes a safetensors file; unreadable files are CheckpointErrors too. */
export function loadSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CheckpointError(
      `loadSafetensors: cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
    );
  }
  return decodeSafetensors(bytes, path);
}
