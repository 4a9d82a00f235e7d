/**
 * `recur gradflow`: vanishing gradients, shown. For RNN, LSTM and GRU on the adding problem and
 * the copy-memory task it measures ‖∂Loss/∂h_t‖ at every step t (src/models/gradflow.ts: the
 * layer run step by step on its own weights, every h_t passed through an identity probe that
 * records the gradient), at initialization and, with --train-sequences N, again after training
 * each model on N sequences as `recur example adding|copy-memory` does. It prints a table, and
 * writes one SVG chart per task, a Markdown table and the raw numbers (JSON) to --out.
 *
 * The losses: adding, the squared error at the end of fixed-length sequences (length T);
 * copy-memory, the cross-entropy of the 10 recalled symbols only (the steps that need memory).
 * Both are summed over the sequences, so row b of ∂Loss/∂h_t is sequence b's own gradient; the
 * value shown is its norm averaged over the batch.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { type Series, writeLineChart } from '../io/plot.js';
import { gradientFlow } from '../models/gradflow.js';
import { addingProblem, addingTensors, copyMemory } from '../models/long-range.js';
import { type CellKind, type GateInit, SequenceModel } from '../models/sequence-model.js';
import { narrow, stack } from '../ops/join.js';
import { crossEntropy, mse } from '../ops/loss.js';
import { reshape } from '../ops/shape.js';
import { fromTyped } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { trainMemoryTask } from './example-memory.js';
import {
  batchSizeFlag,
  hiddenSizeFlag,
  intFlag,
  maxMinutesFlag,
  seedFlag,
  stringFlag,
} from './flag-specs.js';
import { cellsFlag, gateInitFlag, type RunSettings, type Task, taskLengthFlag } from './memory-settings.js';
import { Progress } from './progress.js';

const CMD = 'gradflow';

const FLAGS: FlagSpec[] = [
  stringFlag('tasks', 'adding,copy-memory', 'comma-separated tasks (adding, copy-memory)', 'measurement', {
    metavar: 'LIST',
  }),
  cellsFlag('rnn,lstm,gru', 'comma-separated cells (rnn, lstm, gru)', 'measurement'),
  taskLengthFlag('measurement'),
  hiddenSizeFlag(64, 'recurrent units', 'measurement'),
  gateInitFlag('gate biases of LSTM and GRU at initialization (as recur example adding)', 'measurement'),
  batchSizeFlag(64, 'sequences the norms are averaged over', 'measurement'),
  seedFlag('seed of the weights (the measured batch uses seed + 1000)', undefined, 'measurement'),
  intFlag(
    'train-sequences',
    [0],
    0,
    'also measure after training each model on this many sequences (0: at initialization only)',
    'training',
  ),
  maxMinutesFlag(10, 'training time limit per model'),
  stringFlag('out', 'gradflow', 'folder for gradflow-TASK.svg, gradflow.md and gradflow.json', 'output', {
    metavar: 'DIR',
  }),
];

const HELP = helpText(
  `recur ${CMD} [options]`,
  `Measures the norm of dLoss/dh_t at every step t for RNN, LSTM and GRU on the adding problem and
the copy-memory task (at initialization, and after training with --train-sequences), prints a
table and writes an SVG chart per task: a vanilla RNN's gradient vanishes within a few dozen
steps, a gated cell's reaches back to the start.`,
  FLAGS,
);

const COLORS: Record<CellKind, [string, string]> = {
  rnn: ['#f4a3a3', '#c62828'],
  lstm: ['#9ec5ea', '#1565c0'],
  gru: ['#a5d6a7', '#2e7d32'],
};

interface Measured {
  task: Task;
  cell: CellKind;
  phase: 'init' | 'trained';
  hNorm: number[];
  cNorm: number[] | null;
  loss: number;
  trainedOn?: number;
}

function list<T extends string>(v: unknown, allowed: readonly T[], flag: string): T[] {
  const items = String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0 || !items.every((x) => (allowed as readonly string[]).includes(x))) {
    throw new ConfigError(`${CMD}: --${flag} must list ${allowed.join(', ')}, got '${v}'`);
  }
  return items as T[];
}

/** Measures ‖∂L/∂h_t‖ of `model` on one batch of `task`. */
export function measure(model: SequenceModel, task: Task, T: number, batch: number, seed: number) {
  const rng = new Rng(seed + 1000);
  const H = model.config.hiddenSize;
  if (task === 'adding') {
    const b = addingProblem(rng, batch, T, { fixedLength: true });
    const t = addingTensors(b);
    return gradientFlow(model.rnn, t.input, (hs) =>
      mse(model.head.forward(hs[hs.length - 1]), t.target, { reduction: 'sum' }),
    );
  }
  const b = copyMemory(rng, batch, T);
  const x = fromTyped(b.oneHot, [b.length, b.batch, b.vocab]);
  const K = 10;
  const recallTargets = b.target.subarray((b.length - K) * b.batch);
  return gradientFlow(model.rnn, x, (hs) => {
    const recall = narrow(stack(hs, 0), 0, b.length - K, K);
    return crossEntropy(model.head.forward(reshape(recall, [K * b.batch, H])), recallTargets, {
      reduction: 'sum',
    });
  });
}

const fmt = (v: number) => (v === 0 ? '0' : v.toExponential(1));

/** One Markdown table per task (the steps differ: T for adding, T + 20 for copy-memory). */
function table(rows: Measured[]): string {
  return [...new Set(rows.map((r) => r.task))]
    .map((task) => taskTable(rows.filter((r) => r.task === task)))
    .join('\n\n');
}

function taskTable(rows: Measured[]): string {
  const L = rows[0].hNorm.length;
  const steps = [
    ...new Set([1, 10, 25, 50, 75, Math.max(1, L - 10), L].filter((t) => t >= 1 && t <= L)),
  ].sort((a, b) => a - b);
  const head = `| task | cell | weights | ${steps.map((t) => `t = ${t}`).join(' | ')} | ‖g_1‖ / ‖g_${L}‖ |`;
  const out = [head, `|${'---|'.repeat(steps.length + 4)}`];
  for (const r of rows) {
    const n = r.hNorm;
    const ratio = n[n.length - 1] > 0 ? n[0] / n[n.length - 1] : 0;
    const phase = r.phase === 'init' ? 'initial' : `trained (${r.trainedOn?.toLocaleString('en-US')} seq.)`;
    out.push(
      `| ${r.task} | ${r.cell} | ${phase} | ${steps.map((t) => fmt(n[t - 1])).join(' | ')} | ${fmt(ratio)} |`,
    );
  }
  return out.join('\n');
}

export async function runGradflow(argv: string[]): Promise<number> {
  const { values } = parseFlags(CMD, argv, FLAGS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const tasks = list<Task>(values.tasks, ['adding', 'copy-memory'], 'tasks');
  const cells = list<CellKind>(values.cells, ['rnn', 'lstm', 'gru'], 'cells');
  const T = values.T as number;
  const hidden = values.hiddenSize as number;
  const batch = values.batchSize as number;
  const seed = values.seed as number;
  const gateInit = values.gateInit as GateInit;
  const trainN = values.trainSequences as number;
  const out = values.out as string;
  mkdirSync(out, { recursive: true });
  const progress = new Progress(process.stdout);
  const rows: Measured[] = [];
  console.log(
    `gradient norms ‖∂Loss/∂h_t‖, T = ${T}, hidden ${hidden}, gate init ${gateInit}, ${batch} sequences, seed ${seed}`,
  );
  for (const task of tasks) {
    for (const cell of cells) {
      const inputs = task === 'adding' ? 2 : 10;
      const outputs = task === 'adding' ? 1 : 9;
      const model = new SequenceModel(
        { cell, inputSize: inputs, hiddenSize: hidden, outputSize: outputs, gateInit, chronoTmax: T },
        { rng: new Rng(seed) },
      );
      const g = measure(model, task, T, batch, seed);
      rows.push({
        task,
        cell,
        phase: 'init',
        hNorm: Array.from(g.hNorm),
        cNorm: g.cNorm && Array.from(g.cNorm),
        loss: g.loss,
      });
      if (trainN > 0) {
        const s: RunSettings = {
          task,
          cell,
          hiddenSize: hidden,
          gateInit,
          chronoTmax: T,
          T,
          batchSize: task === 'adding' ? 32 : 128,
          optimizer: 'adam',
          lr: 1e-3,
          lrSchedule: 'constant',
          plateauPatience: 4,
          gradClip: 1,
          maxSequences: trainN,
          maxMinutes: values.maxMinutes as number,
          evalEvery: 1_000_000,
          testSize: 256,
          seed,
          fixedLength: false,
          targetAccuracy: 2,
        };
        const r = await trainMemoryTask(s, progress);
        const gt = measure(r.model, task, T, batch, seed);
        rows.push({
          task,
          cell,
          phase: 'trained',
          hNorm: Array.from(gt.hNorm),
          cNorm: gt.cNorm && Array.from(gt.cNorm),
          loss: gt.loss,
          trainedOn: r.sequencesSeen,
        });
      }
    }
    const series: Series[] = rows
      .filter((r) => r.task === task)
      .map((r) => ({
        name: `${r.cell.toUpperCase()}${trainN > 0 ? (r.phase === 'init' ? ' initial' : ' trained') : ''}`,
        color: COLORS[r.cell][r.phase === 'init' && trainN > 0 ? 0 : 1],
        points: r.hNorm.map((v, i) => [i + 1, v > 0 ? Math.log10(v) : Number.NaN] as const),
      }));
    const file = join(out, `gradflow-${task}.svg`);
    writeLineChart(file, series, {
      title: `Gradient reaching h_t: ${task === 'adding' ? 'adding problem' : 'copy memory'}, T = ${T}`,
      subtitle: `log10 of ‖∂Loss/∂h_t‖ (mean over ${batch} sequences); hidden ${hidden}, gate init ${gateInit}, seed ${seed}`,
      xLabel: 'step t',
      yLabel: 'log10 ‖∂Loss/∂h_t‖',
    });
    console.log(`wrote ${file}`);
  }
  const md = table(rows);
  console.log(`\n${md}\n`);
  writeFileAtomic(join(out, 'gradflow.md'), `${md}\n`);
  writeFileAtomic(join(out, 'gradflow.json'), `${JSON.stringify({ settings: values, rows })}\n`);
  console.log(`wrote ${join(out, 'gradflow.md')} and ${join(out, 'gradflow.json')}`);
  return 0;
}
