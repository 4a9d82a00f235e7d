/**
 * The space-restoration task as data: text without its white space and a tag per character
 * (1: white space followed it), and back. Used by `recur example space-restore` and
 * `recur classify` on its runs.
 */
import { DataError } from '../util/errors.js';

/**
 * The characters of `text` without white space (as code points, joined) and the tag of each:
 * 1 when white space followed it in `text`, else 0. White space at the very start is dropped.
 */
export function removeSpaces(text: string): { chars: string; tags: Uint8Array } {
  const out: string[] = [];
  const tags: number[] = [];
  let gap = false;
  for (const ch of text) {
    if (/\s/u.test(ch)) {
      gap = true;
      continue;
    }
    if (gap && tags.length > 0) tags[tags.length - 1] = 1;
    gap = false;
    out.push(ch);
    tags.push(0);
  }
  if (gap && tags.length > 0) tags[tags.length - 1] = 1;
  return { chars: out.join(''), tags: Uint8Array.from(tags) };
}

/** The text with a space after every character tagged 1 (a final one is dropped). */
export function insertSpaces(chars: string, tags: ArrayLike<number>): string {
  const cps = [...chars];
  if (cps.length !== tags.length) {
    throw new DataError(`insertSpaces: ${cps.length} characters but ${tags.length} tags`);
  }
  let s = '';
  cps.forEach((c, i) => {
    s += c;
    if (tags[i] === 1 && i < cps.length - 1) s += ' ';
  });
  return s;
}
