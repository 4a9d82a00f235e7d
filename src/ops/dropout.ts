import { record1 } from '../autograd/record.js';
import { allocOut, Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { defaultRng, Rng } from '../util/rng.js';
import { checkTensor } from './_util.js';

export interface DropoutOptions {
  /** Drop only in training; otherwise (and for p = 0) x itself is returned. Default true. */
  training?: boolean;
  /** The generator that draws the mask (default: `defaultRng`, see `manualSeed`). */
  rng?: Rng;
}

/**
 * Inverted dropout (Srivastava et al., 2014, as `F.dropout`): each element is zeroed with
 * probability p and the survivors are scaled by 1/(1-p), so the expected value is unchanged and
 * evaluation needs no rescaling. The mask takes one 32-bit draw per element from the Rng.
 * Deviation from PyTorch: p = 1 (drop everything) is rejected rather than returning zeros.
 */
export function dropout(xIn: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  const x = checkTensor(xIn, 'dropout', 'x');
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new ConfigError(`dropout: p must be a probability in [0, 1), got ${p}`);
  }
  const training = options.training ?? true;
  if (typeof training !== 'boolean') {
    throw new ConfigError(`dropout: options.training must be a boolean, got ${typeof training}`);
  }
  const rng = options.rng ?? defaultRng;
  if (!(rng instanceof Rng)) throw new ConfigError('dropout: options.rng must be an Rng');
  if (!training || p === 0) return x;
  const n = x.size;
  // keep when a uniform uint32 is >= p·2^32, i.e. with probability 1 - p (to within 2^-32).
  const threshold = p * 4294967296;
  const scale = 1 / (1 - p);
  const keep = new Uint8Array(n);
  const xd = x.data;
  const yd = allocOut(n, x.dtype);
  for (let i = 0; i < n; i++) {
    if (rng.nextUint32() >= threshold) {
      keep[i] = 1;
      yd[i] = xd[i] * scale;
    }
  }
  return record1('dropout', [x], new Tensor(yd, x.shape), (g) => {
    const gd = g.data;
    const dx = allocOut(n, x.dtype);
    for (let i = 0; i < n; i++) if (keep[i]) dx[i] = gd[i] * scale;
    return [new Tensor(dx, x.shape)];
  });
}
