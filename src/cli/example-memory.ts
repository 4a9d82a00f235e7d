/**
 * `recur example adding` and `recur example copy-memory`: the long-range memory tasks of
 * src/models/long-range.ts, trained with `fit` for LSTM, GRU and a vanilla (tanh) RNN in turn,
 * on freshly drawn sequences every step (an endless training stream, as in the papers).
 *
 * Seeds: the model's initial weights come from Rng(seed), the training stream from Rng(seed + 1),
 * and the test set from a fixed Rng(TEST_SEED), so every cell and every seed is tested on the
 * same sequences.
 *
 * Stopping: adding stops when the rule of Hochreiter and Schmidhuber (1997) holds (the 2000 most
 * recent training sequences all within 0.04 of their target, mean squared error below 0.01);
 * copy-memory stops when the copied symbols of the test set are recalled with at least
 * --target-accuracy. Otherwise a run ends at --max-sequences or --max-minutes and counts as
 * not solved.
 *
 * Cells train side by side in child processes, one per core (src/cli/memory-jobs.ts; --jobs 1:
 * one after the other in this process); the whole command stays within --budget-minutes.
 */
import { availableParallelism } from 'node:os';
import { noGrad } from '../autograd/grad-mode.js';
import { getBackend } from '../kernels/registry.js';
import {
  ADDING_TOLERANCE,
  AddingCriterion,
  addingErrors,
  addingMeanBaseline,
  addingProblem,
  addingTensors,
  copyAccuracy,
  copyMemory,
  copyMemoryBaselines,
} from '../models/long-range.js';
import { SequenceModel } from '../models/sequence-model.js';
import { crossEntropy, mse } from '../ops/loss.js';
import { tidy } from '../tensor/scope.js';
import { fromTyped, type Tensor } from '../tensor/tensor.js';
import { formatCount, formatDuration } from '../train/callbacks.js';
import { fit } from '../train/fit.js';
import { Adam } from '../train/optim/adam.js';
import { RMSprop } from '../train/optim/rmsprop.js';
import { ReduceLROnPlateau } from '../train/reduce-lr-on-plateau.js';
import { Rng } from '../util/rng.js';
import { parseFlags } from './args.js';
import { BudgetCosine } from './example-g2p.js';
import {
  type ChildMessage,
  ChildProgress,
  cellMinutes,
  isMemoryChild,
  notRunLine,
  runCellsInChildren,
} from './memory-jobs.js';
import {
  ADDING_FLAGS,
  ADDING_HELP,
  COPY_FLAGS,
  COPY_HELP,
  cellsOf,
  type MemoryResult,
  type RunSettings,
  settingsFrom,
  type Task,
} from './memory-settings.js';
import { Progress } from './progress.js';

/** The test sets' seed: fixed, independent of --seed. */
const TEST_SEED = 20240917;

function testAdding(model: SequenceModel, s: RunSettings): Record<string, number> {
  const rng = new Rng(TEST_SEED);
  let wrong = 0;
  let se = 0;
  let n = 0;
  noGrad(() => {
    while (n < s.testSize) {
      const b = addingProblem(rng, Math.min(256, s.testSize - n), s.T, { fixedLength: s.fixedLength });
      tidy(() => {
        const t = addingTensors(b);
        const e = addingErrors(model.forwardLast(t.input, b.lengths), b.target);
        for (const v of e) {
          se += v * v;
          if (Math.abs(v) >= ADDING_TOLERANCE) wrong++;
        }
      });
      n += b.batch;
    }
  });
  return { mse: se / n, wrong, accuracy: 1 - wrong / n };
}

function testCopy(model: SequenceModel, s: RunSettings): Record<string, number> {
  const rng = new Rng(TEST_SEED);
  let loss = 0;
  let acc = 0;
  let n = 0;
  noGrad(() => {
    while (n < s.testSize) {
      const b = copyMemory(rng, Math.min(250, s.testSize - n), s.T);
      tidy(() => {
        const logits = model.forwardEvery(fromTyped(b.oneHot, [b.length, b.batch, b.vocab]));
        loss += crossEntropy(logits, b.target).item() * b.batch;
        acc += copyAccuracy(logits, b) * b.batch;
      });
      n += b.batch;
    }
  });
  return { loss: loss / n, accuracy: acc / n };
}

/** Trains one cell on one task; see the file comment. */
export async function trainMemoryTask(
  s: RunSettings,
  progress: Progress,
): Promise<MemoryResult & { model: SequenceModel }> {
  const outputs = s.task === 'adding' ? 1 : 9;
  const inputs = s.task === 'adding' ? 2 : 10;
  const model = new SequenceModel(
    {
      cell: s.cell,
      inputSize: inputs,
      hiddenSize: s.hiddenSize,
      outputSize: outputs,
      gateInit: s.gateInit,
      chronoTmax: s.chronoTmax,
    },
    { rng: new Rng(s.seed) },
  );
  const params = model.parameters();
  const optimizer =
    s.optimizer === 'adam' ? new Adam(params, { lr: s.lr }) : new RMSprop(params, { lr: s.lr });
  const dataRng = new Rng(s.seed + 1);
  const criterion = new AddingCriterion();
  const maxSteps = Math.ceil(s.maxSequences / s.batchSize);
  let solvedAt: number | null = null;
  let lastTest: Record<string, number> = {};
  let lastLoss = Number.NaN;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const status = (step: number) => {
    const seen = step * s.batchSize;
    const test =
      s.task === 'adding'
        ? `test wrong ${lastTest.wrong ?? '?'}/${s.testSize}`
        : `test loss ${lastTest.loss?.toFixed(4) ?? '?'} acc ${lastTest.accuracy?.toFixed(3) ?? '?'}`;
    const recent =
      s.task === 'adding' ? ` recent ${(criterion.recent.correct * 100).toFixed(1)}% correct` : '';
    return `${s.task} ${s.cell}: ${formatCount(seen)} sequences, loss ${lastLoss.toFixed(4)},${recent} ${test}, lr ${optimizer.paramGroups[0].lr.toPrecision(3)}, ${formatDuration((performance.now() - t0) / 1000)}`;
  };
  const batches = function* () {
    for (let i = 0; i < 100; i++) {
      yield s.task === 'adding'
        ? {
            kind: 'adding' as const,
            b: addingProblem(dataRng, s.batchSize, s.T, { fixedLength: s.fixedLength }),
          }
        : { kind: 'copy' as const, b: copyMemory(dataRng, s.batchSize, s.T) };
    }
  };
  const scheduler =
    s.lrSchedule === 'cosine'
      ? new BudgetCosine(optimizer, s.lr, 0.05, s.maxMinutes * 60, maxSteps)
      : s.lrSchedule === 'plateau'
        ? new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: s.plateauPatience, minLr: s.lr / 64 })
        : undefined;
  const result = await fit({
    model,
    optimizer,
    scheduler,
    schedulerInterval: s.lrSchedule === 'plateau' ? 'eval' : 'step',
    trainBatches: () => batches(),
    stepsPerEpoch: 100,
    rng: dataRng,
    maxSteps,
    maxMinutes: s.maxMinutes,
    gradClip: s.gradClip,
    lossFn: (m, batch) => {
      let loss: Tensor;
      if (batch.kind === 'adding') {
        const t = addingTensors(batch.b);
        const pred = m.forwardLast(t.input, batch.b.lengths);
        criterion.push(addingErrors(pred, batch.b.target));
        loss = mse(pred, t.target);
      } else {
        const b = batch.b;
        loss = crossEntropy(m.forwardEvery(fromTyped(b.oneHot, [b.length, b.batch, b.vocab])), b.target);
      }
      return { loss, tokens: s.batchSize };
    },
    evalEvery: s.evalEvery,
    evalFn: (m) => {
      lastTest = s.task === 'adding' ? testAdding(m, s) : testCopy(m, s);
      return lastTest;
    },
    monitor: s.task === 'adding' ? 'mse' : 'loss',
    callbacks: [
      (e, control) => {
        if (e.type === 'step') {
          lastLoss = e.loss;
          if (s.task === 'adding' && solvedAt === null && criterion.met()) {
            solvedAt = e.step * s.batchSize;
            control.stop();
          }
          progress.status(() => status(e.step));
        } else if (
          e.type === 'eval' &&
          s.task === 'copy-memory' &&
          (e.metrics.accuracy ?? 0) >= s.targetAccuracy
        ) {
          solvedAt = e.step * s.batchSize;
          control.stop();
        }
      },
    ],
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // fit evaluated the final weights (evalAtEnd); a run stopped before its first step was not
  const test = result.lastEval ?? (s.task === 'adding' ? testAdding(model, s) : testCopy(model, s));
  progress.clear();
  return {
    task: s.task,
    cell: s.cell,
    solved: solvedAt !== null,
    sequencesToSolve: solvedAt,
    sequencesSeen: result.step * s.batchSize,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    test,
    parameters: model.numParameters(),
    model,
  };
}

function row(r: MemoryResult, task: Task, testSize: number): string {
  const solved = r.solved
    ? `yes, after ${r.sequencesToSolve?.toLocaleString('en-US')} sequences`
    : `no (${r.sequencesSeen.toLocaleString('en-US')} seen)`;
  const test =
    task === 'adding'
      ? `test MSE ${r.test.mse.toExponential(2)}, wrong ${r.test.wrong}/${testSize}`
      : `test loss ${r.test.loss.toFixed(4)} nats, recall ${(r.test.accuracy * 100).toFixed(1)}%`;
  return `  ${r.cell.padEnd(5)} solved: ${solved}; ${test}; ${formatDuration(r.seconds)} wall, ${formatDuration(r.cpuSeconds)} CPU (${r.parameters.toLocaleString('en-US')} parameters)`;
}

async function runTask(task: Task, argv: string[]): Promise<number> {
  const cmd = `example ${task}`;
  const { values } = parseFlags(cmd, argv, task === 'adding' ? ADDING_FLAGS : COPY_FLAGS);
  if (values.help) {
    console.log(task === 'adding' ? ADDING_HELP : COPY_HELP);
    return 0;
  }
  const cells = cellsOf(values.cells, cmd);
  if (isMemoryChild()) {
    // one cell for runCellsInChildren: report by IPC, print nothing
    const { model: _m, ...result } = await trainMemoryTask(
      settingsFrom(task, values, cells[0]),
      new ChildProgress(cells[0]),
    );
    const msg: ChildMessage = { type: 'result', result };
    await new Promise<void>((done) => process.send?.(msg, () => done()));
    return 0;
  }
  const progress = new Progress(process.stdout);
  const T = values.T as number;
  if (task === 'adding') {
    console.log(
      `adding problem, T = ${T} (lengths ${values.fixedLength ? T : `${T}..${T + Math.floor(T / 10)}`}), target 0.5 + (X1 + X2)/4; always predicting 0.5 scores MSE ${addingMeanBaseline(T).toFixed(4)}`,
    );
  } else {
    const b = copyMemoryBaselines(T);
    console.log(
      `copy memory, T = ${T} (sequence length ${T + 20}); baselines: memoryless ${b.memoryless.toFixed(4)} nats/step, current input only ${b.inputOnly.toFixed(4)}`,
    );
  }
  console.log(
    `hidden ${values.hiddenSize}, gate init ${values.gateInit}, batch ${values.batchSize}, ${values.optimizer} lr ${values.lr}, clip ${values.gradClip}, seed ${values.seed}, backend ${getBackend()}`,
  );
  const maxMinutes = values.maxMinutes as number;
  const budgetMinutes = values.budgetMinutes as number;
  const jobs = Math.min((values.jobs as number | undefined) ?? availableParallelism(), cells.length);
  const print = (r: MemoryResult) => progress.line(row(r, task, values.testSize as number));
  let results: (MemoryResult | null)[];
  if (jobs > 1) {
    console.log(`${jobs} cells at a time, each in its own process on one thread`);
    results = await runCellsInChildren({
      cells,
      jobs,
      maxMinutes,
      budgetMinutes,
      argvFor: (cell, minutes) => [
        'example',
        task,
        ...argv,
        '--cells',
        cell,
        '--jobs',
        '1',
        '--max-minutes',
        `${minutes}`,
      ],
      progress,
      onResult: print,
    });
    progress.clear();
  } else {
    const t0 = performance.now();
    results = [];
    for (const cell of cells) {
      const minutes = cellMinutes(maxMinutes, budgetMinutes, (performance.now() - t0) / 60000);
      if (minutes === null) {
        progress.line(notRunLine(cell, budgetMinutes));
        results.push(null);
        continue;
      }
      const { model: _m, ...r } = await trainMemoryTask(
        { ...settingsFrom(task, values, cell), maxMinutes: minutes },
        progress,
      );
      results.push(r);
      print(r);
    }
  }
  if (values.json) console.log(JSON.stringify({ task, settings: values, results }));
  return 0;
}

export function runAdding(argv: string[]): Promise<number> {
  return runTask('adding', argv);
}

export function runCopyMemory(argv: string[]): Promise<number> {
  return runTask('copy-memory', argv);
}
