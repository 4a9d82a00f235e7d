/**
 * The wasm threads as the process sees them: the thread setting and RECUR_THREADS, a process that
 * used the worker exits by itself, and no module the library imports has a static Node import
 * (only worker.js has). That split calls equal one-thread calls: threads.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { getThreads, setThreads, threadsAvailable } from './index.js';

describe('wasm threads: setting', () => {
  it('is available under Node and validates setThreads', () => {
    assert.equal(threadsAvailable(), true);
    assert.throws(() => setThreads(3 as 1), RangeError);
    setThreads(1);
    assert.equal(getThreads(), 1);
    setThreads(2);
    assert.equal(getThreads(), 2);
  });
});

/** Runs an ES module snippet in a child Node process; resolves with its output and timings. */
function child(
  code: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string; afterDoneMs: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', code], {
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    let doneAt = 0;
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.stdout.on('data', (d) => {
      out += d;
      if (!doneAt && out.includes('done')) doneAt = performance.now();
    });
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('error', reject);
    p.on('exit', (c) => {
      clearTimeout(timer);
      resolve({ code: c, out, err, afterDoneMs: doneAt ? performance.now() - doneAt : Number.NaN });
    });
  });
}

describe('wasm threads: browser build', () => {
  it('the modules the library imports have no static Node imports (only worker.js has)', () => {
    for (const f of [
      'index',
      'threads',
      'thread-setting',
      'tuning',
      'jobs',
      'kernel-exports',
      'core',
      'gemm',
      'gates',
      'backend',
      'loader',
      'allocator',
      'wasm-api',
    ]) {
      const src = readFileSync(new URL(`./${f}.js`, import.meta.url), 'utf8');
      assert.doesNotMatch(
        src,
        /^\s*(import|export)\b[^;]*from\s*['"]node:/m,
        `${f}.js imports a Node module`,
      );
      assert.doesNotMatch(src, /\bimport\s*['"]\.\/worker\.js['"]/, `${f}.js imports the worker`);
    }
    const worker = readFileSync(new URL('./worker.js', import.meta.url), 'utf8');
    assert.match(worker, /from 'node:worker_threads'/);
  });
});

describe('wasm threads: processes', () => {
  const index = new URL('./index.js', import.meta.url).href;
  const tuningUrl = new URL('./tuning.js', import.meta.url).href;

  it('a process that used the worker exits by itself promptly', async () => {
    const code = `
      import { loadWasmKernelsSync, getThreads, wasmThreadsReady, wasmThreadStats } from ${JSON.stringify(index)};
      import { tuneThreads } from ${JSON.stringify(tuningUrl)};
      const k = loadWasmKernelsSync();
      if (getThreads() !== 2 || !(await wasmThreadsReady())) throw new Error('no worker');
      tuneThreads({ minFlopHot: 0, minFlopCold: 0, fallback: false, mainClaims: false });
      const m = 64, n = 512, kk = 256;
      const A = k.alloc(m * kk, 'float32'), W = k.alloc(n * kk, 'float32'), C = k.alloc(m * n, 'float32');
      A.fill(0.5); W.fill(0.25);
      k.gemm(false, true, m, n, kk, A, 0, kk, W, 0, kk, C, 0, n, false);
      console.log('done', C[0], C[m * n - 1], wasmThreadStats().workerChunks > 0);
    `;
    const r = await child(code, { RECUR_THREADS: '2' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /done 32 32 true/);
    assert.ok(r.afterDoneMs < 2000, `exited ${r.afterDoneMs.toFixed(0)} ms after finishing`);
  });

  it('RECUR_THREADS selects 1 or 2 and rejects other values', async () => {
    const code = `
      import { getThreads } from ${JSON.stringify(index)};
      try { console.log('threads', getThreads()); } catch (e) { console.log('error', e.message); }
    `;
    const [one, two, bad] = await Promise.all([
      child(code, { RECUR_THREADS: '1' }),
      child(code, { RECUR_THREADS: '2' }),
      child(code, { RECUR_THREADS: 'many' }),
    ]);
    assert.match(one.out, /threads 1/);
    assert.match(two.out, /threads 2/);
    assert.match(bad.out, /error RECUR_THREADS must be 1 or 2/);
  });
});
