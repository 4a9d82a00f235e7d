/**
 * `recur sample RUN_DIR`: generates text from a trained run, one character at a time (char-rnn's
 * sample.lua): the prime goes through the model first, then every drawn character is fed back.
 */
import { sample } from '../models/sample.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { encodeWith, loadRun } from './run.js';

const CMD = 'sample';

const FLAGS: FlagSpec[] = [
  {
    name: 'prime',
    type: 'string',
    metavar: 'TEXT',
    defaultText: "the run's, e.g. 'The whale ' for moby-dick, a newline for names",
    help: 'text to start from (it is printed too)',
  },
  { name: 'length', type: 'int', min: 0, max: 10_000_000, default: 500, help: 'characters to generate' },
  {
    name: 'temperature',
    type: 'number',
    min: 0,
    max: 100,
    default: 0.8,
    help: 'lower is more conservative, 0 always takes the likeliest character',
  },
  {
    name: 'top-k',
    type: 'int',
    min: 0,
    max: 1_000_000,
    default: 0,
    help: 'sample among the K likeliest characters only (0: all)',
  },
  {
    name: 'seed',
    type: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    default: 1,
    help: 'seed of the draws (same seed, same text)',
  },
  {
    name: 'checkpoint',
    type: 'choice',
    choices: ['best', 'latest'],
    default: 'best',
    help: 'which weights: best test bpc, or the latest checkpoint',
  },
];

const HELP = helpText(
  'recur sample RUN_DIR [options]',
  `Generates text from the model trained in RUN_DIR (a folder made by recur train).

examples:
  recur sample runs/start --prime "Call me " --length 300
  recur sample runs/names --temperature 0.5 --seed 7`,
  FLAGS,
);

export async function runSample(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(CMD, argv, FLAGS, { max: 1, names: 'RUN_DIR' });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const dir = positionals[0];
  if (dir === undefined)
    throw new ConfigError(
      `${CMD}: missing RUN_DIR, the folder of a run made by recur train (see recur sample --help)`,
    );
  // Piped into a program that stops reading (head): stop quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  const run = loadRun(dir, values.checkpoint as 'best' | 'latest', CMD);
  const prime = (values.prime as string | undefined) ?? run.config.data.defaultPrime;
  const primeIds = encodeWith(run.vocab, prime, `${CMD}: --prime`);
  if (primeIds.length === 0) throw new ConfigError(`${CMD}: --prime must hold at least one character`);
  const length = values.length as number;
  // Stream the text as it is drawn, in pieces (one write per character would be slow on a pipe).
  let buf = prime;
  let endsWithNewline = false;
  const flush = () => {
    if (buf) {
      process.stdout.write(buf);
      endsWithNewline = buf.endsWith('\n');
    }
    buf = '';
  };
  let last = performance.now();
  sample(run.model, {
    prime: primeIds,
    length,
    temperature: values.temperature as number,
    topK: values.topK as number,
    rng: new Rng(values.seed as number),
    onToken: (id) => {
      buf += run.vocab.chars[id];
      const now = performance.now();
      if (buf.length >= 4096 || now - last > 100) {
        flush();
        last = now;
      }
    },
  });
  flush();
  if (!endsWithNewline) process.stdout.write('\n');
  return 0;
}
