/**
 * Typed errors. Every message names the function and argument, and gives what was expected and
 * what was received, e.g. `LSTM.forward: input must be [seqLen, batch, 8] (inputSize 8), got [5, 3, 7]`.
 */
export type RecurErrorCode = 'SHAPE' | 'DTYPE' | 'CONFIG' | 'CHECKPOINT' | 'DATA' | 'NUMERIC' | 'BACKEND';

export class RecurError extends Error {
  readonly code: RecurErrorCode;
  constructor(code: RecurErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A tensor has the wrong shape or rank, or two shapes do not fit together. */
export class ShapeError extends RecurError {
  constructor(message: string) {
    super('SHAPE', message);
  }
}

/** Tensors of different dtypes were mixed, or a dtype is not supported by an operation. */
export class DTypeError extends RecurError {
  constructor(message: string) {
    super('DTYPE', message);
  }
}

/** An option or argument has an invalid value. */
export class ConfigError extends RecurError {
  constructor(message: string) {
    super('CONFIG', message);
  }
}

/** A checkpoint or weights file is missing, truncated, corrupt or inconsistent. */
export class CheckpointError extends RecurError {
  constructor(message: string) {
    super('CHECKPOINT', message);
  }
}

/** Input data is missing, empty, binary, or not what the task expects. */
export class DataError extends RecurError {
  constructor(message: string) {
    super('DATA', message);
  }
}

/** A NaN or infinity appeared; the message says where. */
export class NumericError extends RecurError {
  constructor(message: string) {
    super('NUMERIC', message);
  }
}

/** A compute backend is unavailable or was asked for something it cannot do. */
export class BackendError extends RecurError {
  constructor(message: string) {
    super('BACKEND', message);
  }
}

/** Formats a shape as `[2, 3]` for messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
