/** Helpers of `recur train` (train.ts): the optimizer, the run folder, the corpus, the threads. */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type LoadedCheckpoint, loadCheckpoint } from '../io/checkpoint-load.js';
import { getBackend } from '../kernels/registry.js';
import { getThreads, setThreads, threadsAvailable } from '../kernels/wasm/index.js';
import type { CharLM } from '../models/char-lm.js';
import { Adam, AdamW } from '../train/optim/adam.js';
import type { Optimizer } from '../train/optim/optimizer.js';
import { RMSprop } from '../train/optim/rmsprop.js';
import { SGD } from '../train/optim/sgd.js';
import { CheckpointError, ConfigError, DataError, RecurError } from '../util/errors.js';
import { type Corpus, DATASETS, loadDataset, loadTextFile } from './datasets.js';
import { checkRunConfig, checkRunDir, RUN_FILES, type RunConfig, type TrainSettings } from './run.js';
import { kebab, RESUMABLE, type Settings, settingsFromFlags } from './train-flags.js';

const CMD = 'train';

/** State of the CLI's own bookkeeping, saved in checkpoints next to fit's. */
export interface CliState {
  bestBpc: number | null;
  bestStep: number | null;
  /** Running sums of the current --log-every interval. */
  acc: { sum: number; tokens: number };
}

export function makeOptimizer(model: CharLM, t: TrainSettings): Optimizer<{ lr: number; maximize: boolean }> {
  const params = model.parameters();
  const o = { lr: t.lr, weightDecay: t.weightDecay };
  switch (t.optimizer) {
    case 'adam':
      return new Adam(params, o) as unknown as Optimizer<{ lr: number; maximize: boolean }>;
    case 'adamw':
      return new AdamW(params, o) as unknown as Optimizer<{ lr: number; maximize: boolean }>;
    case 'rmsprop':
      // char-rnn's RMSprop decay rate.
      return new RMSprop(params, { ...o, alpha: 0.95 }) as unknown as Optimizer<{
        lr: number;
        maximize: boolean;
      }>;
    default:
      return new SGD(params, { ...o, momentum: 0.9 }) as unknown as Optimizer<{
        lr: number;
        maximize: boolean;
      }>;
  }
}

export function timestamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Prepares a fresh run folder; refuses to replace a run unless --overwrite. */
export function prepareOutDir(dir: string, overwrite: boolean): void {
  const mine = Object.values(RUN_FILES).filter((f) => existsSync(join(dir, f)));
  if (mine.length > 0) {
    if (!overwrite) {
      throw new ConfigError(
        `${CMD}: ${dir} already holds a run (${mine.join(', ')}); continue it with --resume ${dir}, pick another --out, or pass --overwrite to replace it`,
      );
    }
    for (const f of mine) rmSync(join(dir, f), { recursive: true, force: true });
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ConfigError(
      `${CMD}: cannot create the run folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

export function loadCorpus(file: string | undefined, dataset: string | undefined): Corpus {
  if (file !== undefined && dataset !== undefined) {
    throw new ConfigError(
      `${CMD}: give either a FILE or --dataset, not both (got '${file}' and --dataset ${dataset})`,
    );
  }
  if (dataset !== undefined) return loadDataset(dataset, CMD);
  if (file !== undefined) return loadTextFile(file, CMD);
  throw new ConfigError(
    `${CMD}: no training text; give a FILE or --dataset ${DATASETS.join('|')} (see recur train --help)`,
  );
}

export function applyThreads(threads: number | undefined): string {
  const backend = getBackend();
  if (threads !== undefined) {
    if (backend !== 'wasm') {
      throw new ConfigError(
        `${CMD}: --threads applies to the wasm backend, but the ${backend} backend is in use (RECUR_BACKEND)`,
      );
    }
    if (threads === 2 && !threadsAvailable()) {
      throw new ConfigError(
        `${CMD}: --threads 2 needs worker threads, which this environment lacks; use --threads 1`,
      );
    }
    setThreads(threads as 1 | 2);
  }
  if (backend !== 'wasm') return `${backend} kernels`;
  const n = getThreads();
  return `wasm kernels, ${n} thread${n === 1 ? '' : 's'}`;
}

export interface ResolvedRun {
  settings: Settings;
  corpus: Corpus;
  outDir: string;
  /** The checkpoint to continue from (null for a fresh run) and its run description. */
  resume: LoadedCheckpoint | null;
  savedConfig: RunConfig | null;
  /** The CLI's bookkeeping saved with that checkpoint. */
  saved: CliState | null;
}

/**
 * A fresh run from the flags, or (--resume DIR) the run saved in DIR: its settings, with only the
 * flags in RESUMABLE allowed to change, and its corpus, checked to be unchanged.
 */
export function resolveRun(
  values: Record<string, unknown>,
  given: Set<string>,
  file: string | undefined,
): ResolvedRun {
  const resumeDir = values.resume as string | undefined;
  let settings: Settings;
  let corpus: Corpus;
  let outDir: string;
  let resume: LoadedCheckpoint | null = null;
  let savedConfig: RunConfig | null = null;
  let saved: CliState | null = null;
  if (resumeDir !== undefined) {
    checkRunDir(resumeDir, CMD);
    if (given.has('out') && values.out !== resumeDir) {
      throw new ConfigError(
        `${CMD}: --out ${values.out} differs from --resume ${resumeDir}; a resumed run stays in its folder`,
      );
    }
    const ckDir = join(resumeDir, RUN_FILES.checkpoints);
    if (!existsSync(join(ckDir, 'latest.json'))) {
      throw new CheckpointError(
        `${CMD}: ${resumeDir}: no checkpoint to resume from (expected ${join(ckDir, 'latest.json')}, written by recur train)`,
      );
    }
    try {
      resume = loadCheckpoint(ckDir);
    } catch (e) {
      if (e instanceof RecurError)
        throw new CheckpointError(`${CMD}: ${e.message.replace(/^loadCheckpoint: /, '')}`);
      throw e;
    }
    const cfgFile = join(resume.path, 'checkpoint.json');
    savedConfig = checkRunConfig(resume.config, cfgFile, CMD);
    const fromSaved: Settings = {
      model: {
        cell: savedConfig.model.cell,
        hiddenSize: savedConfig.model.hiddenSize,
        numLayers: savedConfig.model.numLayers,
        embedSize: savedConfig.model.embedSize,
        dropout: savedConfig.model.dropout,
      },
      train: { ...savedConfig.train },
    };
    const fromFlags = settingsFromFlags(values);
    for (const key of given) {
      if (RESUMABLE.has(key) || key === 'dataset' || key === 'overwrite') continue;
      const inModel = key in fromSaved.model;
      const saved = inModel
        ? (fromSaved.model as Record<string, unknown>)[key]
        : (fromSaved.train as unknown as Record<string, unknown>)[key];
      const wanted = inModel
        ? (fromFlags.model as Record<string, unknown>)[key]
        : (fromFlags.train as unknown as Record<string, unknown>)[key];
      if (saved !== wanted) {
        throw new ConfigError(
          `${CMD}: --${kebab(key)} ${wanted} differs from the run being resumed (${saved}); a resumed run keeps its model, data and optimizer settings (only --max-epochs, --max-minutes, --max-steps, --patience, --eval-every, --log-every, --sample-length, --threads may change)`,
        );
      }
    }
    for (const key of given) {
      if (RESUMABLE.has(key) && key in fromSaved.train) {
        (fromSaved.train as unknown as Record<string, unknown>)[key] = (
          fromFlags.train as unknown as Record<string, unknown>
        )[key];
      }
    }
    settings = fromSaved;
    const src = savedConfig.data.source;
    if (values.dataset !== undefined && !(src.kind === 'dataset' && src.name === values.dataset)) {
      throw new ConfigError(
        `${CMD}: --dataset ${values.dataset} differs from the run being resumed (it trains on ${src.kind === 'dataset' ? `--dataset ${src.name}` : src.name})`,
      );
    }
    if (file !== undefined && !(src.kind === 'file' && src.name === file)) {
      throw new ConfigError(
        `${CMD}: FILE ${file} differs from the run being resumed (it trains on ${src.kind === 'dataset' ? `--dataset ${src.name}` : src.name})`,
      );
    }
    corpus = src.kind === 'dataset' ? loadDataset(src.name, CMD) : loadTextFile(src.name, CMD);
    if (corpus.sha256 !== savedConfig.data.sha256) {
      throw new DataError(
        `${CMD}: the training text ${src.kind === 'file' ? src.name : `of --dataset ${src.name}`} changed since the run started (its SHA-256 differs from the one in ${cfgFile}); resuming would not continue the same run`,
      );
    }
    outDir = resumeDir;
    saved = (resume.extra as { cli?: CliState } | null)?.cli ?? null;
  } else {
    corpus = loadCorpus(file, values.dataset as string | undefined);
    settings = settingsFromFlags(values);
    outDir = (values.out as string | undefined) ?? join('runs', `${corpus.label}-${timestamp()}`);
  }
  return { settings, corpus, outDir, resume, savedConfig, saved };
}
