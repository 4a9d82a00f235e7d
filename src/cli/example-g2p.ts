/**
 * `recur g2p-train` (also `recur example g2p`): trains a grapheme-to-phoneme encoder-decoder on
 * CMUdict and reports phoneme and word error rates on a held-out 10% of the words.
 *
 * Data (src/models/g2p.ts): plain words of CMUdict, every distinct pronunciation a reference,
 * stress digits removed unless --stress; a seeded split by word into train, validation (model
 * selection) and test (reported once, at the end, with the best-validation weights).
 * Model (src/models/seq2seq.ts): letters -> bi-LSTM encoder -> LSTM decoder with Luong attention,
 * trained with teacher forcing on the fused path; Adam with a cosine learning-rate decay over the
 * time budget (or the epochs), gradient clipping.
 */
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batches } from '../data/batches.js';
import { type PairBatch, PairDataset } from '../data/pair-dataset.js';
import { WordVocab } from '../data/word-vocab.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { getBackend } from '../kernels/registry.js';
import { getThreads, setThreads, threadsAvailable } from '../kernels/wasm/index.js';
import { type Lexicon, scoreG2P, trainingPairs } from '../models/g2p.js';
import { type AttentionChoice, Seq2Seq } from '../models/seq2seq.js';
import { crossEntropy } from '../ops/loss.js';
import { reshape } from '../ops/shape.js';
import { type FitEvent, formatEvent } from '../train/callbacks.js';
import { fit } from '../train/fit.js';
import type { FitScheduler } from '../train/fit-options.js';
import { Adam } from '../train/optim/adam.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { encodeWord, G2P_RUN_KIND, type G2PRunConfig, g2pData, loadG2PRun, transcribe } from './g2p.js';

const CMD = 'g2p-train';

// biome-ignore format: the flag table reads best one flag per line
const FLAGS: FlagSpec[] = [
  { name: 'stress', type: 'bool', help: 'keep the stress digits (69 symbols instead of 39 phonemes)', section: 'data' },
  { name: 'split-seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 1, help: 'seed of the train/valid/test split of the words', section: 'data' },
  { name: 'test-fraction', type: 'number', min: 0.001, max: 0.5, default: 0.1, help: 'fraction of the words held out for testing', section: 'data' },
  { name: 'valid-fraction', type: 'number', min: 0.001, max: 0.5, default: 0.01, help: 'fraction of the words for validation (model selection)', section: 'data' },
  { name: 'limit', type: 'int', min: 1, max: 1e9, defaultText: 'all', help: 'use only this many training words (smoke tests)', section: 'data' },
  { name: 'cell', type: 'choice', choices: ['lstm', 'gru'], default: 'lstm', help: 'recurrent cell of encoder and decoder', section: 'model' },
  { name: 'embed-size', type: 'int', min: 1, max: 4096, default: 64, help: 'letter and phoneme embedding size', section: 'model' },
  { name: 'hidden-size', type: 'int', min: 1, max: 4096, default: 128, help: 'encoder units per direction', section: 'model' },
  { name: 'decoder-hidden-size', type: 'int', min: 1, max: 4096, defaultText: '2 x hidden-size', help: 'decoder units', section: 'model' },
  { name: 'encoder-layers', type: 'int', min: 1, max: 8, default: 1, help: 'stacked encoder layers', section: 'model' },
  { name: 'decoder-layers', type: 'int', min: 1, max: 8, default: 1, help: 'stacked decoder layers', section: 'model' },
  { name: 'unidirectional', type: 'bool', help: 'a forward-only encoder', section: 'model' },
  { name: 'attention', type: 'choice', choices: ['none', 'dot', 'general', 'additive'], default: 'general', help: 'attention (dot/general: Luong, additive: Bahdanau)', section: 'model' },
  { name: 'input-feeding', type: 'bool', help: "Luong's input feeding (step-wise decoder, slower)", section: 'model' },
  { name: 'dropout', type: 'number', min: 0, max: 0.9, default: 0.15, help: 'dropout on embeddings, between layers and before the output layer', section: 'model' },
  { name: 'batch-size', type: 'int', min: 1, max: 100000, default: 64, help: 'words per batch', section: 'training' },
  { name: 'lr', type: 'number', min: 0, minExclusive: true, max: 1, default: 0.002, help: 'Adam learning rate', section: 'training' },
  { name: 'min-lr-ratio', type: 'number', min: 0, max: 1, default: 0.05, help: 'final lr of the cosine decay, as a fraction of --lr', section: 'training' },
  { name: 'grad-clip', type: 'number', min: 0, max: 1e6, default: 5, help: 'clip the total gradient norm (0: off)', section: 'training' },
  { name: 'label-smoothing', type: 'number', min: 0, max: 0.5, default: 0, help: 'label smoothing of the cross-entropy', section: 'training' },
  { name: 'teacher-forcing-min', type: 'number', min: 0, max: 1, default: 1, help: 'scheduled sampling: the teacher-forcing ratio decays linearly from 1 to this (1: off)', section: 'training' },
  { name: 'max-epochs', type: 'int', min: 1, max: 1e6, default: 40, help: 'stop after this many passes over the training pairs', section: 'training' },
  { name: 'max-minutes', type: 'number', min: 0, minExclusive: true, max: 1e6, default: 60, metavar: 'M', help: 'stop after this much training time (see --clock; validation included)', section: 'training' },
  { name: 'clock', type: 'choice', choices: ['wall', 'cpu'], default: 'wall', help: "what --max-minutes counts: wall-clock time, or this process's CPU time (fair on a shared machine)", section: 'training' },
  { name: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 1, help: 'seed of the initial weights, shuffling and dropout', section: 'training' },
  { name: 'eval-every', type: 'int', min: 1, max: 1e9, default: 1000, help: 'greedy validation PER/WER (model selection) every N steps', section: 'run' },
  { name: 'beam', type: 'int', min: 1, max: 100, default: 5, help: 'beam width of the final test decoding', section: 'run' },
  { name: 'eval-only', type: 'bool', help: 'only test the run already in --out (writes results-eval.json)', section: 'run' },
  { name: 'out', type: 'string', metavar: 'DIR', default: 'runs/g2p', help: 'run folder', section: 'run' },
  { name: 'overwrite', type: 'bool', help: 'replace a run already in --out', section: 'run' },
  { name: 'threads', type: 'int', min: 1, max: 2, defaultText: 'the wasm default', help: 'threads of the WebAssembly kernels', section: 'run' },
];

const HELP = helpText(
  'recur g2p-train [options]   (or: recur example g2p [options])',
  `Trains a grapheme-to-phoneme model (bi-LSTM encoder, attention decoder) on CMUdict and reports the
phoneme error rate (PER) and word error rate (WER) on a seeded 10% of the words never seen in
training, with greedy decoding and with beam search. Then: recur g2p RUN_DIR WORD...

examples:
  recur example g2p --max-minutes 60 --clock cpu --out runs/g2p
  recur example g2p --stress --out runs/g2p-stress
  recur example g2p --limit 2000 --max-minutes 1 --out runs/g2p-smoke
  recur example g2p --eval-only --beam 10 --out runs/g2p`,
  FLAGS,
);

/**
 * What a time budget counts, in milliseconds: wall-clock time, or the CPU time of this process
 * (user + system), which on a machine shared with other jobs measures the work a run got.
 */
export function budgetClock(kind: 'wall' | 'cpu'): () => number {
  if (kind === 'wall') return () => performance.now();
  return () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
}

/** Cosine decay of the learning rate over the larger of the time and the step fractions. */
export class BudgetCosine implements FitScheduler {
  private readonly t0: number;
  constructor(
    private readonly opt: { paramGroups: { lr: number }[] },
    private readonly base: number,
    private readonly minRatio: number,
    private readonly seconds: number,
    private readonly steps: number,
    private readonly clock: () => number = budgetClock('wall'),
  ) {
    this.t0 = clock();
  }
  private n = 0;
  progress(): number {
    return Math.min(1, Math.max((this.clock() - this.t0) / 1000 / this.seconds, this.n / this.steps));
  }
  step(): void {
    this.n++;
    const f = this.progress();
    const lr = this.base * (this.minRatio + ((1 - this.minRatio) * (1 + Math.cos(Math.PI * f))) / 2);
    for (const g of this.opt.paramGroups) g.lr = lr;
  }
}

function decodeWords(
  model: Seq2Seq,
  src: WordVocab,
  tgt: WordVocab,
  words: string[],
  beam: number,
): Map<string, string[]> {
  const res = transcribe(model, src, tgt, words, { beam });
  return new Map(words.map((w, i) => [w, res[i][0].phones]));
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * Test PER/WER of a run's best weights, greedy and with a beam (and, for a run with stress, with
 * the stress digits dropped from outputs and references), plus how often the beam's output has a
 * lower model log-probability than greedy's (beam search is not monotone in the width).
 */
function testRun(
  out: string,
  lex: Lexicon,
  words: string[],
  beam: number,
  stress: boolean,
): Record<string, unknown> {
  const run = loadG2PRun(out, CMD);
  const results: Record<string, unknown> = {};
  const logProbs: number[][] = [];
  for (const [name, width] of [
    ['greedy', 1],
    [`beam${beam}`, beam],
  ] as const) {
    const t1 = performance.now();
    const res = transcribe(run.model, run.srcVocab, run.tgtVocab, words, { beam: width });
    logProbs.push(res.map((r) => r[0].hyp.logProb));
    const hyps = new Map(words.map((w, i) => [w, res[i][0].phones]));
    const s = scoreG2P(hyps, lex);
    results[name] = { ...s, seconds: (performance.now() - t1) / 1000 };
    console.log(`test ${name}: PER ${pct(s.per)}  WER ${pct(s.wer)}  (${s.words} words)`);
    if (!stress) continue;
    const ns = scoreG2P(hyps, lex, { stress: false });
    results[`${name}_stress_removed`] = ns;
    console.log(
      `  (stress digits dropped from output and references: PER ${pct(ns.per)}  WER ${pct(ns.wer)})`,
    );
  }
  const below = logProbs[1].filter((lp, i) => lp < logProbs[0][i] - 1e-6).length;
  const above = logProbs[1].filter((lp, i) => lp > logProbs[0][i] + 1e-6).length;
  results.beamVsGreedyLogProb = { beamHigher: above, beamLower: below, words: words.length };
  console.log(
    `beam ${beam} vs greedy on the model's log-probability: higher for ${above}, lower for ${below} of ${words.length} words`,
  );
  return results;
}

/** `--eval-only`: tests the run in --out again with its own data settings; writes results-eval.json. */
function evalOnly(out: string, beam: number): number {
  const { config } = loadG2PRun(out, CMD);
  const { lex, split } = g2pData(CMD, { stress: config.stress, ...config.data });
  const results = {
    evaluatedAt: new Date().toISOString(),
    ...testRun(out, lex, split.test, beam, config.stress),
  };
  writeFileSync(join(out, 'results-eval.json'), `${JSON.stringify(results, null, 2)}\n`);
  return 0;
}

export async function runG2PTrain(argv: string[]): Promise<number> {
  const f = parseFlags(CMD, argv, FLAGS);
  if (f.values.help) {
    console.log(HELP);
    return 0;
  }
  const v = f.values;
  const out = v.out as string;
  if (v.evalOnly) return evalOnly(out, v.beam as number);
  if (existsSync(join(out, 'best')) || existsSync(join(out, 'metrics.jsonl'))) {
    if (!v.overwrite)
      throw new ConfigError(`${CMD}: ${out} already holds a run; pick another --out or pass --overwrite`);
    for (const x of ['best', 'metrics.jsonl', 'results.json'])
      rmSync(join(out, x), { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  if (v.threads !== undefined) {
    if (getBackend() !== 'wasm') throw new ConfigError(`${CMD}: --threads applies to the wasm backend`);
    if (v.threads === 2 && !threadsAvailable())
      throw new ConfigError(`${CMD}: --threads 2 needs worker threads`);
    setThreads(v.threads as 1 | 2);
  }
  const stress = v.stress === true;
  const dataOpts = {
    stress,
    splitSeed: v.splitSeed as number,
    testFraction: v.testFraction as number,
    validFraction: v.validFraction as number,
  };
  const { lex, split } = g2pData(CMD, dataOpts);
  const trainWords = v.limit !== undefined ? split.train.slice(0, v.limit as number) : split.train;
  const pairs = trainingPairs(lex, trainWords);
  const srcVocab = WordVocab.build(trainWords.map((w) => [...w].join(' ')));
  const tgtVocab = WordVocab.build(pairs.map((p) => p.phones.join(' ')));
  const ds = new PairDataset(
    pairs.map((p) => encodeWord(srcVocab, p.word)),
    pairs.map((p) => Int32Array.from(p.phones, (ph) => tgtVocab.idOf(ph))),
    { padValue: srcVocab.padId, bosId: tgtVocab.bosId, eosId: tgtVocab.eosId },
  );
  const seed = v.seed as number;
  const rng = new Rng(seed);
  const model = new Seq2Seq(
    {
      srcVocabSize: srcVocab.size,
      tgtVocabSize: tgtVocab.size,
      embedSize: v.embedSize as number,
      hiddenSize: v.hiddenSize as number,
      decoderHiddenSize:
        (v.decoderHiddenSize as number | undefined) ?? (v.unidirectional ? 1 : 2) * (v.hiddenSize as number),
      encoderLayers: v.encoderLayers as number,
      decoderLayers: v.decoderLayers as number,
      bidirectional: v.unidirectional !== true,
      cell: v.cell as 'lstm' | 'gru',
      attention: v.attention as AttentionChoice,
      inputFeeding: v.inputFeeding === true,
      dropout: v.dropout as number,
      bosId: tgtVocab.bosId,
      eosId: tgtVocab.eosId,
    },
    { rng: new Rng(seed + 1) },
  );
  const bs = v.batchSize as number;
  const maxEpochs = v.maxEpochs as number;
  const maxMinutes = v.maxMinutes as number;
  const clock = budgetClock(v.clock as 'wall' | 'cpu');
  const stepsPerEpoch = Math.ceil(ds.length / bs);
  const opt = new Adam(model.parameters(), { lr: v.lr as number });
  const sched = new BudgetCosine(
    opt,
    v.lr as number,
    v.minLrRatio as number,
    maxMinutes * 60,
    maxEpochs * stepsPerEpoch,
    clock,
  );
  const tfMin = v.teacherForcingMin as number;
  const config: G2PRunConfig = {
    kind: G2P_RUN_KIND,
    version: 1,
    model: model.toJSON(),
    srcVocab: srcVocab.toJSON(),
    tgtVocab: tgtVocab.toJSON(),
    stress,
    data: {
      ...dataOpts,
      trainWords: trainWords.length,
      validWords: split.valid.length,
      testWords: split.test.length,
      trainPairs: pairs.length,
    },
    train: { ...v, help: undefined },
  };
  const threads = getBackend() === 'wasm' ? `, ${getThreads()} thread(s)` : '';
  console.log(`${model.toString()}`);
  console.log(
    `CMUdict (${stress ? 'with stress' : 'stress removed'}): ${trainWords.length} train words (${pairs.length} pairs), ${split.valid.length} valid, ${split.test.length} test; ${srcVocab.size} letters, ${tgtVocab.size} phoneme symbols (4 special); ${getBackend()} kernels${threads}`,
  );
  const metricsPath = join(out, 'metrics.jsonl');
  const log = (o: object) => appendFileSync(metricsPath, `${JSON.stringify(o)}\n`);
  log({ type: 'config', ...config, srcVocab: undefined, tgtVocab: undefined });
  let best = Number.POSITIVE_INFINITY;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let lastValidated = -1;
  /** Greedy validation PER/WER; keeps the weights with the best WER in RUN/best. */
  const validate = (m: Seq2Seq, step: number) => {
    lastValidated = step;
    const s = scoreG2P(decodeWords(m, srcVocab, tgtVocab, split.valid, 1), lex);
    if (s.wer < best) {
      best = s.wer;
      const ck = {
        step,
        model: m,
        config: config as unknown as Record<string, unknown>,
        metrics: { val_per: s.per, val_wer: s.wer },
      };
      saveCheckpoint(join(out, 'best'), ck, { keepLast: 1 });
    }
    return { val_per: s.per, val_wer: s.wer };
  };
  const res = await fit<Seq2Seq, PairBatch>({
    model,
    optimizer: opt,
    rng,
    trainBatches: () => batches(ds, { batchSize: bs, shuffle: true, rng, bucketByLength: true }),
    stepsPerEpoch,
    epochs: maxEpochs,
    maxMinutes,
    clock,
    gradClip: (v.gradClip as number) > 0 ? (v.gradClip as number) : undefined,
    scheduler: sched,
    schedulerInterval: 'step',
    evalEvery: v.evalEvery as number,
    lossFn: (m, b) => {
      const B = b.source.lengths.length;
      const T = b.targetIn.maxLen;
      const teacherForcing = tfMin >= 1 ? 1 : 1 - (1 - tfMin) * sched.progress();
      const { logits } = m.forward({ ids: b.source.data, lengths: b.source.lengths }, b.targetIn.data, {
        teacherForcing,
        rng,
      });
      const loss = crossEntropy(reshape(logits, [T * B, tgtVocab.size]), b.targetOut, {
        labelSmoothing: v.labelSmoothing as number,
      });
      let tokens = 0;
      for (const l of b.targetIn.lengths) tokens += l;
      return { loss, tokens };
    },
    evalFn: (m, ctx) => validate(m, ctx.step),
    monitor: 'val_wer',
    callbacks: [
      (e: FitEvent) => {
        if (e.type === 'step' && e.step % 100 !== 0) return;
        if (e.type === 'step' || e.type === 'eval' || e.type === 'epochEnd' || e.type === 'end') log(e);
        if (e.type === 'step' && e.step % 500 !== 0) return;
        const line = formatEvent(e);
        if (line) console.log(line);
      },
    ],
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (lastValidated !== res.step) {
    // fit evaluates every --eval-every steps; the steps after the last evaluation count too.
    model.eval();
    const metrics = validate(model, res.step);
    log({ type: 'eval', step: res.step, final: true, metrics });
    console.log(
      `final validation at step ${res.step}: PER ${pct(metrics.val_per)}  WER ${pct(metrics.val_wer)}`,
    );
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMinutes = (cpu.user + cpu.system) / 6e7;
  console.log(
    `training stopped (${res.reason}) after ${res.step} steps, ${(trainSeconds / 60).toFixed(1)} min (process CPU ${cpuMinutes.toFixed(1)} min); best validation WER ${pct(best)}`,
  );
  // Test with the best-validation weights, greedy and beam.
  const results: Record<string, unknown> = {
    stress,
    seed,
    splitSeed: dataOpts.splitSeed,
    steps: res.step,
    epochs: res.epoch,
    trainMinutes: trainSeconds / 60,
    cpuMinutes,
    bestValWer: best,
    ...testRun(out, lex, split.test, v.beam as number, stress),
  };
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  log({ type: 'results', ...results });
  return 0;
}
