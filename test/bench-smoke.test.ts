// Keeps `npm run bench` from rotting: runs one small workload for two timed steps on Recur's own
// backends (no peers) and checks the JSON lines, the table and the ratio convention. It measures
// nothing: speed is reported by the benchmark itself, never by a timed test (DESIGN.md §3).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ratio, ratios } from '../bench/workloads/report.js';
import type { TaskResult } from '../bench/workloads/spec.js';

/** A stdout line: the machine line, a result or a ratio. */
type Line = Omit<Partial<TaskResult>, 'type'> & { type: string };

const suite = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'suite.js');

test('bench suite: W3 for 2 steps on the wasm and ts backends prints a result per backend and a table', () => {
  const r = spawnSync(
    process.execPath,
    [suite, '--workloads', 'W3', '--steps', '2', '--warmup', '1', '--seconds', '0'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
  assert.equal(lines[0].type, 'machine');
  const results = lines.filter((l) => l.type === 'result');
  assert.deepEqual(results.map((l) => l.impl).sort(), ['recur-ts', 'recur-wasm']);
  for (const res of results) {
    assert.equal(res.task, 'W3');
    assert.equal(res.metric, 'tokens/s');
    assert.ok((res.value ?? 0) > 0, `value ${res.value}`);
    assert.ok((res.steps ?? 0) >= 2);
    assert.ok((res.peakRssMB ?? 0) > 0);
    assert.deepEqual(Object.keys(res.phases ?? {}), ['forward', 'backward', 'optimizer']);
  }
  assert.equal(lines.filter((l) => l.type === 'ratio').length, 2);
  assert.match(r.stderr, /W3 {2}Embedding\(65, 64\) -> LSTM 64/);
  assert.match(r.stderr, /vs Recur wasm/);
});

test('bench suite: an unknown workload is a usage error', () => {
  const r = spawnSync(process.execPath, [suite, '--workloads', 'W9'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown workload 'W9'/);
});

test('bench ratios: > 1 means Recur is faster, for throughput and for latency', () => {
  const base = {
    type: 'result',
    workload: 'W4',
    medianMs: 1,
    steps: 10,
    warmup: 1,
    capped: false,
    peakRssMB: 1,
  };
  const ours = { ...base, task: 'W4.b1', impl: 'recur-wasm', metric: 'ms/seq', value: 2 } as TaskResult;
  const peer = { ...base, task: 'W4.b1', impl: 'torch-1t', metric: 'ms/seq', value: 8 } as TaskResult;
  assert.equal(ratio(ours, peer), 4);
  const oursT = { ...ours, metric: 'tokens/s', value: 300 } as TaskResult;
  const peerT = { ...peer, metric: 'tokens/s', value: 100 } as TaskResult;
  assert.equal(ratio(oursT, peerT), 3);
  const all = ratios([ours, peer]);
  assert.equal(all.length, 1);
  assert.equal(all[0].ours, 'recur-wasm');
  assert.equal(all[0].peer, 'torch-1t');
});
