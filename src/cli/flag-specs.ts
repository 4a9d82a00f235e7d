/**
 * Builders of flag specs (args.ts) and the flags several commands share, so that a flag table
 * reads one line a flag and a flag that means the same in two commands is written once. Where the
 * commands differ (default, help, bounds) the builder takes it as an argument.
 */
import type { FlagSpec } from './args.js';

/** Bounds of a numeric flag, as parseFlags checks them. */
export interface Bounds {
  min: number;
  max?: number;
  minExclusive?: boolean;
}

/** `[min, max]`, both inclusive (undefined: no bound), or Bounds (see `above`). */
export type Range = readonly [min: number | undefined, max?: number] | Bounds;

/** The rarer fields of a spec. */
type Extra = Pick<FlagSpec, 'metavar' | 'defaultText'>;

/** The largest seed (seeds are 32-bit). */
export const SEED_MAX = 2 ** 32 - 1;

/** `(min, max]`: a lower bound the value must exceed (rates, learning rates, minutes). */
export const above = (min: number, max?: number): Bounds => ({ min, max, minExclusive: true });

/** The builder of int or number flags: name, bounds, default, help, section, rarer fields. */
function numeric(type: 'int' | 'number') {
  return (
    name: string,
    range: Range,
    dflt: number | undefined,
    help: string,
    section: string,
    extra: Extra = {},
  ): FlagSpec => {
    const { min, max, minExclusive } = 'min' in range ? range : { min: range[0], max: range[1] };
    // Absent fields are left out, not set to undefined, so a spec has exactly the keys a literal would.
    return {
      name,
      type,
      ...(min !== undefined ? { min } : {}),
      ...(minExclusive ? { minExclusive } : {}),
      ...(max !== undefined ? { max } : {}),
      ...(dflt !== undefined ? { default: dflt } : {}),
      help,
      section,
      ...extra,
    };
  };
}

export const intFlag = numeric('int');
export const numberFlag = numeric('number');

export function choiceFlag(
  name: string,
  choices: readonly string[],
  dflt: string,
  help: string,
  section: string,
): FlagSpec {
  return { name, type: 'choice', choices, default: dflt, help, section };
}

export function stringFlag(
  name: string,
  dflt: string | undefined,
  help: string,
  section: string,
  extra: Extra = {},
): FlagSpec {
  return { name, type: 'string', ...(dflt !== undefined ? { default: dflt } : {}), help, section, ...extra };
}

export function boolFlag(name: string, help: string, section: string): FlagSpec {
  return { name, type: 'bool', help, section };
}

// The flags shared by several commands; each takes what differs between them.

export const cellFlag = (choices: readonly string[] = ['lstm', 'gru']): FlagSpec =>
  choiceFlag('cell', choices, 'lstm', 'recurrent cell', 'model');

export const embedSizeFlag = (dflt: number, help = 'size of the character embedding', max = 4096): FlagSpec =>
  intFlag('embed-size', [1, max], dflt, help, 'model');

export const hiddenSizeFlag = (dflt: number, help: string, section = 'model', max = 4096): FlagSpec =>
  intFlag('hidden-size', [1, max], dflt, help, section);

/** A dropout rate in [0, 0.95] (`name`: dropout, embed-dropout, word-dropout). */
export const dropoutFlag = (name: string, dflt: number, help: string): FlagSpec =>
  numberFlag(name, [0, 0.95], dflt, help, 'model');

export const epochsFlag = (dflt: number, help: string, max = 1000): FlagSpec =>
  intFlag('epochs', [1, max], dflt, help, 'training');

export const batchSizeFlag = (dflt: number, help: string, section = 'training', max = 4096): FlagSpec =>
  intFlag('batch-size', [1, max], dflt, help, section);

export const lrFlag = (dflt: number, help: string, max?: number): FlagSpec =>
  numberFlag('lr', above(0, max), dflt, help, 'training');

export const lrDecayFlag = (dflt: number): FlagSpec =>
  numberFlag('lr-decay', above(0, 1), dflt, 'learning-rate factor per epoch', 'training');

export const optimizerFlag = (choices: readonly string[]): FlagSpec =>
  choiceFlag('optimizer', choices, 'adam', 'optimizer', 'training');

/** Early stopping of the task examples, on their validation accuracy. */
export const patienceFlag = (dflt: number): FlagSpec =>
  intFlag(
    'patience',
    [1, 1000],
    dflt,
    'stop after this many epochs without a better validation accuracy',
    'training',
  );

export const seedFlag = (help: string, max?: number, section = 'training'): FlagSpec =>
  intFlag('seed', [0, max], 1, help, section);

/** The seed of the task examples' train/test split of `items`. */
export const splitSeedFlag = (items: string): FlagSpec =>
  intFlag('split-seed', [0, SEED_MAX], 1, `seed of the 80/20 train/test split of the ${items}`, 'data');

export const maxMinutesFlag = (
  dflt: number | undefined,
  help: string,
  max?: number,
  extra: Extra = {},
): FlagSpec => numberFlag('max-minutes', above(0, max), dflt, help, 'training', extra);

/** The run folder; its default is a pattern the command fills in, shown as `defaultText`. */
export const outFlag = (help: string, defaultText: string): FlagSpec =>
  stringFlag('out', undefined, help, 'run', { metavar: 'DIR', defaultText });

export const overwriteFlag = (help = 'replace the run already in --out'): FlagSpec =>
  boolFlag('overwrite', help, 'run');

/** Flags every task example has (each example adds its own model and training flags). */
export function commonFlags(
  name: string,
  maxMinutes: number,
  maxMinutesHelp = 'stop training the recurrent model after this long (the best epoch so far is kept)',
): FlagSpec[] {
  return [
    seedFlag('seed of the initial weights, shuffling and dropout', SEED_MAX),
    maxMinutesFlag(maxMinutes, maxMinutesHelp, 1e6, { metavar: 'M' }),
    outFlag('run folder: model/, results.json, report.txt', `runs/${name}-<date>-<time>`),
    overwriteFlag(),
  ];
}
