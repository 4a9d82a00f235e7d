import type { FloatArray } from '../types.js';

/** Numerically stable logistic function: never evaluates exp of a large positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function unaryTs(
  op: 'exp' | 'log' | 'tanh' | 'sigmoid' | 'relu',
  n: number,
  x: FloatArray,
  xOff: number,
  y: FloatArray,
  yOff: number,
): void {
  switch (op) {
    case 'exp':
      for (let i = 0; i < n; i++) y[yOff + i] = Math.exp(x[xOff + i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) y[yOff + i] = Math.log(x[xOff + i]);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[yOff + i] = Math.tanh(x[xOff + i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[yOff + i] = sigmoid(x[xOff + i]);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i];
        y[yOff + i] = Math.max(v, 0); // NaN propagates, as in PyTorch
      }
      return;
  }
}
