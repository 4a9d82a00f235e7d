/**
 * How bench/kernels.ts measures (see its doc, "Method"): warm-up, the median of timed samples,
 * one- and two-thread samples taken alternately, the CPU time other processes used meanwhile
 * (/proc/stat), and the rows that the benchmarks emit and the final table lists.
 */
import { readFileSync } from 'node:fs';
import type { Kernels } from '../src/kernels/types.js';
import { setThreads } from '../src/kernels/wasm/index.js';

const WARMUP_MS = 300;
const SAMPLE_MS = 30;
const SAMPLES = 9;
/** Cap per configuration, so the slow TS GEMM at 1024^3 still finishes in seconds. */
const MAX_TOTAL_MS = 4000;

/**
 * CPU time used by other processes, in cores, between two snapshots: total busy time from
 * /proc/stat (Linux) minus this process's own (all its threads, from process.cpuUsage). NaN
 * where /proc/stat does not exist. Tells how much the machine was shared during a measurement.
 */
interface CpuSnap {
  busy: number;
  wall: number;
  own: number;
}
export function cpuSnap(): CpuSnap {
  let busy = Number.NaN;
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait (USER_HZ = 100).
    busy = (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * 10;
  } catch {
    // not Linux
  }
  const u = process.cpuUsage();
  return { busy, wall: performance.now(), own: (u.user + u.system) / 1000 };
}
export function othersCores(a: CpuSnap, b: CpuSnap): number {
  return Math.max(0, (b.busy - a.busy - (b.own - a.own)) / (b.wall - a.wall));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1];
}

/** Calls per sample from a warm-up of `fn` (at least one). */
function warm(fn: () => void, ms: number): number {
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < ms || calls < 2) {
    fn();
    calls++;
  }
  const perCall = (performance.now() - t0) / calls;
  return Math.max(1, Math.round(SAMPLE_MS / perCall));
}

function sample(fn: () => void, reps: number): number {
  const s = performance.now();
  for (let r = 0; r < reps; r++) fn();
  return (performance.now() - s) / reps;
}

/** Median milliseconds per call of `fn`, after warm-up. */
export function timeMedian(fn: () => void): { ms: number; samples: number } {
  const reps = warm(fn, WARMUP_MS);
  const times: number[] = [];
  const start = performance.now();
  while (times.length < SAMPLES && (times.length < 3 || performance.now() - start < MAX_TOTAL_MS)) {
    times.push(sample(fn, reps));
  }
  return { ms: median(times), samples: times.length };
}

/**
 * Median ms per call with 1 and with 2 threads, from alternating samples (the order flips every
 * round). `two` is NaN when the worker is unavailable.
 */
export function timeThreads(fn: () => void, twoOk: boolean): { one: number; two: number; samples: number } {
  setThreads(1);
  const reps = warm(fn, WARMUP_MS / 2);
  if (twoOk) {
    setThreads(2);
    warm(fn, WARMUP_MS / 2);
  }
  const one: number[] = [];
  const two: number[] = [];
  const start = performance.now();
  while (one.length < SAMPLES && (one.length < 3 || performance.now() - start < MAX_TOTAL_MS)) {
    const order = twoOk ? (one.length % 2 === 0 ? [1, 2] : [2, 1]) : [1];
    for (const n of order) {
      setThreads(n as 1 | 2);
      (n === 1 ? one : two).push(sample(fn, reps));
    }
  }
  setThreads(1);
  return { one: median(one), two: twoOk ? median(two) : Number.NaN, samples: one.length };
}

export interface Row {
  bench: string;
  backend: string;
  shape: string;
  one: number;
  two: number;
  unit: 'GFLOP/s' | 'ns/value' | 'µs/step';
  /** Cores used by other processes while this row was measured. */
  others?: number;
}
export const rows: Row[] = [];

export function emit(obj: Record<string, unknown>, row: Row): void {
  row.others = lastOthers;
  lastOthers = Number.NaN;
  process.stdout.write(`${JSON.stringify({ ...obj, otherCores: round(row.others, 2) })}\n`);
  rows.push(row);
}

export interface Backend {
  label: string;
  k: Kernels;
  /** Whether the two-thread column applies (wasm with a running worker). */
  twoOk: boolean;
}

/** The CPU use of other processes during the last `timeFor` (cores). */
let lastOthers = Number.NaN;

export function timeFor(b: Backend, fn: () => void): { one: number; two: number; samples: number } {
  const s0 = cpuSnap();
  let r: { one: number; two: number; samples: number };
  if (b.k.name === 'ts') {
    const { ms, samples } = timeMedian(fn);
    r = { one: ms, two: Number.NaN, samples };
  } else {
    r = timeThreads(fn, b.twoOk);
  }
  lastOthers = othersCores(s0, cpuSnap());
  return r;
}

export function round(x: number, d: number): number | null {
  return Number.isFinite(x) ? +x.toFixed(d) : null;
}
