/**
 * `recur example caption`: one-to-many captioning of handwritten
 * digit strips (src/models/caption.ts). Real MNIST digits from the `mnist` package are split
 * (seeded, per digit) into training and test images first; training strips of 1 to 4 digits are
 * drawn afresh every epoch from the training images, and the test strips only from test images.
 * The strip is read column by column by a bidirectional LSTM whose final states, through a linear
 * bridge, are the decoder's initial state; the decoder writes the caption word by word (with
 * --attention, it also attends over the columns). Reports exact-match accuracy and WER on the test
 * strips and writes samples.html with test images (PNG data URIs encoded here) and their captions.
 *
 * Run folder: best/ (weights with the best validation exact match), metrics.jsonl, results.json,
 * samples.html.
 */
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WordVocab } from '../data/word-vocab.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { getBackend } from '../kernels/registry.js';
import { setThreads } from '../kernels/wasm/index.js';
import type { Hypothesis } from '../models/beam-search.js';
import { DIGIT_SIZE, DIGIT_WORDS, sampleStrips, splitDigitImages } from '../models/caption.js';
import { type AttentionChoice, Seq2Seq } from '../models/seq2seq.js';
import { crossEntropy } from '../ops/loss.js';
import { reshape } from '../ops/shape.js';
import { type FitEvent, formatEvent } from '../train/callbacks.js';
import { fit } from '../train/fit.js';
import { Adam } from '../train/optim/adam.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import {
  CAPTION_RUN_KIND,
  type CaptionRunConfig,
  captionBatch,
  loadCaptionRun,
  loadMnist,
  scoreCaptions,
} from './caption-run.js';
import { BudgetCosine, budgetClock } from './example-g2p.js';
import { samplesHtml } from './html-plots.js';

const CMD = 'example caption';

// biome-ignore format: the flag table reads best one flag per line
const FLAGS: FlagSpec[] = [
  { name: 'min-digits', type: 'int', min: 1, max: 8, default: 1, help: 'fewest digits per strip', section: 'data' },
  { name: 'max-digits', type: 'int', min: 1, max: 8, default: 4, help: 'most digits per strip', section: 'data' },
  { name: 'strips-per-epoch', type: 'int', min: 1, max: 1e7, default: 20000, help: 'training strips drawn afresh every epoch', section: 'data' },
  { name: 'test-strips', type: 'int', min: 1, max: 1e6, default: 2000, help: 'test strips (from test images only)', section: 'data' },
  { name: 'test-fraction', type: 'number', min: 0.01, max: 0.9, default: 0.2, help: 'fraction of each digit’s images held out for test', section: 'data' },
  { name: 'split-seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 1, help: 'seed of the image split and the test strips', section: 'data' },
  { name: 'columns-per-step', type: 'int', min: 1, max: 28, default: 2, help: 'image columns the encoder reads per step (must divide 28)', section: 'model' },
  { name: 'hidden-size', type: 'int', min: 1, max: 4096, default: 128, help: 'encoder units per direction (the decoder has twice as many)', section: 'model' },
  { name: 'embed-size', type: 'int', min: 1, max: 4096, default: 32, help: 'word embedding size', section: 'model' },
  { name: 'attention', type: 'choice', choices: ['none', 'dot', 'general', 'additive'], default: 'none', help: 'none: the image vector is only the initial state (one-to-many); else attention over columns', section: 'model' },
  { name: 'dropout', type: 'number', min: 0, max: 0.9, default: 0.1, help: 'dropout', section: 'model' },
  { name: 'batch-size', type: 'int', min: 1, max: 100000, default: 64, help: 'strips per batch', section: 'training' },
  { name: 'lr', type: 'number', min: 0, minExclusive: true, max: 1, default: 0.002, help: 'Adam learning rate (cosine decay over the time or epoch budget)', section: 'training' },
  { name: 'epochs', type: 'int', min: 1, max: 1e6, default: 20, help: 'epochs', section: 'training' },
  { name: 'max-minutes', type: 'number', min: 0, minExclusive: true, max: 1e6, default: 20, metavar: 'M', help: 'stop after this much time (see --clock)', section: 'training' },
  { name: 'clock', type: 'choice', choices: ['wall', 'cpu'], default: 'wall', help: "what --max-minutes counts: wall-clock time, or this process's CPU time", section: 'training' },
  { name: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 1, help: 'seed of the weights, training strips and dropout', section: 'training' },
  { name: 'beam', type: 'int', min: 1, max: 100, default: 3, help: 'beam width of the final test decoding (greedy is reported too)', section: 'run' },
  { name: 'samples', type: 'int', min: 1, max: 1000, default: 16, help: 'test strips shown in samples.html', section: 'run' },
  { name: 'out', type: 'string', metavar: 'DIR', default: 'runs/caption', help: 'run folder', section: 'run' },
  { name: 'overwrite', type: 'bool', help: 'replace a run already in --out', section: 'run' },
  { name: 'threads', type: 'int', min: 1, max: 2, defaultText: 'the wasm default', help: 'threads of the WebAssembly kernels', section: 'run' },
];

const HELP = helpText(
  'recur example caption [options]',
  `Trains a model to describe strips of 1 to 4 handwritten MNIST digits in words ("three seven two"):
the strip's feature vector (a bidirectional LSTM over its columns) is the decoder's initial state and
the decoder writes the caption. Reports exact-match accuracy and WER on strips made only of digit
images held out before training, and writes samples.html with test images and their captions.

examples:
  recur example caption --max-minutes 15 --out runs/caption
  recur example caption --attention general --out runs/caption-attn
  recur attention-plot runs/caption-attn 372 9051 --out attention.html`,
  FLAGS,
);

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export async function runCaptionTrain(argv: string[]): Promise<number> {
  const f = parseFlags(CMD, argv, FLAGS);
  if (f.values.help) {
    console.log(HELP);
    return 0;
  }
  const v = f.values;
  const out = v.out as string;
  const cps = v.columnsPerStep as number;
  if (DIGIT_SIZE % cps !== 0) throw new ConfigError(`${CMD}: --columns-per-step must divide 28, got ${cps}`);
  const [minDigits, maxDigits] = [v.minDigits as number, v.maxDigits as number];
  if (minDigits > maxDigits)
    throw new ConfigError(`${CMD}: --min-digits ${minDigits} is above --max-digits ${maxDigits}`);
  if (existsSync(join(out, 'best')) || existsSync(join(out, 'metrics.jsonl'))) {
    if (!v.overwrite)
      throw new ConfigError(`${CMD}: ${out} already holds a run; pick another --out or pass --overwrite`);
    for (const x of ['best', 'metrics.jsonl', 'results.json', 'samples.html'])
      rmSync(join(out, x), { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  if (v.threads !== undefined && getBackend() === 'wasm') setThreads(v.threads as 1 | 2);
  const data = loadMnist(CMD);
  const splitSeed = v.splitSeed as number;
  const split = splitDigitImages(data.labels, v.testFraction as number, splitSeed);
  const testRng = new Rng(splitSeed + 1000);
  const range = { minDigits, maxDigits };
  const test = sampleStrips(data, split.test, v.testStrips as number, testRng, range);
  // Validation strips for model selection come from training images (the test stays unseen).
  const valid = sampleStrips(data, split.train, 500, new Rng(splitSeed + 2000), range);
  const vocab = WordVocab.build(DIGIT_WORDS.join(' '));
  const seed = v.seed as number;
  const H = v.hiddenSize as number;
  const model = new Seq2Seq(
    {
      srcVocabSize: 0,
      srcFeatureSize: DIGIT_SIZE * cps,
      tgtVocabSize: vocab.size,
      embedSize: v.embedSize as number,
      hiddenSize: H,
      decoderHiddenSize: 2 * H,
      attention: v.attention as AttentionChoice,
      dropout: v.dropout as number,
      bosId: vocab.bosId,
      eosId: vocab.eosId,
    },
    { rng: new Rng(seed + 1) },
  );
  const config: CaptionRunConfig = {
    kind: CAPTION_RUN_KIND,
    version: 1,
    model: model.toJSON(),
    vocab: vocab.toJSON(),
    columnsPerStep: cps,
    data: {
      splitSeed,
      testFraction: v.testFraction as number,
      trainImages: split.train.length,
      testImages: split.test.length,
      minDigits,
      maxDigits,
    },
    train: { ...v },
  };
  console.log(model.toString());
  console.log(
    `MNIST: ${split.train.length} training and ${split.test.length} test digit images; ${v.testStrips} test strips of ${minDigits}-${maxDigits} digits`,
  );
  const rng = new Rng(seed);
  const bs = v.batchSize as number;
  const perEpoch = v.stripsPerEpoch as number;
  const epochs = v.epochs as number;
  const stepsPerEpoch = Math.ceil(perEpoch / bs);
  const opt = new Adam(model.parameters(), { lr: v.lr as number });
  const clock = budgetClock(v.clock as 'wall' | 'cpu');
  const metricsPath = join(out, 'metrics.jsonl');
  const log = (o: object) => appendFileSync(metricsPath, `${JSON.stringify(o)}\n`);
  let best = -1;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let lastValidated = -1;
  /** Exact match on the validation strips; keeps the best weights in RUN/best. */
  const validate = (m: Seq2Seq, step: number) => {
    lastValidated = step;
    const s = scoreCaptions(m, vocab, valid, cps);
    if (s.exactMatch > best) {
      best = s.exactMatch;
      const ck = {
        step,
        model: m,
        config: config as unknown as Record<string, unknown>,
        metrics: { val_exact: s.exactMatch },
      };
      saveCheckpoint(join(out, 'best'), ck, { keepLast: 1 });
    }
    return { val_exact: s.exactMatch, val_wer: s.wer };
  };
  const res = await fit({
    model,
    optimizer: opt,
    rng,
    epochs,
    maxMinutes: v.maxMinutes as number,
    clock,
    stepsPerEpoch,
    gradClip: 5,
    scheduler: new BudgetCosine(
      opt,
      v.lr as number,
      0.05,
      (v.maxMinutes as number) * 60,
      epochs * stepsPerEpoch,
      clock,
    ),
    schedulerInterval: 'step',
    trainBatches: function* () {
      for (let s = 0; s < stepsPerEpoch; s++)
        yield captionBatch(sampleStrips(data, split.train, bs, rng, range), vocab, cps);
    },
    lossFn: (m, b) => {
      const { logits } = m.forward(b.source, b.targetIn);
      return { loss: crossEntropy(reshape(logits, [b.T * b.B, vocab.size]), b.targetOut), tokens: b.T * b.B };
    },
    evalFn: (m, ctx) => validate(m, ctx.step),
    monitor: 'val_exact',
    callbacks: [
      (e: FitEvent) => {
        if (e.type === 'step' && e.step % 50 !== 0) return;
        log(e);
        if (e.type === 'step' && e.step % 250 !== 0) return;
        const line = formatEvent(e);
        if (line) console.log(line);
      },
    ],
  });
  const minutes = (performance.now() - t0) / 60000;
  if (lastValidated !== res.step) {
    model.eval();
    const metrics = validate(model, res.step);
    log({ type: 'eval', step: res.step, final: true, metrics });
    console.log(`final validation at step ${res.step}: exact match ${pct(metrics.val_exact)}`);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMinutes = (cpu.user + cpu.system) / 6e7;
  console.log(
    `training stopped (${res.reason}) after ${res.step} steps, ${minutes.toFixed(1)} min (process CPU ${cpuMinutes.toFixed(1)} min)`,
  );
  const run = loadCaptionRun(out, CMD);
  const results: Record<string, unknown> = {
    seed,
    splitSeed,
    steps: res.step,
    trainMinutes: minutes,
    cpuMinutes,
    attention: v.attention,
    bestValExact: best,
  };
  let shown: Hypothesis[][] = [];
  for (const beam of [1, v.beam as number]) {
    const s = scoreCaptions(run.model, vocab, test, cps, beam);
    if (beam === 1) shown = s.hyps;
    results[beam === 1 ? 'greedy' : `beam${beam}`] = {
      exactMatch: s.exactMatch,
      wer: s.wer,
      strips: s.strips,
    };
    console.log(
      `test ${beam === 1 ? 'greedy' : `beam ${beam}`}: exact match ${pct(s.exactMatch)}  WER ${pct(s.wer)}  (${s.strips} strips)`,
    );
  }
  const items = test
    .slice(0, v.samples as number)
    .map((strip, i) => ({ strip, caption: vocab.decodeTokens(shown[i][0].tokens).join(' ') }));
  writeFileSync(join(out, 'samples.html'), samplesHtml('Recur: digit strips described in words', items));
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  log({ type: 'results', ...results });
  console.log(`wrote ${join(out, 'samples.html')}`);
  return 0;
}
