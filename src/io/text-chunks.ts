/**
 * Reading a large UTF-8 text file in fixed-size chunks, so that a corpus of hundreds of megabytes
 * never exists in memory as one buffer or one JS string. Two passes over the file:
 *
 * 1. `scanTextFile` checks it (the same checks and messages as `readTextFile`: missing, unreadable,
 *    a directory, empty, binary, not UTF-8, too short) and returns what is needed to allocate and
 *    build a vocabulary: the number of characters, the distinct characters, a few statistics.
 * 2. `readTextChunks` yields the text as pieces of at most about one chunk each (decoded with a
 *    streaming `TextDecoder`, so no piece ends inside a character or a surrogate pair), which the
 *    caller encodes into one preallocated id array.
 *
 * Memory: one chunk of bytes and one decoded piece at a time (64 KiB by default).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { ConfigError, DataError } from '../util/errors.js';
import {
  binaryError,
  checkNotDirectory,
  emptyError,
  type ReadTextOptions,
  reason,
  tooShortError,
  Utf8Scan,
} from './text-file.js';

export interface ReadChunksOptions extends ReadTextOptions {
  /** Bytes read at a time; default 64 KiB. */
  chunkBytes?: number;
}

/** What the first pass learns about a text file. Counts are of the text after byte-order marks. */
export interface TextFileScan {
  /** Size of the file in bytes. */
  bytes: number;
  /** Characters (code points). */
  chars: number;
  /** UTF-16 units: the `length` of the string `readTextFile` would return. */
  units: number;
  /** Lines as `text.split('\n').length` counts them (newlines + 1). */
  lines: number;
  /** True if the text holds an empty line ('\n\n'). */
  blankLine: boolean;
  /** The distinct characters as code points, ascending. */
  codePoints: number[];
}

// 64 KiB: larger decoded pieces (from about 1 MB) become external strings, which V8 frees only
// after tens of megabytes of them have piled up.
const DEFAULT_CHUNK = 1 << 16;

function chunkSize(options: ReadChunksOptions, fn: string): number {
  const c = options.chunkBytes ?? DEFAULT_CHUNK;
  if (!Number.isInteger(c) || c < 1)
    throw new ConfigError(`${fn}: chunkBytes must be a positive integer, got ${c}`);
  return c;
}

/**
 * The bytes of the file in order, one chunk at a time (the same buffer is reused: use each chunk
 * before asking for the next). File system errors become one-line DataErrors; the file is closed
 * when the loop ends, however it ends.
 */
function* fileChunks(path: string, label: string, chunkBytes: number): Generator<Uint8Array> {
  let fd: number;
  try {
    checkNotDirectory(path, label);
    fd = openSync(path, 'r');
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${label}: cannot read the file (${reason(e)})`);
  }
  const buf = new Uint8Array(chunkBytes);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, chunkBytes, null);
      } catch (e) {
        throw new DataError(`${label}: cannot read the file (${reason(e)})`);
      }
      if (n === 0) return;
      yield n === chunkBytes ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** First pass: checks the file and counts its characters; throws a DataError naming what is wrong. */
export function scanTextFile(path: string, options: ReadChunksOptions = {}): TextFileScan {
  const where = options.where ?? 'scanTextFile';
  const minChars = options.minChars ?? 1;
  const chunkBytes = chunkSize(options, 'scanTextFile');
  const label = `${where}: ${path}`;
  const scan = new Utf8Scan();
  let bytes = 0;
  for (const b of fileChunks(path, label, chunkBytes)) {
    // A NUL byte anywhere says "binary" even after bytes that are not UTF-8, as readTextFile.
    const nul = b.indexOf(0);
    if (nul >= 0) throw binaryError(label, bytes + nul);
    scan.feed(b);
    bytes += b.length;
  }
  if (bytes === 0) throw emptyError(label);
  scan.end();
  if (scan.bad >= 0) throw scan.error(label);
  if (scan.units < minChars) throw tooShortError(label, scan.units, minChars);
  return {
    bytes,
    chars: scan.chars,
    units: scan.units,
    lines: scan.newlines + 1,
    blankLine: scan.blankLine,
    codePoints: scan.codePoints(),
  };
}

/**
 * Second pass: the text of a file `scanTextFile` has checked, as pieces (byte-order marks dropped
 * as `readTextFile` drops them). `expectBytes` is the size the scan saw: a file that changed in
 * between (other size, or bytes that no longer decode) throws a DataError.
 */
export function* readTextChunks(
  path: string,
  expectBytes: number,
  options: ReadChunksOptions = {},
): Generator<string, void, undefined> {
  const where = options.where ?? 'readTextChunks';
  const chunkBytes = chunkSize(options, 'readTextChunks');
  const label = `${where}: ${path}`;
  const changed = () => new DataError(`${label}: the file changed while it was being read; try again`);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  let atStart = true;
  const decode = (b: Uint8Array, stream: boolean): string => {
    let s: string;
    try {
      s = decoder.decode(b, { stream });
    } catch {
      throw changed();
    }
    // TextDecoder drops the byte-order mark; readTextFile drops one more U+FEFF after it.
    if (atStart && s.length > 0) {
      atStart = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    return s;
  };
  for (const b of fileChunks(path, label, chunkBytes)) {
    offset += b.length;
    if (offset > expectBytes) throw changed();
    const s = decode(b, true);
    if (s.length > 0) yield s;
  }
  if (offset !== expectBytes) throw changed();
  const rest = decode(new Uint8Array(0), false);
  if (rest.length > 0) yield rest;
}
