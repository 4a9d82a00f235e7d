/**
 * Attention over a padded, masked memory (the encoder outputs of a batch), for sequence-to-sequence
 * decoders. For a query q (a decoder state) and memory rows h̄_1..h̄_S of one batch element:
 *
 *   dot       score(q, h̄_s) = qᵀ h̄_s                        (Luong et al., 2015; needs Hq = Hk)
 *   general   score(q, h̄_s) = qᵀ W_a h̄_s                    (Luong; W_a: `linear_in.weight` [Hq, Hk])
 *   additive  score(q, h̄_s) = vᵀ tanh(W_q q + W_k h̄_s)      (Bahdanau et al., 2015; `query_layer`,
 *                                                            `key_layer` [A, ·], `energy_layer` [1, A])
 *   a_s = softmax_s(score) over the valid positions s < length (padded positions get exactly 0)
 *   context = Σ_s a_s h̄_s
 *
 * The part of the score that depends only on the memory (W_a h̄ for general, W_k h̄ for additive)
 * is computed once per sequence in `prepare`, not once per decoder step. Queries come in blocks:
 * [B, Tq, Hq] scores every step of a teacher-forced decoder with one batched matmul; a single
 * decoder step is Tq = 1.
 *
 * Shapes: memory values [B, S, Hk] (batch-major); lengths [B] in 1..S; scores and weights
 * [B, Tq, S]; context [B, Tq, Hk].
 */
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { add } from '../ops/elementwise.js';
import { indexSelect } from '../ops/join.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/shape.js';
import { softmax } from '../ops/softmax.js';
import { tanh } from '../ops/unary.js';
import { maskedFill } from '../ops/where.js';
import { type DType, Tensor } from '../tensor/tensor.js';
import { ConfigError, fmtShape, ShapeError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

export type AttentionKind = 'dot' | 'general' | 'additive';

export const ATTENTION_KINDS: readonly AttentionKind[] = ['dot', 'general', 'additive'];

export interface AttentionOptions {
  /** Size A of the additive attention's hidden layer (default: keySize). */
  attentionSize?: number;
  rng?: Rng;
  dtype?: DType;
}

/** The memory a decoder attends to, with the query-independent part of the score precomputed. */
export interface AttentionMemory {
  /** [B, S, Hk]: what the context averages. */
  values: Tensor;
  /** [B, S, ·]: values (dot), values·W_aᵀ (general) or values·W_kᵀ (additive). */
  keys: Tensor;
  /** Valid positions per row, each in 1..S. */
  lengths: Int32Array;
  /** [B, 1, S], 1 at padded positions (broadcast over the queries). */
  padMask: Tensor;
}

/** The padding mask [B, 1, S] for `lengths` (1 where s >= length). */
export function paddingMask(lengths: ArrayLike<number>, S: number): Tensor {
  const B = lengths.length;
  const m = new Float32Array(B * S);
  for (let b = 0; b < B; b++) {
    const L = lengths[b];
    if (!Number.isInteger(L) || L < 1 || L > S) {
      throw new ShapeError(`paddingMask: lengths[${b}] must be an integer in [1, ${S}], got ${L}`);
    }
    m.fill(1, b * S + L, (b + 1) * S);
  }
  return new Tensor(m, [B, 1, S]);
}

/** The memory of batch rows `rows` (repeats allowed): beam search gives every hypothesis its row. */
export function selectMemoryRows(m: AttentionMemory, rows: Int32Array): AttentionMemory {
  const lengths = Int32Array.from(rows, (r) => m.lengths[r]);
  const values = indexSelect(m.values, 0, rows);
  const keys = m.keys === m.values ? values : indexSelect(m.keys, 0, rows);
  return { values, keys, lengths, padMask: paddingMask(lengths, m.values.shape[1]) };
}

export class Attention extends Module {
  readonly kind: AttentionKind;
  readonly querySize: number;
  readonly keySize: number;
  readonly attentionSize: number;
  readonly linear_in: Linear | null = null;
  readonly query_layer: Linear | null = null;
  readonly key_layer: Linear | null = null;
  readonly energy_layer: Linear | null = null;

  constructor(kind: AttentionKind, querySize: number, keySize: number, options: AttentionOptions = {}) {
    super();
    if (!ATTENTION_KINDS.includes(kind)) {
      throw new ConfigError(
        `Attention: kind must be one of ${ATTENTION_KINDS.join(', ')}, got ${JSON.stringify(kind)}`,
      );
    }
    for (const [n, v] of [
      ['querySize', querySize],
      ['keySize', keySize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new ConfigError(`Attention: ${n} must be a positive integer, got ${v}`);
    }
    if (kind === 'dot' && querySize !== keySize) {
      throw new ConfigError(
        `Attention: 'dot' needs querySize = keySize, got ${querySize} and ${keySize}; use 'general' or 'additive'`,
      );
    }
    this.kind = kind;
    this.querySize = querySize;
    this.keySize = keySize;
    this.attentionSize = options.attentionSize ?? keySize;
    const o = { rng: options.rng, dtype: options.dtype };
    if (kind === 'general') {
      this.linear_in = this.registerModule(
        'linear_in',
        new Linear(keySize, querySize, { ...o, bias: false }),
      );
    } else if (kind === 'additive') {
      const A = this.attentionSize;
      this.query_layer = this.registerModule('query_layer', new Linear(querySize, A, { ...o, bias: false }));
      this.key_layer = this.registerModule('key_layer', new Linear(keySize, A, { ...o, bias: false }));
      this.energy_layer = this.registerModule('energy_layer', new Linear(A, 1, { ...o, bias: false }));
    }
  }

  /** Precomputes the keys of `values` [B, S, Hk] with valid `lengths` [B]. */
  prepare(values: Tensor, lengths: ArrayLike<number>): AttentionMemory {
    if (values.rank !== 3 || values.shape[2] !== this.keySize || values.shape[0] !== lengths.length) {
      throw new ShapeError(
        `Attention.prepare: values must be [batch, S, ${this.keySize}] with one length per row (${lengths.length}), got ${fmtShape(values.shape)}`,
      );
    }
    const keys =
      this.kind === 'general'
        ? (this.linear_in as Linear).forward(values)
        : this.kind === 'additive'
          ? (this.key_layer as Linear).forward(values)
          : values;
    return {
      values,
      keys,
      lengths: Int32Array.from(lengths),
      padMask: paddingMask(lengths, values.shape[1]),
    };
  }

  /** Masked scores [B, Tq, S] of queries [B, Tq, Hq] (-Infinity at padded positions). */
  scores(query: Tensor, memory: AttentionMemory): Tensor {
    const [B, S] = memory.values.shape;
    if (query.rank !== 3 || query.shape[0] !== B || query.shape[2] !== this.querySize) {
      throw new ShapeError(
        `Attention.scores: query must be [${B}, Tq, ${this.querySize}], got ${fmtShape(query.shape)}`,
      );
    }
    let s: Tensor;
    if (this.kind === 'additive') {
      const Tq = query.shape[1];
      const A = this.attentionSize;
      const q = reshape((this.query_layer as Linear).forward(query), [B, Tq, 1, A]);
      const k = reshape(memory.keys, [B, 1, S, A]);
      const e = (this.energy_layer as Linear).forward(tanh(add(q, k)));
      s = reshape(e, [B, Tq, S]);
    } else {
      s = matmul(query, memory.keys, { transB: true });
    }
    return maskedFill(s, memory.padMask, Number.NEGATIVE_INFINITY);
  }

  /** query [B, Tq, Hq] -> context [B, Tq, Hk] and weights [B, Tq, S]. */
  forward(query: Tensor, memory: AttentionMemory): { context: Tensor; weights: Tensor } {
    const weights = softmax(this.scores(query, memory), -1);
    return { context: matmul(weights, memory.values), weights };
  }

  /** One decoder step: query [B, Hq] -> context [B, Hk] and weights [B, S]. */
  step(query: Tensor, memory: AttentionMemory): { context: Tensor; weights: Tensor } {
    const [B, S] = memory.values.shape;
    const r = this.forward(reshape(query, [B, 1, this.querySize]), memory);
    return { context: reshape(r.context, [B, this.keySize]), weights: reshape(r.weights, [B, S]) };
  }

  protected describe(): string {
    const extra = this.kind === 'additive' ? `, attentionSize=${this.attentionSize}` : '';
    return `Attention('${this.kind}', ${this.querySize}, ${this.keySize}${extra})`;
  }
}
