import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Module } from '../nn/module.js';
import { randn } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { CheckpointError, ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { writeFileAtomic } from './atomic.js';
import { type CheckpointData, saveCheckpoint } from './checkpoint.js';
import { latestCheckpoint, loadCheckpoint } from './checkpoint-load.js';

class Tiny extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(rng: Rng, inF = 3, outF = 2) {
    super();
    this.weight = this.registerParameter('weight', randn([outF, inF], { rng }))!;
    this.bias = this.registerParameter('bias', randn([outF], { rng }))!;
  }
  protected describe(): string {
    return 'Tiny()';
  }
}

const root = mkdtempSync(join(tmpdir(), 'recur-ckpt-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = () => join(root, `d${dirCount++}`);

function sample(step: number): CheckpointData {
  const rng = new Rng(step);
  return {
    step,
    model: new Tiny(rng),
    config: { model: { inputSize: 3, hiddenSize: 2 }, vocab: ['a', 'b'], weird: Number.NaN },
    optimizer: {
      type: 'Adam',
      paramGroups: [{ lr: 0.001, betas: [0.9, 0.999], params: [0, 1] }],
      state: {
        '0': { step, buffers: { expAvg: new Float32Array([1, 2, 3, 4, 5, 6]) } },
        '1': { step, buffers: { expAvg: new Float64Array([7, 8]) } },
      },
    },
    scheduler: { type: 'StepLR', lastEpoch: step, baseLrs: [0.001] },
    rng: rng.getState(),
    metrics: { loss: 1.5, best: Number.POSITIVE_INFINITY },
  };
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips model, config, optimizer buffers, scheduler, RNG state and metrics', () => {
    const dir = freshDir();
    const data = sample(7);
    const saved = saveCheckpoint(dir, data);
    assert.equal(saved.path, join(dir, 'ckpt-00000007'));
    const got = loadCheckpoint(dir);
    assert.equal(got.step, 7);
    assert.deepEqual([...got.model.keys()], ['weight', 'bias']);
    const model = data.model as Tiny;
    assert.deepEqual(got.model.get('weight')!.data, model.weight.data);
    assert.ok(Number.isNaN(got.config.weird as number));
    assert.deepEqual(got.config.model as object, { inputSize: 3, hiddenSize: 2 });
    const opt = got.optimizer as {
      state: Record<string, { buffers: { expAvg: Float32Array | Float64Array } }>;
    };
    assert.ok(opt.state['0'].buffers.expAvg instanceof Float32Array);
    assert.ok(opt.state['1'].buffers.expAvg instanceof Float64Array);
    assert.deepEqual(Array.from(opt.state['1'].buffers.expAvg), [7, 8]);
    assert.deepEqual(got.scheduler, data.scheduler);
    assert.deepEqual(got.rng, data.rng);
    assert.equal((got.metrics as { best: number }).best, Number.POSITIVE_INFINITY);
    // Loading into a module checks names and shapes, then copies the values.
    const other = new Tiny(new Rng(99));
    loadCheckpoint(dir, { model: other });
    assert.deepEqual(other.weight.data, model.weight.data);
    assert.throws(
      () => loadCheckpoint(dir, { model: new Tiny(new Rng(1), 4) }),
      (e: Error) =>
        e instanceof CheckpointError &&
        /model\.safetensors: tensor 'weight' has shape \[2, 3\], the model needs \[2, 4\]/.test(e.message),
    );
    // The checkpoint folder itself loads too.
    assert.equal(loadCheckpoint(saved.path).step, 7);
  });
  it('keeps the last `keepLast` checkpoints, uses a new name for a repeated step, removes leftovers', () => {
    const dir = freshDir();
    for (const s of [1, 2, 3]) saveCheckpoint(dir, sample(s));
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-00000002', 'ckpt-00000003', 'latest.json']);
    mkdirSync(join(dir, 'ckpt-00000004.tmp')); // an interrupted save
    mkdirSync(join(dir, 'ckpt-00000009')); // renamed but never published
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const again = saveCheckpoint(dir, sample(3), { keepLast: 3 });
    assert.equal(again.path, join(dir, 'ckpt-00000003-1'));
    assert.deepEqual(readdirSync(dir).sort(), [
      'ckpt-00000002',
      'ckpt-00000003',
      'ckpt-00000003-1',
      'latest.json',
      'notes.txt',
    ]);
    assert.equal(latestCheckpoint(dir), again.path);
    saveCheckpoint(dir, sample(4), { keepLast: 1 });
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-00000004', 'latest.json', 'notes.txt']);
  });
  it('rejects bad input before writing anything', () => {
    const dir = freshDir();
    assert.throws(() => saveCheckpoint(dir, { ...sample(1), step: -1 }), ConfigError);
    assert.throws(
      () => saveCheckpoint(dir, { ...sample(1), config: { when: new Date() } }),
      /config\.when is a Date/,
    );
    assert.throws(
      () => saveCheckpoint(dir, { ...sample(1), metrics: { a: new Float32Array(1) } }),
      /only the optimizer state/,
    );
    assert.throws(() => saveCheckpoint(dir, { ...sample(1), extra: { $ref: 1 } }), /reserved/);
    assert.throws(
      () => saveCheckpoint(dir, { ...sample(1), rng: { s: [1, 2], spare: null } }),
      /rng must be/,
    );
    assert.equal(existsSync(dir), false);
  });
});

describe('loadCheckpoint validation', () => {
  const setup = () => {
    const dir = freshDir();
    const { path } = saveCheckpoint(dir, sample(5));
    return { dir, path };
  };
  const rejects = (dir: string, re: RegExp) =>
    assert.throws(
      () => loadCheckpoint(dir),
      (e: Error) => e instanceof CheckpointError && re.test(e.message),
    );
  const editMeta = (path: string, edit: (m: Record<string, unknown>) => void) => {
    const f = join(path, 'checkpoint.json');
    const m = JSON.parse(readFileSync(f, 'utf8'));
    edit(m);
    writeFileSync(f, JSON.stringify(m));
  };

  it('no checkpoint, broken pointer, missing folder', () => {
    rejects(join(root, 'does-not-exist'), /holds no checkpoint \(no such directory\)/);
    const { dir, path } = setup();
    writeFileSync(join(dir, 'latest.json'), '{"format": "recur-checkpoint-pointer", "version": 1');
    rejects(dir, /latest\.json: cannot read the pointer file/);
    writeFileSync(
      join(dir, 'latest.json'),
      JSON.stringify({
        format: 'recur-checkpoint-pointer',
        version: 1,
        latest: 'ckpt-00000077',
        step: 77,
        history: [],
      }),
    );
    rejects(dir, /ckpt-00000077.checkpoint\.json: the file is missing/);
    rmSync(path, { recursive: true });
  });
  it('truncated, corrupted and missing tensor files', () => {
    const { dir, path } = setup();
    const f = join(path, 'model.safetensors');
    const bytes = readFileSync(f);
    writeFileSync(f, bytes.subarray(0, bytes.length - 3));
    rejects(dir, /model\.safetensors: the file has \d+ bytes, checkpoint\.json says \d+/);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(f, bytes);
    rejects(dir, /model\.safetensors: the SHA-256 does not match/);
    rmSync(join(path, 'optimizer.safetensors'));
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(f, bytes);
    rejects(dir, /optimizer\.safetensors: the file is missing/);
  });
  it('checkpoint.json: bad JSON, wrong format or version, bad fields, manifest mismatch, dangling references', () => {
    const { dir, path } = setup();
    const meta = readFileSync(join(path, 'checkpoint.json'), 'utf8');
    const restore = () => writeFileSync(join(path, 'checkpoint.json'), meta);
    writeFileSync(join(path, 'checkpoint.json'), meta.slice(0, 100));
    rejects(dir, /checkpoint\.json: not valid JSON/);
    const cases: [(m: Record<string, unknown>) => void, RegExp][] = [
      [(m) => (m.format = 'other'), /format must be 'recur-checkpoint'/],
      [(m) => (m.version = 2), /version 2 is not supported/],
      [(m) => (m.step = 6), /step 6 disagrees with latest\.json \(step 5\)/],
      [(m) => (m.step = -1), /step must be an integer/],
      [(m) => (m.config = [1]), /config must be an object/],
      [(m) => (m.rng = { s: [1, 2, 3, -4], spare: null }), /rng must be/],
      [
        (m) => ((m.files as Record<string, unknown>)['x.bin'] = { bytes: 1, sha256: 'a'.repeat(64) }),
        /unknown file "x\.bin"/,
      ],
      [
        (m) =>
          ((m.model as { tensors: object[] }).tensors[0] = { name: 'weight', dtype: 'F32', shape: [3, 2] }),
        /tensor 'weight' is F32 \[2, 3\], checkpoint\.json says F32 \[3,2\]/,
      ],
      [
        (m) => (m.model as { tensors: object[] }).tensors.pop(),
        /tensor 'bias' is not listed in checkpoint\.json/,
      ],
      [(m) => (m.model as { tensors: object[] }).tensors.push({ name: 'weight' }), /lists a name twice/],
      [
        (m) => (m.model as { tensors: object[] }).tensors.push({ name: 'extra', dtype: 'F32', shape: [1] }),
        /tensor 'extra' listed in checkpoint\.json is missing/,
      ],
      [
        (m) => (m.optimizer = { ref: { $array: 'nope' } }),
        /optimizer\.ref refers to tensor "nope", which optimizer\.safetensors does not hold/,
      ],
      [(m) => (m.optimizer = { a: 1 }), /optimizer\.safetensors: tensor '.*' is not referenced/],
      [(m) => (m.optimizer = null), /optimizer and files\.optimizer\.safetensors must be present together/],
    ];
    for (const [edit, re] of cases) {
      restore();
      editMeta(path, edit);
      rejects(dir, re);
    }
    restore();
    assert.equal(loadCheckpoint(dir).step, 5);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file; a failed write changes nothing', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const f = join(dir, 'a.json');
    writeFileAtomic(f, 'one');
    writeFileAtomic(f, new TextEncoder().encode('two'));
    assert.equal(readFileSync(f, 'utf8'), 'two');
    assert.deepEqual(readdirSync(dir), ['a.json']);
    assert.throws(
      () => writeFileAtomic(join(dir, 'missing', 'b.json'), 'x'),
      (e: Error) => e instanceof CheckpointError && /cannot create/.test(e.message),
    );
    assert.deepEqual(readdirSync(dir), ['a.json']);
  });
});
