/**
 * Sampling from a CharLM, one character at a time as in char-rnn's sample.lua: the prime is run
 * through the model in one call, then each drawn character is fed back in with the carried state.
 *
 * The next id is drawn from softmax(logits / temperature) restricted to the `topK` largest logits
 * (all of them when topK is 0). Temperature 0 means greedy decoding (always the most likely id).
 * Every draw takes one `rng.uniform()`, so the same seed gives the same text.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from '../tensor/scope.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { CharLM, CharLMState } from './char-lm.js';

export interface SampleOptions {
  /** Ids fed to the model first (at least one). */
  prime: ArrayLike<number>;
  /** Number of ids to generate. */
  length: number;
  /** Softmax temperature, >= 0 (default 1; 0 is greedy). */
  temperature?: number;
  /** Sample only among the k most likely ids (default 0: all). */
  topK?: number;
  /** Generator of the draws (default: new Rng(0)). */
  rng?: Rng;
  /** Called with every generated id as soon as it is drawn (for streaming output). */
  onToken?: (id: number) => void;
}

/**
 * Draws an id from `logits` (one row) with the given temperature and top-k. `scratch` must hold
 * at least logits.length numbers. Pure function of its inputs and one rng.uniform() draw.
 */
export function drawId(
  logits: ArrayLike<number>,
  temperature: number,
  topK: number,
  rng: Rng,
  scratch: Float64Array = new Float64Array(logits.length),
): number {
  const V = logits.length;
  let best = 0;
  for (let j = 1; j < V; j++) if (logits[j] > logits[best]) best = j;
  if (temperature === 0 || topK === 1) {
    rng.uniform(); // keep one draw per id whatever the settings, so streams stay aligned
    return best;
  }
  // The k-th largest logit is the cut-off (ties at the cut-off are all kept).
  let cut = Number.NEGATIVE_INFINITY;
  if (topK > 0 && topK < V) {
    const sorted = Array.from(logits).sort((a, b) => b - a);
    cut = sorted[topK - 1];
  }
  const max = logits[best];
  let sum = 0;
  for (let j = 0; j < V; j++) {
    const p = logits[j] >= cut ? Math.exp((logits[j] - max) / temperature) : 0;
    scratch[j] = p;
    sum += p;
  }
  let u = rng.uniform() * sum;
  for (let j = 0; j < V; j++) {
    u -= scratch[j];
    if (u < 0) return j;
  }
  // Rounding left u >= 0 after the last id: take the last id with a non-zero weight.
  for (let j = V - 1; j >= 0; j--) if (scratch[j] > 0) return j;
  return best;
}

/** Generates `length` ids after `prime`; returns only the generated ids. The model is left in its mode. */
export function sample(model: CharLM, options: SampleOptions): Int32Array {
  const where = 'sample';
  const { prime, length } = options;
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const rng = options.rng ?? new Rng(0);
  const V = model.config.vocabSize;
  if (!prime || typeof prime.length !== 'number' || prime.length < 1) {
    throw new ConfigError(`${where}: prime must hold at least one id`);
  }
  for (let i = 0; i < prime.length; i++) {
    const id = prime[i];
    if (!Number.isInteger(id) || id < 0 || id >= V) {
      throw new ConfigError(`${where}: prime[${i}] must be an id in [0, ${V - 1}], got ${id}`);
    }
  }
  if (!Number.isInteger(length) || length < 0) {
    throw new ConfigError(`${where}: length must be an integer >= 0, got ${length}`);
  }
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new ConfigError(`${where}: temperature must be a finite number >= 0, got ${temperature}`);
  }
  if (!Number.isInteger(topK) || topK < 0) {
    throw new ConfigError(`${where}: topK must be an integer >= 0 (0: no limit), got ${topK}`);
  }
  if (!(rng instanceof Rng)) throw new ConfigError(`${where}: rng must be an Rng`);
  const out = new Int32Array(length);
  if (length === 0) return out;
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      const scratch = new Float64Array(V);
      const ids = Int32Array.from(prime);
      // One tidy() scope per step: the last logits row is copied out, the state is kept.
      const step = (input: Int32Array, s: CharLMState | null) =>
        tidy(() => {
          const r = model.forward(input, input.length, 1, s);
          return { row: r.logits.data.slice((input.length - 1) * V, input.length * V), state: r.state };
        });
      let { row, state } = step(ids, null);
      const one = new Int32Array(1);
      for (let i = 0; i < length; i++) {
        const id = drawId(row, temperature, topK, rng, scratch);
        out[i] = id;
        options.onToken?.(id);
        if (i === length - 1) break;
        one[0] = id;
        ({ row, state } = step(one, state));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}
