/**
 * A character-level language model in the char-rnn tradition (Karpathy, 2015), laid out as
 * PyTorch's examples/word_language_model `RNNModel` so its parameter names carry over:
 *
 *   ids [T, B] -> encoder: Embedding(V, E) -> rnn: LSTM | GRU | RNN(E, H, numLayers, dropout)
 *              -> drop: Dropout(p) -> decoder: Linear(H, V) -> logits [T*B, V]
 *
 * Parameter names: `encoder.weight`, `rnn.weight_ih_l0`, ..., `decoder.weight`, `decoder.bias`.
 * `dropout` applies between stacked recurrent layers (PyTorch's `dropout` option, only when
 * numLayers > 1) and to the last layer's output before the decoder. Deviation from the PyTorch
 * example: no dropout on the embedding output, and no weight tying (E and H usually differ here).
 *
 * The recurrent state is explicit: `forward(ids, T, B, state)` returns the final state, which the
 * caller detaches and passes back for truncated backpropagation through time.
 */

import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import { Dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import type { IndexInput } from '../ops/embedding.js';
import { reshape } from '../ops/shape.js';
import { type Tensor, zeros } from '../tensor/tensor.js';
import { dropRate, oneOf, positiveInt } from '../util/checks.js';
import { ConfigError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** The recurrent cell of a CharLM. */
export type CellKind = 'lstm' | 'gru' | 'rnn';

export const CELL_KINDS: readonly CellKind[] = ['lstm', 'gru', 'rnn'];

/** Everything needed to rebuild a CharLM (saved with every checkpoint). */
export interface CharLMConfig {
  /** Number of distinct characters (the size of the input and output layers). */
  vocabSize: number;
  cell: CellKind;
  /** Size of the character embedding. */
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout probability in [0, 1): between recurrent layers and before the decoder. */
  dropout: number;
}

/** The saved form: the config plus a tag, so a checkpoint of another model is recognized. */
export interface CharLMJSON extends CharLMConfig {
  type: 'char-lm';
}

/** Recurrent state: h [numLayers, B, H]; c the same for an LSTM, null otherwise. */
export interface CharLMState {
  h: Tensor;
  c: Tensor | null;
}

export interface CharLMOptions {
  /** Generator for the initial weights and the dropout masks (default: a new Rng(0)). */
  rng?: Rng;
}

function checkConfig(c: unknown, where: string): CharLMConfig {
  if (typeof c !== 'object' || c === null) throw new ConfigError(`${where}: config must be an object`);
  const o = c as Record<string, unknown>;
  const int = (name: string): number => positiveInt(where, name, o[name]);
  const cell = oneOf(where, 'cell', o.cell, CELL_KINDS);
  const dropout = dropRate(where, 'dropout', o.dropout);
  return {
    vocabSize: int('vocabSize'),
    cell,
    embedSize: int('embedSize'),
    hiddenSize: int('hiddenSize'),
    numLayers: int('numLayers'),
    dropout,
  };
}

export class CharLM extends Module {
  readonly config: Readonly<CharLMConfig>;
  readonly encoder: Embedding;
  readonly rnn: LSTM | GRU | RNN;
  readonly drop: Dropout;
  readonly decoder: Linear;
  /** The generator of the dropout masks; its state belongs in a checkpoint for exact resumption. */
  readonly rng: Rng;

  constructor(config: CharLMConfig, options: CharLMOptions = {}) {
    super();
    const c = checkConfig(config, 'CharLM');
    const rng = options.rng ?? new Rng(0);
    if (!(rng instanceof Rng)) throw new ConfigError('CharLM: options.rng must be an Rng');
    this.config = Object.freeze(c);
    this.rng = rng;
    this.encoder = this.registerModule('encoder', new Embedding(c.vocabSize, c.embedSize, { rng }));
    const layer = {
      inputSize: c.embedSize,
      hiddenSize: c.hiddenSize,
      numLayers: c.numLayers,
      // The layers reject dropout with one layer (it would do nothing there).
      dropout: c.numLayers > 1 ? c.dropout : 0,
      rng,
    };
    this.rnn = this.registerModule(
      'rnn',
      c.cell === 'lstm' ? new LSTM(layer) : c.cell === 'gru' ? new GRU(layer) : new RNN(layer),
    );
    this.drop = this.registerModule('drop', new Dropout(c.dropout, { rng }));
    this.decoder = this.registerModule('decoder', new Linear(c.hiddenSize, c.vocabSize, { rng }));
  }

  /** Rebuilds a model from `toJSON()` output (weights are loaded separately). */
  static fromJSON(json: unknown, options: CharLMOptions = {}): CharLM {
    const j = json as Partial<CharLMJSON> | null;
    if (typeof j !== 'object' || j === null || j.type !== 'char-lm') {
      throw new ConfigError(
        `CharLM.fromJSON: expected an object with type 'char-lm', got ${JSON.stringify((j as { type?: unknown } | null)?.type ?? j)}`,
      );
    }
    return new CharLM(checkConfig(j, 'CharLM.fromJSON'), options);
  }

  toJSON(): CharLMJSON {
    return { type: 'char-lm', ...this.config };
  }

  /** The zero state for a batch of `batch` sequences. */
  initialState(batch: number): CharLMState {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new ConfigError(`CharLM.initialState: batch must be a positive integer, got ${batch}`);
    }
    const { numLayers, hiddenSize, cell } = this.config;
    return {
      h: zeros([numLayers, batch, hiddenSize]),
      c: cell === 'lstm' ? zeros([numLayers, batch, hiddenSize]) : null,
    };
  }

  /**
   * ids: time-major [T, B] (element (t, b) at t*B + b), any integer array. Returns the logits
   * [T*B, vocabSize] in the same order and the final state. Without `state` it starts from zeros.
   */
  forward(
    ids: IndexInput,
    T: number,
    B: number,
    state?: CharLMState | null,
  ): { logits: Tensor; state: CharLMState } {
    const where = 'CharLM.forward';
    if (!Number.isInteger(T) || T < 1 || !Number.isInteger(B) || B < 1) {
      throw new ShapeError(`${where}: T and B must be positive integers, got T=${T}, B=${B}`);
    }
    const n = (ids as { length?: number; size?: number }).length ?? (ids as Tensor).size;
    if (n !== T * B) throw new ShapeError(`${where}: ids must hold T*B = ${T * B} ids, got ${n}`);
    const x = this.encoder.forward(ids, [T, B]);
    const out = this.rnn.forward(x, state ? { h0: state.h, c0: state.c ?? undefined } : {});
    const y = this.drop.forward(out.output);
    const logits = this.decoder.forward(reshape(y, [T * B, this.config.hiddenSize]));
    return { logits, state: { h: out.h, c: out.c } };
  }

  /** The state without its graph link (for truncated BPTT: gradients stop at window borders). */
  static detachState(s: CharLMState): CharLMState {
    return { h: s.h.detach(), c: s.c ? s.c.detach() : null };
  }

  /** One line per sub-module, as `toString()` gives them, for a model summary. */
  summary(): string[] {
    return [
      this.toString(),
      ...[this.encoder, this.rnn, this.drop, this.decoder].map((m) => `  ${m.toString()}`),
    ];
  }

  protected describe(): string {
    const c = this.config;
    const d = c.dropout > 0 ? `, dropout=${c.dropout}` : '';
    return `CharLM(${c.cell}, vocab=${c.vocabSize}, embed=${c.embedSize}, hidden=${c.hiddenSize}, layers=${c.numLayers}${d})`;
  }
}
