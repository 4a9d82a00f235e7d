/**
 * `recur eval RUN_DIR [FILE]`: bits per character and perplexity of a trained model on a text
 * file, or on the run's own test split when no file is given.
 */
import type { IdArray } from '../data/_util.js';
import { readTextFile } from '../io/text-file.js';
import { ConfigError, DataError } from '../util/errors.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { inVocab, loadDataset, loadTextFile } from './datasets.js';
import { encodeWith, evaluate, loadRun } from './run.js';

const CMD = 'eval';

const FLAGS: FlagSpec[] = [
  {
    name: 'checkpoint',
    type: 'choice',
    choices: ['best', 'latest'],
    default: 'best',
    help: 'which weights: best test bpc, or the latest checkpoint',
  },
];

const HELP = helpText(
  'recur eval RUN_DIR [FILE] [options]',
  `Prints the bits per character and the perplexity per character of the model trained in RUN_DIR
on the UTF-8 text FILE (every character predicted from the ones before it), or on the run's own
test split when FILE is left out. FILE may only use characters the model knows.

examples:
  recur eval runs/start
  recur eval runs/start chapter.txt`,
  FLAGS,
);

export async function runEval(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(CMD, argv, FLAGS, { max: 2, names: 'RUN_DIR and FILE' });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [dir, file] = positionals;
  if (dir === undefined)
    throw new ConfigError(
      `${CMD}: missing RUN_DIR, the folder of a run made by recur train (see recur eval --help)`,
    );
  const run = loadRun(dir, values.checkpoint as 'best' | 'latest', CMD);
  let ids: IdArray;
  let what: string;
  if (file !== undefined) {
    ids = encodeWith(run.vocab, readTextFile(file, { where: CMD }), `${CMD}: ${file}`);
    what = file;
  } else {
    const src = run.config.data.source;
    const corpus = src.kind === 'dataset' ? loadDataset(src.name, CMD) : loadTextFile(src.name, CMD);
    if (corpus.sha256 !== run.config.data.sha256) {
      throw new DataError(
        `${CMD}: ${src.name} changed since the run was trained, so its test split is not the one the run used; give a FILE`,
      );
    }
    what = `the test split of ${corpus.label}`;
    ids = inVocab(corpus, run.vocab, `${CMD}: ${what}`).test;
  }
  if (ids.length < 2)
    throw new DataError(`${CMD}: ${what}: need at least 2 characters to predict one, got ${ids.length}`);
  const t0 = performance.now();
  const r = evaluate(run.model, ids);
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${what}: ${r.bpc.toFixed(4)} bits per character, perplexity ${(2 ** r.bpc).toFixed(3)} per character`,
  );
  console.log(
    `  ${r.count.toLocaleString('en-US')} characters predicted in ${secs.toFixed(1)} s; model ${run.path} (${run.which}, step ${run.checkpoint.step}): ${run.model.toString()}`,
  );
  return 0;
}
