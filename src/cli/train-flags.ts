/** The flags of `recur train`, its help text, and the settings they make (see train.ts). */
import { type FlagSpec, helpText } from './args.js';
import { DATASETS } from './datasets.js';
import {
  batchSizeFlag,
  cellFlag,
  choiceFlag,
  dropoutFlag,
  embedSizeFlag,
  hiddenSizeFlag,
  intFlag,
  lrFlag,
  maxMinutesFlag,
  numberFlag,
  optimizerFlag,
  outFlag,
  overwriteFlag,
  SEED_MAX,
  seedFlag,
  stringFlag,
} from './flag-specs.js';
import type { TrainSettings } from './run.js';

export const FLAGS: FlagSpec[] = [
  {
    name: 'dataset',
    type: 'choice',
    choices: DATASETS,
    help: 'train on a built-in dataset instead of FILE',
    section: 'data',
  },
  cellFlag(['lstm', 'gru', 'rnn']),
  hiddenSizeFlag(256, 'units per recurrent layer', 'model', 8192),
  intFlag('num-layers', [1, 16], 1, 'stacked recurrent layers', 'model'),
  embedSizeFlag(64, 'size of the character embedding', 8192),
  dropoutFlag('dropout', 0, 'dropout between layers and before the output layer'),
  intFlag('seq-length', [1, 100000], 100, 'time steps per batch (truncated BPTT length)', 'training'),
  batchSizeFlag(64, 'parallel streams per batch', 'training', 100000),
  optimizerFlag(['adam', 'adamw', 'rmsprop', 'sgd']),
  lrFlag(0.003, 'learning rate', 10),
  numberFlag(
    'weight-decay',
    [0, 1],
    0,
    'weight decay (L2 for adam/rmsprop/sgd, decoupled for adamw)',
    'training',
  ),
  choiceFlag(
    'lr-schedule',
    ['constant', 'cosine', 'plateau'],
    'cosine',
    'constant; cosine decay to lr*min-lr-ratio at the end of training; plateau: halve when test bpc stalls',
    'training',
  ),
  numberFlag(
    'min-lr-ratio',
    [0, 1],
    0.05,
    'final lr of the cosine schedule, as a fraction of --lr',
    'training',
  ),
  intFlag('warmup-steps', [0, 1e9], 0, 'linear learning-rate warm-up steps', 'training'),
  numberFlag('grad-clip', [0, 1e6], 5, 'clip the total gradient norm to this (0: off)', 'training'),
  intFlag('max-epochs', [1, 1e9], 20, 'stop after this many passes over the training text', 'training'),
  maxMinutesFlag(undefined, 'stop after this much time (counted across resumes)', 1e7, {
    defaultText: 'no limit',
    metavar: 'M',
  }),
  intFlag('max-steps', [1, 1e12], undefined, 'stop after this many steps', 'training', {
    defaultText: 'no limit',
  }),
  intFlag(
    'patience',
    [1, 1e9],
    undefined,
    'stop when test bpc has not improved for N evaluations',
    'training',
    {
      defaultText: 'off',
    },
  ),
  seedFlag('seed of the initial weights and dropout', SEED_MAX),
  intFlag(
    'eval-every',
    [1, 1e9],
    200,
    'evaluate on the test split, sample and checkpoint every N steps',
    'run',
  ),
  intFlag('log-every', [1, 1e9], 10, 'write the mean training loss to metrics.jsonl every N steps', 'run'),
  intFlag('sample-length', [0, 100000], 200, 'characters sampled at each evaluation', 'run'),
  outFlag('run folder: checkpoints, metrics.jsonl, loss.svg', 'runs/<data>-<date>-<time>'),
  stringFlag('resume', undefined, 'continue the run in DIR from its last checkpoint', 'run', {
    metavar: 'DIR',
  }),
  overwriteFlag('replace the run already in --out (its checkpoints and logs)'),
  intFlag('threads', [1, 2], undefined, 'threads of the WebAssembly kernels', 'run', {
    defaultText: '2 on a machine with 2+ cores, or RECUR_THREADS',
  }),
];

export const HELP = helpText(
  'recur train [FILE | --dataset moby-dick|names] [options]',
  `Trains a character-level language model (embedding -> LSTM/GRU/RNN -> linear) on a UTF-8 text
FILE or a built-in dataset, and reports bits per character on held-out text. The first 90% of the
characters train, the last 10% test (names: a fixed random 10% of the names). Progress, test bpc
and a short sample appear as it goes; the run folder keeps checkpoints, metrics.jsonl and loss.svg.
Ctrl-C saves a checkpoint and stops; --resume DIR continues exactly where it stopped.

examples:
  recur train --dataset moby-dick --max-minutes 10
  recur train my-text.txt --hidden-size 512 --num-layers 2 --dropout 0.2 --out runs/mine
  recur train --resume runs/mine`,
  FLAGS,
);

/** Flags a resumed run may change; every other flag must match the run (or be left out). */
export const RESUMABLE = new Set([
  'maxEpochs',
  'maxMinutes',
  'maxSteps',
  'evalEvery',
  'logEvery',
  'sampleLength',
  'patience',
  'threads',
  'resume',
  'out',
]);

export interface Settings {
  model: {
    cell: 'lstm' | 'gru' | 'rnn';
    hiddenSize: number;
    numLayers: number;
    embedSize: number;
    dropout: number;
  };
  train: TrainSettings;
}

export function settingsFromFlags(v: Record<string, unknown>): Settings {
  return {
    model: {
      cell: v.cell as Settings['model']['cell'],
      hiddenSize: v.hiddenSize as number,
      numLayers: v.numLayers as number,
      embedSize: v.embedSize as number,
      dropout: v.dropout as number,
    },
    train: {
      seqLength: v.seqLength as number,
      batchSize: v.batchSize as number,
      optimizer: v.optimizer as TrainSettings['optimizer'],
      lr: v.lr as number,
      weightDecay: v.weightDecay as number,
      lrSchedule: v.lrSchedule as TrainSettings['lrSchedule'],
      minLrRatio: v.minLrRatio as number,
      warmupSteps: v.warmupSteps as number,
      gradClip: v.gradClip as number,
      maxEpochs: v.maxEpochs as number,
      maxMinutes: (v.maxMinutes as number | undefined) ?? null,
      maxSteps: (v.maxSteps as number | undefined) ?? null,
      evalEvery: v.evalEvery as number,
      logEvery: v.logEvery as number,
      patience: (v.patience as number | undefined) ?? null,
      sampleLength: v.sampleLength as number,
      seed: v.seed as number,
    },
  };
}

export const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
