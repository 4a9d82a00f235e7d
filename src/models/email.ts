/**
 * Just enough of RFC 822 / MIME to turn a raw e-mail into the text a classifier reads: its subject
 * and the text of its body, headers removed.
 *
 * - Headers end at the first blank line; a header line starting with a space or tab continues the
 *   previous one (unfolded with one space); lines without a colon (the mbox `From ` line) are
 *   skipped. Only Subject, Content-Type and Content-Transfer-Encoding are read.
 * - Subject: RFC 2047 encoded words (`=?charset?B|Q?...?=`) are decoded.
 * - Body: `quoted-printable` and `base64` transfer encodings are decoded (7bit/8bit/binary are
 *   taken as they are), then the bytes are read in the part's charset (utf-8 when none is given
 *   and the bytes are valid UTF-8, windows-1252 otherwise; an unknown charset falls back the same
 *   way). multipart/* bodies are split at their boundary and walked recursively (at most 8 deep):
 *   from multipart/alternative the first text/plain part is kept (else the first part with text),
 *   from the other multiparts every text part; message/rfc822 parts are read as e-mails.
 *   Non-text parts (images, attachments) are dropped. text/html is turned into text: comments,
 *   scripts and styles removed, tags replaced by spaces (line breaks for block tags) except that
 *   a link's URL is kept as text (as in a plain-text mail), the common entities decoded. Nothing
 *   else is interpreted (no uuencode, no TNEF, no S/MIME).
 * - windows-1252 (and its WHATWG aliases iso-8859-1, us-ascii) is decoded here, not by
 *   TextDecoder: Node 20's decoder reads bytes 0x80..0x9F as C1 controls instead of € ‘ ’ “ ” ….
 *   Other charsets (utf-8, koi8-r, big5, gb2312, ...) go through TextDecoder.
 *
 * A raw message is best given as bytes (Uint8Array): each part is then decoded in its own charset.
 * A string is taken as bytes when every character is below U+0100 (a file read as latin1), else
 * as text already decoded (only encoded parts are decoded again). Pure functions: no file access.
 */

import { DataError } from '../util/errors.js';

const MAX_DEPTH = 8;

export interface ParsedEmail {
  /** Header names in lower case with their unfolded raw values, in order. */
  headers: [string, string][];
  /** The decoded Subject ('' when there is none). */
  subject: string;
  /** The text of the body's text parts, joined by blank lines. */
  body: string;
}

/** A string whose characters are bytes (U+0000..U+00FF). */
type ByteString = string;

function bytesToByteString(b: Uint8Array): ByteString {
  let s = '';
  const CHUNK = 8192;
  for (let i = 0; i < b.length; i += CHUNK) s += String.fromCharCode(...b.subarray(i, i + CHUNK));
  return s;
}

function byteStringToBytes(s: ByteString): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** Splits a message (or a MIME part) at the first blank line into unfolded headers and the body. */
export function splitHeaders(raw: string): { headers: [string, string][]; body: string } {
  const text = raw.replace(/\r\n?/g, '\n');
  const headers: [string, string][] = [];
  let pos = 0;
  let body = '';
  let ended = false;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const line = nl < 0 ? text.slice(pos) : text.slice(pos, nl);
    const next = nl < 0 ? text.length : nl + 1;
    if (line.trim() === '') {
      body = text.slice(next);
      ended = true;
      break;
    }
    if ((line[0] === ' ' || line[0] === '\t') && headers.length > 0) {
      headers[headers.length - 1][1] += ` ${line.trim()}`;
    } else {
      const colon = line.indexOf(':');
      if (colon > 0 && !/\s/.test(line.slice(0, colon))) {
        headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
      }
    }
    pos = next;
  }
  if (!ended) body = '';
  return { headers, body };
}

function header(headers: readonly [string, string][], name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}

/** `type/subtype` in lower case and the parameters (names lower-cased, quotes removed). */
export function parseContentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  if (!value) return { type: 'text/plain', params };
  const [first, ...rest] = value.split(';');
  const re = /([A-Za-z0-9_*.-]+)\s*=\s*(?:"([^"]*)"|([^\s;]+))/g;
  const tail = rest.join(';');
  for (let m = re.exec(tail); m !== null; m = re.exec(tail)) params.set(m[1].toLowerCase(), m[2] ?? m[3]);
  const type = first.trim().toLowerCase();
  return { type: /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(type) ? type : 'text/plain', params };
}

/**
 * Decodes quoted-printable (RFC 2045 §6.7) to bytes: `=XX` escapes, `=` soft line breaks, white
 * space at the end of a line dropped.
 */
export function decodeQuotedPrintable(s: string): ByteString {
  return s
    .replace(/=[ \t]*\r?\n/g, '')
    .replace(/[ \t]+(?=\r?\n)/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/**
 * Decodes base64 to bytes, ignoring characters outside the alphabet and a broken tail; padding
 * inside the text (pieces encoded one by one and joined) starts a new piece.
 */
export function decodeBase64(s: string): ByteString {
  const pieces = s.replace(/[^A-Za-z0-9+/=]/g, '').split(/=+/);
  let out = '';
  for (let p of pieces) {
    if (p.length % 4 === 1) p = p.slice(0, -1);
    while (p.length % 4 !== 0) p += '=';
    try {
      out += atob(p);
    } catch {
      // Not base64 after all: nothing to add.
    }
  }
  return out;
}

/**
 * windows-1252 at 0x80..0x9F (WHATWG's table; undefined bytes map to the C1 control of the same
 * value). Decoded here because Node 20's TextDecoder reads these bytes as C1 controls.
 */
const CP1252_HIGH =
  '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
  '\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

/** Labels that mean windows-1252 in the WHATWG Encoding standard (the common ones). */
const CP1252_LABELS = new Set([
  'windows-1252',
  'cp1252',
  'x-cp1252',
  'iso-8859-1',
  'iso8859-1',
  'latin1',
  'l1',
  'us-ascii',
  'ascii',
  'iso_8859-1',
  'ansi_x3.4-1968',
]);

function decodeCp1252(bytes: ByteString): string {
  return bytes.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
}

function isUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads bytes in `charset` (any label TextDecoder knows); without one, or with one it does not
 * know, as UTF-8 when the bytes are valid UTF-8 and windows-1252 otherwise.
 */
export function decodeCharset(bytes: ByteString, charset?: string): string {
  if (!/[\x80-\xff]/.test(bytes)) return bytes;
  const label = charset?.trim().toLowerCase();
  if (label && CP1252_LABELS.has(label)) return decodeCp1252(bytes);
  const b = byteStringToBytes(bytes);
  if (label) {
    try {
      return new TextDecoder(label).decode(b);
    } catch {
      // Unknown label: fall through to the guess.
    }
  }
  return isUtf8(b) ? new TextDecoder('utf-8').decode(b) : decodeCp1252(bytes);
}

/** Decodes the RFC 2047 encoded words of a header value (`=?utf-8?B?...?=`, `=?iso-8859-1?Q?...?=`). */
export function decodeHeaderWords(value: string): string {
  const re = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  // White space between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
  const joined = value.replace(/(\?=)\s+(?==\?[^?\s]+\?[BbQq]\?)/g, '$1');
  return joined.replace(re, (_, cs: string, enc: string, data: string) => {
    const bytes =
      enc.toUpperCase() === 'B' ? decodeBase64(data) : decodeQuotedPrintable(data.replace(/_/g, ' '));
    return decodeCharset(bytes, cs.replace(/\*.*$/, ''));
  });
}

const ENTITIES: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  copy: '©',
  reg: '®',
  trade: '™',
  middot: '·',
  bull: '•',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  laquo: '«',
  raquo: '»',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  euro: '€',
  pound: '£',
  cent: '¢',
  yen: '¥',
};

/** HTML entities: the common named ones and numeric ones; anything else is left as written. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#[xX][0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,8});?/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp =
        e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/**
 * The text of an HTML document: no comments, scripts, styles or tags (link targets are kept as
 * text); entities decoded.
 */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<(br|p|div|tr|li|h[1-6]|table|blockquote)\b[^>]*>/gi, '\n')
      // A link's target stays, as a reader sees it in a plain-text mail.
      .replace(/<a\b[^>]*?\bhref\s*=\s*["']?([^"'\s>]+)[^>]*>/gi, ' $1 ')
      .replace(/<\/?[A-Za-z!][^>]*>/g, ' '),
  )
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}

interface PartContext {
  /** true: non-encoded bodies are bytes to decode in their charset; false: already text. */
  bytes: boolean;
}

function decodeBody(
  body: string,
  headers: [string, string][],
  type: string,
  charset: string | undefined,
  ctx: PartContext,
): string {
  const cte = (header(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  let text: string;
  if (cte === 'quoted-printable') text = decodeCharset(decodeQuotedPrintable(body), charset);
  else if (cte === 'base64') text = decodeCharset(decodeBase64(body), charset);
  else text = ctx.bytes ? decodeCharset(body, charset) : body;
  return type === 'text/html' ? htmlToText(text) : text.trim();
}

/** The body parts of a multipart body, split at `--boundary` lines (preamble and epilogue dropped). */
function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  const lines = body.split('\n');
  let cur: string[] | null = null;
  for (const line of lines) {
    const l = line.trimEnd();
    if (l === `--${boundary}--`) {
      if (cur) parts.push(cur.join('\n'));
      cur = null;
      break;
    }
    if (l === `--${boundary}`) {
      if (cur) parts.push(cur.join('\n'));
      cur = [];
      continue;
    }
    cur?.push(line);
  }
  if (cur) parts.push(cur.join('\n'));
  return parts;
}

/** The texts of a part with these headers and body. */
function partTexts(headers: [string, string][], body: string, ctx: PartContext, depth: number): string[] {
  const { type, params } = parseContentType(header(headers, 'content-type'));
  if (type.startsWith('multipart/') && depth < MAX_DEPTH) {
    const boundary = params.get('boundary');
    if (!boundary) return [body.trim()].filter(Boolean);
    const children = splitMultipart(body, boundary).map((p) => {
      const h = splitHeaders(p);
      return {
        type: parseContentType(header(h.headers, 'content-type')).type,
        texts: partTexts(h.headers, h.body, ctx, depth + 1),
      };
    });
    if (type === 'multipart/alternative') {
      const plain = children.find((c) => c.type === 'text/plain' && c.texts.join('').trim() !== '');
      const any = plain ?? children.find((c) => c.texts.join('').trim() !== '');
      return any ? any.texts : [];
    }
    return children.flatMap((c) => c.texts);
  }
  if (type === 'message/rfc822' && depth < MAX_DEPTH) {
    const inner = parseSplit(splitHeaders(body), ctx, depth + 1);
    return [inner.subject, inner.body].filter(Boolean);
  }
  if (!type.startsWith('text/')) return [];
  const text = decodeBody(body, headers, type, params.get('charset'), ctx);
  return text ? [text] : [];
}

function parseSplit(
  split: { headers: [string, string][]; body: string },
  ctx: PartContext,
  depth: number,
): ParsedEmail {
  const rawSubject = header(split.headers, 'subject') ?? '';
  const subject = decodeHeaderWords(ctx.bytes ? decodeCharset(rawSubject) : rawSubject).trim();
  const body = partTexts(split.headers, split.body, ctx, depth).join('\n\n');
  return { headers: split.headers, subject, body };
}

/** Parses a raw message: see the module comment. */
export function parseEmail(raw: string | Uint8Array): ParsedEmail {
  let text: string;
  let bytes: boolean;
  if (raw instanceof Uint8Array) {
    text = bytesToByteString(raw);
    bytes = true;
  } else if (typeof raw === 'string') {
    text = raw;
    bytes = true;
    for (let i = 0; i < raw.length && bytes; i++) if (raw.charCodeAt(i) > 0xff) bytes = false;
  } else {
    throw new DataError(`parseEmail: raw must be a string or a Uint8Array, got ${typeof raw}`);
  }
  return parseSplit(splitHeaders(text), { bytes }, 0);
}
