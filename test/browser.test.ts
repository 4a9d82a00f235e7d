// The browser-safe root entry, in a real browser: headless Chromium loads dist/src/index.js as an
// ES module from a local server, runs test/browser/workload.ts on the TypeScript kernels, then
// fetches and instantiates the wasm kernels (`loadWasmKernels`) and runs it again; the numbers
// must match Node's on the same backends. Skipped, saying why, when no Chromium is installed
// (`apt-get install chromium`, or point RECUR_BROWSER at a Chrome/Chromium binary).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withBackend } from '../src/kernels/registry.js';
import { runWorkload, type WorkloadResult } from './browser/workload.js';

/** The package root: this file runs as dist/test/browser.test.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVED = ['dist', 'build'];
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
};

function findBrowser(): string | null {
  const env = process.env.RECUR_BROWSER;
  if (env) return env;
  const names = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  for (const dir of (process.env.PATH ?? '').split(':')) {
    for (const n of names) if (dir && existsSync(join(dir, n))) return join(dir, n);
  }
  return null;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>recur browser test</title>
<script type="module">
const out = {};
try {
  const recur = await import('/dist/src/index.js');
  const { runWorkload } = await import('/dist/test/browser/workload.js');
  out.startBackend = recur.getBackend();
  recur.setBackend('ts');
  out.ts = runWorkload();
  await recur.loadWasmKernels();
  recur.setBackend('wasm');
  out.wasm = runWorkload();
  out.wasmInfo = recur.wasmInfo();
  out.threads = recur.getThreads();
} catch (e) {
  out.error = String((e && e.stack) || e);
}
await fetch('/result', { method: 'POST', body: JSON.stringify(out) });
</script>`;

interface PageResult {
  startBackend?: string;
  ts?: WorkloadResult;
  wasm?: WorkloadResult;
  wasmInfo?: { relaxed: boolean; memoryBytes: number };
  threads?: number;
  error?: string;
}

/** Serves the page, dist/ and build/ of the package; resolves with what the page posts back. */
function servePage(): { server: Server; port: Promise<number>; result: Promise<PageResult> } {
  let deliver: (r: PageResult) => void = () => {};
  const result = new Promise<PageResult>((resolve) => {
    deliver = resolve;
  });
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/') {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      res.end(PAGE);
      return;
    }
    if (url === '/result' && req.method === 'POST') {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        res.end();
        deliver(JSON.parse(body) as PageResult);
      });
      return;
    }
    const file = normalize(join(ROOT, decodeURIComponent(url)));
    const top = file.slice(ROOT.length).split(sep)[0];
    if (!file.startsWith(ROOT) || !SERVED.includes(top) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  const port = new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
  return { server, port, result };
}

/** Largest |a - b| / max(1, |b|) over two equally long lists, and where. */
function worstDiff(a: number[], b: number[]): { diff: number; at: number } {
  assert.equal(a.length, b.length, 'value counts differ');
  let worst = { diff: 0, at: -1 };
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= worst.diff)) worst = { diff: d, at: i };
  }
  return worst;
}

function assertClose(page: WorkloadResult, node: WorkloadResult, tol: number, what: string): void {
  assert.equal(page.backend, node.backend);
  const v = worstDiff(page.values, node.values);
  assert.ok(v.diff <= tol, `${what}: value ${v.at} differs by ${v.diff} (page vs Node)`);
  const f = worstDiff(page.float64, node.float64);
  assert.ok(f.diff <= 1e-12, `${what}: float64 value ${f.at} differs by ${f.diff}`);
  const l = worstDiff([page.trainedLoss], [node.trainedLoss]);
  assert.ok(l.diff <= tol, `${what}: loss after training ${page.trainedLoss} vs ${node.trainedLoss}`);
}

const browser = findBrowser();

describe('in a browser', () => {
  it('the root entry loads as an ES module, fetches the wasm kernels, and computes what Node computes', {
    skip: browser ? false : 'no Chromium found (apt-get install chromium, or set RECUR_BROWSER)',
    timeout: 120_000,
  }, async () => {
    const { server, port, result } = servePage();
    const profile = mkdtempSync(join(tmpdir(), 'recur-chromium-'));
    let child: ChildProcess | null = null;
    let stderr = '';
    try {
      const url = `http://127.0.0.1:${await port}/`;
      child = spawn(
        browser as string,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${profile}`,
          url,
        ],
        // Its own process group, so that the browser's helper processes end with it.
        { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
      );
      child.stderr?.on('data', (d) => {
        stderr = (stderr + d).slice(-4000);
      });
      const exited = new Promise<never>((_, reject) => {
        child?.on('exit', (code) => reject(new Error(`the browser exited (${code}) first:\n${stderr}`)));
        child?.on('error', reject);
      });
      const page = await Promise.race([result, exited]);
      assert.equal(page.error, undefined, `the page threw: ${page.error}`);
      assert.equal(page.startBackend, 'ts', 'before loadWasmKernels() a page runs on the TypeScript kernels');
      assert.equal(page.threads, 1, 'no worker thread in a page');
      assert.ok(page.wasmInfo, 'wasmInfo() after loadWasmKernels()');
      assertClose(page.ts as WorkloadResult, withBackend('ts', runWorkload), 1e-6, 'ts backend');
      assertClose(page.wasm as WorkloadResult, withBackend('wasm', runWorkload), 1e-5, 'wasm backend');
    } finally {
      if (child?.pid !== undefined && child.exitCode === null) {
        const gone = new Promise((resolve) => child?.once('exit', resolve));
        process.kill(-child.pid, 'SIGTERM');
        await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000))]);
      }
      server.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  });
});
