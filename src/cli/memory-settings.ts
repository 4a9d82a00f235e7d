/**
 * Flags, help texts and settings of `recur example adding` and `recur example copy-memory`
 * (trained by src/cli/example-memory.ts).
 */
import type { CellKind, GateInit } from '../models/sequence-model.js';
import { GATE_INITS } from '../models/sequence-model.js';
import { ConfigError } from '../util/errors.js';
import { type FlagSpec, type FlagValue, helpText } from './args.js';
import {
  above,
  batchSizeFlag,
  boolFlag,
  choiceFlag,
  hiddenSizeFlag,
  intFlag,
  lrFlag,
  maxMinutesFlag,
  numberFlag,
  optimizerFlag,
  seedFlag,
  stringFlag,
} from './flag-specs.js';
export type Task = 'adding' | 'copy-memory';

/** `--cells`, the cells to train or measure (also a flag of recur gradflow). */
export const cellsFlag = (dflt: string, help: string, section: string): FlagSpec =>
  stringFlag('cells', dflt, help, section, { metavar: 'LIST' });

/** `--T`, the length of the adding and copy-memory sequences. */
export const taskLengthFlag = (section: string): FlagSpec =>
  intFlag('T', [4, 100000], 100, 'the task length T', section);

export const gateInitFlag = (help: string, section: string): FlagSpec =>
  choiceFlag('gate-init', GATE_INITS, 'chrono', help, section);

export const COMMON: FlagSpec[] = [
  cellsFlag('lstm,gru,rnn', 'comma-separated cells to train, in order (lstm, gru, rnn)', 'model'),
  hiddenSizeFlag(64, 'recurrent units'),
  gateInitFlag(
    "gate biases of LSTM and GRU at initialization: PyTorch's, LSTM forget bias 1, or chrono (Tallec and Ollivier 2018)",
    'model',
  ),
  numberFlag(
    'chrono-tmax',
    above(2),
    undefined,
    'the longest dependency chrono initialization is set up for',
    'model',
    { defaultText: 'T' },
  ),
  taskLengthFlag('task'),
  batchSizeFlag(32, 'sequences per step'),
  optimizerFlag(['adam', 'rmsprop']),
  lrFlag(1e-3, 'learning rate'),
  numberFlag('grad-clip', above(0), 1, 'clip the gradient norm to this', 'training'),
  intFlag('max-sequences', [1], 400000, 'give up after this many training sequences', 'training'),
  maxMinutesFlag(9, 'give up after this many minutes (wall clock) per cell'),
  numberFlag(
    'budget-minutes',
    above(0),
    29,
    'training ends within this many minutes (the final tests and start-up add seconds): a cell started e minutes in trains at most min(--max-minutes, this - e)',
    'training',
  ),
  intFlag(
    'jobs',
    [1, 64],
    undefined,
    'cells trained at the same time, each in its own process on one thread',
    'training',
    { defaultText: 'the cores, at most one per cell' },
  ),
  choiceFlag(
    'lr-schedule',
    ['constant', 'cosine', 'plateau'],
    'constant',
    'constant; cosine decay to 5% of --lr over the budget of the cell (--max-minutes or --max-sequences, whichever ends first); or plateau: halve the lr when the test loss has not improved for --plateau-patience tests',
    'training',
  ),
  intFlag(
    'plateau-patience',
    [0],
    4,
    'with --lr-schedule plateau: tests without improvement before the lr is halved',
    'training',
  ),
  intFlag('eval-every', [1], 250, 'test every this many steps', 'training'),
  intFlag('test-size', [1], 2560, 'test sequences (fixed seed)', 'training'),
  seedFlag('seed of the weights (and, plus one, of the training stream)'),
  boolFlag('json', 'print the results as one JSON line at the end', 'output'),
];

export const ADDING_FLAGS: FlagSpec[] = [
  ...COMMON,
  boolFlag('fixed-length', 'every sequence has length T (the paper draws it from [T, T + T/10])', 'task'),
];

// Copy memory: hidden 128, batch 8, lr 0.003, 24 minutes per cell (the budget of 29 minutes
// holds: LSTM and GRU start together, the RNN when the first of them ends). The plateau at the
// memoryless baseline ends after a number of updates more than of sequences, and at these sizes
// the time per sequence hardly depends on the batch size, so small batches buy updates for free.
// In 9-minute LSTM-64 runs (seed 1, session 3): batch 64 lr 0.001 was still at the baseline after
// 355k sequences; batch 32 lr 0.002 recalled 57% after 369k, batch 16 lr 0.002 81% after 425k,
// batch 8 lr 0.002 92% after 397k. Session 4 (seed 1, two runs side by side, one thread each):
// LSTM-64 stayed near 95% for 20 minutes, with or without halving the lr on plateaus; LSTM-128
// reached 99% after 406k sequences at lr 0.002 (19.5 minutes) and 397k at lr 0.003 (20.0
// minutes, 17.1 CPU-minutes), 65% after 9 minutes at batch 16; GRU-128 after 333k sequences at
// lr 0.002 (19.1 minutes), 98.2% after 7.5 minutes at lr 0.003.
const COPY_DEFAULTS: Record<string, number> = {
  'hidden-size': 128,
  'max-minutes': 24,
  'batch-size': 8,
  lr: 0.003,
  'test-size': 1000,
  'eval-every': 400,
  'max-sequences': 2000000,
};
export const COPY_FLAGS: FlagSpec[] = [
  ...COMMON.map((s) => (s.name in COPY_DEFAULTS ? { ...s, default: COPY_DEFAULTS[s.name] } : s)),
  numberFlag(
    'target-accuracy',
    [0, 1],
    0.99,
    'solved once the copied symbols of the test set are recalled this well',
    'task',
  ),
];

export const ADDING_HELP = helpText(
  'recur example adding [options]',
  `The adding problem of Hochreiter and Schmidhuber (1997) at length T: (value, marker) pairs,
two marked values X1, X2, target 0.5 + (X1 + X2)/4 at the end; correct when |error| < 0.04.
Trains each cell until the paper's rule holds (the 2000 most recent training sequences all
correct) and reports the training sequences it took (the paper: 74,000 for LSTM at T = 100),
then the wrong predictions on the fixed test sequences.`,
  ADDING_FLAGS,
);

export const COPY_HELP = helpText(
  'recur example copy-memory [options]',
  `The copy-memory task of Arjovsky et al. (2016): remember 10 symbols from 8 over T blanks and
repeat them after the delimiter. Loss in nats per step over all T + 20 steps; the memoryless
baseline is 10 ln 8 / (T + 20) (0.173 at T = 100). Trains each cell until the test set's copied
symbols are recalled with --target-accuracy.`,
  COPY_FLAGS,
);

export interface RunSettings {
  task: Task;
  cell: CellKind;
  hiddenSize: number;
  gateInit: GateInit;
  chronoTmax: number;
  T: number;
  batchSize: number;
  optimizer: 'adam' | 'rmsprop';
  lr: number;
  lrSchedule: 'constant' | 'cosine' | 'plateau';
  plateauPatience: number;
  gradClip: number;
  maxSequences: number;
  maxMinutes: number;
  evalEvery: number;
  testSize: number;
  seed: number;
  fixedLength: boolean;
  targetAccuracy: number;
}

export interface MemoryResult {
  task: Task;
  cell: CellKind;
  solved: boolean;
  /** Training sequences seen when the stopping rule first held (null: not solved). */
  sequencesToSolve: number | null;
  sequencesSeen: number;
  /** Wall-clock seconds, and CPU seconds of the process (all its threads) for the same span. */
  seconds: number;
  cpuSeconds: number;
  /** adding: test MSE, wrong predictions, accuracy; copy: test loss (nats/step), symbol accuracy. */
  test: Record<string, number>;
  parameters: number;
}

export function cellsOf(v: FlagValue | undefined, cmd: string): CellKind[] {
  const list = String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const c of list) {
    if (c !== 'lstm' && c !== 'gru' && c !== 'rnn')
      throw new ConfigError(`${cmd}: --cells must list lstm, gru or rnn, got '${c}'`);
  }
  if (list.length === 0) throw new ConfigError(`${cmd}: --cells must name at least one cell`);
  return list as CellKind[];
}

export function settingsFrom(
  task: Task,
  v: Record<string, FlagValue | undefined>,
  cell: CellKind,
): RunSettings {
  return {
    task,
    cell,
    hiddenSize: v.hiddenSize as number,
    gateInit: v.gateInit as GateInit,
    chronoTmax: (v.chronoTmax as number | undefined) ?? (v.T as number),
    T: v.T as number,
    batchSize: v.batchSize as number,
    optimizer: v.optimizer as 'adam' | 'rmsprop',
    lr: v.lr as number,
    lrSchedule: (v.lrSchedule as RunSettings['lrSchedule'] | undefined) ?? 'constant',
    plateauPatience: (v.plateauPatience as number | undefined) ?? 4,
    gradClip: v.gradClip as number,
    maxSequences: v.maxSequences as number,
    maxMinutes: v.maxMinutes as number,
    evalEvery: v.evalEvery as number,
    testSize: v.testSize as number,
    seed: v.seed as number,
    fixedLength: v.fixedLength === true,
    targetAccuracy: (v.targetAccuracy as number | undefined) ?? 0.99,
  };
}
