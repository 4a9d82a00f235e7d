/**
 * The on-disk format of a checkpoint directory, shared by saving (checkpoint.ts) and loading
 * (checkpoint-load.ts): format names and version, file names, the tensor manifest, the
 * `latest.json` pointer and its reader, the RNG state check, and the SHA-256 of a file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../util/errors.js';

export const CHECKPOINT_FORMAT = 'recur-checkpoint';
export const POINTER_FORMAT = 'recur-checkpoint-pointer';
export const CHECKPOINT_VERSION = 1;
export const POINTER = 'latest.json';
export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const META_FILE = 'checkpoint.json';
export const NAME_RE = /^ckpt-\d+(?:-\d+)?$/;
export const LEFTOVER_RE = /^(?:ckpt-\d+(?:-\d+)?(?:\.tmp)?|\.latest\.json\.\d+\.\d+\.tmp)$/;

/** One model tensor as listed in checkpoint.json (in the model's parameter order). */
export interface ManifestEntry {
  name: string;
  dtype: string;
  shape: number[];
}

/** The RNG state as `Rng.getState()` returns it. */
export interface RngState {
  s: number[];
  spare: number | null;
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface Pointer {
  latest: string;
  step: number;
  history: string[];
}

export function readPointer(dir: string, where: string): Pointer | null {
  const file = join(dir, POINTER);
  if (!existsSync(file)) return null;
  const fail = (m: string): never => {
    throw new CheckpointError(`${where}: ${file}: ${m}`);
  };
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return fail(`cannot read the pointer file: ${(e as Error).message}`);
  }
  if (typeof p !== 'object' || p === null || p.format !== POINTER_FORMAT)
    return fail(`not a ${POINTER_FORMAT} file`);
  if (p.version !== CHECKPOINT_VERSION) return fail(`unsupported version ${JSON.stringify(p.version)}`);
  if (typeof p.latest !== 'string' || !NAME_RE.test(p.latest))
    return fail(`'latest' must name a ckpt-* folder`);
  if (!Number.isSafeInteger(p.step) || (p.step as number) < 0) return fail(`'step' must be an integer >= 0`);
  const h = p.history;
  if (!Array.isArray(h) || !h.every((x) => typeof x === 'string' && NAME_RE.test(x))) {
    return fail(`'history' must be a list of ckpt-* folder names`);
  }
  return { latest: p.latest, step: p.step as number, history: h as string[] };
}

export function checkRng(rng: unknown, fail: (m: string) => never): void {
  const r = rng as RngState;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    Array.isArray(r.s) &&
    r.s.length === 4 &&
    r.s.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff) &&
    (r.spare === null || r.spare === undefined || (typeof r.spare === 'number' && Number.isFinite(r.spare)));
  if (!ok)
    fail(
      `rng must be { s: four uint32 words, spare: number | null }, got ${JSON.stringify(rng)?.slice(0, 80)}`,
    );
}
