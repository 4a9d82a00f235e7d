// Every rnn_module and tbptt case of ../shared/golden through the public layer API, in float64
// and float32, on the TypeScript backend and (when it loads here) the wasm backend.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkGoldenFiles, runCheckGolden } from '../src/cli/golden.js';
import { backendAvailable } from '../src/kernels/registry.js';
import { setWorkspacePoison } from '../src/kernels/wasm/allocator.js';

// Workspaces the kernels must overwrite before reading start as NaN here, so a read of stale
// memory fails these cases instead of passing by luck.
setWorkspacePoison(true);

// dist/test/golden.test.js -> <root>/../shared/golden/
const dir = fileURLToPath(new URL('../../../shared/golden/', import.meta.url));
const present = existsSync(dir);
const files = present
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'index.json')
      .map((f) => `${dir}${f}`)
      .filter((f) => {
        const t = (JSON.parse(readFileSync(f, 'utf8')) as { case_type?: string }).case_type;
        return t === 'rnn_module' || t === 'tbptt';
      })
  : [];

const backends: ('ts' | 'wasm')[] = backendAvailable('wasm') ? ['ts', 'wasm'] : ['ts'];

describe('golden PyTorch reference cases', {
  skip: present ? false : `golden folder not found at ${dir}`,
}, () => {
  it('has rnn_module and tbptt cases', () => {
    assert.ok(files.length >= 40, `found ${files.length} cases`);
  });
  if (!backends.includes('wasm'))
    it('wasm backend', {
      skip: 'setBackend("wasm") failed: the wasm backend is not available here',
    }, () => {});
  for (const backend of backends) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`all cases pass on ${backend} in ${dtype}`, async () => {
        const results = await checkGoldenFiles(files, { backend, dtype });
        assert.equal(results.length, files.length);
        const bad = results.filter((r) => r.status !== 'pass');
        assert.deepEqual(
          bad.map((r) => `${r.name}: ${r.status} ${r.reason ?? ''}`),
          [],
          `${bad.length} of ${results.length} cases did not pass`,
        );
      });
    }
  }
});

describe('check-golden runner', { skip: present ? false : `golden folder not found at ${dir}` }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'recur-golden-'));
  const original = JSON.parse(readFileSync(`${dir}gru_l1_uni.json`, 'utf8'));
  const tampered = structuredClone(original);
  tampered.gradients.weight_hh_l0.data[0][0] += 1e-6;
  const tamperedFile = join(tmp, 'tampered.json');
  writeFileSync(tamperedFile, JSON.stringify(tampered));
  const unknownFile = join(tmp, 'unknown.json');
  writeFileSync(unknownFile, JSON.stringify({ case_type: 'something_new', name: 'unknown' }));
  const brokenFile = join(tmp, 'broken.json');
  writeFileSync(brokenFile, '{ not json');

  /** Runs the CLI entry with stdout/stderr captured. */
  async function cli(argv: string[]): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const { log, error } = console;
    console.log = (s: string) => lines.push(s);
    console.error = () => {};
    try {
      return { code: await runCheckGolden(argv), lines };
    } finally {
      console.log = log;
      console.error = error;
    }
  }

  it('fails a case whose reference was altered, naming the tensor; skips unknown case types', async () => {
    const [t, u, b] = await checkGoldenFiles([tamperedFile, unknownFile, brokenFile], {
      backend: 'ts',
      dtype: 'float64',
    });
    assert.equal(t.status, 'fail');
    assert.match(t.reason ?? '', /grad\.weight_hh_l0/);
    assert.ok(t.errors['grad.weight_hh_l0'].maxAbs > 9e-7);
    assert.equal(t.errors.output.maxAbs < 1e-12, true);
    assert.equal(u.status, 'skip');
    assert.equal(b.status, 'fail');
  });

  it('prints one JSON line per case and returns 1 on a failure, 0 otherwise, 2 on usage errors', async () => {
    const bad = await cli(['--backend', 'ts', tamperedFile, unknownFile]);
    assert.equal(bad.code, 1);
    assert.deepEqual(
      bad.lines.map((l) => JSON.parse(l).status),
      ['fail', 'skip'],
    );
    const good = await cli(['--dtype=float32', `${dir}lstm_l1_uni.json`, unknownFile]);
    assert.equal(good.code, 0);
    const line = JSON.parse(good.lines[0]);
    assert.deepEqual(Object.keys(line).slice(0, 4), ['name', 'file', 'status', 'errors']);
    assert.equal((await cli(['--dtype', 'float16', tamperedFile])).code, 2);
    assert.equal((await cli(['--frobnicate'])).code, 2);
    assert.equal((await cli([])).code, 2);
  });
});
