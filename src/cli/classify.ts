/**
 * `recur classify RUN_DIR TEXT`: the class of TEXT by the model of a run of
 * `recur example spam | names-gender` and its probability; for a run of
 * `recur example space-restore`, TEXT with its spaces restored.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CharVocab } from '../data/char-vocab.js';
import { insertSpaces, removeSpaces } from '../data/space-tags.js';
import { WordVocab } from '../data/word-vocab.js';
import { type LoadedCheckpoint, loadCheckpoint } from '../io/checkpoint-load.js';
import { SequenceClassifier } from '../models/classifier.js';
import { parseEmail } from '../models/email.js';
import { SequenceTagger } from '../models/tagger.js';
import { CheckpointError, ConfigError, DataError, RecurError } from '../util/errors.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { EXAMPLE_RUN_KIND, RUN_PARTS } from './example-tasks.js';
import { emailIds, headTail } from './spam-data.js';

const CMD = 'classify';

const FLAGS: FlagSpec[] = [
  {
    name: 'subject',
    type: 'string',
    metavar: 'TEXT',
    help: 'spam runs: the subject line that goes with TEXT (the body)',
  },
  {
    name: 'email',
    type: 'string',
    metavar: 'FILE',
    help: 'spam runs: classify a raw e-mail file (headers, MIME) instead of TEXT',
  },
  { name: 'all', type: 'bool', help: 'print the probability of every class, most probable first' },
];

const HELP = helpText(
  'recur classify RUN_DIR (TEXT | --email FILE) [options]',
  `Prints the class of TEXT by the model trained in RUN_DIR (a folder made by recur example spam or
recur example names-gender) and its probability. For spam, TEXT is the body of a message (add
--subject) or --email gives a whole raw message. For a run of recur example space-restore, prints
TEXT with its word boundaries restored (white space in TEXT is removed first).

examples:
  recur classify runs/names-gender-... Alexandra
  recur classify runs/spam-... --subject "Make money fast" "Click here to claim your prize"
  recur classify runs/spam-... --email message.eml
  recur classify runs/space-restore-... "callmeishmaelsomeyearsago"`,
  FLAGS,
);

interface RunConfig {
  kind: string;
  task: string;
  classes: string[];
  model: unknown;
  input: {
    kind: string;
    vocab: unknown;
    maxLength?: number;
    tailLength?: number;
    window?: number;
    context?: number;
  };
}

function loadRun(dir: string): { ck: LoadedCheckpoint; config: RunConfig; file: string } {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new ConfigError(
      `${CMD}: ${dir}: no such run folder (expected a folder made by recur example spam|names-gender|space-restore)`,
    );
  }
  if (!isDir)
    throw new ConfigError(`${CMD}: ${dir}: not a folder (expected a run folder made by recur example)`);
  const modelDir = join(dir, RUN_PARTS.model);
  if (!existsSync(join(modelDir, 'latest.json'))) {
    const hint = existsSync(join(dir, 'checkpoints'))
      ? ' (this looks like a language-model run of recur train: use recur sample or recur eval with it)'
      : '';
    throw new CheckpointError(
      `${CMD}: ${dir}: no trained classifier here (expected ${RUN_PARTS.model}/latest.json, written by recur example spam|names-gender|space-restore)${hint}`,
    );
  }
  let ck: LoadedCheckpoint;
  try {
    ck = loadCheckpoint(modelDir);
  } catch (e) {
    if (e instanceof RecurError)
      throw new CheckpointError(`${CMD}: ${e.message.replace(/^loadCheckpoint: /, '')}`);
    throw e;
  }
  const file = join(ck.path, 'checkpoint.json');
  const c = ck.config as Partial<RunConfig>;
  if (
    c.kind !== EXAMPLE_RUN_KIND ||
    !Array.isArray(c.classes) ||
    typeof c.input !== 'object' ||
    c.input === null
  ) {
    throw new CheckpointError(
      `${CMD}: ${file}: not a run of recur example (config.kind is ${JSON.stringify(c.kind)})`,
    );
  }
  return { ck, config: c as RunConfig, file };
}

function rebuild<M extends SequenceClassifier | SequenceTagger>(
  make: () => M,
  ck: LoadedCheckpoint,
  file: string,
): M {
  try {
    const m = make();
    m.loadStateDict(ck.model);
    m.eval();
    return m;
  } catch (e) {
    if (e instanceof RecurError) throw new CheckpointError(`${CMD}: ${file}: ${e.message}`);
    throw e;
  }
}

export async function runClassify(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags(CMD, argv, FLAGS, { max: 2, names: 'RUN_DIR and TEXT' });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const [dir, text] = positionals;
  if (dir === undefined)
    throw new ConfigError(
      `${CMD}: missing RUN_DIR, a folder made by recur example (see recur classify --help)`,
    );
  const emailFile = v.email as string | undefined;
  if (text !== undefined && emailFile !== undefined) {
    throw new ConfigError(`${CMD}: give either TEXT or --email FILE, not both`);
  }
  const { ck, config, file } = loadRun(dir);
  const inputKind = config.input.kind;
  if (emailFile !== undefined && inputKind !== 'email-words') {
    throw new ConfigError(`${CMD}: --email applies to spam runs; ${dir} is a ${config.task} run`);
  }
  if (v.subject !== undefined && inputKind !== 'email-words') {
    throw new ConfigError(`${CMD}: --subject applies to spam runs; ${dir} is a ${config.task} run`);
  }
  if (text === undefined && emailFile === undefined) {
    throw new ConfigError(
      `${CMD}: missing TEXT to classify${inputKind === 'email-words' ? ' (or --email FILE)' : ''} (see recur classify --help)`,
    );
  }

  if (inputKind === 'chars-no-space') {
    const vocab = CharVocab.fromJSON(config.input.vocab);
    const tagger = rebuild(() => SequenceTagger.fromJSON(config.model), ck, file);
    const { chars } = removeSpaces(text as string);
    if (chars.length === 0) throw new DataError(`${CMD}: TEXT has no characters besides white space`);
    const ids = Int32Array.from([...chars], (ch) => vocab.idOf(ch));
    const tags = tagger.tag(ids, { window: config.input.window ?? 256, context: config.input.context ?? 32 });
    console.log(insertSpaces(chars, tags));
    return 0;
  }

  let ids: Int32Array;
  if (inputKind === 'email-words') {
    const vocab = WordVocab.fromJSON(config.input.vocab);
    let subject = (v.subject as string | undefined) ?? '';
    let body = text ?? '';
    if (emailFile !== undefined) {
      let raw: Uint8Array;
      try {
        raw = readFileSync(emailFile);
      } catch (e) {
        throw new DataError(
          `${CMD}: cannot read ${emailFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        );
      }
      const parsed = parseEmail(raw);
      subject = parsed.subject;
      body = parsed.body;
    }
    ids = emailIds(vocab, subject, body);
    if (config.input.maxLength)
      ids = headTail(ids, config.input.maxLength, config.input.tailLength ?? 0, vocab.bosId);
  } else if (inputKind === 'chars') {
    const vocab = CharVocab.fromJSON(config.input.vocab);
    const t = (text as string).trim().toLowerCase();
    if (t.length === 0) throw new DataError(`${CMD}: TEXT is empty`);
    ids = Int32Array.from([...t], (ch) => vocab.idOf(ch));
  } else {
    throw new CheckpointError(`${CMD}: ${file}: unknown input kind ${JSON.stringify(inputKind)}`);
  }
  const model = rebuild(() => SequenceClassifier.fromJSON(config.model), ck, file);
  const p = model.predictProba([ids]);
  const order = config.classes.map((_, c) => c).sort((a, b) => p[b] - p[a]);
  for (const c of v.all ? order : order.slice(0, 1)) console.log(`${config.classes[c]} ${p[c].toFixed(4)}`);
  return 0;
}
