/**
 * The model the long-range memory tasks (long-range.ts) train: a one-layer RNN, LSTM or GRU with a
 * linear readout, and the gate-bias initializations (PyTorch's, forget-bias 1, chrono) compared on
 * those tasks.
 */
import { initForgetBias } from '../layers/generic-init.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { select } from '../ops/join.js';
import { reshape } from '../ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** The recurrent cell of a SequenceModel. */
export type CellKind = 'lstm' | 'gru' | 'rnn';
export const CELL_KINDS: readonly CellKind[] = ['lstm', 'gru', 'rnn'];

/**
 * How the gate biases of an LSTM or GRU start (a vanilla RNN has no gates and always keeps
 * PyTorch's initialization):
 * - 'pytorch': PyTorch's U(-1/√H, 1/√H) for every bias;
 * - 'forget-bias': LSTM forget-gate bias 1 (Gers et al., 2000; Jozefowicz et al., 2015); a GRU
 *   is left as PyTorch initializes it;
 * - 'chrono': chrono initialization (Tallec and Ollivier, 2018, "Can recurrent neural networks
 *   warp time?", eq. 16) for dependencies up to `chronoTmax` steps: LSTM forget bias
 *   b_f ~ log(U(1, Tmax - 1)) and input bias b_i = -b_f; GRU update-gate bias
 *   b_z ~ log(U(1, Tmax - 1)) (PyTorch's GRU keeps the old state with weight z, so z near 1
 *   remembers). The b_hh blocks of those gates are zeroed so the b_ih values are the biases.
 */
export type GateInit = 'pytorch' | 'forget-bias' | 'chrono';
export const GATE_INITS: readonly GateInit[] = ['pytorch', 'forget-bias', 'chrono'];

export interface SequenceModelConfig {
  cell: CellKind;
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  /** Gate-bias initialization (default 'forget-bias'); see GateInit. */
  gateInit?: GateInit;
  /** The longest dependency 'chrono' initializes for (default 100). */
  chronoTmax?: number;
}

/** Sets the gate biases of a one-layer LSTM or GRU (see GateInit); draws from `rng` for 'chrono'. */
export function initGates(layer: RNN | LSTM | GRU, init: GateInit, tmax: number, rng: Rng): void {
  if (init === 'pytorch' || layer instanceof RNN) return;
  const H = layer.hiddenSize;
  const { bIh, bHh } = layer.layerParams(0);
  if (!bIh || !bHh) throw new ConfigError(`initGates: the layer has no biases (built with bias: false)`);
  if (layer instanceof LSTM) {
    if (init === 'forget-bias') {
      initForgetBias(layer, 1);
      return;
    }
    // LSTM gate order i, f, g, o.
    for (let j = 0; j < H; j++) {
      const bf = Math.log(1 + rng.uniform() * (tmax - 2));
      bIh.data[H + j] = bf;
      bIh.data[j] = -bf;
      bHh.data[H + j] = 0;
      bHh.data[j] = 0;
    }
  } else {
    if (init === 'forget-bias') return;
    // GRU gate order r, z, n.
    for (let j = 0; j < H; j++) {
      bIh.data[H + j] = Math.log(1 + rng.uniform() * (tmax - 2));
      bHh.data[H + j] = 0;
    }
  }
  bIh.markChanged();
  bHh.markChanged();
}

/**
 * A one-layer RNN/LSTM/GRU with a linear readout, for sequence regression (readout on each
 * sequence's last state) and sequence tagging (readout at every step). Parameters: `rnn.*`
 * (PyTorch names), `head.weight`, `head.bias`.
 */
export class SequenceModel extends Module {
  readonly config: Readonly<Required<SequenceModelConfig>>;
  readonly rnn: RNN | LSTM | GRU;
  readonly head: Linear;

  constructor(config: SequenceModelConfig, options: { rng?: Rng } = {}) {
    super();
    const where = 'SequenceModel';
    if (!CELL_KINDS.includes(config.cell))
      throw new ConfigError(
        `${where}: cell must be one of ${CELL_KINDS.join(', ')}, got ${JSON.stringify(config.cell)}`,
      );
    const gateInit = config.gateInit ?? 'forget-bias';
    if (!GATE_INITS.includes(gateInit))
      throw new ConfigError(
        `${where}: gateInit must be one of ${GATE_INITS.join(', ')}, got ${JSON.stringify(gateInit)}`,
      );
    const tmax = config.chronoTmax ?? 100;
    if (!(Number.isFinite(tmax) && tmax > 2))
      throw new ConfigError(`${where}: chronoTmax must be a number > 2, got ${tmax}`);
    this.config = Object.freeze({ ...config, gateInit, chronoTmax: tmax });
    const rng = options.rng ?? new Rng(0);
    const o = { inputSize: config.inputSize, hiddenSize: config.hiddenSize, rng };
    this.rnn = this.registerModule(
      'rnn',
      config.cell === 'lstm' ? new LSTM(o) : config.cell === 'gru' ? new GRU(o) : new RNN(o),
    );
    initGates(this.rnn, gateInit, tmax, rng);
    this.head = this.registerModule('head', new Linear(config.hiddenSize, config.outputSize, { rng }));
  }

  /** input [L, B, inputSize] (lengths: each sequence's own length) -> [B, outputSize] from each last state. */
  forwardLast(input: Tensor, lengths?: Int32Array): Tensor {
    const r = this.rnn.forward(input, lengths ? { lengths } : {});
    return this.head.forward(select(r.h, 0, 0));
  }

  /** input [L, B, inputSize] -> [L * B, outputSize], the readout at every step (time-major rows). */
  forwardEvery(input: Tensor): Tensor {
    const [L, B] = input.shape;
    const out = this.rnn.forward(input).output;
    return this.head.forward(reshape(out, [L * B, this.config.hiddenSize]));
  }

  toJSON(): { type: 'sequence-model' } & Required<SequenceModelConfig> {
    return { type: 'sequence-model', ...this.config };
  }

  protected describe(): string {
    const c = this.config;
    const init = c.cell === 'rnn' || c.gateInit === 'forget-bias' ? '' : `, gateInit='${c.gateInit}'`;
    return `SequenceModel(${c.cell}, ${c.inputSize}, ${c.hiddenSize}, ${c.outputSize}${init})`;
  }
}
