/**
 * Forget-gate bias initialization for LSTMs (Gers et al., 2000; Jozefowicz et al., 2015, "An
 * Empirical Exploration of Recurrent Network Architectures"): starting with a forget bias of 1
 * keeps the cell state flowing early in training. Keras does this by default
 * (`unit_forget_bias=True`); PyTorch does not, and users port it by hand as
 * `bias_ih[H:2H] = 1; bias_hh[H:2H] = 0`, which is exactly what `initForgetBias` does.
 *
 * PyTorch adds two biases (b_ih + b_hh), Keras has one; setting the f block of b_ih to `value`
 * and that of b_hh to 0 makes the effective forget bias `value`, as in Keras. This changes the
 * parameters once; for a constant added at every step instead, use the LSTM option `forgetBias`
 * (TensorFlow's `forget_bias`).
 */
import { LSTMCell } from '../cells/lstm-cell.js';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { ConfigError, fmtShape, ShapeError } from '../util/errors.js';
import { LSTM } from './lstm.js';

function setBlock(t: Tensor, value: number, where: string, name: string): void {
  if (t.rank !== 1 || t.size % 4 !== 0 || t.size === 0) {
    throw new ShapeError(
      `${where}: ${name} must be an LSTM bias [4 * hiddenSize] (gates i, f, g, o), got ${fmtShape(t.shape)}`,
    );
  }
  const H = t.size / 4;
  t.data.fill(value, H, 2 * H);
  t.markChanged();
}

/**
 * Sets the forget-gate bias of an LSTM (every layer and direction), an LSTMCell, every LSTM and
 * LSTMCell inside a model, or one bias tensor [4H]: the f block of each b_ih becomes `value`
 * (default 1, as Keras) and the f block of each b_hh becomes 0. Returns the number of tensors set.
 */
export function initForgetBias(target: Module | Tensor, value = 1): number {
  const where = 'initForgetBias';
  if (!Number.isFinite(value)) throw new ConfigError(`${where}: value must be a finite number, got ${value}`);
  if (target instanceof Tensor) {
    setBlock(target, value, where, 'the tensor');
    return 1;
  }
  if (!(target instanceof Module)) {
    throw new ConfigError(
      `${where}: target must be an LSTM, an LSTMCell, a model containing them, or a bias Tensor`,
    );
  }
  let n = 0;
  for (const [, m] of target.namedModules()) {
    if (!(m instanceof LSTM || m instanceof LSTMCell)) continue;
    for (const [name, p] of m.namedParameters()) {
      if (name.includes('.')) continue;
      if (/^bias_ih(_l\d+(_reverse)?)?$/.test(name)) setBlock(p, value, where, name);
      else if (/^bias_hh(_l\d+(_reverse)?)?$/.test(name)) setBlock(p, 0, where, name);
      else continue;
      n++;
    }
  }
  if (n === 0) {
    throw new ConfigError(
      `${where}: found no LSTM bias in ${target.constructor.name} (an LSTM built with bias: false has none; use the forgetBias option instead)`,
    );
  }
  return n;
}
