/**
 * Ratios and the readable table of `npm run bench`.
 *
 * Ratio convention: for throughput (tokens/s) ratio = Recur / peer; for latency (ms/seq)
 * ratio = peer / Recur. Either way > 1 means Recur is faster.
 */
import { implById } from './impls.js';
import { describeTask, type Task, type TaskResult } from './spec.js';

export interface Ratio {
  type: 'ratio';
  task: string;
  metric: string;
  ours: string;
  peer: string;
  ratio: number;
  convention: string;
}

export const RATIO_CONVENTION =
  'ratio = Recur / peer for tokens/s, peer / Recur for ms/seq: > 1 means Recur is faster';

export function ratio(ours: TaskResult, peer: TaskResult): number {
  return ours.metric === 'ms/seq' ? peer.value / ours.value : ours.value / peer.value;
}

/** One ratio per (Recur result, other result) pair of the same task. */
export function ratios(results: TaskResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const o of results) {
    if (implById(o.impl).group !== 'ours') continue;
    for (const p of results) {
      if (p.task !== o.task || p === o) continue;
      out.push({
        type: 'ratio',
        task: o.task,
        metric: o.metric,
        ours: o.impl,
        peer: p.impl,
        ratio: ratio(o, p),
        convention: RATIO_CONVENTION,
      });
    }
  }
  return out;
}

/**
 * Combines repeated runs of one task on one implementation: the value is the median of the runs'
 * values; the other fields come from the run closest to it; peak RSS is the largest.
 */
export function aggregate(runs: TaskResult[]): TaskResult {
  const values = runs.map((r) => r.value);
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = n % 2 === 1 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const rep = runs.reduce((best, r) => (Math.abs(r.value - mid) < Math.abs(best.value - mid) ? r : best));
  const loads = runs.map((r) => r.load1 ?? Number.NaN);
  return {
    ...rep,
    type: 'result',
    value: mid,
    peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)),
    runs: values,
    loads,
    load1: loads.reduce((a, b) => a + b, 0) / loads.length,
  };
}

const fmtValue = (r: TaskResult) =>
  r.metric === 'ms/seq' ? r.value.toFixed(r.value < 10 ? 2 : 1) : Math.round(r.value).toLocaleString('en-US');

const pad = (s: string, n: number, right = false) => (right ? s.padStart(n) : s.padEnd(n));

/** The readable table: one block per task, one row per implementation, ratios against each Recur row. */
export function table(tasks: Task[], results: TaskResult[]): string {
  const lines: string[] = [`Ratio columns: ${RATIO_CONVENTION}.`];
  for (const task of tasks) {
    const rows = results.filter((r) => r.task === task.task);
    if (rows.length === 0) continue;
    const ours = rows.filter((r) => implById(r.impl).group === 'ours');
    const better = task.metric === 'ms/seq' ? 'lower is better' : 'higher is better';
    lines.push('', `${task.task}  ${describeTask(task)}  [${task.metric}, ${better}]`);
    const head = [
      pad('implementation', 16),
      pad(task.metric, 10, true),
      pad('median ms', 10, true),
      pad('steps', 6, true),
      pad('peak RSS', 9, true),
      pad('load', 5, true),
      ...ours.map((o) => pad(`vs ${implById(o.impl).label}`, 14, true)),
      '  note',
    ];
    lines.push(head.join(' '));
    for (const r of rows) {
      const cells = [
        pad(implById(r.impl).label, 16),
        pad(fmtValue(r), 10, true),
        pad(r.medianMs.toFixed(r.medianMs < 10 ? 2 : 1), 10, true),
        pad(`${r.steps}${r.capped ? '*' : ''}`, 6, true),
        pad(`${Math.round(r.peakRssMB)} MB`, 9, true),
        pad(r.load1 === undefined ? '' : r.load1.toFixed(1), 5, true),
        ...ours.map((o) => pad(o === r ? '-' : ratio(o, r).toFixed(2), 14, true)),
        r.note ? `  ${r.note}` : '',
      ];
      lines.push(cells.join(' ').trimEnd());
    }
  }
  lines.push(
    '',
    'load: 1-minute load average of the machine when the run started (mean over --repeat runs).',
  );
  const repeated = results.filter((r) => (r.runs?.length ?? 0) > 1);
  if (repeated.length > 0) {
    lines.push('Values are medians over repeated runs; each run:');
    for (const r of repeated) {
      const each = (r.runs ?? []).map((v) => (r.metric === 'ms/seq' ? v.toFixed(2) : Math.round(v)));
      lines.push(`  ${pad(r.task, 6)} ${pad(implById(r.impl).label, 14)} ${each.join(', ')}`);
    }
  }
  if (results.some((r) => r.capped)) {
    lines.push('', '* fewer timed steps than asked: the time budget (--max-seconds) cut them.');
  }
  const withPhases = results.filter((r) => r.phases);
  if (withPhases.length > 0) {
    lines.push('', 'Training step breakdown (median ms of each phase):');
    for (const r of withPhases) {
      const ph = Object.entries(r.phases ?? {})
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ');
      lines.push(`  ${pad(r.task, 4)} ${pad(implById(r.impl).label, 14)} ${ph}`);
    }
  }
  return lines.join('\n');
}
