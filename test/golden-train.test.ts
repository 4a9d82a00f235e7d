// The training-step cases of ../shared/golden (train_char_lm, train_classifier, train_regression)
// through src/cli/golden-train.ts: loss, gradients and every optimizer step, in float64 and
// float32, on the TypeScript backend and (when it loads here) the wasm backend.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
// golden-train registers its case types with the runner when loaded.
import '../src/cli/golden-train.js';
import { checkGoldenFiles } from '../src/cli/golden.js';
import { backendAvailable } from '../src/kernels/registry.js';
import { setWorkspacePoison } from '../src/kernels/wasm/allocator.js';

// Workspaces the kernels must overwrite before reading start as NaN here, so a read of stale
// memory fails these cases instead of passing by luck.
setWorkspacePoison(true);

const TRAIN_TYPES = ['train_char_lm', 'train_classifier', 'train_regression'];
// dist/test/golden-train.test.js -> <root>/../shared/golden/
const dir = fileURLToPath(new URL('../../../shared/golden/', import.meta.url));
const present = existsSync(dir);
const cases = present
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'index.json')
      .map((f) => ({ file: `${dir}${f}`, json: JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) }))
      .filter((c) => TRAIN_TYPES.includes(c.json.case_type))
  : [];
const files = cases.map((c) => c.file);

const backends: ('ts' | 'wasm')[] = backendAvailable('wasm') ? ['ts', 'wasm'] : ['ts'];
const skip = present ? false : `golden folder not found at ${dir}`;

describe('golden training-step cases', { skip }, () => {
  it('has one case of each training type', () => {
    assert.deepEqual(cases.map((c) => c.json.case_type).sort(), [...TRAIN_TYPES].sort());
  });
  if (!backends.includes('wasm'))
    it('wasm backend', {
      skip: 'setBackend("wasm") failed: the wasm backend is not available here',
    }, () => {});
  for (const backend of backends) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`all training cases pass on ${backend} in ${dtype}`, async () => {
        const results = await checkGoldenFiles(files, { backend, dtype });
        const bad = results.filter((r) => r.status !== 'pass');
        assert.deepEqual(
          bad.map((r) => `${r.name}: ${r.status} ${r.reason ?? ''}`),
          [],
          `${bad.length} of ${results.length} cases did not pass`,
        );
        for (const r of results) {
          // Every optimizer step of every run was compared, not silently skipped.
          const c = cases.find((x) => x.file === r.file)?.json;
          for (const [key, run] of Object.entries(c.optimizer_runs as Record<string, { steps: unknown[] }>))
            for (let k = 0; k < run.steps.length; k++) {
              assert.ok(r.errors[`${key}[${k}].loss_before_step`], `${r.name}: ${key}[${k}] loss compared`);
              for (const name of c.parameter_names as string[])
                assert.ok(r.errors[`${key}[${k}].param.${name}`], `${r.name}: ${key}[${k}] ${name} compared`);
            }
          for (const name of c.parameter_names as string[]) assert.ok(r.errors[`grad.${name}`]);
        }
      });
    }
  }
});

describe('training-case checker', { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'recur-golden-train-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const charLm = cases.find((c) => c.json.case_type === 'train_char_lm')?.json;

  it('fails when a stored parameter after an optimizer step is altered, naming the run and step', async () => {
    const t = structuredClone(charLm);
    t.optimizer_runs.sgd_momentum.steps[2].parameters_after_step['lstm.weight_hh_l0'].data[1][2] += 1e-6;
    const f = join(tmp, 'tampered-step.json');
    writeFileSync(f, JSON.stringify(t));
    const [r] = await checkGoldenFiles([f], { backend: 'ts', dtype: 'float64' });
    assert.equal(r.status, 'fail');
    assert.match(r.reason ?? '', /sgd_momentum\[2\]\.param\.lstm\.weight_hh_l0/);
    assert.doesNotMatch(r.reason ?? '', /sgd_momentum\[1\]/);
  });

  it('fails on an altered clipped gradient and an altered embedding gradient', async () => {
    const t = structuredClone(charLm);
    t.optimizer_runs.clip_sgd.steps[0].clipped_gradients['linear.bias'].data[0] += 1e-6;
    t.gradients['embedding.weight'].data[0][0] += 1e-6;
    const f = join(tmp, 'tampered-grad.json');
    writeFileSync(f, JSON.stringify(t));
    const [r] = await checkGoldenFiles([f], { backend: 'ts', dtype: 'float64' });
    assert.equal(r.status, 'fail');
    assert.match(r.reason ?? '', /clip_sgd\[0\]\.clipped_grad\.linear\.bias/);
    assert.match(r.reason ?? '', /grad\.embedding\.weight/);
  });

  it('reports an unknown optimizer run as a failure, not a pass', async () => {
    const t = structuredClone(charLm);
    t.optimizer_runs.lbfgs = { optimizer: 'torch.optim.LBFGS()', steps: [] };
    const f = join(tmp, 'unknown-run.json');
    writeFileSync(f, JSON.stringify(t));
    const [r] = await checkGoldenFiles([f], { backend: 'ts', dtype: 'float64' });
    assert.equal(r.status, 'fail');
    assert.match(r.reason ?? '', /lbfgs: unknown optimizer/);
  });
});
