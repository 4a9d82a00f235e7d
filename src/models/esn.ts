/**
 * An echo state network (Jaeger, 2001; leaky-integrator form of Jaeger et al., 2007), following
 * the recipe of Lukoševičius, "A Practical Guide to Applying Echo State Networks" (2012):
 *
 *   x̃(n) = tanh(W_in u(n) + W x(n-1) + b)
 *   x(n)  = (1 - α) x(n-1) + α x̃(n)                     α = leakRate in (0, 1]
 *   y(n)  = W_out [x(n); u(n); e(n)] + b_out             (u(n) only with readoutInput,
 *                                                        e(n): optional extra features)
 *
 * The reservoir W [N, N] is fixed and random (seeded): each entry is non-zero with probability
 * 1 - sparsity, drawn from U(-1, 1), then the whole matrix is rescaled so that its spectral radius
 * (estimated by power iteration, linalg.spectralRadius) equals `spectralRadius`. W_in [N, I] is
 * dense U(-inputScaling, inputScaling), b is U(-biasScaling, biasScaling). Only the readout is
 * learnt, in closed form by ridge regression (linalg.ridgeRegression, an unpenalized intercept).
 *
 * Uses: sequence-to-sequence regression (forecasting: fit the readout on states collected with
 * teacher forcing after a washout), and sequence classification (readout on the last state or
 * the mean state of each sequence, one-hot targets, argmax). Everything is float64 and runs
 * outside the autograd tape: there is nothing to backpropagate through.
 */
import { ConfigError, DataError, ShapeError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import {
  applyLinear,
  type CsrMatrix,
  csrMatVec,
  type RidgeSolution,
  ridgeRegression,
  spectralRadius,
} from './linalg.js';

export interface EsnConfig {
  inputSize: number;
  reservoirSize: number;
  /** Target spectral radius of W (default 0.9). */
  spectralRadius?: number;
  /** Leak rate α in (0, 1] (default 1: no leak). */
  leakRate?: number;
  /** W_in ~ U(-inputScaling, inputScaling) (default 1). */
  inputScaling?: number;
  /** b ~ U(-biasScaling, biasScaling) (default 0). */
  biasScaling?: number;
  /** Fraction of zero entries of W, in [0, 1) (default 0.9). */
  sparsity?: number;
  /** Ridge penalty λ of the readout (default 1e-6). */
  ridge?: number;
  /** Feed u(n) to the readout next to x(n) (default true). */
  readoutInput?: boolean;
  /** Seed of the reservoir, input weights and bias (default 0). */
  seed?: number;
}

export type ResolvedEsnConfig = Required<EsnConfig>;

/** The saved form: config (the reservoir is rebuilt from the seed) and the readout. */
export interface EsnJSON {
  type: 'esn';
  config: ResolvedEsnConfig;
  extraSize: number;
  readout: { weight: number[]; bias: number[]; features: number; outputs: number } | null;
}

/** How a classifier summarizes a sequence's states. */
export type EsnPooling = 'last' | 'mean';

function resolve(c: EsnConfig, where: string): ResolvedEsnConfig {
  if (typeof c !== 'object' || c === null) throw new ConfigError(`${where}: config must be an object`);
  const known = [
    'inputSize',
    'reservoirSize',
    'spectralRadius',
    'leakRate',
    'inputScaling',
    'biasScaling',
    'sparsity',
    'ridge',
    'readoutInput',
    'seed',
  ];
  for (const k of Object.keys(c))
    if (!known.includes(k)) throw new ConfigError(`${where}: unknown option '${k}'`);
  const int = (name: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new ConfigError(`${where}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const num = (name: string, v: unknown, ok: (x: number) => boolean, range: string) => {
    if (typeof v !== 'number' || !ok(v))
      throw new ConfigError(`${where}: ${name} must be ${range}, got ${JSON.stringify(v)}`);
    return v;
  };
  const readoutInput = c.readoutInput ?? true;
  if (typeof readoutInput !== 'boolean')
    throw new ConfigError(
      `${where}: readoutInput must be true or false, got ${JSON.stringify(readoutInput)}`,
    );
  return {
    inputSize: int('inputSize', c.inputSize),
    reservoirSize: int('reservoirSize', c.reservoirSize),
    spectralRadius: num('spectralRadius', c.spectralRadius ?? 0.9, (x) => x > 0 && x < 10, 'in (0, 10)'),
    leakRate: num('leakRate', c.leakRate ?? 1, (x) => x > 0 && x <= 1, 'in (0, 1]'),
    inputScaling: num('inputScaling', c.inputScaling ?? 1, (x) => x >= 0 && Number.isFinite(x), '>= 0'),
    biasScaling: num('biasScaling', c.biasScaling ?? 0, (x) => x >= 0 && Number.isFinite(x), '>= 0'),
    sparsity: num('sparsity', c.sparsity ?? 0.9, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    ridge: num('ridge', c.ridge ?? 1e-6, (x) => x >= 0 && Number.isFinite(x), '>= 0'),
    readoutInput,
    seed: num('seed', c.seed ?? 0, Number.isSafeInteger, 'an integer'),
  };
}

export class EchoStateNetwork {
  readonly config: Readonly<ResolvedEsnConfig>;
  /** W, rescaled to the configured spectral radius. */
  readonly reservoir: CsrMatrix;
  /** W_in [N, I], row-major. */
  readonly inputWeights: Float64Array;
  /** b [N]. */
  readonly bias: Float64Array;
  /** The spectral radius of W as drawn, before rescaling. */
  readonly rawSpectralRadius: number;
  /** Number of extra readout features per step (set by the first fit). */
  extraSize = 0;
  readout: RidgeSolution | null = null;
  private readonly tmp: Float64Array;

  constructor(config: EsnConfig) {
    const c = resolve(config, 'EchoStateNetwork');
    this.config = Object.freeze(c);
    const N = c.reservoirSize;
    const I = c.inputSize;
    const rng = new Rng(c.seed);
    const rowStart = new Int32Array(N + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        if (rng.uniform() < 1 - c.sparsity) {
          cols.push(j);
          vals.push(2 * rng.uniform() - 1);
        }
      }
      rowStart[i + 1] = cols.length;
    }
    const w: CsrMatrix = { n: N, rowStart, col: Int32Array.from(cols), val: Float64Array.from(vals) };
    this.inputWeights = new Float64Array(N * I);
    for (let k = 0; k < N * I; k++) this.inputWeights[k] = c.inputScaling * (2 * rng.uniform() - 1);
    this.bias = new Float64Array(N);
    for (let k = 0; k < N; k++) this.bias[k] = c.biasScaling * (2 * rng.uniform() - 1);
    this.rawSpectralRadius = spectralRadius((x, y) => csrMatVec(w, x, y), N, { rng: new Rng(c.seed + 1) });
    if (!(this.rawSpectralRadius > 0)) {
      throw new ConfigError(
        `EchoStateNetwork: the drawn reservoir has spectral radius 0 (too sparse for ${N} units); lower sparsity or change the seed`,
      );
    }
    const scale = c.spectralRadius / this.rawSpectralRadius;
    for (let k = 0; k < w.val.length; k++) w.val[k] *= scale;
    this.reservoir = w;
    this.tmp = new Float64Array(N);
  }

  /** Size of the readout's input: N (+ I with readoutInput) + extra. */
  get featureSize(): number {
    return (
      this.config.reservoirSize + (this.config.readoutInput ? this.config.inputSize : 0) + this.extraSize
    );
  }

  /** The zero state x(0). */
  initialState(): Float64Array {
    return new Float64Array(this.config.reservoirSize);
  }

  /** One reservoir update in place: x <- (1 - α) x + α tanh(W_in u + W x + b). */
  step(u: ArrayLike<number>, x: Float64Array, uOffset = 0): void {
    const { reservoirSize: N, inputSize: I, leakRate: a } = this.config;
    const pre = this.tmp;
    csrMatVec(this.reservoir, x, pre);
    const win = this.inputWeights;
    for (let i = 0; i < N; i++) {
      let s = pre[i] + this.bias[i];
      for (let j = 0; j < I; j++) s += win[i * I + j] * u[uOffset + j];
      x[i] = (1 - a) * x[i] + a * Math.tanh(s);
    }
  }

  /**
   * Runs the reservoir over inputs [T, I] (row-major) from state `x` (default zeros; updated in
   * place) and returns every state, [T, N].
   */
  run(inputs: ArrayLike<number>, T: number, x: Float64Array = this.initialState()): Float64Array {
    const { reservoirSize: N, inputSize: I } = this.config;
    if (inputs.length !== T * I)
      throw new ShapeError(
        `EchoStateNetwork.run: inputs must hold T * inputSize = ${T * I} values, got ${inputs.length}`,
      );
    if (x.length !== N)
      throw new ShapeError(`EchoStateNetwork.run: x must hold ${N} values, got ${x.length}`);
    const out = new Float64Array(T * N);
    for (let t = 0; t < T; t++) {
      this.step(inputs, x, t * I);
      out.set(x, t * N);
    }
    return out;
  }

  /**
   * Readout features for rows of (state, input, extra): [rows, featureSize]. `states` [rows, N],
   * `inputs` [rows, I], `extra` [rows, E] (E = extraSize) or null.
   */
  features(
    states: ArrayLike<number>,
    inputs: ArrayLike<number>,
    rows: number,
    extra: ArrayLike<number> | null = null,
  ): Float64Array {
    const { reservoirSize: N, inputSize: I, readoutInput } = this.config;
    const E = this.extraSize;
    const F = this.featureSize;
    if (
      states.length !== rows * N ||
      (readoutInput && inputs.length !== rows * I) ||
      (E > 0 && extra?.length !== rows * E)
    ) {
      throw new ShapeError(
        `EchoStateNetwork.features: expected states [${rows}, ${N}], inputs [${rows}, ${I}]${E > 0 ? `, extra [${rows}, ${E}]` : ''}`,
      );
    }
    const f = new Float64Array(rows * F);
    for (let r = 0; r < rows; r++) {
      let o = r * F;
      for (let i = 0; i < N; i++) f[o++] = states[r * N + i];
      if (readoutInput) for (let i = 0; i < I; i++) f[o++] = inputs[r * I + i];
      for (let i = 0; i < E; i++) f[o++] = (extra as ArrayLike<number>)[r * E + i];
    }
    return f;
  }

  /**
   * Fits the readout by ridge regression on feature rows [rows, featureSize] and targets
   * [rows, outputs]. `extraSize` declares how many extra features the rows carry.
   */
  fitReadout(
    features: ArrayLike<number>,
    targets: ArrayLike<number>,
    rows: number,
    outputs: number,
    extraSize = 0,
    ridge = this.config.ridge,
  ): void {
    if (!Number.isInteger(extraSize) || extraSize < 0)
      throw new ConfigError(
        `EchoStateNetwork.fitReadout: extraSize must be an integer >= 0, got ${extraSize}`,
      );
    this.extraSize = extraSize;
    this.readout = ridgeRegression(features, targets, rows, this.featureSize, outputs, ridge);
  }

  /** Readout outputs [rows, outputs] for feature rows [rows, featureSize]. */
  predict(features: ArrayLike<number>, rows: number): Float64Array {
    if (!this.readout)
      throw new ConfigError(
        'EchoStateNetwork.predict: the readout is not fitted (call fitReadout or fitClassifier)',
      );
    return applyLinear(this.readout, features, rows);
  }

  /** One sequence's summary features: the state after the last step, or the mean state after `washout` steps. */
  sequenceFeatures(input: ArrayLike<number>, T: number, pooling: EsnPooling, washout = 0): Float64Array {
    const { reservoirSize: N, inputSize: I } = this.config;
    if (!(Number.isInteger(washout) && washout >= 0 && washout < T))
      throw new ConfigError(
        `EchoStateNetwork.sequenceFeatures: washout must be in [0, ${T - 1}], got ${washout}`,
      );
    const states = this.run(input, T);
    const pooled = new Float64Array(N);
    const u = new Float64Array(I);
    if (pooling === 'last') {
      pooled.set(states.subarray((T - 1) * N));
      for (let j = 0; j < I; j++) u[j] = input[(T - 1) * I + j];
    } else {
      for (let t = washout; t < T; t++) {
        for (let i = 0; i < N; i++) pooled[i] += states[t * N + i];
        for (let j = 0; j < I; j++) u[j] += input[t * I + j];
      }
      const k = T - washout;
      for (let i = 0; i < N; i++) pooled[i] /= k;
      for (let j = 0; j < I; j++) u[j] /= k;
    }
    return this.features(pooled, u, 1, null);
  }

  /**
   * Fits a classifier: each sequence [T_k, I] is summarized by `pooling`, the readout is fitted
   * on one-hot targets. Returns the training accuracy.
   */
  fitClassifier(
    sequences: readonly { input: ArrayLike<number>; length: number }[],
    labels: ArrayLike<number>,
    numClasses: number,
    options: { pooling?: EsnPooling; washout?: number; ridge?: number } = {},
  ): number {
    const where = 'EchoStateNetwork.fitClassifier';
    if (sequences.length === 0 || sequences.length !== labels.length)
      throw new DataError(
        `${where}: need one label per sequence and at least one sequence, got ${sequences.length} sequences and ${labels.length} labels`,
      );
    if (!Number.isInteger(numClasses) || numClasses < 2)
      throw new ConfigError(`${where}: numClasses must be an integer >= 2, got ${numClasses}`);
    this.extraSize = 0;
    const F = this.featureSize;
    const n = sequences.length;
    const x = new Float64Array(n * F);
    const y = new Float64Array(n * numClasses);
    sequences.forEach((s, k) => {
      const lab = labels[k];
      if (!Number.isInteger(lab) || lab < 0 || lab >= numClasses)
        throw new DataError(
          `${where}: labels[${k}] must be an integer in [0, ${numClasses - 1}], got ${lab}`,
        );
      x.set(this.sequenceFeatures(s.input, s.length, options.pooling ?? 'mean', options.washout ?? 0), k * F);
      y[k * numClasses + lab] = 1;
    });
    this.readout = ridgeRegression(x, y, n, F, numClasses, options.ridge ?? this.config.ridge);
    const pred = argmaxRows(applyLinear(this.readout, x, n), n, numClasses);
    let ok = 0;
    for (let k = 0; k < n; k++) if (pred[k] === labels[k]) ok++;
    return ok / n;
  }

  /** Class indices for sequences, with the pooling the classifier was fitted with. */
  classify(
    sequences: readonly { input: ArrayLike<number>; length: number }[],
    options: { pooling?: EsnPooling; washout?: number } = {},
  ): Int32Array {
    const F = this.featureSize;
    const x = new Float64Array(sequences.length * F);
    sequences.forEach((s, k) => {
      x.set(this.sequenceFeatures(s.input, s.length, options.pooling ?? 'mean', options.washout ?? 0), k * F);
    });
    const out = this.predict(x, sequences.length);
    return argmaxRows(out, sequences.length, (this.readout as RidgeSolution).outputs);
  }

  toJSON(): EsnJSON {
    const r = this.readout;
    return {
      type: 'esn',
      config: { ...this.config },
      extraSize: this.extraSize,
      readout: r
        ? { weight: Array.from(r.weight), bias: Array.from(r.bias), features: r.features, outputs: r.outputs }
        : null,
    };
  }

  /** Rebuilds the network (the reservoir from its seed) and its readout. */
  static fromJSON(json: unknown): EchoStateNetwork {
    const j = json as Partial<EsnJSON> | null;
    if (typeof j !== 'object' || j === null || j.type !== 'esn' || typeof j.config !== 'object')
      throw new ConfigError("EchoStateNetwork.fromJSON: expected an object with type 'esn' and a config");
    const esn = new EchoStateNetwork(j.config as EsnConfig);
    esn.extraSize = j.extraSize ?? 0;
    if (j.readout) {
      const r = j.readout;
      if (
        r.features !== esn.featureSize ||
        r.weight.length !== r.features * r.outputs ||
        r.bias.length !== r.outputs
      )
        throw new ShapeError(
          `EchoStateNetwork.fromJSON: the readout does not fit ${esn.featureSize} features`,
        );
      esn.readout = {
        weight: Float64Array.from(r.weight),
        bias: Float64Array.from(r.bias),
        features: r.features,
        outputs: r.outputs,
      };
    }
    return esn;
  }

  toString(): string {
    const c = this.config;
    const nnz = this.reservoir.val.length;
    const readout = this.readout ? this.readout.weight.length + this.readout.bias.length : 0;
    return `EchoStateNetwork(${c.inputSize}, ${c.reservoirSize}, spectralRadius=${c.spectralRadius}, leakRate=${c.leakRate}, sparsity=${c.sparsity})  # ${nnz.toLocaleString('en-US')} fixed reservoir weights, ${readout.toLocaleString('en-US')} readout parameters`;
  }
}

/** The index of the largest value of each row of [rows, cols]. */
export function argmaxRows(x: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (x[r * cols + c] > x[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}
