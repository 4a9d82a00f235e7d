/**
 * Option checks shared by the models' configs: each returns the value when it is valid and
 * otherwise throws one ConfigError naming where, the option, what was expected and what came.
 */
import { ConfigError } from './errors.js';

/** A received value as the message shows it (NaN and Infinity by name, strings quoted). */
function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** An integer >= 1. */
export function positiveInt(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new ConfigError(`${where}: ${name} must be a positive integer, got ${show(v)}`);
  return v;
}

/** An integer >= min. */
export function intAtLeast(where: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new ConfigError(`${where}: ${name} must be an integer >= ${min}, got ${show(v)}`);
  return v;
}

/** One of `choices` (compared with ===). */
export function oneOf<T>(where: string, name: string, v: unknown, choices: readonly T[]): T {
  if (!choices.includes(v as T))
    throw new ConfigError(`${where}: ${name} must be one of ${choices.join(', ')}, got ${show(v)}`);
  return v as T;
}

/** A boolean; `dflt` when undefined or null. */
export function booleanOption(where: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(`${where}: ${name} must be a boolean, got ${show(v)}`);
  return v;
}

/** A probability of dropping, in [0, 1); `dflt` when undefined or null. */
export function dropRate(where: string, name: string, v: unknown, dflt = 0): number {
  const p = v ?? dflt;
  if (typeof p !== 'number' || !(p >= 0 && p < 1))
    throw new ConfigError(`${where}: ${name} must be a number in [0, 1), got ${show(p)}`);
  return p;
}
