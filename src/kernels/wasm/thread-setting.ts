/**
 * How many threads the wasm kernels use (1 or 2: `getThreads`, `setThreads`, RECUR_THREADS), and
 * the Node access behind it and behind the worker team (threads.ts): `worker_threads`, `os`, the
 * environment and the worker's options, all reached through `process.getBuiltinModule`, never a
 * static import, so this module loads in browsers too (where the setting is always 1 thread).
 */

export type ThreadCount = 1 | 2;

// ---- Node access (never a static import: this module is part of the browser build) ----

export interface WorkerLike {
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'message' | 'error' | 'exit', fn: (arg: unknown) => void): unknown;
}
interface WorkerThreadsModule {
  Worker: new (url: URL, options: { workerData: unknown; execArgv?: string[] | undefined }) => WorkerLike;
}
interface NodeProcess {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  execArgv?: string[];
  getBuiltinModule?: (id: string) => unknown;
}

/**
 * Node options for the worker: undefined (inherit the parent's) unless the parent was started
 * with `-e` / `-p` / `--input-type`, which a worker started from a file rejects; then the
 * parent's options without those. (An explicit list is validated, and process-wide options such
 * as `--expose-gc` are refused in it, hence inheriting whenever possible.)
 */
export function workerExecArgv(): string[] | undefined {
  const args = nodeProcess()?.execArgv ?? [];
  const entry = ['-e', '--eval', '-p', '--print', '--input-type'];
  const isEntry = (a: string) => entry.includes(a) || entry.some((e) => a.startsWith(`${e}=`));
  if (!args.some(isEntry)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (entry.includes(a)) i++;
    else if (!isEntry(a)) out.push(a);
  }
  return out;
}

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node ? p : undefined;
}

export function workerThreads(): WorkerThreadsModule | undefined {
  const get = nodeProcess()?.getBuiltinModule;
  if (!get || typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return undefined;
  try {
    return get('node:worker_threads') as WorkerThreadsModule | undefined;
  } catch {
    return undefined;
  }
}

function cores(): number {
  const os = nodeProcess()?.getBuiltinModule?.('node:os') as
    | { availableParallelism?: () => number; cpus(): unknown[] }
    | undefined;
  if (!os) return 1;
  return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
}

// ---- the setting ----

let threads: ThreadCount | 0 = 0;

/** Whether this environment can run the worker thread at all. */
export function threadsAvailable(): boolean {
  return workerThreads() !== undefined;
}

function resolveDefault(): ThreadCount {
  const env = nodeProcess()?.env?.RECUR_THREADS;
  if (env !== undefined && env !== '') {
    if (env !== '1' && env !== '2') {
      throw new Error(`RECUR_THREADS must be 1 or 2, got ${JSON.stringify(env)}`);
    }
    return env === '2' && threadsAvailable() ? 2 : 1;
  }
  return threadsAvailable() && cores() >= 2 ? 2 : 1;
}

/**
 * Threads the wasm kernels use: 2 (the main thread plus one worker) or 1. The default is
 * RECUR_THREADS (1 or 2) when set, else 2 where worker threads exist and the machine has at least
 * two cores. Where there are no worker threads (browsers) it is always 1.
 */
export function getThreads(): ThreadCount {
  if (threads === 0) threads = resolveDefault();
  return threads;
}

/**
 * Sets the number of threads of the wasm kernels (1 or 2), effective from the next call.
 * `setThreads(2)` where worker threads do not exist keeps 1 (see `getThreads`). With 1, workers
 * already started stay parked in Atomics.wait (no CPU, and they do not keep the process alive),
 * so switching back to 2 is immediate.
 */
export function setThreads(n: ThreadCount): void {
  if (n !== 1 && n !== 2) throw new RangeError(`setThreads: n must be 1 or 2, got ${JSON.stringify(n)}`);
  threads = n === 2 && threadsAvailable() ? 2 : 1;
}
