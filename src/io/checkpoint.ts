import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { CheckpointError, ConfigError } from '../util/errors.js';
import { fsyncDir, writeFileAtomic, writeFileDurable } from './atomic.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  checkRng,
  LEFTOVER_RE,
  type ManifestEntry,
  META_FILE,
  MODEL_FILE,
  OPTIMIZER_FILE,
  POINTER,
  POINTER_FORMAT,
  type RngState,
  readPointer,
  sha256,
} from './checkpoint-format.js';
import { encodeSafetensors } from './safetensors.js';
import { encodeTree } from './state-tree.js';

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
 *
 * File names, the pointer and the manifest: checkpoint-format.ts; loading: checkpoint-load.ts.
 */

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

const pad = (step: number) => String(step).padStart(8, '0');

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
