import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { randn } from '../tensor/random.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { CheckpointError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  SAFETENSORS_DTYPE_SIZES,
  saveSafetensors,
} from './safetensors.js';

/** Builds a file by hand: header object (serialized as given) + data bytes, optional raw header text. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

const rejects = (bytes: Uint8Array, re: RegExp) =>
  assert.throws(
    () => decodeSafetensors(bytes, 'test.safetensors'),
    (e: Error) => e instanceof CheckpointError && /test\.safetensors/.test(e.message) && re.test(e.message),
  );

describe('safetensors round trip', () => {
  it('F32 and F64 tensors, an empty tensor, a scalar and metadata come back exactly', () => {
    const rng = new Rng(1);
    const m = new Map<string, Tensor>([
      ['lstm.weight_ih_l0', randn([8, 3], { rng })],
      ['lstm.bias_ih_l0', randn([8], { rng, dtype: 'float64' })],
      ['empty', tensor(new Float32Array(0), { shape: [0, 4] })],
      ['scalar', tensor(new Float64Array([Math.PI]), { shape: [] })],
      ['odd', randn([3], { rng })],
    ]);
    const bytes = encodeSafetensors(m, { format: 'pt', note: 'ü ✓' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0, 'header padded to a multiple of 8');
    const h = headerOf(bytes);
    // Reference order: larger dtypes first, then by name.
    assert.deepEqual(Object.keys(h), [
      '__metadata__',
      'lstm.bias_ih_l0',
      'scalar',
      'empty',
      'lstm.weight_ih_l0',
      'odd',
    ]);
    const got = decodeSafetensors(bytes);
    assert.deepEqual(got.metadata, { format: 'pt', note: 'ü ✓' });
    for (const [name, t] of m) {
      const u = got.tensors.get(name)!;
      assert.deepEqual(u.shape, t.shape, name);
      assert.equal(u.dtype, t.dtype, name);
      assert.deepEqual(u.data, t.data, name);
    }
    assert.equal(got.dtypes.get('lstm.bias_ih_l0'), 'F64');
  });
  it('an empty map encodes to a valid file', () => {
    const got = decodeSafetensors(encodeSafetensors(new Map()));
    assert.equal(got.tensors.size, 0);
  });
  it('reads integer and half dtypes; I64 only within the safe integer range', () => {
    const data = new Uint8Array(8 + 4 + 2 + 2 + 1);
    const v = new DataView(data.buffer);
    v.setBigInt64(0, -(2n ** 40n), true);
    v.setInt32(8, -7, true);
    v.setUint16(12, 0x3c00, true); // F16 1.0
    v.setUint16(14, 0xc000, true); // BF16 -2.0
    v.setUint8(16, 1);
    const header = {
      a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
      b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
      c: { dtype: 'F16', shape: [1], data_offsets: [12, 14] },
      d: { dtype: 'BF16', shape: [1], data_offsets: [14, 16] },
      e: { dtype: 'BOOL', shape: [], data_offsets: [16, 17] },
    };
    const got = decodeSafetensors(build(header, data)).tensors;
    assert.deepEqual(
      ['a', 'b', 'c', 'd', 'e'].map((k) => got.get(k)!.data[0]),
      [-(2 ** 40), -7, 1, -2, 1],
    );
    v.setBigInt64(0, 2n ** 60n, true);
    rejects(build(header, data), /I64 value 1152921504606846976 .* not exactly representable/);
  });
  it('file functions write atomically and read back; a missing file is a CheckpointError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-st-'));
    try {
      const f = join(dir, 'w.safetensors');
      saveSafetensors(f, { w: tensor([[1, 2]]) }, { k: 'v' });
      assert.deepEqual(loadSafetensors(f).tensors.get('w')!.toArray(), [[1, 2]]);
      assert.throws(
        () => loadSafetensors(join(dir, 'nope.safetensors')),
        (e: Error) => e instanceof CheckpointError && /nope\.safetensors: no such file/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('safetensors validation', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const d8 = new Uint8Array(8);
  it('rejects truncated files and lying header lengths', () => {
    rejects(new Uint8Array(5), /too short for the 8-byte header length/);
    const f = build(ok, d8);
    rejects(f.subarray(0, 20), /only 12 follow/);
    const huge = f.slice();
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    rejects(huge, /more than the 100000000-byte limit/);
    rejects(f.subarray(0, f.length - 1), /run past the 7 bytes of data/);
  });
  it('rejects bad JSON, non-objects, duplicate keys and deep nesting', () => {
    rejects(build(null, d8, '{"w": '), /not valid JSON/);
    rejects(build(null, d8, '[1, 2]'), /must be a JSON object/);
    rejects(
      build(null, d8, `{"w": ${JSON.stringify(ok.w)}, "w": ${JSON.stringify(ok.w)}}`),
      /duplicate key "w"/,
    );
    rejects(build(null, d8, `{"a": ${'['.repeat(100)}${']'.repeat(100)}}`), /nesting deeper/);
    rejects(build(null, d8, '{"w": 1} x'), /unexpected text/);
  });
  it('rejects unknown dtypes, bad shapes and offsets, gaps, overlaps and trailing bytes', () => {
    const t = (dtype: unknown, shape: unknown, offs: unknown) => ({
      w: { dtype, shape, data_offsets: offs },
    });
    rejects(
      build(t('F8_E4M3', [2], [0, 2]), d8.subarray(0, 2)),
      /dtype "F8_E4M3", which this reader does not support/,
    );
    rejects(build(t(7, [2], [0, 8]), d8), /dtype 7/);
    rejects(build(t('F32', [-2], [0, 8]), d8), /shape must be a list of non-negative integers/);
    rejects(build(t('F32', [2.5], [0, 8]), d8), /shape must be/);
    rejects(build(t('F32', '2', [0, 8]), d8), /shape must be/);
    rejects(build(t('F32', [2 ** 40, 2 ** 40], [0, 8]), d8), /absurdly large/);
    rejects(build(t('F32', [2 ** 30], [0, 8]), d8), /needs more bytes than the file holds/);
    rejects(build(t('F32', [2], [0, 9]), new Uint8Array(9)), /needs 8 bytes but data_offsets span 9/);
    rejects(build(t('F32', [2], [8, 0]), d8), /end before they begin/);
    rejects(build(t('F32', [2], [0.5, 8]), d8), /data_offsets must be/);
    rejects(build(t('F32', [2], [0, 1e300]), d8), /data_offsets must be/);
    rejects(build(t('F32', [2], [4, 12]), new Uint8Array(12)), /starts at data byte 4 .* \(gap\)/);
    rejects(build(t('F32', [2], [0, 8]), new Uint8Array(12)), /trailing bytes/);
    const overlap = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    rejects(build(overlap, new Uint8Array(12)), /\(overlap\)/);
    rejects(build({ w: { ...ok.w, extra: 1 } }, d8), /unknown field "extra"/);
    rejects(build({ ...ok, __metadata__: { a: 1 } }, d8), /__metadata__.a must be a string/);
    rejects(build({ ...ok, __metadata__: [] }, d8), /__metadata__ must be an object/);
  });
  it('keeps odd keys as plain data (no prototype pollution)', () => {
    const text = `{"w": ${JSON.stringify(ok.w)}, "__metadata__": {"__proto__": "x", "constructor": "y"}}`;
    const got = decodeSafetensors(build(null, d8, text));
    assert.equal(Object.getOwnPropertyDescriptor(got.metadata, '__proto__')?.value, 'x');
    assert.equal(Object.getPrototypeOf(got.metadata), Object.prototype);
    assert.equal(got.metadata.constructor, 'y');
  });
});

describe('safetensors fuzz', () => {
  it('1,500 mutated files: each either loads consistently or is rejected with a CheckpointError', () => {
    const rng = new Rng(2024);
    const seeds: Uint8Array[] = [
      encodeSafetensors(
        new Map<string, Tensor>([
          ['a', randn([3, 2], { rng })],
          ['b', randn([4], { rng, dtype: 'float64' })],
          ['e', tensor(new Float32Array(0), { shape: [0] })],
        ]),
        { format: 'pt' },
      ),
      encodeSafetensors({ x: randn([1], { rng }) }),
      build(
        {
          i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] },
          h: { dtype: 'F16', shape: [3], data_offsets: [16, 22] },
          u: { dtype: 'U8', shape: [1, 1], data_offsets: [22, 23] },
        },
        new Uint8Array(23).map((_, i) => (i * 37) & 0xff),
      ),
    ];
    const huge = [2 ** 31, 2 ** 32 + 1, 2 ** 53, 2 ** 64, 1e300, -1, -(2 ** 53), 0.5, 1e-9];
    const pick = <T>(a: readonly T[]): T => a[rng.int(a.length)];
    const weird = (): unknown =>
      pick<() => unknown>([
        () => pick(huge),
        () => rng.int(64),
        () => null,
        () => 'F32',
        () => [rng.int(5), pick(huge)],
        () => [],
        () => ({}),
        () => [[1]],
        () => true,
        () => pick(Object.keys(SAFETENSORS_DTYPE_SIZES)),
      ])();
    const mutate = (src: Uint8Array): Uint8Array => {
      const f = src.slice();
      const view = new DataView(f.buffer);
      const dataStart = 8 + Number(view.getBigUint64(0, true));
      switch (rng.int(9)) {
        case 0: // bit flips anywhere
          for (let k = 1 + rng.int(4); k > 0; k--) f[rng.int(f.length)] ^= 1 << rng.int(8);
          return f;
        case 1: // bit flips in the length field or the start of the header
          f[rng.int(Math.min(f.length, 24))] ^= 1 << rng.int(8);
          return f;
        case 2: // truncation
          return f.subarray(0, rng.int(f.length));
        case 3: // length field lies
          view.setBigUint64(
            0,
            BigInt(Math.floor(Math.max(0, Number(view.getBigUint64(0, true)) + rng.int(33) - 16))),
            true,
          );
          if (rng.int(2)) view.setBigUint64(0, BigInt.asUintN(64, BigInt(Math.floor(pick(huge)))), true);
          return f;
        case 4: // trailing bytes or bytes removed from the data
          if (rng.int(2)) return new Uint8Array([...f, ...new Uint8Array(1 + rng.int(9))]);
          return f.subarray(0, f.length - 1 - rng.int(4));
        case 8: // bit flips in the data only: must still load
          if (f.length > dataStart) f[dataStart + rng.int(f.length - dataStart)] ^= 1 << rng.int(8);
          return f;
        case 5: // random garbage
          return new Uint8Array(rng.int(64)).map(() => rng.int(256));
        default: {
          // header edits that lie about dtypes, shapes and offsets
          const h = headerOf(f) as Record<string, Record<string, unknown>>;
          const n = Number(view.getBigUint64(0, true));
          const names = Object.keys(h);
          const name = pick(names);
          const field = pick([
            'dtype',
            'shape',
            'data_offsets',
            'data_offsets',
            'shape',
            '__rename',
            '__delete',
            '__meta',
          ]);
          if (field === '__rename') {
            h[name === '__metadata__' ? 'z' : '__metadata__'] = h[name];
            delete h[name];
          } else if (field === '__delete') {
            delete h[name];
          } else if (field === '__meta') {
            h.__metadata__ = weird() as Record<string, unknown>;
          } else if (typeof h[name] === 'object' && h[name] !== null) {
            const cur = h[name][field];
            if (Array.isArray(cur) && cur.length > 0 && rng.int(2)) {
              const c = cur.slice();
              c[rng.int(c.length)] = rng.int(3) ? (c[rng.int(c.length)] as number) + rng.int(9) - 4 : weird();
              h[name][field] = c;
            } else {
              h[name][field] = weird();
            }
          }
          let text = JSON.stringify(h);
          if (rng.int(4) === 0 && names.length > 1) text = text.replace(`"${names[1]}"`, `"${names[0]}"`); // duplicate
          const out = build(null, f.subarray(8 + n), text);
          if (rng.int(5) === 0)
            new DataView(out.buffer).setBigUint64(0, BigInt(text.length + rng.int(9) - 4), true);
          return out;
        }
      }
    };
    let loaded = 0;
    let rejected = 0;
    for (let i = 0; i < 1500; i++) {
      const f = mutate(seeds[i % seeds.length]);
      let got: ReturnType<typeof decodeSafetensors>;
      try {
        got = decodeSafetensors(f, `fuzz-${i}.safetensors`);
      } catch (e) {
        if (!(e instanceof CheckpointError)) {
          assert.fail(
            `case ${i}: expected a CheckpointError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`,
          );
        }
        assert.match(e.message, new RegExp(`fuzz-${i}\\.safetensors`));
        rejected++;
        continue;
      }
      // Loaded: the tensors must be exactly what the (JSON.parse-able) header describes.
      loaded++;
      const h = headerOf(f) as Record<
        string,
        { dtype: keyof typeof SAFETENSORS_DTYPE_SIZES; shape: number[]; data_offsets: number[] }
      >;
      const names = Object.keys(h).filter((k) => k !== '__metadata__');
      assert.deepEqual([...got.tensors.keys()].sort(), names.sort(), `case ${i}`);
      for (const name of names) {
        const t = got.tensors.get(name)!;
        assert.deepEqual(t.shape, h[name].shape, `case ${i}: ${name}`);
        const bytes = h[name].data_offsets[1] - h[name].data_offsets[0];
        assert.equal(t.size * SAFETENSORS_DTYPE_SIZES[h[name].dtype], bytes, `case ${i}: ${name}`);
      }
    }
    assert.ok(rejected > 700 && loaded > 100, `loaded ${loaded}, rejected ${rejected}`);
  });
  it('the file reader rejects mutated files on disk the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-fuzz-'));
    try {
      const rng = new Rng(7);
      const good = encodeSafetensors({ w: randn([16], { rng }) });
      for (let i = 0; i < 60; i++) {
        const f = good.slice(0, i % 3 === 0 ? rng.int(good.length) : good.length);
        if (i % 3 !== 0) f[rng.int(f.length)] ^= 1 << rng.int(8);
        const path = join(dir, `m${i}.safetensors`);
        writeFileSync(path, f);
        try {
          loadSafetensors(path);
        } catch (e) {
          assert.ok(e instanceof CheckpointError, `file ${i}: ${(e as Error).message}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
