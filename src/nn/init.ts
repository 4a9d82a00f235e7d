import { Tensor } from '../tensor/tensor.js';
import { ConfigError, fmtShape, ShapeError } from '../util/errors.js';
import { defaultRng, Rng } from '../util/rng.js';

/**
 * In-place initializers, after torch.nn.init: each fills a tensor's values, calls `markChanged()`
 * and returns the tensor. Random ones draw from `rng` (the default generator otherwise), so the
 * same seed gives the same weights; the streams differ from PyTorch's generator.
 */

function checkArgs(t: Tensor, rng: Rng | null, where: string): void {
  if (!(t instanceof Tensor)) throw new ConfigError(`${where}: tensor must be a Tensor`);
  if (rng !== null && !(rng instanceof Rng)) throw new ConfigError(`${where}: rng must be an Rng`);
}

function finite(v: number, where: string, name: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ConfigError(`${where}: ${name} must be a finite number, got ${JSON.stringify(v)}`);
  }
}

/** Fills with values drawn uniformly from [a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, rng: Rng = defaultRng): Tensor {
  checkArgs(t, rng, 'uniform_');
  finite(a, 'uniform_', 'a');
  finite(b, 'uniform_', 'b');
  if (b < a) throw new ConfigError(`uniform_: need a <= b, got a=${a}, b=${b}`);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = a + (b - a) * rng.uniform();
  t.markChanged();
  return t;
}

/** Fills with values drawn from N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, rng: Rng = defaultRng): Tensor {
  checkArgs(t, rng, 'normal_');
  finite(mean, 'normal_', 'mean');
  finite(std, 'normal_', 'std');
  if (std < 0) throw new ConfigError(`normal_: std must be >= 0, got ${std}`);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  t.markChanged();
  return t;
}

/** Fills with `value`. */
export function constant_(t: Tensor, value: number): Tensor {
  checkArgs(t, null, 'constant_');
  if (typeof value !== 'number')
    throw new ConfigError(`constant_: value must be a number, got ${typeof value}`);
  t.data.fill(value);
  t.markChanged();
  return t;
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

export type Nonlinearity = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      finite(slope, 'calculateGain', 'param');
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ConfigError(
        `calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)} (known: linear, sigmoid, tanh, relu, leaky_relu, selu)`,
      );
  }
}

/**
 * [fanIn, fanOut] of a weight, as torch.nn.init._calculate_fan_in_and_fan_out: for shape
 * [out, in, ...k], fanIn = in * prod(k), fanOut = out * prod(k). Needs rank >= 2.
 */
export function calculateFanInAndFanOut(t: Tensor, where = 'calculateFanInAndFanOut'): [number, number] {
  if (t.rank < 2) {
    throw new ShapeError(
      `${where}: fan in and fan out need a tensor of rank >= 2, got shape ${fmtShape(t.shape)}`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < t.rank; i++) receptive *= t.shape[i];
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

/** U(-a, a) with `a = gain * sqrt(6 / (fanIn + fanOut))` (Glorot and Bengio, 2010). */
export function xavierUniform_(t: Tensor, gain = 1, rng: Rng = defaultRng): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, 'xavierUniform_');
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, rng);
}

/** N(0, std²) with `std = gain * sqrt(2 / (fanIn + fanOut))` (Glorot and Bengio, 2010). */
export function xavierNormal_(t: Tensor, gain = 1, rng: Rng = defaultRng): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, 'xavierNormal_');
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), rng);
}

function kaimingStd(
  t: Tensor,
  a: number,
  mode: 'fan_in' | 'fan_out',
  nonlinearity: Nonlinearity,
  where: string,
): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') {
    throw new ConfigError(`${where}: mode must be 'fan_in' or 'fan_out', got ${JSON.stringify(mode)}`);
  }
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, where);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  if (fan === 0)
    throw new ShapeError(`${where}: cannot initialize a tensor with zero elements (${fmtShape(t.shape)})`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * U(-bound, bound) with `bound = gain * sqrt(3 / fan)` (He et al., 2015), as
 * torch.nn.init.kaiming_uniform_; `a` is the negative slope of leaky_relu.
 */
export function kaimingUniform_(
  t: Tensor,
  a = 0,
  mode: 'fan_in' | 'fan_out' = 'fan_in',
  nonlinearity: Nonlinearity = 'leaky_relu',
  rng: Rng = defaultRng,
): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, a, mode, nonlinearity, 'kaimingUniform_');
  return uniform_(t, -bound, bound, rng);
}

/** N(0, std²) with `std = gain / sqrt(fan)` (He et al., 2015), as torch.nn.init.kaiming_normal_. */
export function kaimingNormal_(
  t: Tensor,
  a = 0,
  mode: 'fan_in' | 'fan_out' = 'fan_in',
  nonlinearity: Nonlinearity = 'leaky_relu',
  rng: Rng = defaultRng,
): Tensor {
  return normal_(t, 0, kaimingStd(t, a, mode, nonlinearity, 'kaimingNormal_'), rng);
}

/**
 * Writes a (semi-)orthogonal `rows x cols` matrix times `gain` into `d[offset ...]` (row-major).
 * As torch.nn.init.orthogonal_: QR of a standard normal matrix (transposed when rows < cols) with
 * the signs fixed so that R has a positive diagonal, which makes Q Haar-distributed (Mezzadri,
 * 2007). The QR is modified Gram-Schmidt with one reorthogonalization pass ("twice is enough",
 * Giraud et al., 2005); its R diagonal is positive by construction.
 */
function orthogonalInto(
  d: Float32Array | Float64Array,
  offset: number,
  rows: number,
  cols: number,
  gain: number,
  rng: Rng,
): void {
  const m = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  const q: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(m);
    for (let attempt = 0; ; attempt++) {
      let norm0 = 0;
      for (let i = 0; i < m; i++) {
        v[i] = rng.normal();
        norm0 += v[i] * v[i];
      }
      for (let pass = 0; pass < 2; pass++) {
        for (let c = 0; c < j; c++) {
          const qc = q[c];
          let dot = 0;
          for (let i = 0; i < m; i++) dot += qc[i] * v[i];
          for (let i = 0; i < m; i++) v[i] -= dot * qc[i];
        }
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += v[i] * v[i];
      // A draw (almost) inside the span of the previous columns has probability ~0; draw again.
      if (norm > 1e-20 * norm0 || attempt > 100) {
        norm = Math.sqrt(norm);
        for (let i = 0; i < m; i++) v[i] /= norm;
        break;
      }
    }
    q.push(v);
  }
  // q[j] is column j of Q (m x k). rows >= cols: W = Q; rows < cols: W = Qᵀ.
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      d[offset + r * cols + c] = gain * (rows >= cols ? q[c][r] : q[r][c]);
    }
  }
}

/**
 * A (semi-)orthogonal matrix: with `t` viewed as [shape[0], numel / shape[0]], `WᵀW = gain² I`
 * when rows >= cols, `WWᵀ = gain² I` otherwise (Saxe et al., 2014), as torch.nn.init.orthogonal_.
 */
export function orthogonal_(t: Tensor, gain = 1, rng: Rng = defaultRng): Tensor {
  return orthogonalBlocks_(t, 1, gain, rng, 'orthogonal_');
}

/**
 * Orthogonal initialization of each of `numBlocks` row blocks separately: for a recurrent weight
 * `[G * H, H]` with `numBlocks = G` (4 for LSTM, 3 for GRU) every gate's `[H, H]` matrix is
 * orthogonal, which is what Keras' `recurrent_initializer='orthogonal'` gives each gate (Keras
 * draws one `[H, G * H]` matrix whose column blocks are then only semi-orthogonal together).
 */
export function orthogonalBlocks_(
  t: Tensor,
  numBlocks: number,
  gain = 1,
  rng: Rng = defaultRng,
  where = 'orthogonalBlocks_',
): Tensor {
  checkArgs(t, rng, where);
  finite(gain, where, 'gain');
  if (t.rank < 2)
    throw new ShapeError(`${where}: needs a tensor of rank >= 2, got shape ${fmtShape(t.shape)}`);
  if (!Number.isSafeInteger(numBlocks) || numBlocks < 1 || t.shape[0] % numBlocks !== 0) {
    throw new ConfigError(
      `${where}: numBlocks must be a positive integer dividing shape[0] = ${t.shape[0]}, got ${JSON.stringify(numBlocks)}`,
    );
  }
  const rows = t.shape[0] / numBlocks;
  const cols = t.shape[0] === 0 ? 0 : t.size / t.shape[0];
  if (rows * cols > 0)
    for (let b = 0; b < numBlocks; b++) orthogonalInto(t.data, b * rows * cols, rows, cols, gain, rng);
  t.markChanged();
  return t;
}
