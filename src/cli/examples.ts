/**
 * `recur example NAME [options]`: runs one of the worked examples. Each entry loads its module
 * only when it runs. To add an example, add one entry to EXAMPLES (name, one-line summary, run).
 */
import { ConfigError } from '../util/errors.js';

export interface ExampleEntry {
  summary: string;
  run: (argv: string[]) => Promise<number>;
}

export const EXAMPLES: Record<string, ExampleEntry> = {
  'forecast-births': {
    summary:
      'forecast US daily births 2000-2014 (test: 2014): baselines, MLP, RNN, LSTM, GRU, echo state network',
    run: async (argv) => (await import('./example-forecast.js')).runForecastBirths(argv),
  },
  adding: {
    summary: 'the adding problem (Hochreiter & Schmidhuber 1997) at T = 100 for LSTM, GRU and RNN',
    run: async (argv) => (await import('./example-memory.js')).runAdding(argv),
  },
  'copy-memory': {
    summary: 'the copy-memory task (Arjovsky et al. 2016) at T = 100 for LSTM, GRU and RNN',
    run: async (argv) => (await import('./example-memory.js')).runCopyMemory(argv),
  },
  spam: {
    summary: 'spam or ham (SpamAssassin): BiLSTM over words vs bag-of-words logistic regression',
    run: async (argv) => (await import('./example-spam.js')).runExampleSpam(argv),
  },
  'names-gender': {
    summary: 'gender of a first name: character BiLSTM vs the majority class of its last letter',
    run: async (argv) => (await import('./example-names.js')).runExampleNames(argv),
  },
  'space-restore': {
    summary: 'restore the spaces of Moby Dick: unidirectional vs bidirectional character LSTM tagger',
    run: async (argv) => (await import('./example-spaces.js')).runExampleSpaces(argv),
  },
  g2p: {
    summary: 'grapheme-to-phoneme on CMUdict: bi-LSTM encoder, attention decoder, beam search; PER/WER',
    run: async (argv) => (await import('./example-g2p.js')).runG2PTrain(argv),
  },
  caption: {
    summary: 'describe strips of 1-4 handwritten MNIST digits in words (one-to-many decoder)',
    run: async (argv) => (await import('./example-caption.js')).runCaptionTrain(argv),
  },
};

export function examplesUsage(): string {
  const lines = ['usage: recur example NAME [options]', '', 'examples:'];
  for (const [name, e] of Object.entries(EXAMPLES)) lines.push(`  ${name.padEnd(16)} ${e.summary}`);
  lines.push('', 'Run `recur example NAME --help` for the options of an example.');
  return lines.join('\n');
}

export async function runExample(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(examplesUsage());
    return name ? 0 : 2;
  }
  const e = Object.hasOwn(EXAMPLES, name) ? EXAMPLES[name] : undefined;
  if (!e) {
    throw new ConfigError(`example: unknown example '${name}' (known: ${Object.keys(EXAMPLES).join(', ')})`);
  }
  return e.run(rest);
}
