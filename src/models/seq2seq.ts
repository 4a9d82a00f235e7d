/**
 * An encoder-decoder (sequence-to-sequence) model with attention, for any pair of token
 * vocabularies, or feature vectors in and tokens out (image columns to a caption).
 *
 *   source ids [S, B] -> src_embed (or feature vectors [S, B, F]) -> encoder: LSTM | GRU
 *     (encoderLayers, optionally bidirectional, with lengths) -> memory [B, S, Hk = D·H]
 *   decoder state_0 = tanh(bridge_h [h_fwd; h_bwd]) per layer (c_0 = bridge_c [c_fwd; c_bwd] for an LSTM),
 *     taken from encoder layer min(k, encoderLayers - 1); zeros with bridge 'zero'
 *   target ids [T, B] -> tgt_embed -> decoder: LSTM | GRU (decoderLayers, hidden Hd) -> s_t
 *   Luong (dot, general):  c_t = attend(s_t);       h̃_t = tanh(attn_out [c_t; s_t]);  logits = out(h̃_t)
 *   Bahdanau (additive):   c_t = attend(s_{t-1});   s_t = RNN([y_{t-1}; c_t], s_{t-1});
 *                          h̃_t = tanh(attn_out [c_t; s_t]);  logits = out(h̃_t)
 *   no attention:          logits = out(s_t)
 *   input feeding (Luong): the RNN input is [y_{t-1}; h̃_{t-1}] (h̃_0 = 0).
 *
 * Two ways to run the decoder over a target, computing the same function (a test checks it):
 * - fused: with full teacher forcing, Luong attention and no input feeding, the decoder RNN runs
 *   as one fused layer over the whole target and attention for all steps is one batched matmul;
 * - stepwise: one step at a time from primitive ops with the layer's own weights (lstmStep /
 *   gruStep), needed for inference, Bahdanau attention, input feeding and scheduled sampling.
 *
 * Dropout (training only) acts on both embeddings, between stacked layers, and on h̃ (or s_t).
 * Parameter names: src_embed.weight, encoder.weight_ih_l0[_reverse], ..., bridge_h.weight,
 * bridge_c.weight, tgt_embed.weight, decoder.weight_ih_l0, ..., attention.*, attn_out.weight,
 * out.weight, out.bias.
 */
import { gruStep } from '../cells/gru-cell.js';
import { lstmStep } from '../cells/lstm-cell.js';
import { GRU } from '../layers/gru.js';
import type { LSTMOptions } from '../layers/layer-options.js';
import { LSTM } from '../layers/lstm.js';
import { Dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { dropout } from '../ops/dropout.js';
import { concat, indexSelect, select, stack } from '../ops/join.js';
import { transpose } from '../ops/shape.js';
import { logSoftmax } from '../ops/softmax.js';
import { tanh } from '../ops/unary.js';
import { type Tensor, zeros } from '../tensor/tensor.js';
import { ConfigError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { Attention, type AttentionMemory, selectMemoryRows } from './attention.js';
import type { StepDecoder } from './beam-search.js';
import { type Seq2SeqConfig, seq2seqConfig } from './seq2seq-config.js';

export { type AttentionChoice, type Seq2SeqConfig, seq2seqConfig } from './seq2seq-config.js';

/** A batch of sources: token ids time-major [S, B] or feature vectors [S, B, F], with lengths [B]. */
export type Source =
  | { ids: Int32Array; lengths: ArrayLike<number> }
  | { features: Tensor; lengths: ArrayLike<number> };

/** The decoder's recurrent state: per layer h [B, Hd] (and c for an LSTM); h̃ of the last step with input feeding. */
export interface DecoderState {
  h: Tensor[];
  c: Tensor[] | null;
  feed: Tensor | null;
}

/** What the encoder hands the decoder. */
export interface Encoded {
  memory: AttentionMemory | null;
  state: DecoderState;
  batch: number;
  srcLen: number;
}

export interface Seq2SeqForwardOptions {
  /** Probability of feeding the gold previous token (1 = teacher forcing; below 1 = scheduled sampling). */
  teacherForcing?: number;
  /** Run the decoder step by step even where the fused path applies (tests). */
  stepwise?: boolean;
  /** Draws the scheduled-sampling coins (default: the model's generator). */
  rng?: Rng;
}

export class Seq2Seq extends Module {
  readonly config: Readonly<Seq2SeqConfig>;
  readonly rng: Rng;
  readonly src_embed: Embedding | null;
  readonly encoder: LSTM | GRU;
  readonly bridge_h: Linear | null = null;
  readonly bridge_c: Linear | null = null;
  readonly tgt_embed: Embedding;
  readonly decoder: LSTM | GRU;
  readonly attention: Attention | null = null;
  readonly attn_out: Linear | null = null;
  readonly out: Linear;
  readonly drop: Dropout;

  constructor(
    config: Partial<Seq2SeqConfig> & { tgtVocabSize: number },
    options: { rng?: Rng; dtype?: 'float32' | 'float64' } = {},
  ) {
    super();
    const c = seq2seqConfig(config);
    this.config = Object.freeze(c);
    const rng = options.rng ?? new Rng(0);
    this.rng = rng;
    const o = { rng, dtype: options.dtype };
    const D = c.bidirectional ? 2 : 1;
    const Hk = D * c.hiddenSize;
    const Hd = c.decoderHiddenSize;
    const Layer = (opts: LSTMOptions): LSTM | GRU => (c.cell === 'lstm' ? new LSTM(opts) : new GRU(opts));
    const dropBetween = (n: number) => (n > 1 ? c.dropout : 0);
    this.src_embed =
      c.srcVocabSize > 0
        ? this.registerModule('src_embed', new Embedding(c.srcVocabSize, c.embedSize, o))
        : null;
    this.encoder = this.registerModule(
      'encoder',
      Layer({
        inputSize: c.srcVocabSize > 0 ? c.embedSize : c.srcFeatureSize,
        hiddenSize: c.hiddenSize,
        numLayers: c.encoderLayers,
        bidirectional: c.bidirectional,
        dropout: dropBetween(c.encoderLayers),
        ...o,
      }),
    );
    if (c.bridge === 'linear') {
      this.bridge_h = this.registerModule('bridge_h', new Linear(Hk, Hd, o));
      if (c.cell === 'lstm') this.bridge_c = this.registerModule('bridge_c', new Linear(Hk, Hd, o));
    }
    this.tgt_embed = this.registerModule('tgt_embed', new Embedding(c.tgtVocabSize, c.embedSize, o));
    const extra = c.attention === 'additive' ? Hk : c.inputFeeding ? Hd : 0;
    this.decoder = this.registerModule(
      'decoder',
      Layer({
        inputSize: c.embedSize + extra,
        hiddenSize: Hd,
        numLayers: c.decoderLayers,
        dropout: dropBetween(c.decoderLayers),
        ...o,
      }),
    );
    if (c.attention !== 'none') {
      this.attention = this.registerModule('attention', new Attention(c.attention, Hd, Hk, o));
      this.attn_out = this.registerModule('attn_out', new Linear(Hk + Hd, Hd, { ...o, bias: false }));
    }
    this.out = this.registerModule('out', new Linear(Hd, c.tgtVocabSize, o));
    this.drop = this.registerModule('drop', new Dropout(c.dropout, { rng }));
  }

  /** True when `forward` with full teacher forcing can use the fused decoder. */
  get fusable(): boolean {
    return this.config.attention !== 'additive' && !this.config.inputFeeding;
  }

  /** Runs the encoder and builds the decoder's initial state. */
  encode(src: Source): Encoded {
    const B = src.lengths.length;
    let x: Tensor;
    if ('ids' in src) {
      if (!this.src_embed)
        throw new ConfigError('Seq2Seq.encode: this model reads feature vectors; pass { features, lengths }');
      if (B < 1 || src.ids.length % B !== 0)
        throw new ShapeError(
          `Seq2Seq.encode: ids must hold S*B values for B = ${B} lengths, got ${src.ids.length}`,
        );
      x = this.drop.forward(this.src_embed.forward(src.ids, [src.ids.length / B, B]));
    } else {
      if (this.src_embed)
        throw new ConfigError('Seq2Seq.encode: this model reads token ids; pass { ids, lengths }');
      x = src.features;
    }
    const S = x.shape[0];
    const r = this.encoder.forward(x, { lengths: Int32Array.from(src.lengths) });
    const memory = this.attention ? this.attention.prepare(transpose(r.output, 0, 1), src.lengths) : null;
    return { memory, state: this.initialState(r.h, r.c, B), batch: B, srcLen: S };
  }

  private initialState(hEnc: Tensor, cEnc: Tensor | null, B: number): DecoderState {
    const c = this.config;
    const D = c.bidirectional ? 2 : 1;
    const Hd = c.decoderHiddenSize;
    const dtype = this.out.weight.dtype;
    const finals = (t: Tensor, j: number): Tensor =>
      D === 2 ? concat([select(t, 0, 2 * j), select(t, 0, 2 * j + 1)], -1) : select(t, 0, j);
    const h: Tensor[] = [];
    const cs: Tensor[] | null = c.cell === 'lstm' ? [] : null;
    for (let k = 0; k < c.decoderLayers; k++) {
      const j = Math.min(k, c.encoderLayers - 1);
      h.push(this.bridge_h ? tanh(this.bridge_h.forward(finals(hEnc, j))) : zeros([B, Hd], { dtype }));
      if (cs)
        cs.push(this.bridge_c && cEnc ? this.bridge_c.forward(finals(cEnc, j)) : zeros([B, Hd], { dtype }));
    }
    return { h, c: cs, feed: c.inputFeeding ? zeros([B, Hd], { dtype }) : null };
  }

  /** s (and the context) -> h̃ = tanh(attn_out [c; s]) (s itself without attention) and the logits. */
  private readout(s: Tensor, context: Tensor | null): { ht: Tensor; logits: Tensor } {
    const ht = this.attn_out && context ? tanh(this.attn_out.forward(concat([context, s], -1))) : s;
    return { ht, logits: this.out.forward(this.drop.forward(ht)) };
  }

  /**
   * One decoder step from `state` with the previous tokens [B]: logits [B, V], the next state and
   * the attention weights [B, S] (null without attention).
   */
  step(
    enc: Encoded,
    state: DecoderState,
    tokens: ArrayLike<number>,
  ): { logits: Tensor; state: DecoderState; weights: Tensor | null } {
    const c = this.config;
    const B = state.h[0].shape[0];
    if (tokens.length !== B)
      throw new ShapeError(`Seq2Seq.step: tokens must have ${B} ids, got ${tokens.length}`);
    let x = this.drop.forward(this.tgt_embed.forward(Int32Array.from(tokens), [B]));
    let context: Tensor | null = null;
    let weights: Tensor | null = null;
    const att = this.attention;
    const mem = enc.memory as AttentionMemory;
    if (att && c.attention === 'additive') {
      ({ context, weights } = att.step(state.h[c.decoderLayers - 1], mem));
      x = concat([x, context], -1);
    } else if (state.feed) x = concat([x, state.feed], -1);
    const h: Tensor[] = [];
    const cs: Tensor[] | null = state.c ? [] : null;
    for (let k = 0; k < c.decoderLayers; k++) {
      if (k > 0 && this.training && c.dropout > 0) x = dropout(x, c.dropout, { rng: this.rng });
      const p = this.decoder.layerParams(k);
      if (cs && state.c) {
        const r = lstmStep(x, state.h[k], state.c[k], p.wIh, p.wHh, p.bIh, p.bHh);
        h.push(r.h);
        cs.push(r.c);
      } else h.push(gruStep(x, state.h[k], p.wIh, p.wHh, p.bIh, p.bHh));
      x = h[k];
    }
    if (att && c.attention !== 'additive') ({ context, weights } = att.step(x, mem));
    const { ht, logits } = this.readout(x, context);
    return { logits, state: { h, c: cs, feed: state.feed ? ht : null }, weights };
  }

  /**
   * Decodes `targetIn` (time-major [T, B], starting with bos) given the source: logits [T, B, V]
   * and attention weights [B, T, S] (null without attention).
   */
  forward(
    src: Source,
    targetIn: Int32Array,
    options: Seq2SeqForwardOptions = {},
  ): { logits: Tensor; attention: Tensor | null } {
    const enc = this.encode(src);
    const B = enc.batch;
    if (targetIn.length % B !== 0 || targetIn.length === 0)
      throw new ShapeError(
        `Seq2Seq.forward: targetIn must hold T*B ids for B = ${B}, got ${targetIn.length}`,
      );
    const T = targetIn.length / B;
    const tf = options.teacherForcing ?? 1;
    if (!(tf >= 0 && tf <= 1))
      throw new ConfigError(`Seq2Seq.forward: teacherForcing must be in [0, 1], got ${tf}`);
    if (tf === 1 && this.fusable && !options.stepwise) return this.forwardFused(enc, targetIn, T, B);
    const rng = options.rng ?? this.rng;
    const logits: Tensor[] = [];
    const weights: Tensor[] = [];
    let state = enc.state;
    let prev = targetIn.subarray(0, B);
    for (let t = 0; t < T; t++) {
      const r = this.step(enc, state, prev);
      logits.push(r.logits);
      if (r.weights) weights.push(r.weights);
      state = r.state;
      if (t + 1 < T)
        prev =
          tf === 1
            ? targetIn.subarray((t + 1) * B, (t + 2) * B)
            : this.mix(targetIn, t + 1, B, r.logits, tf, rng);
    }
    return { logits: stack(logits, 0), attention: weights.length ? stack(weights, 1) : null };
  }

  /** Scheduled sampling (Bengio et al., 2015): per row, the gold token with probability tf, else the model's argmax. */
  private mix(targetIn: Int32Array, t: number, B: number, logits: Tensor, tf: number, rng: Rng): Int32Array {
    const V = this.config.tgtVocabSize;
    const d = logits.data;
    const next = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      if (rng.uniform() < tf) next[b] = targetIn[t * B + b];
      else {
        let best = 0;
        for (let v = 1; v < V; v++) if (d[b * V + v] > d[b * V + best]) best = v;
        next[b] = best;
      }
    }
    return next;
  }

  private forwardFused(
    enc: Encoded,
    targetIn: Int32Array,
    T: number,
    B: number,
  ): { logits: Tensor; attention: Tensor | null } {
    const x = this.drop.forward(this.tgt_embed.forward(targetIn, [T, B]));
    const s0 = enc.state;
    const r = this.decoder.forward(x, { h0: stack(s0.h, 0), c0: s0.c ? stack(s0.c, 0) : undefined });
    if (!this.attention) return { logits: this.readout(r.output, null).logits, attention: null };
    const q = transpose(r.output, 0, 1);
    const { context, weights } = this.attention.forward(q, enc.memory as AttentionMemory);
    return { logits: transpose(this.readout(q, context).logits, 0, 1), attention: weights };
  }

  /** Log-probabilities for decoding: `StepDecoder` for greedy and beam search (call under noGrad). */
  stepDecoder(src: Source): StepDecoder<DecoderState> & { encoded: Encoded } {
    const enc = this.encode(src);
    let expanded = enc;
    const model = this;
    const V = this.config.tgtVocabSize;
    return {
      encoded: enc,
      batch: enc.batch,
      vocabSize: V,
      start(k: number): DecoderState {
        const rows = new Int32Array(enc.batch * k);
        for (let i = 0; i < rows.length; i++) rows[i] = Math.floor(i / k);
        const m = enc.memory;
        const memory = m ? selectMemoryRows(m, rows) : null;
        expanded = { ...enc, memory, batch: rows.length };
        return reorderState(enc.state, rows);
      },
      step(state: DecoderState, tokens: Int32Array) {
        const r = model.step(expanded, state, tokens);
        return {
          logProbs: logSoftmax(r.logits, -1).data,
          state: r.state,
          attention: r.weights ? r.weights.data : null,
          srcLen: enc.srcLen,
        };
      },
      reorder: reorderState,
    };
  }

  toJSON(): Seq2SeqConfig & { type: 'seq2seq' } {
    return { type: 'seq2seq', ...this.config };
  }

  protected describe(): string {
    const c = this.config;
    const src = c.srcVocabSize > 0 ? `src=${c.srcVocabSize}` : `features=${c.srcFeatureSize}`;
    const bi = c.bidirectional ? 'bi-' : '';
    return `Seq2Seq(${src}, tgt=${c.tgtVocabSize}, ${bi}${c.cell} ${c.encoderLayers}x${c.hiddenSize} -> ${c.decoderLayers}x${c.decoderHiddenSize}, attention=${c.attention}${c.inputFeeding ? '+feed' : ''})`;
  }
}

/** The state rows `rows` of `s` (beam search reorders hypotheses this way). */
export function reorderState(s: DecoderState, rows: Int32Array): DecoderState {
  return {
    h: s.h.map((t) => indexSelect(t, 0, rows)),
    c: s.c ? s.c.map((t) => indexSelect(t, 0, rows)) : null,
    feed: s.feed ? indexSelect(s.feed, 0, rows) : null,
  };
}
