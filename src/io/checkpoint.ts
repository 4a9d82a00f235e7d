import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { CheckpointError, ConfigError, fmtShape } from '../util/errors.js';
import { fsyncDir, writeFileAtomic, writeFileDurable } from './atomic.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { decodeTree, encodeTree } from './state-tree.js';

/**
 * Training checkpoints that survive a crash at any moment.
 *
 * Layout of a checkpoint directory `dir`:
 *
 * ```
 * dir/latest.json                 {"format": "recur-checkpoint-pointer", "latest": "ckpt-00001200", ...}
 * dir/ckpt-00001200/model.safetensors      parameters under their PyTorch names and shapes
 * dir/ckpt-00001200/optimizer.safetensors  optimizer buffers (when an optimizer state is given)
 * dir/ckpt-00001200/checkpoint.json        step, config, RNG, metrics, scheduler, optimizer options,
 *                                          sizes and SHA-256 of the two files, tensor manifest
 * ```
 *
 * Saving: every file of the new checkpoint is written and fsynced inside `ckpt-<step>.tmp`, the
 * folder is fsynced and renamed to `ckpt-<step>` (a suffix `-1`, `-2`, ... when the name exists),
 * the parent is fsynced, and only then is `latest.json` replaced atomically (writeFileAtomic).
 * Older checkpoints are deleted last, keeping `keepLast` of them. A crash before the pointer is
 * replaced leaves the previous checkpoint as the latest, complete; a crash after leaves the new
 * one. Leftovers of an interrupted save (`*.tmp`, unreferenced `ckpt-*`) are removed by the next
 * save. One writer per directory; the directory belongs to the checkpointer (entries named
 * `ckpt-*` that the pointer does not keep are deleted).
 */

export const CHECKPOINT_FORMAT = 'recur-checkpoint';
export const POINTER_FORMAT = 'recur-checkpoint-pointer';
export const CHECKPOINT_VERSION = 1;
const POINTER = 'latest.json';
const MODEL_FILE = 'model.safetensors';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const META_FILE = 'checkpoint.json';
const NAME_RE = /^ckpt-\d+(?:-\d+)?$/;
const LEFTOVER_RE = /^(?:ckpt-\d+(?:-\d+)?(?:\.tmp)?|\.latest\.json\.\d+\.\d+\.tmp)$/;

/** One model tensor as listed in checkpoint.json (in the model's parameter order). */
interface ManifestEntry {
  name: string;
  dtype: string;
  shape: number[];
}

/** The RNG state as `Rng.getState()` returns it. */
export interface RngState {
  s: number[];
  spare: number | null;
}

export interface CheckpointData {
  /** Training step (or epoch) number, an integer >= 0. */
  step: number;
  /** The parameters: a Module (its `stateDict()` is saved) or tensors by name. */
  model: Module | Map<string, Tensor> | Record<string, Tensor>;
  /** What is needed to rebuild the model: its config, the vocabulary, ... (JSON values). */
  config?: Record<string, unknown>;
  /**
   * The optimizer's `stateDict()`, or any JSON-like value: its typed arrays and Tensors go to
   * optimizer.safetensors, the rest to checkpoint.json.
   */
  optimizer?: unknown;
  /** A scheduler's `stateDict()` (JSON values). */
  scheduler?: unknown;
  rng?: RngState | null;
  metrics?: Record<string, unknown>;
  /** Anything else to keep (JSON values). */
  extra?: unknown;
}

export interface SaveCheckpointOptions {
  /** How many checkpoints to keep, the new one included (default 2; Infinity keeps all). */
  keepLast?: number;
}

export interface SavedCheckpoint {
  /** The checkpoint's folder. */
  path: string;
  step: number;
}

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

// ---------------------------------------------------------------------------------------------
// Saving

function toTensorMap(model: CheckpointData['model']): Map<string, Tensor> {
  const m =
    model instanceof Module
      ? model.stateDict()
      : model instanceof Map
        ? model
        : new Map(Object.entries(model ?? {}));
  for (const [name, t] of m) {
    if (!(t instanceof Tensor))
      throw new ConfigError(`saveCheckpoint: model tensor '${name}' is not a Tensor`);
  }
  return m;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const pad = (step: number) => String(step).padStart(8, '0');

interface Pointer {
  latest: string;
  step: number;
  history: string[];
}

function readPointer(dir: string, where: string): Pointer | null {
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

/**
 * Saves a checkpoint into `dir` (created if needed) so that a crash at any moment leaves the
 * previous complete checkpoint loadable (see the module comment). Returns the new folder.
 */
export function saveCheckpoint(
  dir: string,
  data: CheckpointData,
  options: SaveCheckpointOptions = {},
): SavedCheckpoint {
  const where = 'saveCheckpoint';
  if (typeof data !== 'object' || data === null) throw new ConfigError(`${where}: data must be an object`);
  const { step } = data;
  if (!Number.isSafeInteger(step) || step < 0)
    throw new ConfigError(`${where}: step must be an integer >= 0, got ${JSON.stringify(step)}`);
  const keepLast = options.keepLast ?? 2;
  if (!(keepLast === Number.POSITIVE_INFINITY || (Number.isSafeInteger(keepLast) && keepLast >= 1))) {
    throw new ConfigError(
      `${where}: keepLast must be an integer >= 1 or Infinity, got ${JSON.stringify(keepLast)}`,
    );
  }
  // Serialize everything before touching the disk, so bad input changes nothing.
  const model = toTensorMap(data.model);
  const modelBytes = encodeSafetensors(model, { format: 'pt' });
  const optTensors = new Map<string, Tensor>();
  const optimizer =
    data.optimizer === undefined || data.optimizer === null
      ? null
      : encodeTree(data.optimizer, 'optimizer', optTensors);
  const optBytes = optimizer === null ? null : encodeSafetensors(optTensors);
  const files: Record<string, { bytes: number; sha256: string }> = {
    [MODEL_FILE]: { bytes: modelBytes.length, sha256: sha256(modelBytes) },
  };
  if (optBytes) files[OPTIMIZER_FILE] = { bytes: optBytes.length, sha256: sha256(optBytes) };
  const manifest: ManifestEntry[] = [];
  for (const [name, t] of model)
    manifest.push({ name, dtype: t.dtype === 'float64' ? 'F64' : 'F32', shape: [...t.shape] });
  if (data.rng !== undefined && data.rng !== null)
    checkRng(data.rng, (m) => {
      throw new ConfigError(`${where}: ${m}`);
    });
  const meta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step,
    savedAt: new Date().toISOString(),
    files,
    model: { tensors: manifest },
    config: encodeTree(data.config ?? {}, 'config', null),
    optimizer,
    scheduler: encodeTree(data.scheduler ?? null, 'scheduler', null),
    rng: data.rng ? { s: [...data.rng.s], spare: data.rng.spare ?? null } : null,
    metrics: encodeTree(data.metrics ?? null, 'metrics', null),
    extra: encodeTree(data.extra ?? null, 'extra', null),
  };
  const metaText = `${JSON.stringify(meta, null, 1)}\n`;

  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CheckpointError(`${where}: cannot create ${dir}: ${(e as Error).message}`);
  }
  const prev = readPointer(dir, where);
  let name = `ckpt-${pad(step)}`;
  for (let k = 1; existsSync(join(dir, name)) || name === prev?.latest; k++) name = `ckpt-${pad(step)}-${k}`;
  const tmp = join(dir, `${name}.tmp`);
  const final = join(dir, name);
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    writeFileDurable(join(tmp, MODEL_FILE), modelBytes, where);
    if (optBytes) writeFileDurable(join(tmp, OPTIMIZER_FILE), optBytes, where);
    writeFileDurable(join(tmp, META_FILE), metaText, where);
    fsyncDir(tmp);
    renameSync(tmp, final);
    fsyncDir(dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`${where}: cannot write ${final}: ${(e as Error).message}`);
  }
  const history = prev ? [prev.latest, ...prev.history].slice(0, keepLast - 1) : [];
  const pointer = { format: POINTER_FORMAT, version: CHECKPOINT_VERSION, latest: name, step, history };
  writeFileAtomic(join(dir, POINTER), `${JSON.stringify(pointer, null, 1)}\n`);
  // Prune last: a crash here only leaves extra folders, which the next save removes.
  const keep = new Set([name, ...history]);
  for (const entry of readdirSync(dir)) {
    if (LEFTOVER_RE.test(entry) && !keep.has(entry)) {
      try {
        rmSync(join(dir, entry), { recursive: true, force: true });
      } catch {
        // Not fatal: the checkpoint is saved; the next save tries again.
      }
    }
  }
  return { path: final, step };
}

// ---------------------------------------------------------------------------------------------
// Loading

function checkRng(rng: unknown, fail: (m: string) => never): void {
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
