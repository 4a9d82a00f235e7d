/**
 * Reading a text file a model is to train or be evaluated on, with the checks that turn the usual
 * mistakes into one clear line: a missing or unreadable path, a directory, an empty file, a binary
 * file (NUL bytes) or bytes that are not UTF-8. A leading byte-order mark is dropped.
 *
 * `readTextFile` returns the whole text as one string. A large corpus is read in chunks instead
 * (`scanTextFile`, then `readTextChunks`; see text-chunks.ts), with the same checks and messages.
 */
import { readFileSync, statSync } from 'node:fs';
import { DataError } from '../util/errors.js';

export interface ReadTextOptions {
  /** Who is reading, for messages (e.g. 'train'). */
  where?: string;
  /** Fewest characters (UTF-16 units) accepted; default 1. */
  minChars?: number;
}

export function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  return code ? `${code}: ${(e as Error).message}` : String((e as Error)?.message ?? e);
}

/** Throws the DataError of a directory given where a file is expected. */
export function checkNotDirectory(path: string, label: string): void {
  if (statSync(path).isDirectory())
    throw new DataError(`${label}: it is a directory; expected a UTF-8 text file`);
}

export function emptyError(label: string): DataError {
  return new DataError(`${label}: the file is empty; expected UTF-8 text`);
}

export function binaryError(label: string, offset: number): DataError {
  return new DataError(
    `${label}: the file looks binary (a NUL byte at offset ${offset}); expected UTF-8 text`,
  );
}

export function tooShortError(label: string, units: number, minChars: number): DataError {
  return new DataError(
    `${label}: the file holds ${units} character${units === 1 ? '' : 's'}; expected at least ${minChars}`,
  );
}

/**
 * A streaming UTF-8 check: `feed` the bytes of a file in order, in chunks of any size (a character
 * may be split between chunks), then `end`. It finds the first byte that does not start or continue
 * a valid UTF-8 sequence (`bad`, its file offset; overlong forms, surrogates and code points above
 * U+10FFFF are invalid), and counts what the text would be after dropping leading byte-order marks
 * as `readTextFile` does: code points, UTF-16 units, newlines, whether '\n\n' occurs, and the set of
 * distinct code points. It stops looking at the bytes after the first invalid one.
 */
export class Utf8Scan {
  /** File offset of the first invalid byte, or -1. */
  bad = -1;
  /** That byte. */
  badByte = 0;
  /** Code points of the text (byte-order marks dropped). */
  chars = 0;
  /** UTF-16 units of the text: the `length` of the JS string it decodes to. */
  units = 0;
  newlines = 0;
  /** True if the text holds two newlines in a row. */
  blankLine = false;
  /** `seenBmp[cp]` is 1 for every code point below U+10000 that occurs. */
  readonly seenBmp = new Uint8Array(0x10000);
  readonly seenAstral = new Set<number>();
  private offset = 0;
  private need = 0;
  private cp = 0;
  private min = 0;
  private lead = 0;
  private leadByte = 0;
  private prev = -1;
  private boms = 0;

  feed(b: Uint8Array): void {
    const base = this.offset;
    this.offset += b.length;
    if (this.bad >= 0) return;
    const seen = this.seenBmp;
    const n = b.length;
    let need = this.need;
    let cp = this.cp;
    let ascii = 0;
    let newlines = 0;
    let prev = this.prev;
    for (let i = 0; i < n; i++) {
      const x = b[i];
      if (need === 0) {
        if (x < 0x80) {
          ascii++;
          seen[x] = 1;
          if (x === 10) {
            newlines++;
            if (prev === 10) this.blankLine = true;
          }
          prev = x;
          continue;
        }
        this.lead = base + i;
        this.leadByte = x;
        if (x >= 0xc2 && x <= 0xdf) {
          need = 1;
          this.min = 0x80;
        } else if (x >= 0xe0 && x <= 0xef) {
          need = 2;
          this.min = 0x800;
        } else if (x >= 0xf0 && x <= 0xf4) {
          need = 3;
          this.min = 0x10000;
        } else {
          this.fail();
          break;
        }
        cp = x & (0x3f >> need);
        continue;
      }
      if ((x & 0xc0) !== 0x80) {
        this.fail();
        break;
      }
      cp = (cp << 6) | (x & 0x3f);
      if (--need > 0) continue;
      if (cp < this.min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        this.fail();
        break;
      }
      this.chars += ascii;
      this.units += ascii;
      ascii = 0;
      this.emit(cp);
      prev = cp;
    }
    this.chars += ascii;
    this.units += ascii;
    this.newlines += newlines;
    this.need = need;
    this.cp = cp;
    this.prev = prev;
  }

  /** Call after the last chunk: a character cut off by the end of the file is invalid. */
  end(): void {
    if (this.bad < 0 && this.need > 0) this.fail();
  }

  /** The distinct code points, ascending. */
  codePoints(): number[] {
    const out: number[] = [];
    for (let cp = 0; cp < 0x10000; cp++) if (this.seenBmp[cp]) out.push(cp);
    for (const cp of [...this.seenAstral].sort((a, b) => a - b)) out.push(cp);
    return out;
  }

  /** The DataError for the first invalid byte (call when `bad >= 0`). */
  error(label: string): DataError {
    const hex = this.badByte.toString(16).toUpperCase().padStart(2, '0');
    return new DataError(
      `${label}: the file is not valid UTF-8 (byte 0x${hex} at offset ${this.bad}); expected UTF-8 text`,
    );
  }

  private emit(cp: number): void {
    // A leading byte-order mark is dropped, and one more U+FEFF after it (readTextFile's rule).
    if (cp === 0xfeff && this.chars === 0 && this.boms < 2) {
      this.boms++;
      return;
    }
    this.chars++;
    if (cp < 0x10000) {
      this.seenBmp[cp] = 1;
      this.units++;
    } else {
      this.seenAstral.add(cp);
      this.units += 2;
    }
  }

  /** The sequence that started at `lead` is invalid. */
  private fail(): void {
    this.bad = this.lead;
    this.badByte = this.leadByte;
  }
}

/** Reads `path` as UTF-8 text; throws a DataError that names the file and what is wrong. */
export function readTextFile(path: string, options: ReadTextOptions = {}): string {
  const where = options.where ?? 'readTextFile';
  const minChars = options.minChars ?? 1;
  const label = `${where}: ${path}`;
  let bytes: Uint8Array;
  try {
    checkNotDirectory(path, label);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${label}: cannot read the file (${reason(e)})`);
  }
  if (bytes.length === 0) throw emptyError(label);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw binaryError(label, nul);
  const scan = new Utf8Scan();
  scan.feed(bytes);
  scan.end();
  if (scan.bad >= 0) throw scan.error(label);
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length < minChars) throw tooShortError(label, text.length, minChars);
  return text;
}
