/**
 * The configuration of a Seq2Seq model (seq2seq.ts): sizes, cell, attention and options, with
 * their defaults and eager validation (an inconsistent combination is a ConfigError naming it).
 */
import { dropRate, intAtLeast, oneOf } from '../util/checks.js';
import { ConfigError } from '../util/errors.js';
import { ATTENTION_KINDS, type AttentionKind } from './attention.js';

export type AttentionChoice = 'none' | AttentionKind;

export interface Seq2SeqConfig {
  /** Source vocabulary size, or 0 when the source is feature vectors of `srcFeatureSize`. */
  srcVocabSize: number;
  srcFeatureSize: number;
  tgtVocabSize: number;
  embedSize: number;
  /** Encoder units per direction. */
  hiddenSize: number;
  /** Decoder units (default: the encoder output size D·hiddenSize). */
  decoderHiddenSize: number;
  encoderLayers: number;
  decoderLayers: number;
  bidirectional: boolean;
  cell: 'lstm' | 'gru';
  attention: AttentionChoice;
  inputFeeding: boolean;
  dropout: number;
  bridge: 'linear' | 'zero';
  /** Start and end tokens of the target vocabulary. */
  bosId: number;
  eosId: number;
}

/** The config with defaults filled in and every value checked. */
export function seq2seqConfig(c: Partial<Seq2SeqConfig> & { tgtVocabSize: number }): Seq2SeqConfig {
  const where = 'Seq2Seq';
  const int = (name: string, v: unknown, min = 1): number => intAtLeast(where, name, v, min);
  const pick = <T>(name: string, v: T | undefined, dflt: T, ok: readonly T[]): T =>
    oneOf(where, name, v ?? dflt, ok);
  const srcVocabSize = int('srcVocabSize', c.srcVocabSize ?? 0, 0);
  const srcFeatureSize = int('srcFeatureSize', c.srcFeatureSize ?? 0, srcVocabSize === 0 ? 1 : 0);
  const bidirectional = pick('bidirectional', c.bidirectional, true, [true, false]);
  const hiddenSize = int('hiddenSize', c.hiddenSize ?? 128);
  const attention = pick<AttentionChoice>('attention', c.attention, 'general', ['none', ...ATTENTION_KINDS]);
  const inputFeeding = pick('inputFeeding', c.inputFeeding, false, [true, false]);
  if (inputFeeding && attention !== 'dot' && attention !== 'general') {
    throw new ConfigError(
      `${where}: inputFeeding goes with Luong attention ('dot' or 'general'), got attention '${attention}'`,
    );
  }
  const dropoutP = dropRate(where, 'dropout', c.dropout);
  const tgtVocabSize = int('tgtVocabSize', c.tgtVocabSize);
  const bosId = int('bosId', c.bosId ?? 2, 0);
  const eosId = int('eosId', c.eosId ?? 3, 0);
  if (bosId >= tgtVocabSize || eosId >= tgtVocabSize)
    throw new ConfigError(
      `${where}: bosId and eosId must be < tgtVocabSize ${tgtVocabSize}, got ${bosId}, ${eosId}`,
    );
  return {
    srcVocabSize,
    srcFeatureSize,
    tgtVocabSize,
    embedSize: int('embedSize', c.embedSize ?? 64),
    hiddenSize,
    decoderHiddenSize: int('decoderHiddenSize', c.decoderHiddenSize ?? (bidirectional ? 2 : 1) * hiddenSize),
    encoderLayers: int('encoderLayers', c.encoderLayers ?? 1),
    decoderLayers: int('decoderLayers', c.decoderLayers ?? 1),
    bidirectional,
    cell: pick<'lstm' | 'gru'>('cell', c.cell, 'lstm', ['lstm', 'gru']),
    attention,
    inputFeeding,
    dropout: dropoutP,
    bridge: pick<'linear' | 'zero'>('bridge', c.bridge, 'linear', ['linear', 'zero']),
    bosId,
    eosId,
  };
}
