/**
 * What RTRL (rtrl.ts) runs on: the recurrence mode and the parameters of one layer in one
 * direction, by PyTorch name, taken from an RNN, GRU or LSTM layer or cell or from a plain
 * parameter object, with their names, shapes and dtypes checked.
 */
import { GRUCell } from '../cells/gru-cell.js';
import { LSTMCell } from '../cells/lstm-cell.js';
import { RNNCell } from '../cells/rnn-cell.js';
import type { DType } from '../kernels/types.js';
import { variantsInUse } from '../layers/layer-options.js';
import { RNNBase } from '../layers/rnn-base.js';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { ConfigError, DTypeError, fmtShape, ShapeError } from '../util/errors.js';

export type RTRLMode = 'RNN_TANH' | 'RNN_RELU' | 'GRU' | 'LSTM';

/** Parameters by PyTorch name (with or without the `_l0` suffix). */
export interface RTRLParams {
  [name: string]: Tensor | null | undefined;
}

export interface RTRLOptions {
  /** Required for a plain parameter object; checked against the mode of a layer or cell. */
  mode?: RTRLMode;
}

/** Gate blocks of each mode (rows of weight_ih are GATES[mode] * hiddenSize). */
export const GATES: Record<RTRLMode, number> = { RNN_TANH: 1, RNN_RELU: 1, GRU: 3, LSTM: 4 };
const W = 'RTRL';

function sourceMode(src: Module | RTRLParams): RTRLMode | null {
  if (src instanceof RNNBase) {
    if (src.numLayers !== 1 || src.bidirectional || src.projSize !== 0) {
      throw new ConfigError(
        `${W}: the layer must have numLayers 1, one direction and no projection, got ${src.toString().split('  #')[0]}`,
      );
    }
    const v = variantsInUse(src.options);
    if (v.length > 0)
      throw new ConfigError(`${W}: variant options are not supported (the layer uses ${v.join(', ')})`);
    return src.mode;
  }
  if (src instanceof LSTMCell) return 'LSTM';
  if (src instanceof GRUCell) return 'GRU';
  if (src instanceof RNNCell) return src.nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH';
  if (src instanceof Module) {
    throw new ConfigError(
      `${W}: the module must be an RNN, GRU or LSTM layer or cell, got ${src.constructor.name}`,
    );
  }
  return null;
}

/** A parameter: its name in the source, and the tensor. */
export type NamedParam = [string, Tensor];

/** The checked mode, sizes, dtype and parameters of an RTRL source. */
export interface RTRLSource {
  mode: RTRLMode;
  inputSize: number;
  hiddenSize: number;
  dtype: DType;
  wih: NamedParam;
  whh: NamedParam;
  bih: NamedParam | null;
  bhh: NamedParam | null;
}

/** Finds and checks the mode and the parameters of `source`, as the RTRL constructor takes it. */
export function resolveSource(source: Module | RTRLParams, options: RTRLOptions): RTRLSource {
  const fromSource = sourceMode(source);
  const mode = options.mode ?? fromSource;
  if (!mode || !(mode in GATES)) {
    throw new ConfigError(
      `${W}: options.mode must be 'RNN_TANH', 'RNN_RELU', 'GRU' or 'LSTM', got ${JSON.stringify(options.mode)}`,
    );
  }
  if (fromSource && options.mode && options.mode !== fromSource) {
    throw new ConfigError(`${W}: options.mode is ${options.mode} but the module is ${fromSource}`);
  }
  const named: [string, Tensor | null | undefined][] =
    source instanceof Module ? source.namedParameters() : Object.entries(source as RTRLParams);
  const find = (base: string): [string, Tensor] | null => {
    const hit = named.find(([n]) => n === base || n === `${base}_l0`);
    if (!hit?.[1]) return null;
    if (!(hit[1] instanceof Tensor)) throw new ConfigError(`${W}: parameter ${hit[0]} must be a Tensor`);
    return [hit[0], hit[1]];
  };
  for (const [n, t] of named) {
    if (t && !/^(weight_ih|weight_hh|bias_ih|bias_hh)(_l0)?$/.test(n)) {
      throw new ConfigError(
        `${W}: unsupported parameter '${n}' (only weight_ih, weight_hh, bias_ih, bias_hh of one layer)`,
      );
    }
  }
  const wih = find('weight_ih');
  const whh = find('weight_hh');
  if (!wih || !whh)
    throw new ConfigError(`${W}: weight_ih and weight_hh are required (PyTorch names, optionally with _l0)`);
  const G = GATES[mode];
  const [GH, I] = wih[1].shape;
  const H = GH / G;
  if (wih[1].rank !== 2 || !Number.isInteger(H) || H < 1) {
    throw new ShapeError(
      `${W}: ${wih[0]} must be [${G} * hiddenSize, inputSize] for ${mode}, got ${fmtShape(wih[1].shape)}`,
    );
  }
  const dtype = wih[1].dtype;
  const check = (e: [string, Tensor], shape: number[]) => {
    if (e[1].dtype !== dtype)
      throw new DTypeError(`${W}: ${e[0]} is ${e[1].dtype} but ${wih[0]} is ${dtype}`);
    if (e[1].rank !== shape.length || e[1].shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`${W}: ${e[0]} must be ${fmtShape(shape)}, got ${fmtShape(e[1].shape)}`);
    }
  };
  check(whh, [GH, H]);
  const bih = find('bias_ih');
  const bhh = find('bias_hh');
  if (bih) check(bih, [GH]);
  if (bhh) check(bhh, [GH]);
  return { mode, inputSize: I, hiddenSize: H, dtype, wih, whh, bih, bhh };
}
