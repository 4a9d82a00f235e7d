import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { saveSafetensors } from '../src/io/safetensors.js';
import { LSTM } from '../src/layers/lstm.js';
import { randn, uniform } from '../src/tensor/random.js';
import type { DType, Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

/**
 * Files written by encodeSafetensors are read by Python with nothing but struct/json (no
 * safetensors package), and, when PyTorch is installed, loaded into torch.nn.LSTM with
 * load_state_dict (PyTorch's names and shapes), whose output must match a plain-JS LSTM.
 * Set RECUR_PYTHON to choose the interpreter (default: Debian's /usr/bin/python3, where python3-torch
 * installs, else python3 on the PATH).
 */

const PYTHON = process.env.RECUR_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const SCRIPT = `
import json, struct, sys
from array import array

def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        out[name] = (info['dtype'], info['shape'], data[base + b:base + e])
    return out, meta

mode, path = sys.argv[1], sys.argv[2]
tensors, meta = read_safetensors(path)
if mode == 'plain':
    res = {}
    for name, (dtype, shape, raw) in tensors.items():
        a = array({'F32': 'f', 'F64': 'd'}[dtype])
        a.frombytes(raw)
        if sys.byteorder == 'big':
            a.byteswap()
        res[name] = {'dtype': dtype, 'shape': shape, 'values': a.tolist()}
    print(json.dumps({'meta': meta, 'tensors': res}))
else:
    import torch
    dtypes = {'F32': torch.float32, 'F64': torch.float64}
    sd = {name: torch.frombuffer(bytearray(raw), dtype=dtypes[dt]).reshape(shape).clone()
          for name, (dt, shape, raw) in tensors.items()}
    x, h0, c0 = sd.pop('input'), sd.pop('h0'), sd.pop('c0')
    lstm = torch.nn.LSTM(x.shape[2], h0.shape[2]).to(x.dtype)
    lstm.load_state_dict(sd, strict=True)
    with torch.no_grad():
        out, (h, c) = lstm(x, (h0, c0))
    print(json.dumps({'output': out.flatten().tolist(), 'h_n': h.flatten().tolist(), 'c_n': c.flatten().tolist()}))
`;

function lstmCase(dtype: DType, seed: number): Map<string, Tensor> {
  const [T, B, I, H] = [5, 2, 3, 4];
  const rng = new Rng(seed);
  const k = 1 / Math.sqrt(H);
  return new Map([
    ['weight_ih_l0', uniform([4 * H, I], -k, k, { rng, dtype })],
    ['weight_hh_l0', uniform([4 * H, H], -k, k, { rng, dtype })],
    ['bias_ih_l0', uniform([4 * H], -k, k, { rng, dtype })],
    ['bias_hh_l0', uniform([4 * H], -k, k, { rng, dtype })],
    ['input', randn([T, B, I], { rng, dtype })],
    ['h0', randn([1, B, H], { rng, dtype })],
    ['c0', randn([1, B, H], { rng, dtype })],
  ]);
}

/** Our LSTM layer with the case's weights: the values a PyTorch user must get back. */
function ourLstm(m: Map<string, Tensor>): { output: number[]; h_n: number[]; c_n: number[] } {
  const [, , I] = m.get('input')!.shape;
  const H = m.get('weight_hh_l0')!.shape[1];
  const lstm = new LSTM({ inputSize: I, hiddenSize: H, dtype: m.get('input')!.dtype });
  const params = new Map([...m].filter(([k]) => k.startsWith('weight_') || k.startsWith('bias_')));
  lstm.loadStateDict(params);
  const r = lstm.forward(m.get('input')!, { h0: m.get('h0')!, c0: m.get('c0')! });
  return { output: Array.from(r.output.data), h_n: Array.from(r.h.data), c_n: Array.from(r.c!.data) };
}

const probe = (code: string) => spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
const hasPython = probe('import json, struct').status === 0;
const hasTorch = hasPython && probe('import torch').status === 0;
const noPython = `${PYTHON} is not available (set RECUR_PYTHON)`;
const noTorch = hasPython
  ? `PyTorch is not installed for ${PYTHON}; skipping the torch.nn.LSTM check`
  : noPython;
if (!hasTorch) console.log(`torch-interop: ${noTorch}`);

const dir = mkdtempSync(join(tmpdir(), 'recur-interop-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function runPython(mode: 'plain' | 'torch', file: string): unknown {
  const r = spawnSync(PYTHON, ['-c', SCRIPT, mode, file], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('PyTorch interop through safetensors', () => {
  it('Python reads the file with struct/json alone: names, dtypes, shapes, values, metadata', {
    skip: !hasPython && noPython,
  }, () => {
    const m = lstmCase('float64', 1);
    m.set('f32', randn([2, 3], { rng: new Rng(2) }));
    const file = join(dir, 'plain.safetensors');
    saveSafetensors(file, m, { format: 'pt' });
    const got = runPython('plain', file) as {
      meta: Record<string, string>;
      tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
    };
    assert.deepEqual(got.meta, { format: 'pt' });
    assert.deepEqual(Object.keys(got.tensors).sort(), [...m.keys()].sort());
    for (const [name, t] of m) {
      const p = got.tensors[name];
      assert.equal(p.dtype, t.dtype === 'float64' ? 'F64' : 'F32', name);
      assert.deepEqual(p.shape, t.shape, name);
      assert.deepEqual(p.values, Array.from(t.data), name);
    }
  });
  for (const [dtype, tol] of [
    ['float64', 1e-12],
    ['float32', 2e-6],
  ] as const) {
    it(`an LSTM state dict (${dtype}) loads into torch.nn.LSTM and matches our LSTM layer`, {
      skip: !hasTorch && noTorch,
    }, () => {
      const m = lstmCase(dtype, 3);
      const file = join(dir, `lstm-${dtype}.safetensors`);
      saveSafetensors(file, m);
      const got = runPython('torch', file) as Record<string, number[]>;
      const want = ourLstm(m);
      for (const key of ['output', 'h_n', 'c_n'] as const) {
        assert.equal(got[key].length, want[key].length, key);
        got[key].forEach((v, i) => {
          assert.ok(
            Math.abs(v - want[key][i]) <= tol * (1 + Math.abs(want[key][i])),
            `${key}[${i}]: torch ${v}, recur ${want[key][i]}`,
          );
        });
      }
    });
  }
});
