#!/usr/bin/env node
// The `recur` command: parses the sub-command and delegates. Errors print one line and exit 1
// (the stack only with --verbose).
import { RecurError } from '../util/errors.js';

type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const commands: Record<string, Command> = {
  train: {
    summary: 'train a character-level language model on a text file or --dataset moby-dick|names',
    run: async (argv) => (await import('./train.js')).runTrain(argv),
  },
  sample: {
    summary: 'generate text from a trained run: sample RUN_DIR [--prime TEXT] [--length N]',
    run: async (argv) => (await import('./sample.js')).runSample(argv),
  },
  eval: {
    summary: 'bits per character of a trained run on a text file: eval RUN_DIR [FILE]',
    run: async (argv) => (await import('./eval.js')).runEval(argv),
  },
  info: {
    summary: 'the model, size and training history of a run: info RUN_DIR',
    run: async (argv) => (await import('./info.js')).runInfo(argv),
  },
  example: {
    summary: 'run a worked example: example NAME [options] (`recur example --help` lists them)',
    run: async (argv) => (await import('./examples.js')).runExample(argv),
  },
  gradflow: {
    summary:
      'gradient norm ||dLoss/dh_t|| at every step for RNN, LSTM and GRU on a memory task (table and SVG)',
    run: async (argv) => (await import('./gradflow.js')).runGradflow(argv),
  },
  classify: {
    summary: 'the class of a text by a trained classifier, with its probability: classify RUN_DIR TEXT',
    run: async (argv) => (await import('./classify.js')).runClassify(argv),
  },
  'check-golden': {
    summary: 'check reference cases: check-golden [--backend ts|wasm] [--dtype float64|float32] FILES...',
    run: async (argv) => (await import('./golden.js')).runCheckGolden(argv),
  },
  'g2p-train': {
    summary: 'train a grapheme-to-phoneme encoder-decoder on CMUdict, report PER/WER (= example g2p)',
    run: async (argv) => (await import('./example-g2p.js')).runG2PTrain(argv),
  },
  g2p: {
    summary: 'pronunciations from a G2P run (beam search, n-best): g2p RUN_DIR WORD...',
    run: async (argv) => (await import('./g2p.js')).runG2P(argv),
  },
  'attention-plot': {
    summary: 'HTML heatmap of attention weights of a G2P or caption run: attention-plot RUN_DIR INPUT...',
    run: async (argv) => (await import('./attention-plot.js')).runAttentionPlot(argv),
  },
};

function usage(): string {
  const lines = ['usage: recur <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(14)} ${c.summary}`);
  lines.push('', 'Run `recur <command> --help` for the options of a command.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`recur: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}

const verbose = process.argv.includes('--verbose');
main(process.argv.slice(2).filter((a) => a !== '--verbose')).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (verbose || !(err instanceof Error)) console.error(err);
    else console.error(`recur: ${err instanceof RecurError ? '' : `${err.name}: `}${err.message}`);
    process.exitCode = 1;
  },
);
