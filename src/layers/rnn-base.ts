/**
 * The machinery shared by the RNN, LSTM and GRU layers: parameters under PyTorch's names and in
 * PyTorch's order, input and state validation, the loop over layers and directions, inter-layer
 * dropout, batchFirst, and the choice between the fused path (one tape node per layer and
 * direction) and the generic sequence path for variants PyTorch lacks.
 */
import { expectDType, initRecurrent } from '../cells/cell-base.js';
import { Module } from '../nn/module.js';
import { dropout } from '../ops/dropout.js';
import { concat, select, stack } from '../ops/join.js';
import { transpose } from '../ops/shape.js';
import { Tensor, zeros } from '../tensor/tensor.js';
import { ConfigError, fmtShape, ShapeError } from '../util/errors.js';
import { checkLengths, gateCount } from './fused-common.js';
import { fusedSequence } from './fused-sequence.js';
import { genericSequence } from './generic-sequence.js';
import { activationCount, type ResolvedOptions, resolveOptions, variantsInUse } from './layer-options.js';
import type { SequenceMode, SequenceOptions, SequenceParams, SequenceResult } from './sequence-types.js';

/** Per-call inputs of a recurrent layer's forward. */
export interface RecurrentForwardOptions {
  /** Initial hidden state [numLayers * numDirections, batch, Hout]; zeros when omitted. */
  h0?: Tensor;
  /** Initial cell state [numLayers * numDirections, batch, hiddenSize] (LSTM only); zeros when omitted. */
  c0?: Tensor;
  /**
   * Valid length of every batch element (1..seqLen, any order), as PyTorch's packed sequences:
   * outputs past a length are zero, h/c are taken at each sequence's own last step.
   */
  lengths?: readonly number[] | Int32Array | Tensor;
}

/** What a recurrent layer returns. */
export interface RecurrentOutput {
  /** [seqLen, batch, numDirections * Hout] ([batch, seqLen, ...] with batchFirst): the last layer's h at every step. */
  output: Tensor;
  /** [numLayers * numDirections, batch, Hout]: the final hidden state of every layer and direction. */
  h: Tensor;
  /** [numLayers * numDirections, batch, hiddenSize] for LSTM; null otherwise. */
  c: Tensor | null;
}

/** Base class of RNN, LSTM and GRU. */
export abstract class RNNBase extends Module {
  readonly mode: SequenceMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** LSTM projection size (0 = none). */
  readonly projSize: number;
  readonly dtype: 'float32' | 'float64';
  /** The resolved options, including the variant options (generic path). */
  readonly options: Readonly<ResolvedOptions>;
  private readonly layerName: 'RNN' | 'LSTM' | 'GRU';
  private readonly weights: SequenceParams[] = [];
  private readonly variants: string[];

  protected constructor(layer: 'RNN' | 'LSTM' | 'GRU', options: object) {
    super();
    const r = resolveOptions(layer, options as Record<string, unknown>);
    this.layerName = layer;
    this.options = Object.freeze(r);
    this.mode = layer === 'RNN' ? (r.nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH') : layer;
    this.inputSize = r.inputSize;
    this.hiddenSize = r.hiddenSize;
    this.numLayers = r.numLayers;
    this.bias = r.bias;
    this.batchFirst = r.batchFirst;
    this.dropout = r.dropout;
    this.bidirectional = r.bidirectional;
    this.projSize = r.projSize;
    this.dtype = r.dtype;
    this.variants = variantsInUse(r);
    const H = r.hiddenSize;
    const G = gateCount(this.mode) * H;
    const P = this.hOut;
    const D = this.numDirections;
    const init = (shape: number[]) => initRecurrent(shape, H, r.rng, r.dtype);
    for (let k = 0; k < r.numLayers; k++) {
      const inK = k === 0 ? r.inputSize : D * P;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${k}${d === 1 ? '_reverse' : ''}`;
        const reg = (name: string, t: Tensor | null) => this.registerParameter(name + sfx, t);
        const p: SequenceParams = {
          wIh: reg('weight_ih', init([G, inK])) as Tensor,
          wHh: reg('weight_hh', init([G, P])) as Tensor,
          bIh: r.bias ? reg('bias_ih', init([G])) : null,
          bHh: r.bias ? reg('bias_hh', init([G])) : null,
          wHr: r.projSize > 0 ? reg('weight_hr', init([r.projSize, H])) : null,
          peep: r.peepholes ? reg('weight_p', init([3 * H])) : null,
        };
        this.weights.push(p);
      }
    }
  }

  /** 2 when bidirectional, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Size of h: projSize when set, else hiddenSize. */
  get hOut(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** The parameter tensors of one layer and direction (0 forward, 1 reverse), not copies. */
  layerParams(layer: number, direction = 0): SequenceParams {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.numLayers) {
      throw new ConfigError(
        `${this.layerName}.layerParams: layer must be in [0, ${this.numLayers - 1}], got ${layer}`,
      );
    }
    if (direction !== 0 && !(direction === 1 && this.bidirectional)) {
      throw new ConfigError(
        `${this.layerName}.layerParams: direction must be 0${this.bidirectional ? ' or 1' : ''}, got ${direction}`,
      );
    }
    return this.weights[layer * this.numDirections + direction];
  }

  /**
   * Runs the layer over a sequence. input: [seqLen, batch, inputSize] ([batch, seqLen, inputSize]
   * with batchFirst). Returns the last layer's output at every step and the final states.
   */
  forward(input: Tensor, options: RecurrentForwardOptions = {}): RecurrentOutput {
    const where = `${this.layerName}.forward`;
    const I = this.inputSize;
    if (!(input instanceof Tensor) || input.rank !== 3 || input.shape[2] !== I) {
      const layout = this.batchFirst ? `[batch, seqLen, ${I}]` : `[seqLen, batch, ${I}]`;
      const got = input instanceof Tensor ? fmtShape(input.shape) : typeof input;
      throw new ShapeError(`${where}: input must be ${layout} (inputSize ${I}), got ${got}`);
    }
    expectDType(where, 'input', input, this.dtype);
    const x = this.batchFirst ? transpose(input, 0, 1) : input;
    const [T, B] = x.shape;
    if (T < 1 || B < 1)
      throw new ShapeError(
        `${where}: input must have seqLen >= 1 and batch >= 1, got ${fmtShape(input.shape)}`,
      );
    const lengths = this.resolveLengths(where, options.lengths, T, B);
    const LD = this.numLayers * this.numDirections;
    const P = this.hOut;
    const H = this.hiddenSize;
    const isLstm = this.mode === 'LSTM';
    const h0 = this.checkState(where, 'h0', options.h0, [LD, B, P], 'Hout');
    if (!isLstm && options.c0 !== undefined) {
      throw new ConfigError(`${where}: c0 is only for LSTM; ${this.layerName} has no cell state`);
    }
    const c0 = isLstm ? this.checkState(where, 'c0', options.c0, [LD, B, H], 'hiddenSize') : null;
    const run = this.pathFor();
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    let layerIn = x;
    for (let k = 0; k < this.numLayers; k++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < this.numDirections; d++) {
        const idx = k * this.numDirections + d;
        const hInit = h0 ? select(h0, 0, idx) : zeros([B, P], { dtype: this.dtype });
        const cInit = isLstm ? (c0 ? select(c0, 0, idx) : zeros([B, H], { dtype: this.dtype })) : null;
        const res = run(
          this.mode,
          layerIn,
          this.weights[idx],
          hInit,
          cInit,
          this.sequenceOptions(d, lengths),
        );
        outs.push(res.output);
        hs.push(res.h);
        if (res.c) cs.push(res.c);
      }
      layerIn = outs.length === 1 ? outs[0] : concat(outs, -1);
      if (this.training && this.dropout > 0 && k < this.numLayers - 1)
        layerIn = dropout(layerIn, this.dropout, { rng: this.options.rng });
    }
    return {
      output: this.batchFirst ? transpose(layerIn, 0, 1) : layerIn,
      h: stack(hs, 0),
      c: isLstm ? stack(cs, 0) : null,
    };
  }

  /** The fused ops, or the generic sequence path when a variant option is in use. */
  private pathFor(): (...a: Parameters<typeof fusedSequence>) => SequenceResult {
    if (this.variants.length === 0) return fusedSequence;
    return genericSequence;
  }

  private sequenceOptions(direction: number, lengths: Int32Array | null): SequenceOptions {
    const o: SequenceOptions = { reverse: direction === 1, lengths };
    if (this.variants.length === 0) return o;
    const r = this.options;
    if (r.activations) {
      const n = activationCount(this.mode);
      o.activations = r.activations.slice(direction * n, direction * n + n);
    }
    if (r.clip !== null) o.clip = r.clip;
    if (this.mode === 'LSTM') {
      o.inputForget = r.inputForget;
      o.forgetBias = r.forgetBias;
    }
    if (this.mode === 'GRU') o.linearBeforeReset = r.linearBeforeReset;
    o.dilation = r.dilation;
    return o;
  }

  private resolveLengths(
    where: string,
    v: RecurrentForwardOptions['lengths'],
    T: number,
    B: number,
  ): Int32Array | null {
    if (v === undefined || v === null) return null;
    let arr: ArrayLike<number>;
    if (v instanceof Tensor) {
      if (v.rank !== 1)
        throw new ShapeError(`${where}: lengths must be 1-D [${B}], got ${fmtShape(v.shape)}`);
      arr = v.data;
    } else if (Array.isArray(v) || v instanceof Int32Array) {
      arr = v;
    } else {
      throw new ConfigError(`${where}: lengths must be an array of integers, got ${typeof v}`);
    }
    checkLengths(where, arr, T, B);
    return Int32Array.from(arr);
  }

  private checkState(
    where: string,
    name: string,
    t: Tensor | undefined,
    shape: number[],
    what: string,
  ): Tensor | null {
    if (t === undefined || t === null) return null;
    if (!(t instanceof Tensor) || t.rank !== 3 || t.shape.some((d, i) => d !== shape[i])) {
      const got = t instanceof Tensor ? fmtShape(t.shape) : typeof t;
      throw new ShapeError(
        `${where}: ${name} must be ${fmtShape(shape)} ([numLayers * numDirections, batch, ${what}]), got ${got}`,
      );
    }
    expectDType(where, name, t, this.dtype);
    return t;
  }

  /** The constructor call, e.g. `LSTM(64, 256, numLayers=2)`. */
  override describe(): string {
    const r = this.options;
    const parts: string[] = [String(r.inputSize), String(r.hiddenSize)];
    if (r.numLayers !== 1) parts.push(`numLayers=${r.numLayers}`);
    if (this.layerName === 'RNN' && r.nonlinearity !== 'tanh') parts.push(`nonlinearity='${r.nonlinearity}'`);
    if (!r.bias) parts.push('bias=false');
    if (r.batchFirst) parts.push('batchFirst=true');
    if (r.dropout !== 0) parts.push(`dropout=${r.dropout}`);
    if (r.bidirectional) parts.push('bidirectional=true');
    if (r.projSize !== 0) parts.push(`projSize=${r.projSize}`);
    if (r.dtype !== 'float32') parts.push(`dtype='${r.dtype}'`);
    if (r.peepholes) parts.push('peepholes=true');
    if (r.inputForget) parts.push('inputForget=true');
    if (!r.linearBeforeReset) parts.push('linearBeforeReset=false');
    if (r.clip !== null) parts.push(`clip=${r.clip}`);
    if (r.activations) parts.push(`activations=[${r.activations.map((a) => a.kind).join(', ')}]`);
    if (r.dilation !== 1) parts.push(`dilation=${r.dilation}`);
    if (r.forgetBias !== 0) parts.push(`forgetBias=${r.forgetBias}`);
    return `${this.layerName}(${parts.join(', ')})`;
  }
}
