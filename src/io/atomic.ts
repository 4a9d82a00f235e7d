import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../util/errors.js';

/**
 * Crash-safe file writing. A file is written under a temporary name in the same directory, forced
 * to disk (fsync), and renamed over the target; then the directory is fsynced so the rename itself
 * is durable. rename(2) within one file system is atomic, so readers (and a process restarted
 * after a crash or power loss) see either the old file or the complete new one, never a mix.
 */

function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${err.code}: ${err.message}` : String(err?.message ?? e);
}

/**
 * Writes `bytes` to `path` and fsyncs it, without renaming (for files inside a directory that is
 * itself published by a rename). Throws CheckpointError naming the file.
 */
export function writeFileDurable(path: string, bytes: Uint8Array | string, where = 'writeFileDurable'): void {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o644);
  } catch (e) {
    throw new CheckpointError(`${where}: cannot create ${path}: ${describeError(e)}`);
  }
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (e) {
    throw new CheckpointError(`${where}: cannot write ${path}: ${describeError(e)}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes the entries of a directory (new files, renames) durable. Platforms that cannot open or
 * fsync a directory (Windows) skip this; there, rename is still atomic but not forced to disk.
 */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EPERM' || code === 'EACCES') return;
    throw new CheckpointError(`fsyncDir: cannot open directory ${dir}: ${describeError(e)}`);
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EBADF') {
      throw new CheckpointError(`fsyncDir: cannot fsync directory ${dir}: ${describeError(e)}`);
    }
  } finally {
    closeSync(fd);
  }
}

let counter = 0;

/**
 * Replaces `path` atomically: write a temporary file next to it (`.<name>.<pid>.<n>.tmp`), fsync
 * it, rename it over `path`, fsync the directory. On failure the temporary file is removed and
 * `path` is left as it was. Throws CheckpointError naming the file.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    writeFileDurable(tmp, bytes, 'writeFileAtomic');
    try {
      renameSync(tmp, path);
    } catch (e) {
      throw new CheckpointError(`writeFileAtomic: cannot rename ${tmp} to ${path}: ${describeError(e)}`);
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}
