/**
 * Text helpers that work on strings and UTF-8 bytes without touching the file system, so src/io
 * (or a browser's File API) reads the bytes and the data layer does the rest.
 *
 * Text is treated as a sequence of Unicode code points, not UTF-16 code units: an emoji is one
 * character. A lone surrogate (possible in a JS string, not in valid UTF-8) counts as one code point,
 * as `String.prototype.codePointAt` treats it.
 */
import { DataError } from '../util/errors.js';
import { checkPositiveInt, describe } from './_util.js';

/** Number of code points in `text` (an astral character counts once). One pass, no allocation. */
export function countCodePoints(text: string): number {
  if (typeof text !== 'string')
    throw new DataError(`countCodePoints: text must be a string, got ${describe(text)}`);
  let n = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const BOM = [0xef, 0xbb, 0xbf];

function hasBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
}

/**
 * Number of code points in UTF-8 `bytes`: every byte that is not a continuation byte (10xxxxxx)
 * starts one. A leading byte-order mark is not counted, because `decodeUtf8Chunks` drops it.
 * Assumes valid UTF-8; `decodeUtf8Chunks` is the validating reader.
 */
export function countUtf8CodePoints(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array)) {
    throw new DataError(`countUtf8CodePoints: bytes must be a Uint8Array, got ${describe(bytes)}`);
  }
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] & 0xc0) !== 0x80) n++;
  return hasBom(bytes) ? n - 1 : n;
}

/**
 * Decodes UTF-8 `bytes` piece by piece (`chunkBytes` bytes per piece, default 1 MiB), so a large
 * corpus never has to exist as one JS string. A multi-byte character split by a chunk boundary is
 * carried to the next piece (TextDecoder's streaming mode), so no piece ends inside a character or a
 * surrogate pair. A leading byte-order mark is dropped. Invalid UTF-8 (usually a binary file) throws
 * a DataError with the byte range of the failing piece.
 */
export function* decodeUtf8Chunks(
  bytes: Uint8Array,
  chunkBytes = 1 << 20,
): Generator<string, void, undefined> {
  if (!(bytes instanceof Uint8Array)) {
    throw new DataError(`decodeUtf8Chunks: bytes must be a Uint8Array, got ${describe(bytes)}`);
  }
  checkPositiveInt(chunkBytes, 'decodeUtf8Chunks', 'chunkBytes');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let start = 0; start < bytes.length; start += chunkBytes) {
    const end = Math.min(bytes.length, start + chunkBytes);
    let s: string;
    try {
      s = decoder.decode(bytes.subarray(start, end), { stream: end < bytes.length });
    } catch {
      throw new DataError(
        `decodeUtf8Chunks: bytes ${start}..${end} are not valid UTF-8 (is this a binary file?); expected UTF-8 text`,
      );
    }
    if (s.length > 0) yield s;
  }
}

/**
 * Calls `fn(codePoint, utf16Index)` for every code point of `text`. Used where a loop over
 * `for (const ch of text)` would allocate a string per character.
 */
export function forEachCodePoint(text: string, fn: (cp: number, index: number) => void): void {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        fn((c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000, i);
        i++;
        continue;
      }
    }
    fn(c, i);
  }
}

/** `U+00E9 'é'` style rendering of a code point for error messages. */
export function fmtCodePoint(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const printable = cp > 0x20 && cp !== 0x7f && !(cp >= 0xd800 && cp <= 0xdfff);
  return printable ? `U+${hex} ${JSON.stringify(String.fromCodePoint(cp))}` : `U+${hex}`;
}
