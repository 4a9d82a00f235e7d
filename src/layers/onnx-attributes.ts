/**
 * Attributes of the ONNX `RNN`, `GRU` and `LSTM` operators (opset 14 and later): validation,
 * defaults, and the resolution of `activations` with `activation_alpha` / `activation_beta`.
 *
 * The alpha and beta lists are consumed in list order, each value by the next activation in
 * `activations` that takes that parameter (alpha: Affine, LeakyRelu, ThresholdedRelu, ScaledTanh,
 * HardSigmoid, Elu; beta: Affine, ScaledTanh, HardSigmoid); activations without the parameter
 * consume nothing. When a list runs out, the remaining activations take the defaults of the ONNX
 * operators of the same name (see generic-activations.ts); values left over are an error.
 */
import type { ActivationKind } from '../kernels/types.js';
import { ConfigError } from '../util/errors.js';
import { takesAlpha, takesBeta } from './generic-activations.js';
import type { ActivationSpec } from './sequence-types.js';

export type OnnxOpType = 'RNN' | 'GRU' | 'LSTM';
export type OnnxDirection = 'forward' | 'reverse' | 'bidirectional';

/** The attributes by ONNX name; absent ones take the ONNX defaults. */
export interface OnnxAttributes {
  activations?: string[];
  activation_alpha?: number[];
  activation_beta?: number[];
  /** Bound on the gate pre-activations; absent or null: no clipping. */
  clip?: number | null;
  direction?: OnnxDirection;
  hidden_size?: number;
  /** LSTM only: 1 couples the forget gate to the input gate, f = 1 - i. */
  input_forget?: number;
  /** 0: X [seq, batch, input]; 1: X [batch, seq, input] (and batch-major states and Y). */
  layout?: number;
  /** GRU only: 1 applies the reset gate after the recurrent matmul (PyTorch), 0 before (default). */
  linear_before_reset?: number;
}

/** Attributes with every default applied. */
export interface ResolvedAttributes {
  readonly opType: OnnxOpType;
  readonly directions: number;
  readonly direction: OnnxDirection;
  /** Per direction: the activations of that direction (RNN [f], GRU [f, g], LSTM [f, g, h]). */
  readonly activations: ActivationSpec[][];
  readonly clip: number | undefined;
  readonly hiddenSize: number | undefined;
  readonly inputForget: boolean;
  readonly layout: 0 | 1;
  readonly linearBeforeReset: boolean;
}

const ACTIVATION_NAMES: Record<string, ActivationKind> = {
  relu: 'relu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  affine: 'affine',
  leakyrelu: 'leakyrelu',
  thresholdedrelu: 'thresholdedrelu',
  scaledtanh: 'scaledtanh',
  hardsigmoid: 'hardsigmoid',
  elu: 'elu',
  softsign: 'softsign',
  softplus: 'softplus',
};

const DEFAULT_ACTIVATIONS: Record<OnnxOpType, string[]> = {
  RNN: ['Tanh'],
  GRU: ['Sigmoid', 'Tanh'],
  LSTM: ['Sigmoid', 'Tanh', 'Tanh'],
};

const COMMON = [
  'activations',
  'activation_alpha',
  'activation_beta',
  'clip',
  'direction',
  'hidden_size',
  'layout',
];
const ALLOWED: Record<OnnxOpType, string[]> = {
  RNN: COMMON,
  GRU: [...COMMON, 'linear_before_reset'],
  LSTM: [...COMMON, 'input_forget'],
};

function flag(v: unknown, name: string, where: string): boolean {
  if (v === undefined) return false;
  if (v !== 0 && v !== 1)
    throw new ConfigError(`${where}: attribute ${name} must be 0 or 1, got ${JSON.stringify(v)}`);
  return v === 1;
}

function numberList(v: unknown, name: string, where: string): number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new ConfigError(
      `${where}: attribute ${name} must be a list of finite numbers, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** Validates the attributes of one node and applies the ONNX defaults. */
export function resolveAttributes(
  opType: OnnxOpType,
  attrs: OnnxAttributes | undefined,
  where: string,
): ResolvedAttributes {
  if (opType !== 'RNN' && opType !== 'GRU' && opType !== 'LSTM') {
    throw new ConfigError(`${where}: opType must be 'RNN', 'GRU' or 'LSTM', got ${JSON.stringify(opType)}`);
  }
  const a = (attrs ?? {}) as Record<string, unknown>;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) {
    throw new ConfigError(
      `${where}: attributes must be an object keyed by ONNX attribute name, got ${JSON.stringify(attrs)}`,
    );
  }
  for (const k of Object.keys(a)) {
    if (!ALLOWED[opType].includes(k)) {
      throw new ConfigError(
        `${where}: ${opType} has no attribute '${k}' (expected one of ${ALLOWED[opType].join(', ')})`,
      );
    }
  }
  const direction = (a.direction ?? 'forward') as OnnxDirection;
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
    throw new ConfigError(
      `${where}: attribute direction must be 'forward', 'reverse' or 'bidirectional', got ${JSON.stringify(a.direction)}`,
    );
  }
  const directions = direction === 'bidirectional' ? 2 : 1;
  const layout = a.layout ?? 0;
  if (layout !== 0 && layout !== 1)
    throw new ConfigError(`${where}: attribute layout must be 0 or 1, got ${JSON.stringify(a.layout)}`);
  let clip: number | undefined;
  if (a.clip !== undefined && a.clip !== null) {
    if (typeof a.clip !== 'number' || !(a.clip > 0)) {
      throw new ConfigError(
        `${where}: attribute clip must be a positive number, got ${JSON.stringify(a.clip)}`,
      );
    }
    clip = a.clip;
  }
  let hiddenSize: number | undefined;
  if (a.hidden_size !== undefined) {
    if (!Number.isInteger(a.hidden_size) || (a.hidden_size as number) < 1) {
      throw new ConfigError(
        `${where}: attribute hidden_size must be a positive integer, got ${JSON.stringify(a.hidden_size)}`,
      );
    }
    hiddenSize = a.hidden_size as number;
  }
  return {
    opType,
    directions,
    direction,
    activations: resolveActivationList(opType, directions, a, where),
    clip,
    hiddenSize,
    inputForget: flag(a.input_forget, 'input_forget', where),
    layout,
    linearBeforeReset: flag(a.linear_before_reset, 'linear_before_reset', where),
  };
}

function resolveActivationList(
  opType: OnnxOpType,
  directions: number,
  a: Record<string, unknown>,
  where: string,
): ActivationSpec[][] {
  const perDir = DEFAULT_ACTIVATIONS[opType].length;
  let names: string[];
  if (a.activations === undefined) {
    names = [];
    for (let d = 0; d < directions; d++) names.push(...DEFAULT_ACTIVATIONS[opType]);
  } else {
    if (!Array.isArray(a.activations) || a.activations.some((n) => typeof n !== 'string')) {
      throw new ConfigError(
        `${where}: attribute activations must be a list of strings, got ${JSON.stringify(a.activations)}`,
      );
    }
    names = a.activations as string[];
    if (names.length !== perDir * directions) {
      throw new ConfigError(
        `${where}: attribute activations must list ${perDir * directions} functions (${perDir} per direction × ${directions} ` +
          `direction${directions > 1 ? 's' : ''}, e.g. ${JSON.stringify(DEFAULT_ACTIVATIONS[opType])}), got ${names.length}`,
      );
    }
  }
  const alphas = numberList(a.activation_alpha, 'activation_alpha', where);
  const betas = numberList(a.activation_beta, 'activation_beta', where);
  let ai = 0;
  let bi = 0;
  const specs = names.map((name): ActivationSpec => {
    const kind = ACTIVATION_NAMES[name.toLowerCase()];
    if (!kind) {
      throw new ConfigError(
        `${where}: unknown activation '${name}' (expected one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ` +
          'ScaledTanh, HardSigmoid, Elu, Softsign, Softplus)',
      );
    }
    const spec: ActivationSpec = { kind };
    if (takesAlpha(kind) && ai < alphas.length) spec.alpha = alphas[ai++];
    if (takesBeta(kind) && bi < betas.length) spec.beta = betas[bi++];
    return spec;
  });
  if (ai < alphas.length || bi < betas.length) {
    throw new ConfigError(
      `${where}: activation_alpha has ${alphas.length} values and activation_beta ${betas.length}, but the activations ` +
        `[${names.join(', ')}] consume only ${ai} and ${bi} (values go, in order, to the activations that take them)`,
    );
  }
  const out: ActivationSpec[][] = [];
  for (let d = 0; d < directions; d++) out.push(specs.slice(d * perDir, (d + 1) * perDir));
  return out;
}
