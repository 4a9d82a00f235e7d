// A tiny character language model trained with `fit`, shared by the resume test
// (test/train-resume.test.ts) and the child process of the kill test (test/helpers/train-child.ts).
// Everything random draws from one Rng: the initial weights, a random start offset of the text
// per epoch (so the batch factory depends on the RNG), and dropout (before the LSTM and between its
// two layers). Adam, a warm-up + cosine schedule stepped per batch, gradient clipping, and the
// LSTM state carried across windows (truncated BPTT) all take part, so an exact resume has to
// restore every one of them.
import { CharVocab } from '../../src/data/char-vocab.js';
import { LMStream, type LMWindow } from '../../src/data/lm-stream.js';
import { type CheckpointData, saveCheckpoint } from '../../src/io/checkpoint.js';
import type { LoadedCheckpoint } from '../../src/io/checkpoint-load.js';
import { LSTM } from '../../src/layers/lstm.js';
import { Dropout } from '../../src/nn/dropout.js';
import { Embedding } from '../../src/nn/embedding.js';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { crossEntropy } from '../../src/ops/loss.js';
import type { DType, Tensor } from '../../src/tensor/tensor.js';
import type { FitCallback, FitEvent } from '../../src/train/callbacks.js';
import { fit } from '../../src/train/fit.js';
import type { FitOptions, FitResult } from '../../src/train/fit-options.js';
import type { FitSnapshot } from '../../src/train/fit-state.js';
import { Adam } from '../../src/train/optim/adam.js';
import { CosineAnnealingLR, LinearWarmup } from '../../src/train/schedules.js';
import { Rng } from '../../src/util/rng.js';

export const TEXT = [
  'It was the best of times, it was the worst of times, it was the age of wisdom, ',
  'it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, ',
  'it was the season of Light, it was the season of Darkness, it was the spring of hope, ',
  'it was the winter of despair, we had everything before us, we had nothing before us. ',
]
  .join('')
  .repeat(4);

export type State = { h: Tensor; c: Tensor };

export class TinyCharLM extends Module {
  readonly embedding: Embedding;
  readonly drop: Dropout;
  readonly lstm: LSTM;
  readonly linear: Linear;

  constructor(vocab: number, dtype: DType, rng: Rng) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(vocab, 8, { dtype, rng }));
    this.drop = this.registerModule('drop', new Dropout(0.1, { rng }));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM({ inputSize: 8, hiddenSize: 24, numLayers: 2, dropout: 0.1, dtype, rng }),
    );
    this.linear = this.registerModule('linear', new Linear(24, vocab, { dtype, rng }));
  }

  forward(w: LMWindow, state: State | null): { logits: Tensor; state: State } {
    const e = this.drop.forward(this.embedding.forward(w.input, [w.seqLen, w.batch]));
    const out = this.lstm.forward(e, state ? { h0: state.h, c0: state.c } : {});
    return { logits: this.linear.forward(out.output), state: { h: out.h, c: out.c as Tensor } };
  }

  protected describe(): string {
    return 'TinyCharLM()';
  }
}

export interface Setup {
  model: TinyCharLM;
  optimizer: Adam;
  scheduler: LinearWarmup;
  rng: Rng;
  options: FitOptions<TinyCharLM, LMWindow, State>;
}

export interface SetupOptions {
  dtype: DType;
  /** Seed of the RNG; a resumed run may use any seed (the checkpoint overrides it). */
  seed: number;
  epochs?: number;
  maxSteps?: number;
}

/** A fresh model, optimizer, scheduler and RNG, and the fit options that train them. */
export function setup(o: SetupOptions): Setup {
  const vocab = CharVocab.build(TEXT);
  const ids = vocab.encode(TEXT);
  const rng = new Rng(o.seed);
  const model = new TinyCharLM(vocab.size, o.dtype, rng);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const after = new CosineAnnealingLR(optimizer, { tMax: 200, etaMin: 1e-4 });
  const scheduler = new LinearWarmup(optimizer, { warmupSteps: 10, after });
  const options: FitOptions<TinyCharLM, LMWindow, State> = {
    model,
    optimizer,
    scheduler,
    schedulerInterval: 'step',
    rng,
    gradClip: 1,
    epochs: o.epochs ?? 3,
    maxSteps: o.maxSteps,
    // Each epoch reads the text from a random offset (wrapping around).
    trainBatches: (_epoch) => {
      const off = rng.int(ids.length);
      const rotated = new Int32Array(ids.length);
      rotated.set(ids.subarray(off));
      rotated.set(ids.subarray(0, off), ids.length - off);
      return new LMStream(rotated, { batch: 4, seqLen: 12 });
    },
    lossFn: (m, w, state) => {
      const { logits, state: next } = m.forward(w, state);
      return { loss: crossEntropy(logits, w.target), state: next, tokens: w.seqLen * w.batch };
    },
  };
  return { model, optimizer, scheduler, rng, options };
}

/** Runs fit and returns the loss of every step (by step number) and the result. */
export async function run(
  options: FitOptions<TinyCharLM, LMWindow, State>,
  extra: Partial<FitOptions<TinyCharLM, LMWindow, State>> = {},
  onEvent?: (e: FitEvent) => void,
): Promise<{ losses: Map<number, number>; result: FitResult }> {
  const losses = new Map<number, number>();
  const cb: FitCallback = (e) => {
    if (e.type === 'step') losses.set(e.step, e.loss);
    onEvent?.(e);
  };
  const result = await fit({ ...options, ...extra, callbacks: [cb, ...(extra.callbacks ?? [])] });
  return { losses, result };
}

/** A checkpoint hook that writes to `dir` with src/io/checkpoint.ts. */
export function saveTo(dir: string, every: number) {
  return {
    every,
    save: (s: FitSnapshot) => {
      const data: CheckpointData = { ...s, config: { model: 'TinyCharLM' } };
      saveCheckpoint(dir, data, { keepLast: 2 });
    },
  };
}

/** The `resume` option from a loaded checkpoint. */
export function resumeFrom(c: LoadedCheckpoint): FitOptions<TinyCharLM, LMWindow, State>['resume'] {
  return c;
}
