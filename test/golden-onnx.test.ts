// Every ONNX RNN/GRU/LSTM golden case (../shared/golden-onnx) passes through onnx.runNode in
// float64 and float32, on the ts backend and on wasm where it loads.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkOnnxCase } from '../src/cli/golden-onnx.js';
import { backendAvailable, getBackend, setBackend } from '../src/kernels/registry.js';
import { setWorkspacePoison } from '../src/kernels/wasm/allocator.js';

// Workspaces the kernels must overwrite before reading start as NaN here, so a read of stale
// memory fails these cases instead of passing by luck.
setWorkspacePoison(true);

// The package root registers the optional backends (wasm); the cases do not need anything else.
try {
  await import('../src/index.js');
} catch {
  // A package root that does not load yet leaves the ts backend, which is all the ts run needs.
}

const dir = fileURLToPath(new URL('../../../shared/golden-onnx/', import.meta.url));
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'index.json')
      .sort()
  : [];

describe('golden ONNX operator cases', () => {
  if (files.length === 0) {
    it('skips: ../shared/golden-onnx is absent', (t) => t.skip(`no cases found in ${dir}`));
    return;
  }
  for (const backend of ['ts', 'wasm'] as const) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`all ${files.length} cases pass in ${dtype} on ${backend}`, (t) => {
        if (!backendAvailable(backend)) {
          t.skip(`the ${backend} backend is not available here`);
          return;
        }
        const prev = getBackend();
        setBackend(backend);
        try {
          const failed: string[] = [];
          let worst = 0;
          for (const f of files) {
            const r = checkOnnxCase(JSON.parse(readFileSync(dir + f, 'utf8')), { backend, dtype });
            if (r.status !== 'pass') failed.push(`${f}: ${r.reason}`);
            for (const e of Object.values(r.errors)) worst = Math.max(worst, e.maxAbs);
          }
          t.diagnostic(
            `${dtype}/${backend}: ${files.length - failed.length}/${files.length} pass, max abs error ${worst.toExponential(2)}`,
          );
          assert.deepEqual(failed, []);
        } finally {
          setBackend(prev);
        }
      });
    }
  }
});
