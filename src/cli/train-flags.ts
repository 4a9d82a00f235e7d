/** The flags of `recur train`, its help text, and the settings they make (see train.ts). */
import { type FlagSpec, helpText } from './args.js';
import { DATASETS } from './datasets.js';
import type { TrainSettings } from './run.js';

export const FLAGS: FlagSpec[] = [
  {
    name: 'dataset',
    type: 'choice',
    choices: DATASETS,
    help: 'train on a built-in dataset instead of FILE',
    section: 'data',
  },
  {
    name: 'cell',
    type: 'choice',
    choices: ['lstm', 'gru', 'rnn'],
    default: 'lstm',
    help: 'recurrent cell',
    section: 'model',
  },
  {
    name: 'hidden-size',
    type: 'int',
    min: 1,
    max: 8192,
    default: 256,
    help: 'units per recurrent layer',
    section: 'model',
  },
  {
    name: 'num-layers',
    type: 'int',
    min: 1,
    max: 16,
    default: 1,
    help: 'stacked recurrent layers',
    section: 'model',
  },
  {
    name: 'embed-size',
    type: 'int',
    min: 1,
    max: 8192,
    default: 64,
    help: 'size of the character embedding',
    section: 'model',
  },
  {
    name: 'dropout',
    type: 'number',
    min: 0,
    max: 0.95,
    default: 0,
    help: 'dropout between layers and before the output layer',
    section: 'model',
  },
  {
    name: 'seq-length',
    type: 'int',
    min: 1,
    max: 100000,
    default: 100,
    help: 'time steps per batch (truncated BPTT length)',
    section: 'training',
  },
  {
    name: 'batch-size',
    type: 'int',
    min: 1,
    max: 100000,
    default: 64,
    help: 'parallel streams per batch',
    section: 'training',
  },
  {
    name: 'optimizer',
    type: 'choice',
    choices: ['adam', 'adamw', 'rmsprop', 'sgd'],
    default: 'adam',
    help: 'optimizer',
    section: 'training',
  },
  {
    name: 'lr',
    type: 'number',
    min: 0,
    minExclusive: true,
    max: 10,
    default: 0.003,
    help: 'learning rate',
    section: 'training',
  },
  {
    name: 'weight-decay',
    type: 'number',
    min: 0,
    max: 1,
    default: 0,
    help: 'weight decay (L2 for adam/rmsprop/sgd, decoupled for adamw)',
    section: 'training',
  },
  {
    name: 'lr-schedule',
    type: 'choice',
    choices: ['constant', 'cosine', 'plateau'],
    default: 'cosine',
    help: 'constant; cosine decay to lr*min-lr-ratio at the end of training; plateau: halve when test bpc stalls',
    section: 'training',
  },
  {
    name: 'min-lr-ratio',
    type: 'number',
    min: 0,
    max: 1,
    default: 0.05,
    help: 'final lr of the cosine schedule, as a fraction of --lr',
    section: 'training',
  },
  {
    name: 'warmup-steps',
    type: 'int',
    min: 0,
    max: 1e9,
    default: 0,
    help: 'linear learning-rate warm-up steps',
    section: 'training',
  },
  {
    name: 'grad-clip',
    type: 'number',
    min: 0,
    max: 1e6,
    default: 5,
    help: 'clip the total gradient norm to this (0: off)',
    section: 'training',
  },
  {
    name: 'max-epochs',
    type: 'int',
    min: 1,
    max: 1e9,
    default: 20,
    help: 'stop after this many passes over the training text',
    section: 'training',
  },
  {
    name: 'max-minutes',
    type: 'number',
    min: 0,
    minExclusive: true,
    max: 1e7,
    defaultText: 'no limit',
    metavar: 'M',
    help: 'stop after this much time (counted across resumes)',
    section: 'training',
  },
  {
    name: 'max-steps',
    type: 'int',
    min: 1,
    max: 1e12,
    defaultText: 'no limit',
    help: 'stop after this many steps',
    section: 'training',
  },
  {
    name: 'patience',
    type: 'int',
    min: 1,
    max: 1e9,
    defaultText: 'off',
    help: 'stop when test bpc has not improved for N evaluations',
    section: 'training',
  },
  {
    name: 'seed',
    type: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    default: 1,
    help: 'seed of the initial weights and dropout',
    section: 'training',
  },
  {
    name: 'eval-every',
    type: 'int',
    min: 1,
    max: 1e9,
    default: 200,
    help: 'evaluate on the test split, sample and checkpoint every N steps',
    section: 'run',
  },
  {
    name: 'log-every',
    type: 'int',
    min: 1,
    max: 1e9,
    default: 10,
    help: 'write the mean training loss to metrics.jsonl every N steps',
    section: 'run',
  },
  {
    name: 'sample-length',
    type: 'int',
    min: 0,
    max: 100000,
    default: 200,
    help: 'characters sampled at each evaluation',
    section: 'run',
  },
  {
    name: 'out',
    type: 'string',
    metavar: 'DIR',
    defaultText: 'runs/<data>-<date>-<time>',
    help: 'run folder: checkpoints, metrics.jsonl, loss.svg',
    section: 'run',
  },
  {
    name: 'resume',
    type: 'string',
    metavar: 'DIR',
    help: 'continue the run in DIR from its last checkpoint',
    section: 'run',
  },
  {
    name: 'overwrite',
    type: 'bool',
    help: 'replace the run already in --out (its checkpoints and logs)',
    section: 'run',
  },
  {
    name: 'threads',
    type: 'int',
    min: 1,
    max: 2,
    defaultText: '2 on a machine with 2+ cores, or RECUR_THREADS',
    help: 'threads of the WebAssembly kernels',
    section: 'run',
  },
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
