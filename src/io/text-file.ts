/**
 * Reading a text file a model is to train or be evaluated on, with the checks that turn the usual
 * mistakes into one clear line: a missing or unreadable path, a directory, an empty file, a binary
 * file (NUL bytes) or bytes that are not UTF-8. A leading byte-order mark is dropped.
 */
import { readFileSync, statSync } from 'node:fs';
import { DataError } from '../util/errors.js';

export interface ReadTextOptions {
  /** Who is reading, for messages (e.g. 'train'). */
  where?: string;
  /** Fewest characters (UTF-16 units) accepted; default 1. */
  minChars?: number;
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  return code ? `${code}: ${(e as Error).message}` : String((e as Error)?.message ?? e);
}

/** Position of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const x = b[i];
    if (x < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (x >= 0xc2 && x <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (x >= 0xe0 && x <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (x >= 0xf0 && x <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= n) return i;
    let cp = x & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const y = b[i + k];
      if ((y & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (y & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Reads `path` as UTF-8 text; throws a DataError that names the file and what is wrong. */
export function readTextFile(path: string, options: ReadTextOptions = {}): string {
  const where = options.where ?? 'readTextFile';
  const minChars = options.minChars ?? 1;
  const label = `${where}: ${path}`;
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory())
      throw new DataError(`${label}: it is a directory; expected a UTF-8 text file`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${label}: cannot read the file (${reason(e)})`);
  }
  if (bytes.length === 0) throw new DataError(`${label}: the file is empty; expected UTF-8 text`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new DataError(`${label}: the file looks binary (a NUL byte at offset ${nul}); expected UTF-8 text`);
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const hex = bytes[bad].toString(16).toUpperCase().padStart(2, '0');
    throw new DataError(
      `${label}: the file is not valid UTF-8 (byte 0x${hex} at offset ${bad}); expected UTF-8 text`,
    );
  }
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length < minChars) {
    throw new DataError(
      `${label}: the file holds ${text.length} character${text.length === 1 ? '' : 's'}; expected at least ${minChars}`,
    );
  }
  return text;
}
