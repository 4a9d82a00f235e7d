/**
 * The benchmark suite (issue "Speed", item 1):
 *
 *   npm run build && npm run bench -- [--workloads W1,W3] [--peers] [options]
 *
 * Workloads (bench/workloads/spec.ts): W1 char-LM training step (Embedding 65x64, LSTM 256,
 * Linear, cross-entropy at every step, Adam; seq 64, batch 32) in tokens/s; W2 the same with GRU;
 * W3 with hidden 64, batch 16; W4 LSTM(64, 256) inference over 64 steps, ms per sequence at
 * batch 1 and tokens/s at batch 64; W5 a 2-layer LSTM 512.
 *
 * Every task runs on every implementation in its own child process (bench/workloads/child.ts;
 * bench/peers/torch_bench.py for PyTorch), so the peak RSS reported is that task's alone. Each
 * result is a median over at least --steps timed steps after warm-up. Recur runs as built
 * (dist/) on the wasm backend with its default threads, and on the ts backend as an extra row.
 * --peers adds TensorFlow.js (cpu, wasm), brain.js, onnxruntime-node (W4) from bench/peers
 * (`npm run bench:peers:install`), and PyTorch through python3 when `import torch` works there.
 *
 * stdout: a `"type": "machine"` line, one JSON line per result (`"type": "result"`; with
 * --repeat N, a `"type": "run"` line per run first, and the result is their median), then one per
 * Recur/peer ratio (`"type": "ratio"`); stderr: progress, then the readable table.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_PEERS, notInstalled, PEERS_DIR, peerInstalled, ROOT } from './peers/load.js';
import type { ChildSpec } from './workloads/child.js';
import { IMPLS, type Impl, type PeerGroup } from './workloads/impls.js';
import { aggregate, ratios, table } from './workloads/report.js';
import { type Task, type TaskResult, WORKLOADS } from './workloads/spec.js';
import { DEFAULT_TIMING, type TimingOptions } from './workloads/timing.js';

const HELP = `usage: npm run bench -- [options]

  --workloads W1,W3    workloads to run (default: ${Object.keys(WORKLOADS).join(',')})
  --peers              also run the installed peers (TensorFlow.js cpu/wasm, brain.js,
                       onnxruntime-node, PyTorch via python3)
  --backends wasm,ts   Recur backends (default: wasm,ts; --backend ts is the same option)
  --impls a,b          only these implementations (ids: ${IMPLS.map((i) => i.id).join(', ')})
  --steps N            minimum timed steps per result (default ${DEFAULT_TIMING.minSteps})
  --warmup N           warm-up steps (default ${DEFAULT_TIMING.warmup}; at least ${DEFAULT_TIMING.warmupMs} ms)
  --seconds S          aim for about S seconds of timed steps (default ${DEFAULT_TIMING.targetSeconds})
  --max-seconds S      time budget for the timed steps of one result (default ${DEFAULT_TIMING.maxSeconds})
  --repeat N           run every task N times, round-robin over the implementations, and
                       report the median (default 1)
  --python CMD         python for the PyTorch peer (default: $RECUR_BENCH_PYTHON, python3, /usr/bin/python3)

stdout: JSON lines (results, then ratios); stderr: progress and the table.`;

function fail(msg: string): never {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

function positive(v: string | undefined, name: string, fallback: number, integer: boolean): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(n >= (integer ? 1 : 0)) || (integer && !Number.isInteger(n))) {
    fail(`--${name} must be a ${integer ? 'positive integer' : 'non-negative number'}, got '${v}'`);
  }
  return n;
}

function parse() {
  const { values } = parseArgs({
    options: {
      workloads: { type: 'string' },
      peers: { type: 'boolean', default: false },
      backends: { type: 'string', default: 'wasm,ts' },
      backend: { type: 'string' },
      impls: { type: 'string' },
      steps: { type: 'string' },
      warmup: { type: 'string' },
      seconds: { type: 'string' },
      'max-seconds': { type: 'string' },
      python: { type: 'string' },
      repeat: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const names = (values.workloads ?? Object.keys(WORKLOADS).join(',')).split(',').map((s) => s.trim());
  for (const n of names) {
    if (!WORKLOADS[n]) fail(`unknown workload '${n}' (known: ${Object.keys(WORKLOADS).join(', ')})`);
  }
  const backends = (values.backend ?? values.backends).split(',').map((s) => s.trim());
  for (const b of backends) if (b !== 'wasm' && b !== 'ts') fail(`--backends: 'wasm' or 'ts', got '${b}'`);
  const only = values.impls?.split(',').map((s) => s.trim());
  for (const id of only ?? []) if (!IMPLS.some((i) => i.id === id)) fail(`--impls: unknown '${id}'`);
  const timing: TimingOptions = {
    ...DEFAULT_TIMING,
    minSteps: positive(values.steps, 'steps', DEFAULT_TIMING.minSteps, true),
    warmup: positive(values.warmup, 'warmup', DEFAULT_TIMING.warmup, true),
    targetSeconds: positive(values.seconds, 'seconds', DEFAULT_TIMING.targetSeconds, false),
    maxSeconds: positive(values['max-seconds'], 'max-seconds', DEFAULT_TIMING.maxSeconds, false),
  };
  const repeat = positive(values.repeat, 'repeat', 1, true);
  return { names, peers: values.peers, backends, only, timing, python: values.python, repeat };
}

/** The first python command whose `import torch` works, and what torch_bench.py reports. */
function findTorch(
  explicit: string | undefined,
): { python: string; probe: Record<string, unknown> } | string {
  const script = join(PEERS_DIR, 'torch_bench.py');
  const env = process.env.RECUR_BENCH_PYTHON;
  const candidates = explicit ? [explicit] : env ? [env] : ['python3', '/usr/bin/python3'];
  for (const py of candidates) {
    const r = spawnSync(py, [script, '--probe'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) {
      try {
        return { python: py, probe: JSON.parse(r.stdout.trim().split('\n').pop() ?? '') };
      } catch {}
    }
  }
  return `peer PyTorch not available (import torch failed with ${candidates.join(', ')}; set --python or RECUR_BENCH_PYTHON)`;
}

/** Which peer groups can run here; prints a line for each one that cannot. */
function availablePeers(python: string | undefined): { groups: Set<PeerGroup>; torch?: string } {
  const groups = new Set<PeerGroup>();
  const labels: Record<keyof typeof NODE_PEERS, string> = {
    tfjs: 'TensorFlow.js',
    brain: 'brain.js',
    ort: 'onnxruntime-node',
  };
  for (const [group, pkgs] of Object.entries(NODE_PEERS) as [keyof typeof NODE_PEERS, readonly string[]][]) {
    const missing = pkgs.filter((p) => !peerInstalled(p));
    if (missing.length === 0) groups.add(group);
    else process.stderr.write(`${notInstalled(`${labels[group]} (${missing.join(', ')})`)}\n`);
  }
  const torch = findTorch(python);
  if (typeof torch === 'string') {
    process.stderr.write(`${torch}\n`);
    return { groups };
  }
  groups.add('torch');
  process.stderr.write(`PyTorch ${JSON.stringify(torch.probe)} via ${torch.python}\n`);
  return { groups, torch: torch.python };
}

function runOne(impl: Impl, task: Task, timing: TimingOptions, python?: string): TaskResult | string {
  const spec: ChildSpec = { task, impl: impl.id, timing };
  // A generous wall-clock limit: warm-up plus the timed budget plus start-up.
  const timeout = (timing.maxSeconds * 3 + 180) * 1000;
  const r =
    impl.runtime === 'python'
      ? spawnSync(
          python ?? 'python3',
          [join(PEERS_DIR, 'torch_bench.py'), JSON.stringify({ ...spec, threads: impl.threads ?? 1 })],
          { encoding: 'utf8', timeout, maxBuffer: 1 << 24 },
        )
      : spawnSync(process.execPath, [join(ROOT, 'dist/bench/workloads/child.js'), JSON.stringify(spec)], {
          encoding: 'utf8',
          timeout,
          maxBuffer: 1 << 24,
        });
  const result = parseResult(r.stdout ?? '');
  if (r.status === 0 && result) return result;
  const err = (r.stderr ?? '').trim().split('\n').filter(Boolean);
  const why = r.error
    ? r.error.message
    : (err.find((l) => /Error|error/.test(l)) ?? err.pop() ?? `exit ${r.status}`);
  return `${impl.label} on ${task.task} failed: ${why}`;
}

/** The last stdout line that is a result object (peers may print banners before it). */
function parseResult(stdout: string): TaskResult | null {
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as TaskResult;
      if (v.type === 'result') return v;
    } catch {}
  }
  return null;
}

function progress(r: TaskResult): string {
  const v = r.metric === 'ms/seq' ? r.value.toFixed(2) : Math.round(r.value).toLocaleString('en-US');
  return `${r.task.padEnd(6)} ${r.impl.padEnd(10)} ${v} ${r.metric}  (median ${r.medianMs.toFixed(1)} ms over ${r.steps}${r.capped ? ' (capped)' : ''} steps, peak RSS ${Math.round(r.peakRssMB)} MB)`;
}

function main(): void {
  const o = parse();
  const load0 = loadavg();
  const machine = {
    type: 'machine',
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavgStart: load0.map((x) => Number(x.toFixed(2))),
    timing: o.timing,
  };
  process.stdout.write(`${JSON.stringify(machine)}\n`);
  process.stderr.write(
    `machine: ${machine.cpu}, ${machine.cores} cores, load average ${load0.map((x) => x.toFixed(2)).join(' ')}\n`,
  );
  const peers = o.peers ? availablePeers(o.python) : { groups: new Set<PeerGroup>() };
  const impls = IMPLS.filter((i) => {
    if (o.only && !o.only.includes(i.id)) return false;
    if (i.group === 'ours') return o.backends.includes(i.id.replace('recur-', ''));
    return o.peers && peers.groups.has(i.group);
  });
  const tasks = o.names.flatMap((n) => WORKLOADS[n].tasks);
  const results: TaskResult[] = [];
  const failures: string[] = [];
  // With --repeat, the implementations of a task run round-robin, so each sees similar load.
  for (const task of tasks) {
    const runs = new Map<string, TaskResult[]>();
    for (let rep = 0; rep < o.repeat; rep++) {
      for (const impl of impls) {
        if (!impl.supports(task)) continue;
        const load1 = Number(loadavg()[0].toFixed(2));
        const r = runOne(impl, task, o.timing, peers.torch);
        if (typeof r === 'string') {
          failures.push(r);
          process.stderr.write(`${r}\n`);
          continue;
        }
        r.load1 = load1;
        if (!runs.has(impl.id)) runs.set(impl.id, []);
        runs.get(impl.id)?.push(r);
        const line = o.repeat > 1 ? { ...r, type: 'run', rep: rep + 1 } : r;
        process.stdout.write(`${JSON.stringify(line)}\n`);
        process.stderr.write(`${progress(r)}${o.repeat > 1 ? ` [run ${rep + 1}/${o.repeat}]` : ''}\n`);
      }
    }
    for (const list of runs.values()) {
      const r = o.repeat > 1 ? aggregate(list) : list[0];
      if (o.repeat > 1) process.stdout.write(`${JSON.stringify(r)}\n`);
      results.push(r);
    }
  }
  for (const q of ratios(results)) process.stdout.write(`${JSON.stringify(q)}\n`);
  const load1 = loadavg();
  process.stderr.write(`\n${table(tasks, results)}\n`);
  process.stderr.write(
    `\nload average at start ${load0.map((x) => x.toFixed(2)).join(' ')}, at end ${load1.map((x) => x.toFixed(2)).join(' ')} (${machine.cores} cores)\n`,
  );
  for (const f of failures) process.stderr.write(`FAILED: ${f}\n`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

main();
