/**
 * Loading training checkpoints written by saveCheckpoint (checkpoint.ts): finding the latest one
 * through `latest.json`, and reading it back with every size, hash, manifest entry and optimizer
 * reference checked, so a damaged checkpoint is a CheckpointError naming the file, never bad data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { CheckpointError, fmtShape } from '../util/errors.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  checkRng,
  type ManifestEntry,
  META_FILE,
  MODEL_FILE,
  OPTIMIZER_FILE,
  POINTER,
  type Pointer,
  type RngState,
  readPointer,
  sha256,
} from './checkpoint-format.js';
import { decodeSafetensors } from './safetensors.js';
import { decodeTree } from './state-tree.js';

export interface LoadedCheckpoint {
  path: string;
  step: number;
  savedAt: string;
  model: Map<string, Tensor>;
  config: Record<string, unknown>;
  optimizer: unknown;
  scheduler: unknown;
  rng: RngState | null;
  metrics: Record<string, unknown> | null;
  extra: unknown;
}

export interface LoadCheckpointOptions {
  /** Check that the tensors match this module's parameter names and shapes, then load them into it. */
  model?: Module;
}

function readChecked(file: string, expect: { bytes: number; sha256: string }, where: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      `${where}: ${file}: ${code === 'ENOENT' ? 'the file is missing' : (e as Error).message}`,
    );
  }
  if (bytes.length !== expect.bytes) {
    throw new CheckpointError(
      `${where}: ${file}: the file has ${bytes.length} bytes, checkpoint.json says ${expect.bytes} (truncated or replaced?)`,
    );
  }
  if (sha256(bytes) !== expect.sha256) {
    throw new CheckpointError(
      `${where}: ${file}: the SHA-256 does not match checkpoint.json (the file is corrupt)`,
    );
  }
  return bytes;
}

/** The folder of the latest complete checkpoint in `dir`, or null when there is none. */
export function latestCheckpoint(dir: string): string | null {
  const p = readPointer(dir, 'latestCheckpoint');
  return p ? join(dir, p.latest) : null;
}

/**
 * Loads the latest checkpoint of `path` (a directory written by saveCheckpoint), or the checkpoint
 * folder `path` itself. Validates everything: the pointer, checkpoint.json's fields, file sizes and
 * SHA-256, the safetensors contents against the manifest, the optimizer's references, and (with
 * `options.model`) the parameter names and shapes, then loads the parameters into that model.
 * Every problem is a CheckpointError naming the file.
 */
export function loadCheckpoint(path: string, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
  const where = 'loadCheckpoint';
  let folder = path;
  let pointer: Pointer | null = null;
  if (!existsSync(join(path, META_FILE))) {
    pointer = readPointer(path, where);
    if (!pointer) {
      throw new CheckpointError(
        `${where}: ${path} holds no checkpoint (${existsSync(path) ? `neither ${POINTER} nor ${META_FILE}` : 'no such directory'})`,
      );
    }
    folder = join(path, pointer.latest);
  }
  const metaFile = join(folder, META_FILE);
  const fail = (m: string): never => {
    throw new CheckpointError(`${where}: ${metaFile}: ${m}`);
  };
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'the file is missing' : `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    return fail('must hold a JSON object');
  if (meta.format !== CHECKPOINT_FORMAT)
    return fail(`format must be '${CHECKPOINT_FORMAT}', got ${JSON.stringify(meta.format)}`);
  if (meta.version !== CHECKPOINT_VERSION) {
    return fail(
      `version ${JSON.stringify(meta.version)} is not supported (this library reads version ${CHECKPOINT_VERSION})`,
    );
  }
  const step = meta.step as number;
  if (!Number.isSafeInteger(step) || step < 0)
    return fail(`step must be an integer >= 0, got ${JSON.stringify(meta.step)}`);
  if (pointer && pointer.step !== step)
    return fail(`step ${step} disagrees with ${POINTER} (step ${pointer.step})`);
  const files = meta.files as Record<string, { bytes: number; sha256: string }>;
  if (typeof files !== 'object' || files === null) return fail('files must be an object');
  for (const [f, info] of Object.entries(files)) {
    if (f !== MODEL_FILE && f !== OPTIMIZER_FILE)
      return fail(`files lists an unknown file ${JSON.stringify(f)}`);
    if (
      typeof info !== 'object' ||
      info === null ||
      !Number.isSafeInteger(info.bytes) ||
      !/^[0-9a-f]{64}$/.test(String(info.sha256))
    ) {
      return fail(`files.${f} must be { bytes: integer, sha256: 64 hex digits }`);
    }
  }
  if (!files[MODEL_FILE]) return fail(`files must list ${MODEL_FILE}`);
  if ((meta.optimizer === null || meta.optimizer === undefined) !== !files[OPTIMIZER_FILE]) {
    return fail(`optimizer and files.${OPTIMIZER_FILE} must be present together`);
  }
  const manifest = (meta.model as { tensors?: unknown } | null)?.tensors as ManifestEntry[];
  if (
    !Array.isArray(manifest) ||
    !manifest.every((e) => typeof e === 'object' && e !== null && typeof e.name === 'string')
  ) {
    return fail('model.tensors must be a list of { name, dtype, shape }');
  }
  const listed = new Set(manifest.map((e) => e.name));
  if (listed.size !== manifest.length) return fail('model.tensors lists a name twice');
  if (typeof meta.config !== 'object' || meta.config === null || Array.isArray(meta.config))
    return fail('config must be an object');
  if (meta.rng !== null && meta.rng !== undefined) checkRng(meta.rng, fail);
  if (!Object.hasOwn(meta, 'savedAt') || typeof meta.savedAt !== 'string')
    return fail('savedAt must be a string');

  // Model tensors: exactly the manifest.
  const modelFile = join(folder, MODEL_FILE);
  const modelTensors = decodeSafetensors(readChecked(modelFile, files[MODEL_FILE], where), modelFile);
  const stored = modelTensors.tensors;
  const model = new Map<string, Tensor>(); // in the manifest's order: the model's parameter order
  const failModel = (m: string): never => {
    throw new CheckpointError(`${where}: ${modelFile}: ${m}`);
  };
  for (const info of manifest) {
    const { name } = info;
    const t = stored.get(name);
    if (!t) return failModel(`tensor '${name}' listed in ${META_FILE} is missing`);
    model.set(name, t);
    const dtype = modelTensors.dtypes.get(name);
    const shape = info?.shape;
    if (
      !Array.isArray(shape) ||
      info.dtype !== dtype ||
      shape.length !== t.rank ||
      shape.some((d, i) => d !== t.shape[i])
    ) {
      failModel(
        `tensor '${name}' is ${dtype} ${fmtShape(t.shape)}, ${META_FILE} says ${info.dtype} ${JSON.stringify(shape)}`,
      );
    }
  }
  for (const name of stored.keys()) {
    if (!listed.has(name)) failModel(`tensor '${name}' is not listed in ${META_FILE}`);
  }

  // Optimizer state: typed arrays from optimizer.safetensors, each referenced exactly once.
  let optimizer: unknown = null;
  if (files[OPTIMIZER_FILE]) {
    const optFile = join(folder, OPTIMIZER_FILE);
    const opt = decodeSafetensors(readChecked(optFile, files[OPTIMIZER_FILE], where), optFile);
    for (const [name, dt] of opt.dtypes) {
      if (dt !== 'F32' && dt !== 'F64')
        throw new CheckpointError(
          `${where}: ${optFile}: tensor '${name}' has dtype ${dt}, expected F32 or F64`,
        );
    }
    const used = new Set<string>();
    optimizer = decodeTree(meta.optimizer, 'optimizer', opt.tensors, used, fail, OPTIMIZER_FILE);
    for (const name of opt.tensors.keys()) {
      if (!used.has(name))
        throw new CheckpointError(`${where}: ${optFile}: tensor '${name}' is not referenced by ${META_FILE}`);
    }
  }
  const plain = (v: unknown, p: string) => decodeTree(v ?? null, p, null, new Set(), fail);

  if (options.model) {
    const mine = new Map(options.model.namedParameters());
    for (const [name, p] of mine) {
      const t = model.get(name);
      if (!t) failModel(`has no tensor '${name}', which the model needs`);
      else if (t.rank !== p.rank || t.shape.some((d, i) => d !== p.shape[i])) {
        failModel(`tensor '${name}' has shape ${fmtShape(t.shape)}, the model needs ${fmtShape(p.shape)}`);
      }
    }
    for (const name of model.keys())
      if (!mine.has(name)) failModel(`tensor '${name}' is not a parameter of the model`);
    options.model.loadStateDict(model);
  }
  return {
    path: folder,
    step,
    savedAt: meta.savedAt as string,
    model,
    config: plain(meta.config, 'config') as Record<string, unknown>,
    optimizer,
    scheduler: plain(meta.scheduler, 'scheduler'),
    rng: meta.rng ? { s: [...(meta.rng as RngState).s], spare: (meta.rng as RngState).spare ?? null } : null,
    metrics: plain(meta.metrics, 'metrics') as Record<string, unknown> | null,
    extra: plain(meta.extra, 'extra'),
  };
}
