/**
 * Word-level vocabulary with the four special tokens at fixed ids, as torchtext and PyTorch's
 * word_language_model use them:
 *
 *   0 `<unk>` (unknown or rare word), 1 `<pad>` (padding), 2 `<bos>` (begin), 3 `<eos>` (end)
 *
 * followed by the words seen at least `minCount` times, most frequent first, ties in code-unit
 * (not locale) order, so the ids depend only on the text. The tokenizer settings (`lowercase`,
 * `lineEos`) are part of the vocabulary and saved with it, because encoding at inference time has
 * to split text exactly as training did.
 */
import { ConfigError, DataError } from '../util/errors.js';
import {
  allocIds,
  checkBool,
  checkKeys,
  checkNonNegInt,
  checkPositiveInt,
  describe,
  type IdArray,
  idCapacity,
  isIdArray,
} from './_util.js';

export const UNK = '<unk>';
export const PAD = '<pad>';
export const BOS = '<bos>';
export const EOS = '<eos>';
const SPECIALS = [UNK, PAD, BOS, EOS] as const;

/**
 * A token is one of the special tokens written literally (PTB text contains `<unk>`), a run of
 * letters, marks, digits and underscores (apostrophes inside a word keep "don't" whole), or a single
 * other non-space character (punctuation, symbols, emoji). A newline is matched so that `lineEos`
 * can turn it into `<eos>`; other whitespace only separates.
 */
const TOKEN_RE =
  /<unk>|<pad>|<bos>|<eos>|[\p{L}\p{M}\p{N}_]+(?:['\u2019][\p{L}\p{M}\p{N}_]+)*|\n|[^\s\p{L}\p{M}\p{N}_]/gu;

export interface TokenizeOptions {
  /** Lower-case every word (special tokens are unaffected). Default false. */
  lowercase?: boolean;
  /** Emit `<eos>` at every newline, as word_language_model does for each line. Default false. */
  lineEos?: boolean;
}

function tokenizerOptions(
  options: TokenizeOptions,
  fn: string,
  extra: readonly string[] = [],
): Required<TokenizeOptions> {
  checkKeys(options, ['lowercase', 'lineEos', ...extra], fn);
  return {
    lowercase: checkBool(options.lowercase ?? false, fn, 'lowercase'),
    lineEos: checkBool(options.lineEos ?? false, fn, 'lineEos'),
  };
}

/** Calls `fn` with each token of `text` in order, without building an array of tokens. */
function forEachToken(text: string, opts: Required<TokenizeOptions>, fn: (token: string) => void): void {
  const re = new RegExp(TOKEN_RE.source, TOKEN_RE.flags);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const t = m[0];
    if (t === '\n') {
      if (opts.lineEos) fn(EOS);
    } else if (opts.lowercase && t.charCodeAt(0) !== 0x3c /* '<' of a special token */) fn(t.toLowerCase());
    else fn(t);
  }
}

/** Splits text into words and punctuation: `tokenize("Don't panic!")` is `["Don't", "panic", "!"]`. */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  if (typeof text !== 'string') throw new DataError(`tokenize: text must be a string, got ${describe(text)}`);
  const out: string[] = [];
  forEachToken(text, tokenizerOptions(options, 'tokenize'), (t) => out.push(t));
  return out;
}

export interface WordVocabOptions extends TokenizeOptions {
  /** Words seen fewer times become `<unk>`. Default 1. */
  minCount?: number;
  /** Largest vocabulary size, the four special tokens included; the rarest words are cut. */
  maxSize?: number;
}

export interface WordVocabJSON {
  kind: 'word';
  /** `tokens[id]`; the first four are `<unk> <pad> <bos> <eos>`. */
  tokens: string[];
  lowercase: boolean;
  lineEos: boolean;
}

export class WordVocab {
  static readonly unkId = 0;
  static readonly padId = 1;
  static readonly bosId = 2;
  static readonly eosId = 3;
  readonly unkId = 0;
  readonly padId = 1;
  readonly bosId = 2;
  readonly eosId = 3;
  /** `tokens[id]`: the token of each id. */
  readonly tokens: readonly string[];
  readonly lowercase: boolean;
  readonly lineEos: boolean;
  private readonly index = new Map<string, number>();

  private constructor(tokens: readonly string[], lowercase: boolean, lineEos: boolean) {
    tokens.forEach((t, id) => {
      if (this.index.has(t)) throw new DataError(`WordVocab: token ${JSON.stringify(t)} appears twice`);
      this.index.set(t, id);
    });
    this.tokens = Object.freeze(tokens.slice());
    this.lowercase = lowercase;
    this.lineEos = lineEos;
  }

  /**
   * Counts the tokens of `text` (a string, or an iterable of pieces such as lines; a piece boundary
   * also ends a word) and keeps those seen at least `minCount` times.
   */
  static build(text: string | Iterable<string>, options: WordVocabOptions = {}): WordVocab {
    const fn = 'WordVocab.build';
    const tok = tokenizerOptions(options, fn, ['minCount', 'maxSize']);
    const minCount = checkPositiveInt(options.minCount ?? 1, fn, 'minCount');
    const maxSize = options.maxSize === undefined ? Infinity : checkNonNegInt(options.maxSize, fn, 'maxSize');
    if (maxSize < SPECIALS.length) {
      throw new ConfigError(
        `${fn}: maxSize must be at least ${SPECIALS.length} (the special tokens), got ${maxSize}`,
      );
    }
    const counts = new Map<string, number>();
    const add = (t: string): void => {
      counts.set(t, (counts.get(t) ?? 0) + 1);
    };
    if (typeof text === 'string') forEachToken(text, tok, add);
    else if (text !== null && typeof text === 'object' && Symbol.iterator in text) {
      let k = 0;
      for (const piece of text) {
        if (typeof piece !== 'string')
          throw new DataError(`${fn}: text piece ${k} must be a string, got ${describe(piece)}`);
        forEachToken(piece, tok, add);
        k++;
      }
    } else {
      throw new DataError(`${fn}: text must be a string or an iterable of strings, got ${describe(text)}`);
    }
    for (const s of SPECIALS) counts.delete(s);
    const words = [...counts].filter(([, c]) => c >= minCount);
    words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const kept = words.slice(0, Math.max(0, maxSize - SPECIALS.length)).map(([w]) => w);
    return new WordVocab([...SPECIALS, ...kept], tok.lowercase, tok.lineEos);
  }

  static fromJSON(json: unknown): WordVocab {
    const fn = 'WordVocab.fromJSON';
    const j = json as Partial<WordVocabJSON> | null;
    if (j === null || typeof j !== 'object' || j.kind !== 'word') {
      throw new DataError(`${fn}: expected an object with kind 'word', got ${describe(j?.kind ?? j)}`);
    }
    if (!Array.isArray(j.tokens) || j.tokens.some((t) => typeof t !== 'string' || t.length === 0)) {
      throw new DataError(`${fn}: tokens must be an array of non-empty strings, got ${describe(j.tokens)}`);
    }
    SPECIALS.forEach((s, id) => {
      if (j.tokens![id] !== s) {
        throw new DataError(
          `${fn}: tokens[${id}] must be ${JSON.stringify(s)}, got ${describe(j.tokens![id])}`,
        );
      }
    });
    if (typeof j.lowercase !== 'boolean' || typeof j.lineEos !== 'boolean') {
      throw new DataError(
        `${fn}: lowercase and lineEos must be booleans, got ${describe(j.lowercase)}, ${describe(j.lineEos)}`,
      );
    }
    return new WordVocab(j.tokens, j.lowercase, j.lineEos);
  }

  toJSON(): WordVocabJSON {
    return { kind: 'word', tokens: this.tokens.slice(), lowercase: this.lowercase, lineEos: this.lineEos };
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Id of a token (after the vocabulary's lower-casing), `<unk>`'s id if it is unknown. */
  idOf(token: string): number {
    if (typeof token !== 'string')
      throw new DataError(`WordVocab.idOf: token must be a string, got ${describe(token)}`);
    const t =
      this.lowercase && !SPECIALS.includes(token as (typeof SPECIALS)[number]) ? token.toLowerCase() : token;
    return this.index.get(t) ?? 0;
  }

  /** The tokens of `text` as this vocabulary's tokenizer splits them. */
  tokenize(text: string): string[] {
    return tokenize(text, { lowercase: this.lowercase, lineEos: this.lineEos });
  }

  /** Ids of `text`; unknown words map to `<unk>`. `bos`/`eos` add `<bos>`/`<eos>` around it. */
  encode(text: string, options: { bos?: boolean; eos?: boolean } = {}): Int32Array {
    const fn = 'WordVocab.encode';
    if (typeof text !== 'string') throw new DataError(`${fn}: text must be a string, got ${describe(text)}`);
    checkKeys(options, ['bos', 'eos'], fn);
    const bos = checkBool(options.bos ?? false, fn, 'bos');
    const eos = checkBool(options.eos ?? false, fn, 'eos');
    const ids: number[] = bos ? [WordVocab.bosId] : [];
    const tok = { lowercase: this.lowercase, lineEos: this.lineEos };
    forEachToken(text, tok, (t) => ids.push(this.index.get(t) ?? 0));
    if (eos) ids.push(WordVocab.eosId);
    return Int32Array.from(ids);
  }

  /**
   * Writes the ids of `text` into `out` from `offset`; returns the offset after the last id.
   * With `countTokens` this encodes a large corpus into one preallocated array.
   */
  encodeInto(text: string, out: IdArray, offset = 0): number {
    const fn = 'WordVocab.encodeInto';
    if (typeof text !== 'string') throw new DataError(`${fn}: text must be a string, got ${describe(text)}`);
    if (!isIdArray(out))
      throw new DataError(
        `${fn}: out must be an Int32Array, Uint16Array or Uint8Array, got ${describe(out)}`,
      );
    checkNonNegInt(offset, fn, 'offset');
    if (idCapacity(out) < this.size) {
      throw new ConfigError(
        `${fn}: out is a ${out.constructor.name}, which holds ids below ${idCapacity(out)}, but the vocabulary has ${this.size}; use allocIds(vocab.size, n)`,
      );
    }
    let pos = offset;
    forEachToken(text, { lowercase: this.lowercase, lineEos: this.lineEos }, (t) => {
      if (pos >= out.length)
        throw new DataError(
          `${fn}: out has room for ${out.length - offset} ids after offset ${offset}; size it with countTokens(text)`,
        );
      out[pos++] = this.index.get(t) ?? 0;
    });
    return pos;
  }

  /** Number of ids `encodeInto(text)` writes. */
  countTokens(text: string): number {
    if (typeof text !== 'string')
      throw new DataError(`WordVocab.countTokens: text must be a string, got ${describe(text)}`);
    let n = 0;
    forEachToken(text, { lowercase: this.lowercase, lineEos: this.lineEos }, () => n++);
    return n;
  }

  /** Ids of a whole corpus in the narrowest array that fits the vocabulary (two passes, no token array). */
  encodeCompact(text: string): IdArray {
    const out = allocIds(this.size, this.countTokens(text));
    this.encodeInto(text, out, 0);
    return out;
  }

  /** The tokens of `ids`; `skipSpecial` drops `<pad>`, `<bos>` and `<eos>` (not `<unk>`). */
  decodeTokens(ids: ArrayLike<number>, options: { skipSpecial?: boolean } = {}): string[] {
    const fn = 'WordVocab.decode';
    if (!(Array.isArray(ids) || ArrayBuffer.isView(ids)))
      throw new DataError(`${fn}: ids must be an array of ids, got ${describe(ids)}`);
    checkKeys(options, ['skipSpecial'], fn);
    const skip = checkBool(options.skipSpecial ?? false, fn, 'skipSpecial');
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
        throw new DataError(
          `${fn}: ids[${i}] must be an id in [0, ${this.tokens.length - 1}], got ${describe(id)}`,
        );
      }
      if (skip && id >= 1 && id <= 3) continue;
      out.push(this.tokens[id]);
    }
    return out;
  }

  /** The tokens of `ids` joined by single spaces. */
  decode(ids: ArrayLike<number>, options: { skipSpecial?: boolean } = {}): string {
    return this.decodeTokens(ids, options).join(' ');
  }

  toString(): string {
    return `WordVocab(${this.size} tokens${this.lowercase ? ', lowercase' : ''}${this.lineEos ? ', lineEos' : ''})`;
  }
}
