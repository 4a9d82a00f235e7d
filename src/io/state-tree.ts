import { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';

/**
 * State trees for checkpoint.json: JSON values, plus non-finite numbers (`{"$number": "NaN"}`) and,
 * where a tensor map is given, typed arrays and Tensors, which are set aside under their path
 * (`state.0.buffers.expAvg`) and replaced by `{"$array": name}` / `{"$tensor": name}`. Keys
 * starting with '$' are reserved.
 */

const isFloatArray = (v: unknown): v is Float32Array | Float64Array =>
  v instanceof Float32Array || v instanceof Float64Array;

export function encodeTree(
  v: unknown,
  path: string,
  tensors: Map<string, Tensor> | null,
  depth = 0,
): unknown {
  const where = 'saveCheckpoint';
  if (depth > 64) throw new ConfigError(`${where}: ${path} is nested too deeply (a cycle?)`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
  if (v instanceof Tensor || isFloatArray(v)) {
    if (!tensors)
      throw new ConfigError(`${where}: ${path} holds an array; only the optimizer state may hold arrays`);
    let name = path;
    for (let k = 1; tensors.has(name); k++) name = `${path}#${k}`;
    if (v instanceof Tensor) {
      tensors.set(name, v);
      return { $tensor: name };
    }
    tensors.set(name, new Tensor(v, [v.length]));
    return { $array: name };
  }
  if (Array.isArray(v)) return v.map((x, i) => encodeTree(x, `${path}.${i}`, tensors, depth + 1));
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      throw new ConfigError(
        `${where}: ${path} is a ${proto?.constructor?.name ?? 'non-plain object'}; use plain objects and arrays`,
      );
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('$'))
        throw new ConfigError(`${where}: ${path}.${k}: keys starting with '$' are reserved`);
      if (x !== undefined) out[k] = encodeTree(x, `${path}.${k}`, tensors, depth + 1);
    }
    return out;
  }
  if (v === undefined) return null;
  throw new ConfigError(`${where}: ${path} is a ${typeof v}, which JSON cannot hold`);
}

export function decodeTree(
  v: unknown,
  path: string,
  tensors: Map<string, Tensor> | null,
  used: Set<string>,
  fail: (m: string) => never,
  tensorFile = 'the tensor file',
): unknown {
  if (Array.isArray(v))
    return v.map((x, i) => decodeTree(x, `${path}.${i}`, tensors, used, fail, tensorFile));
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  const o = v as Record<string, unknown>;
  if (keys.some((k) => k.startsWith('$'))) {
    if (
      keys.length === 1 &&
      keys[0] === '$number' &&
      ['NaN', 'Infinity', '-Infinity'].includes(o.$number as string)
    ) {
      return Number(o.$number);
    }
    if (
      keys.length === 1 &&
      (keys[0] === '$array' || keys[0] === '$tensor') &&
      typeof o[keys[0]] === 'string'
    ) {
      const name = o[keys[0]] as string;
      const t = tensors?.get(name);
      if (!t)
        return fail(`${path} refers to tensor ${JSON.stringify(name)}, which ${tensorFile} does not hold`);
      if (used.has(name)) return fail(`${path} refers to tensor ${JSON.stringify(name)} a second time`);
      used.add(name);
      return keys[0] === '$tensor' ? t : t.data;
    }
    return fail(`${path} is a malformed reference ${JSON.stringify(v).slice(0, 80)}`);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = decodeTree(o[k], `${path}.${k}`, tensors, used, fail, tensorFile);
  return out;
}
