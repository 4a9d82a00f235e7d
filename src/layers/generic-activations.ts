/**
 * The activation functions of the generic sequence path and the ONNX RNN/GRU/LSTM operators,
 * each with its derivative, as the ONNX operator definitions state them (opset 14+):
 *
 * | kind | f(x) | parameters (default) |
 * | --- | --- | --- |
 * | relu | max(0, x) | |
 * | tanh | tanh(x) | |
 * | sigmoid | 1 / (1 + e^-x) | |
 * | affine | alpha*x + beta | alpha (1), beta (0) |
 * | leakyrelu | x if x >= 0 else alpha*x | alpha (0.01) |
 * | thresholdedrelu | x if x >= alpha else 0 | alpha (1) |
 * | scaledtanh | alpha*tanh(beta*x) | alpha (1), beta (1) |
 * | hardsigmoid | min(max(alpha*x + beta, 0), 1) | alpha (0.2), beta (0.5) |
 * | elu | x if x >= 0 else alpha*(e^x - 1) | alpha (1) |
 * | softsign | x / (1 + |x|) | |
 * | softplus | log(1 + e^x) | |
 *
 * Defaults are those of the ONNX operators of the same name (ScaledTanh and Affine have none in
 * ONNX; 1 and 1, 1 and 0 make them the identity-like forms). Derivatives at the kinks take the
 * value of the branch that holds at the kink (relu' (0) = 0, leakyrelu'(0) = 1).
 */
import type { ActivationKind } from '../kernels/types.js';
import { ConfigError } from '../util/errors.js';
import type { ActivationSpec } from './sequence-types.js';

/** An activation with every parameter resolved. */
export interface ResolvedActivation {
  readonly kind: ActivationKind;
  readonly alpha: number;
  readonly beta: number;
}

const KINDS: readonly ActivationKind[] = [
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
];

/** Default alpha of the kinds that take one (the ONNX operator defaults). */
const ALPHA_DEFAULT: Partial<Record<ActivationKind, number>> = {
  affine: 1,
  leakyrelu: 0.01,
  thresholdedrelu: 1,
  scaledtanh: 1,
  hardsigmoid: 0.2,
  elu: 1,
};
/** Default beta of the kinds that take one. */
const BETA_DEFAULT: Partial<Record<ActivationKind, number>> = { affine: 0, scaledtanh: 1, hardsigmoid: 0.5 };

/** Whether `kind` reads alpha / beta (ONNX: which activations consume activation_alpha / _beta). */
export function takesAlpha(kind: ActivationKind): boolean {
  return ALPHA_DEFAULT[kind] !== undefined;
}
export function takesBeta(kind: ActivationKind): boolean {
  return BETA_DEFAULT[kind] !== undefined;
}

export function isActivationKind(k: unknown): k is ActivationKind {
  return typeof k === 'string' && (KINDS as readonly string[]).includes(k);
}

/** Validates a spec (unknown kind, parameters given to a kind that has none) and fills defaults. */
export function resolveActivation(spec: ActivationSpec, where: string): ResolvedActivation {
  if (spec === null || typeof spec !== 'object' || !isActivationKind(spec.kind)) {
    throw new ConfigError(
      `${where}: activation kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(spec?.kind ?? spec)}`,
    );
  }
  const { kind, alpha, beta } = spec;
  if (alpha !== undefined && !takesAlpha(kind)) {
    throw new ConfigError(`${where}: activation '${kind}' takes no alpha, got alpha=${alpha}`);
  }
  if (beta !== undefined && !takesBeta(kind)) {
    throw new ConfigError(`${where}: activation '${kind}' takes no beta, got beta=${beta}`);
  }
  if ((alpha !== undefined && !Number.isFinite(alpha)) || (beta !== undefined && !Number.isFinite(beta))) {
    throw new ConfigError(
      `${where}: activation '${kind}' parameters must be finite numbers, got alpha=${alpha}, beta=${beta}`,
    );
  }
  return { kind, alpha: alpha ?? ALPHA_DEFAULT[kind] ?? 0, beta: beta ?? BETA_DEFAULT[kind] ?? 0 };
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** f(x). */
export function activate(a: ResolvedActivation, x: number): number {
  switch (a.kind) {
    case 'sigmoid':
      return sigmoid(x);
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return Math.max(x, 0);
    case 'affine':
      return a.alpha * x + a.beta;
    case 'leakyrelu':
      return x >= 0 ? x : a.alpha * x;
    case 'thresholdedrelu':
      return x >= a.alpha ? x : 0;
    case 'scaledtanh':
      return a.alpha * Math.tanh(a.beta * x);
    case 'hardsigmoid': {
      const v = a.alpha * x + a.beta;
      return Math.min(Math.max(v, 0), 1);
    }
    case 'elu':
      return x >= 0 ? x : a.alpha * Math.expm1(x);
    case 'softsign':
      return x / (1 + Math.abs(x));
    case 'softplus':
      // log(1 + e^x) without overflow: x + log1p(e^-x) for x > 0.
      return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }
}

/** f'(x), given x and y = f(x) (the saved-output forms where they exist: σ' = y(1-y), tanh' = 1-y²). */
export function derivative(a: ResolvedActivation, x: number, y: number): number {
  switch (a.kind) {
    case 'sigmoid':
      return y * (1 - y);
    case 'tanh':
      return 1 - y * y;
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'affine':
      return a.alpha;
    case 'leakyrelu':
      return x >= 0 ? 1 : a.alpha;
    case 'thresholdedrelu':
      return x >= a.alpha ? 1 : 0;
    case 'scaledtanh': {
      const t = Math.tanh(a.beta * x);
      return a.alpha * a.beta * (1 - t * t);
    }
    case 'hardsigmoid': {
      const v = a.alpha * x + a.beta;
      return v > 0 && v < 1 ? a.alpha : 0;
    }
    case 'elu':
      return x >= 0 ? 1 : y + a.alpha;
    case 'softsign': {
      const d = 1 + Math.abs(x);
      return 1 / (d * d);
    }
    case 'softplus':
      return sigmoid(x);
  }
}
