#!/usr/bin/env node
// The `recur` command: parses the sub-command and delegates. Errors print one line and exit 1
// (the stack only with --verbose).
import { RecurError } from '../util/errors.js';

type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const commands: Record<string, Command> = {
  demo: {
    summary: 'a short real run that shows what the library does (npm start)',
    run: async (argv) => (await import('./demo.js')).runDemo(argv),
  },
  'check-golden': {
    summary: 'check reference cases: check-golden [--backend ts|wasm] [--dtype float64|float32] FILES...',
    run: async (argv) => (await import('./golden.js')).runCheckGolden(argv),
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
