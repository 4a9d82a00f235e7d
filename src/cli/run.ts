/**
 * The run folder of `recur train` and what the other commands read from it.
 *
 * ```
 * RUN/checkpoints/   the latest training state (model, optimizer, RNG, data position, step,
 *                    scheduler): `recur train --resume RUN` continues from it
 * RUN/best/          the weights with the best test bits per character so far (sample/eval use it)
 * RUN/metrics.jsonl  one JSON object per line: start, train (every --log-every steps), eval, end
 * RUN/loss.svg       train and test bits per character against the step
 * ```
 *
 * Every checkpoint's config holds the whole run description (RunConfig), so a checkpoint folder
 * alone is enough to rebuild the model and its vocabulary.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import type { IdArray } from '../data/_util.js';
import { CharVocab, type CharVocabJSON } from '../data/char-vocab.js';
import { LMStream } from '../data/lm-stream.js';
import { type LoadedCheckpoint, loadCheckpoint } from '../io/checkpoint-load.js';
import { CharLM, type CharLMJSON, type CharLMState } from '../models/char-lm.js';
import { crossEntropy } from '../ops/loss.js';
import { tidy } from '../tensor/scope.js';
import { CheckpointError, ConfigError, RecurError } from '../util/errors.js';
import type { CorpusSource } from './datasets.js';

export const RUN_FILES = {
  checkpoints: 'checkpoints',
  best: 'best',
  metrics: 'metrics.jsonl',
  plot: 'loss.svg',
} as const;

export const RUN_KIND = 'recur-char-lm-run';

/** The training settings of a run (flags after defaults), saved with every checkpoint. */
export interface TrainSettings {
  seqLength: number;
  batchSize: number;
  optimizer: 'adam' | 'adamw' | 'rmsprop' | 'sgd';
  lr: number;
  weightDecay: number;
  lrSchedule: 'constant' | 'cosine' | 'plateau';
  minLrRatio: number;
  warmupSteps: number;
  gradClip: number;
  maxEpochs: number;
  maxMinutes: number | null;
  maxSteps: number | null;
  evalEvery: number;
  logEvery: number;
  patience: number | null;
  sampleLength: number;
  seed: number;
}

export interface RunConfig {
  kind: typeof RUN_KIND;
  version: 1;
  model: CharLMJSON;
  vocab: CharVocabJSON;
  data: {
    source: CorpusSource;
    label: string;
    description: string;
    sha256: string;
    trainChars: number;
    testChars: number;
    defaultPrime: string;
    style: 'lines' | 'prose';
  };
  train: TrainSettings;
}

/** A model and vocabulary read back from a run folder. */
export interface LoadedRun {
  /** The checkpoint folder the weights came from. */
  path: string;
  which: 'best' | 'latest';
  model: CharLM;
  vocab: CharVocab;
  config: RunConfig;
  checkpoint: LoadedCheckpoint;
}

/** Throws unless `dir` is an existing directory. */
export function checkRunDir(dir: string, where: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new ConfigError(
      `${where}: ${dir}: no such run folder (expected a folder made by recur train --out)`,
    );
  }
  if (!isDir)
    throw new ConfigError(`${where}: ${dir}: not a folder (expected a run folder made by recur train)`);
}

/** Checks the shape of a RunConfig read from a checkpoint; `file` names it in messages. */
export function checkRunConfig(c: unknown, file: string, where: string): RunConfig {
  const fail = (m: string): never => {
    throw new CheckpointError(`${where}: ${file}: ${m}`);
  };
  const r = c as Partial<RunConfig> | null;
  if (typeof r !== 'object' || r === null || r.kind !== RUN_KIND) {
    return fail(`this checkpoint was not written by recur train (config.kind is ${JSON.stringify(r?.kind)})`);
  }
  if (r.version !== 1)
    return fail(`config.version ${JSON.stringify(r.version)} is not supported (expected 1)`);
  if (typeof r.data !== 'object' || r.data === null || typeof r.data.sha256 !== 'string')
    return fail('config.data is missing or malformed');
  if (typeof r.train !== 'object' || r.train === null) return fail('config.train is missing');
  return r as RunConfig;
}

/** Rebuilds the model and vocabulary a run config describes (weights not loaded). */
export function buildFromConfig(
  config: RunConfig,
  file: string,
  where: string,
): { model: CharLM; vocab: CharVocab } {
  try {
    const vocab = CharVocab.fromJSON(config.vocab);
    const model = CharLM.fromJSON(config.model);
    if (model.config.vocabSize !== vocab.size) {
      throw new CheckpointError(
        `the model's vocabSize ${model.config.vocabSize} differs from the vocabulary's ${vocab.size} characters`,
      );
    }
    return { model, vocab };
  } catch (e) {
    if (e instanceof RecurError) throw new CheckpointError(`${where}: ${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Loads a run's model: `best` (default; falls back to the latest training checkpoint when the
 * run has no best yet) or `latest`. Every problem is one CheckpointError naming the file.
 */
export function loadRun(dir: string, which: 'best' | 'latest', where: string): LoadedRun {
  checkRunDir(dir, where);
  const bestDir = join(dir, RUN_FILES.best);
  const latestDir = join(dir, RUN_FILES.checkpoints);
  let ckDir = which === 'best' && existsSync(join(bestDir, 'latest.json')) ? bestDir : latestDir;
  if (!existsSync(join(ckDir, 'latest.json'))) {
    if (which === 'latest' || !existsSync(join(bestDir, 'latest.json'))) {
      throw new CheckpointError(
        `${where}: ${dir}: no checkpoint in this folder (expected ${RUN_FILES.checkpoints}/latest.json or ${RUN_FILES.best}/latest.json, written by recur train)`,
      );
    }
    ckDir = bestDir;
  }
  let ck: LoadedCheckpoint;
  try {
    ck = loadCheckpoint(ckDir);
  } catch (e) {
    if (e instanceof RecurError)
      throw new CheckpointError(`${where}: ${e.message.replace(/^loadCheckpoint: /, '')}`);
    throw e;
  }
  const file = join(ck.path, 'checkpoint.json');
  const config = checkRunConfig(ck.config, file, where);
  const { model, vocab } = buildFromConfig(config, file, where);
  try {
    model.loadStateDict(ck.model);
  } catch (e) {
    if (e instanceof RecurError)
      throw new CheckpointError(`${where}: ${join(ck.path, 'model.safetensors')}: ${e.message}`);
    throw e;
  }
  model.eval();
  return {
    path: ck.path,
    which: ckDir === bestDir ? 'best' : 'latest',
    model,
    vocab,
    config,
    checkpoint: ck,
  };
}

export interface EvalResult {
  /** Mean cross-entropy in nats per character. */
  loss: number;
  bpc: number;
  /** Characters predicted. */
  count: number;
}

/**
 * Mean cross-entropy of the model on `ids`, predicting every id from the ones before it.
 * The ids are cut into `batch` parallel streams (as LMStream) for speed; each stream after the
 * first is warmed up on the `burnIn` characters before its start (which the previous stream
 * scores), so the result is close to that of one long stream. Runs in eval mode, without a tape.
 */
export function evaluate(
  model: CharLM,
  ids: IdArray,
  options: { batch?: number; seqLen?: number; burnIn?: number } = {},
): EvalResult {
  const n = ids.length;
  if (n < 2) throw new ConfigError(`evaluate: need at least 2 characters, got ${n}`);
  const B = Math.max(1, Math.min(options.batch ?? 16, Math.floor(n / 512)));
  const seqLen = options.seqLen ?? 128;
  const stream = new LMStream(ids, { batch: B, seqLen });
  const L = stream.streamLength;
  const W = Math.min(options.burnIn ?? 200, B > 1 ? L : 0);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      let state: CharLMState | null = null;
      if (W > 0) {
        const input = new Int32Array(W * B);
        for (let b = 0; b < B; b++) {
          const start = b === 0 ? 0 : b * L - W;
          for (let t = 0; t < W; t++) input[t * B + b] = ids[start + t];
        }
        state = model.forward(input, W, B, null).state;
        // Stream 0 has nothing before it: it starts from zeros, as a single stream would.
        const H = model.config.hiddenSize;
        for (const s of [state.h, state.c]) {
          if (!s) continue;
          for (let l = 0; l < model.config.numLayers; l++) s.data.fill(0, l * B * H, l * B * H + H);
        }
      }
      let total = 0;
      let count = 0;
      const buf = { input: new Int32Array(seqLen * B), target: new Int32Array(seqLen * B) };
      for (let i = 0; i < stream.numWindows; i++) {
        const w = stream.window(i, buf);
        const prev = state;
        // A scope per window: its tensors are freed; the state it ends in is kept.
        const r = tidy(() => {
          const out = model.forward(w.input, w.seqLen, B, prev);
          return { state: out.state, sum: crossEntropy(out.logits, w.target, { reduction: 'sum' }).item() };
        });
        state = r.state;
        total += r.sum;
        count += w.seqLen * B;
      }
      const loss = total / count;
      return { loss, bpc: loss / Math.LN2, count };
    });
  } finally {
    model.train(wasTraining);
  }
}

/** Encodes text with a run's vocabulary; an unknown character is a DataError naming it. */
export function encodeWith(vocab: CharVocab, text: string, what: string): IdArray {
  try {
    return vocab.encodeCompact(text);
  } catch (e) {
    if (e instanceof RecurError) {
      throw new (e.constructor as new (m: string) => RecurError)(
        `${what}: ${e.message
          .replace(/^CharVocab\.encodeCompact: /, '')
          .replace(/ \(UTF-16 index \d+\)/, '')
          .replace(/; build the vocabulary.*$/, '')}`,
      );
    }
    throw e;
  }
}
