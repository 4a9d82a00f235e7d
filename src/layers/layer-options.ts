/**
 * Options of the recurrent layers (RNN, LSTM, GRU), checked eagerly in the constructor: sizes,
 * PyTorch's options, and the variant options that run on the generic sequence path.
 */

import { checkBool, checkDType, checkInt, checkRng } from '../cells/cell-base.js';
import type { ActivationKind, DType } from '../kernels/types.js';
import { ConfigError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { resolveActivation } from './generic-activations.js';
import type { ActivationSpec, SequenceMode } from './sequence-types.js';

/** Options shared by RNN, LSTM and GRU (PyTorch names in camelCase). */
export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers; layer k > 0 reads the full output of layer k - 1 (default 1). */
  numLayers?: number;
  /** Add b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [batch, seqLen, feature] instead of [seqLen, batch, feature] (default false). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Add a reverse direction; outputs concatenate [forward, reverse] (default false). */
  bidirectional?: boolean;
  /** Generator for the initial weights and for dropout (default: the global one). */
  rng?: Rng;
  /** Parameter dtype (default float32); inputs must have the same dtype. */
  dtype?: DType;
  /** Variant (generic path): activation functions in ONNX order, per direction or for both. */
  activations?: (ActivationKind | ActivationSpec)[];
  /** Variant (generic path): clamp gate pre-activations to [-clip, clip] (ONNX `clip`). */
  clip?: number;
  /** Variant (generic path): h_t depends on h_{t - dilation} (default 1). */
  dilation?: number;
}

export interface RNNOptions extends RecurrentOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

export interface LSTMOptions extends RecurrentOptions {
  /** Project h to this size with weight_hr (PyTorch proj_size; 0 = none, must be < hiddenSize). */
  projSize?: number;
  /** Variant (generic path): peephole connections, parameter weight_p_l{k} [3H] in ONNX order i, o, f. */
  peepholes?: boolean;
  /** Variant (generic path): coupled input-forget gate f = 1 - i (ONNX `input_forget`). */
  inputForget?: boolean;
  /** Variant (generic path): constant added to the forget-gate pre-activation (default 0). */
  forgetBias?: number;
}

export interface GRUOptions extends RecurrentOptions {
  /** true (default, PyTorch): reset gate after the recurrent matmul; false: before (generic path). */
  linearBeforeReset?: boolean;
}

/** Every option, resolved. */
export interface ResolvedOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  dropout: number;
  bidirectional: boolean;
  projSize: number;
  dtype: DType;
  rng: Rng | undefined;
  nonlinearity: 'tanh' | 'relu';
  activations: ActivationSpec[] | null;
  clip: number | null;
  dilation: number;
  peepholes: boolean;
  inputForget: boolean;
  forgetBias: number;
  linearBeforeReset: boolean;
}

const COMMON = [
  'inputSize',
  'hiddenSize',
  'numLayers',
  'bias',
  'batchFirst',
  'dropout',
  'bidirectional',
  'rng',
  'dtype',
  'activations',
  'clip',
  'dilation',
];
const BY_MODE: Record<string, string[]> = {
  RNN: ['nonlinearity'],
  LSTM: ['projSize', 'peepholes', 'inputForget', 'forgetBias'],
  GRU: ['linearBeforeReset'],
};
const OWNER: Record<string, string> = {
  nonlinearity: 'RNN',
  projSize: 'LSTM',
  peepholes: 'LSTM',
  inputForget: 'LSTM',
  forgetBias: 'LSTM',
  linearBeforeReset: 'GRU',
};

const KINDS = new Set<string>([
  'sigmoid',
  'tanh',
  'relu',
  'affine',
  'leakyrelu',
  'thresholdedrelu',
  'scaledtanh',
  'hardsigmoid',
  'elu',
  'softsign',
  'softplus',
]);

/** Activations per direction: RNN 1 (f), GRU 2 (f, g), LSTM 3 (f, g, h). */
export function activationCount(mode: SequenceMode): number {
  return mode === 'LSTM' ? 3 : mode === 'GRU' ? 2 : 1;
}

function defaultActivations(mode: SequenceMode): ActivationKind[] {
  if (mode === 'LSTM') return ['sigmoid', 'tanh', 'tanh'];
  if (mode === 'GRU') return ['sigmoid', 'tanh'];
  return [mode === 'RNN_RELU' ? 'relu' : 'tanh'];
}

function checkActivations(
  where: string,
  v: unknown,
  mode: SequenceMode,
  dirs: number,
): ActivationSpec[] | null {
  if (v === undefined) return null;
  const n = activationCount(mode);
  if (!Array.isArray(v) || (v.length !== n && v.length !== n * dirs)) {
    const lens = dirs === 2 ? `${n} (both directions) or ${2 * n} (forward then reverse)` : `${n}`;
    throw new ConfigError(
      `${where}: activations must be an array of ${lens} activations, got ${JSON.stringify(v)}`,
    );
  }
  const specs = v.map((a, i): ActivationSpec => {
    const s: ActivationSpec = typeof a === 'string' ? { kind: a as ActivationKind } : (a as ActivationSpec);
    if (!s || typeof s !== 'object' || !KINDS.has(s.kind)) {
      throw new ConfigError(
        `${where}: activations[${i}] must be one of ${[...KINDS].join(', ')}, got ${JSON.stringify(a)}`,
      );
    }
    for (const k of ['alpha', 'beta'] as const) {
      if (s[k] !== undefined && !Number.isFinite(s[k])) {
        throw new ConfigError(
          `${where}: activations[${i}].${k} must be a finite number, got ${JSON.stringify(s[k])}`,
        );
      }
    }
    // Rejects alpha/beta on functions that take none, here rather than at the first forward.
    resolveActivation(s, `${where}: activations[${i}]`);
    return { ...s };
  });
  const full = specs.length === n ? (dirs === 2 ? [...specs, ...specs] : specs) : specs;
  const dflt = defaultActivations(mode);
  const isDefault = full.every(
    (s, i) => s.kind === dflt[i % n] && s.alpha === undefined && s.beta === undefined,
  );
  return isDefault ? null : full;
}

/** Validates and resolves the options of an RNN (`layer` = 'RNN'), LSTM or GRU. */
export function resolveOptions(layer: 'RNN' | 'LSTM' | 'GRU', o: Record<string, unknown>): ResolvedOptions {
  const where = layer;
  if (!o || typeof o !== 'object')
    throw new ConfigError(`${where}: options must be an object, got ${typeof o}`);
  const allowed = new Set([...COMMON, ...BY_MODE[layer]]);
  for (const key of Object.keys(o)) {
    if (allowed.has(key) || o[key] === undefined) continue;
    const owner = OWNER[key];
    throw new ConfigError(
      owner
        ? `${where}: option ${key} applies to ${owner} only`
        : `${where}: unknown option '${key}' (known: ${[...allowed].join(', ')})`,
    );
  }
  const inputSize = checkInt(where, 'inputSize', o.inputSize);
  const hiddenSize = checkInt(where, 'hiddenSize', o.hiddenSize);
  const numLayers = checkInt(where, 'numLayers', o.numLayers ?? 1);
  const bidirectional = checkBool(where, 'bidirectional', o.bidirectional, false);
  const dropout = o.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new ConfigError(`${where}: dropout must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
  }
  if (dropout > 0 && numLayers === 1) {
    throw new ConfigError(
      `${where}: dropout applies between stacked layers, so with numLayers=1 it would have no effect (use numLayers > 1 or a Dropout module after the layer)`,
    );
  }
  const projSize = checkInt(where, 'projSize', o.projSize ?? 0, 0);
  if (projSize >= hiddenSize) {
    throw new ConfigError(
      `${where}: projSize must be smaller than hiddenSize (${hiddenSize}), got ${projSize}`,
    );
  }
  const nl = o.nonlinearity ?? 'tanh';
  if (nl !== 'tanh' && nl !== 'relu') {
    throw new ConfigError(`${where}: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
  }
  const mode: SequenceMode = layer === 'RNN' ? (nl === 'relu' ? 'RNN_RELU' : 'RNN_TANH') : layer;
  if (
    layer === 'RNN' &&
    o.nonlinearity !== undefined &&
    Array.isArray(o.activations) &&
    o.activations.length > 0
  ) {
    throw new ConfigError(`${where}: give either nonlinearity or activations, not both`);
  }
  const clip = o.clip ?? null;
  if (clip !== null && (typeof clip !== 'number' || !(clip > 0) || !Number.isFinite(clip))) {
    throw new ConfigError(`${where}: clip must be a positive finite number, got ${JSON.stringify(clip)}`);
  }
  const forgetBias = o.forgetBias ?? 0;
  if (typeof forgetBias !== 'number' || !Number.isFinite(forgetBias)) {
    throw new ConfigError(`${where}: forgetBias must be a finite number, got ${JSON.stringify(forgetBias)}`);
  }
  if (forgetBias !== 0 && o.inputForget === true) {
    throw new ConfigError(
      `${where}: forgetBias has no effect with inputForget (the forget gate is 1 - i); drop one of them`,
    );
  }
  return {
    inputSize,
    hiddenSize,
    numLayers,
    bias: checkBool(where, 'bias', o.bias, true),
    batchFirst: checkBool(where, 'batchFirst', o.batchFirst, false),
    dropout,
    bidirectional,
    projSize,
    dtype: checkDType(where, o.dtype),
    rng: checkRng(where, o.rng),
    nonlinearity: nl,
    activations: checkActivations(where, o.activations, mode, bidirectional ? 2 : 1),
    clip: clip as number | null,
    dilation: checkInt(where, 'dilation', o.dilation ?? 1),
    peepholes: checkBool(where, 'peepholes', o.peepholes, false),
    inputForget: checkBool(where, 'inputForget', o.inputForget, false),
    forgetBias,
    linearBeforeReset: checkBool(where, 'linearBeforeReset', o.linearBeforeReset, true),
  };
}

/** The names of the variant options set to non-default values (empty: the fused path applies). */
export function variantsInUse(r: ResolvedOptions): string[] {
  const v: string[] = [];
  if (r.peepholes) v.push('peepholes');
  if (r.inputForget) v.push('inputForget');
  if (!r.linearBeforeReset) v.push('linearBeforeReset=false');
  if (r.clip !== null) v.push('clip');
  if (r.activations) v.push('activations');
  if (r.dilation !== 1) v.push('dilation');
  if (r.forgetBias !== 0) v.push('forgetBias');
  return v;
}
