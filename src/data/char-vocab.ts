/**
 * Character vocabulary, as in char-rnn and min-char-rnn: every distinct character of the training
 * text gets an id, in ascending code-point order, so the same text always gives the same ids (a
 * JS `Set` in insertion order would make ids depend on where each character first appears).
 *
 * Characters are Unicode code points, not UTF-16 units: '😀' is one id, and a surrogate pair is
 * never split into two meaningless halves. Lookup goes through a flat table for the Basic
 * Multilingual Plane and a Map for the rest, so encoding a 100 MB corpus allocates nothing per
 * character.
 */
import { ConfigError, DataError } from '../util/errors.js';
import {
  allocIds,
  checkKeys,
  checkNonNegInt,
  describe,
  type IdArray,
  idCapacity,
  isIdArray,
} from './_util.js';
import {
  countCodePoints,
  countUtf8CodePoints,
  decodeUtf8Chunks,
  fmtCodePoint,
  forEachCodePoint,
} from './text.js';

export interface CharVocabOptions {
  /**
   * A single character that stands for every character not in the vocabulary. It is added to the
   * vocabulary (in its sorted place) if the text lacks it. Without it, encoding an unknown
   * character throws a DataError naming the character and its position.
   */
  unk?: string;
}

/** The saved form, stored with a model's config. `chars[id]` is the character of `id`. */
export interface CharVocabJSON {
  kind: 'char';
  chars: string[];
  unk: string | null;
}

function singleCodePoint(s: unknown, where: string): number {
  if (typeof s !== 'string' || s.length === 0 || countCodePoints(s) !== 1) {
    throw new ConfigError(`${where} must be a single character, got ${describe(s)}`);
  }
  return s.codePointAt(0)!;
}

export class CharVocab {
  /** `chars[id]`: the character of each id. */
  readonly chars: readonly string[];
  /** Id of the unknown character, or -1 when unknown characters are an error. */
  readonly unkId: number;
  private readonly bmp: Int32Array;
  private readonly astral = new Map<number, number>();

  /** Use `CharVocab.build` or `CharVocab.fromJSON`; this takes ids in the given order as they are. */
  private constructor(codePoints: readonly number[], unk: number | null) {
    const seen = new Set<number>();
    let maxBmp = -1;
    for (const cp of codePoints) {
      if (seen.has(cp)) throw new DataError(`CharVocab: character ${fmtCodePoint(cp)} appears twice`);
      seen.add(cp);
      if (cp < 0x10000 && cp > maxBmp) maxBmp = cp;
    }
    this.bmp = new Int32Array(maxBmp + 1).fill(-1);
    codePoints.forEach((cp, id) => {
      if (cp < 0x10000) this.bmp[cp] = id;
      else this.astral.set(cp, id);
    });
    this.chars = Object.freeze(codePoints.map((cp) => String.fromCodePoint(cp)));
    this.unkId = unk === null ? -1 : this.lookup(unk);
  }

  /**
   * Builds the vocabulary of `text`: a string, or an iterable of string pieces (for example
   * `decodeUtf8Chunks(bytes)`) so that a large corpus need not be one string. Pieces must not split
   * a surrogate pair.
   */
  static build(text: string | Iterable<string>, options: CharVocabOptions = {}): CharVocab {
    checkKeys(options, ['unk'], 'CharVocab.build');
    const unk =
      options.unk === undefined ? null : singleCodePoint(options.unk, 'CharVocab.build: options.unk');
    const seenBmp = new Uint8Array(0x10000);
    const seenAstral = new Set<number>();
    const mark = (cp: number): void => {
      if (cp < 0x10000) seenBmp[cp] = 1;
      else seenAstral.add(cp);
    };
    if (typeof text === 'string') forEachCodePoint(text, mark);
    else if (text !== null && typeof text === 'object' && Symbol.iterator in text) {
      let k = 0;
      for (const piece of text) {
        if (typeof piece !== 'string') {
          throw new DataError(`CharVocab.build: text piece ${k} must be a string, got ${describe(piece)}`);
        }
        forEachCodePoint(piece, mark);
        k++;
      }
    } else {
      throw new DataError(
        `CharVocab.build: text must be a string or an iterable of strings, got ${describe(text)}`,
      );
    }
    if (unk !== null) mark(unk);
    const cps: number[] = [];
    for (let cp = 0; cp < 0x10000; cp++) if (seenBmp[cp]) cps.push(cp);
    cps.push(...[...seenAstral].sort((a, b) => a - b));
    if (cps.length === 0)
      throw new DataError('CharVocab.build: text is empty; expected at least one character');
    return new CharVocab(cps, unk);
  }

  /** Restores a saved vocabulary; ids are kept exactly as saved (no re-sorting). */
  static fromJSON(json: unknown): CharVocab {
    const j = json as Partial<CharVocabJSON> | null;
    if (j === null || typeof j !== 'object' || j.kind !== 'char') {
      throw new DataError(
        `CharVocab.fromJSON: expected an object with kind 'char', got ${describe(j?.kind ?? j)}`,
      );
    }
    if (!Array.isArray(j.chars) || j.chars.length === 0) {
      throw new DataError(
        `CharVocab.fromJSON: chars must be a non-empty array of characters, got ${describe(j.chars)}`,
      );
    }
    const cps = j.chars.map((c, i) => {
      if (typeof c !== 'string' || c.length === 0 || countCodePoints(c) !== 1) {
        throw new DataError(`CharVocab.fromJSON: chars[${i}] must be a single character, got ${describe(c)}`);
      }
      return c.codePointAt(0)!;
    });
    let unk: number | null = null;
    if (j.unk !== null && j.unk !== undefined) {
      unk = singleCodePoint(j.unk, 'CharVocab.fromJSON: unk');
      if (!cps.includes(unk)) {
        throw new DataError(`CharVocab.fromJSON: unk ${fmtCodePoint(unk)} is not one of chars`);
      }
    }
    return new CharVocab(cps, unk);
  }

  toJSON(): CharVocabJSON {
    return { kind: 'char', chars: this.chars.slice(), unk: this.unkId < 0 ? null : this.chars[this.unkId] };
  }

  /** Number of ids. */
  get size(): number {
    return this.chars.length;
  }

  /** Id of a code point, or -1. */
  private lookup(cp: number): number {
    if (cp < 0x10000) return cp < this.bmp.length ? this.bmp[cp] : -1;
    return this.astral.get(cp) ?? -1;
  }

  /** True if `ch` (one character) has an id of its own. */
  has(ch: string): boolean {
    return typeof ch === 'string' && countCodePoints(ch) === 1 && this.lookup(ch.codePointAt(0)!) >= 0;
  }

  /** Id of one character (the unknown id for an unknown one when `unk` is set). */
  idOf(ch: string): number {
    const cp = singleCodePoint(ch, 'CharVocab.idOf: ch');
    const id = this.lookup(cp);
    if (id >= 0) return id;
    if (this.unkId >= 0) return this.unkId;
    throw new DataError(
      `CharVocab.idOf: character ${fmtCodePoint(cp)} is not in the vocabulary (${this.size} characters)`,
    );
  }

  /**
   * Writes the ids of `text` into `out` starting at `offset` and returns the offset after the last
   * id written. This is the way to encode a huge text in pieces into one preallocated array (see
   * `encodeCompact`); pieces must not split a surrogate pair. Throws a DataError for an unknown
   * character (without `unk`), naming it and its code-point position within `text`.
   */
  encodeInto(text: string, out: IdArray, offset = 0): number {
    return this.write(text, out, offset, 'CharVocab.encodeInto', offset);
  }

  /** `base`: where position 0 of the corpus is in `out`, so errors give the corpus position. */
  private write(text: string, out: IdArray, offset: number, fn: string, base: number): number {
    if (typeof text !== 'string') throw new DataError(`${fn}: text must be a string, got ${describe(text)}`);
    if (!isIdArray(out)) {
      throw new DataError(
        `${fn}: out must be an Int32Array, Uint16Array or Uint8Array, got ${describe(out)}`,
      );
    }
    checkNonNegInt(offset, fn, 'offset');
    if (idCapacity(out) < this.size) {
      throw new ConfigError(
        `${fn}: out is a ${out.constructor.name}, which holds ids below ${idCapacity(out)}, but the vocabulary has ${this.size}; use allocIds(vocab.size, n)`,
      );
    }
    const bmp = this.bmp;
    const n = text.length;
    let pos = offset;
    for (let i = 0; i < n; i++) {
      let cp = text.charCodeAt(i);
      const at = i;
      let id: number;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cp = (cp - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
          i++;
        }
      }
      if (cp < 0x10000) id = cp < bmp.length ? bmp[cp] : -1;
      else id = this.astral.get(cp) ?? -1;
      if (id < 0) {
        if (this.unkId < 0) {
          throw new DataError(
            `${fn}: character ${fmtCodePoint(cp)} at position ${pos - base}${base === offset ? ` (UTF-16 index ${at})` : ''} is not in the vocabulary (${this.size} characters); build the vocabulary from this text or pass { unk }`,
          );
        }
        id = this.unkId;
      }
      if (pos >= out.length) {
        throw new DataError(
          `${fn}: out has room for ${out.length - offset} ids after offset ${offset}, but text has ${countCodePoints(text)} characters`,
        );
      }
      out[pos++] = id;
    }
    return pos;
  }

  /** Ids of `text`, one per code point. */
  encode(text: string): Int32Array {
    if (typeof text !== 'string')
      throw new DataError(`CharVocab.encode: text must be a string, got ${describe(text)}`);
    const out = new Int32Array(countCodePoints(text));
    this.write(text, out, 0, 'CharVocab.encode', 0);
    return out;
  }

  /**
   * Ids of a whole corpus in the narrowest array that fits the vocabulary (Uint8Array for at most
   * 256 characters, Uint16Array up to 65,536): the one copy of the corpus a language-model stream
   * needs. `source` is a string or UTF-8 bytes; bytes are decoded piece by piece, so no JS string
   * of the whole corpus is ever built.
   */
  encodeCompact(source: string | Uint8Array): IdArray {
    if (typeof source === 'string') {
      const out = allocIds(this.size, countCodePoints(source));
      this.write(source, out, 0, 'CharVocab.encodeCompact', 0);
      return out;
    }
    if (!(source instanceof Uint8Array)) {
      throw new DataError(
        `CharVocab.encodeCompact: source must be a string or a Uint8Array, got ${describe(source)}`,
      );
    }
    const out = allocIds(this.size, countUtf8CodePoints(source));
    let pos = 0;
    for (const piece of decodeUtf8Chunks(source))
      pos = this.write(piece, out, pos, 'CharVocab.encodeCompact', 0);
    if (pos !== out.length) {
      throw new DataError(
        `CharVocab.encodeCompact: decoded ${pos} characters but counted ${out.length}; the bytes are not valid UTF-8`,
      );
    }
    return out;
  }

  /** The text of `ids`; throws a DataError naming the first id out of range. */
  decode(ids: ArrayLike<number>): string {
    if (!(Array.isArray(ids) || ArrayBuffer.isView(ids))) {
      throw new DataError(`CharVocab.decode: ids must be an array of ids, got ${describe(ids)}`);
    }
    const parts: string[] = [];
    const chars = this.chars;
    let chunk = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= chars.length) {
        throw new DataError(
          `CharVocab.decode: ids[${i}] must be an id in [0, ${chars.length - 1}], got ${describe(id)}`,
        );
      }
      chunk += chars[id];
      // Flush now and then: a long chain of += is cheap in V8 but flattening it at the end is not.
      if (chunk.length >= 8192) {
        parts.push(chunk);
        chunk = '';
      }
    }
    parts.push(chunk);
    return parts.join('');
  }

  toString(): string {
    return `CharVocab(${this.size} characters${this.unkId >= 0 ? `, unk=${JSON.stringify(this.chars[this.unkId])}` : ''})`;
  }
}
