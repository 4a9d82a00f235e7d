/**
 * Train/validation splits.
 *
 * - `splitFraction` for datasets of independent items: a seeded random split of indices, as
 *   PyTorch's `random_split` with a generator (same seed, same split).
 * - `splitText` / `splitIds` for one continuous corpus: the first part trains and the last part
 *   validates, as char-rnn's `train_frac`/`val_frac`. A random split of a text would put
 *   overlapping context on both sides; a contiguous one does not. `splitIds` returns views, so the
 *   corpus is not copied.
 */

import { ConfigError, DataError } from '../util/errors.js';
import { defaultRng, Rng } from '../util/rng.js';
import { checkFraction, checkNonNegInt, describe, type IdArray, isIdArray } from './_util.js';

/**
 * A random split of indices 0..n-1: `train` gets round(n * trainFraction) of them, `valid` the
 * rest. Each part is returned in ascending order (the order is the batcher's business, not the
 * split's).
 */
export function splitFraction(
  n: number,
  trainFraction: number,
  rng: Rng = defaultRng,
): { train: Int32Array; valid: Int32Array } {
  const fn = 'splitFraction';
  checkNonNegInt(n, fn, 'n');
  checkFraction(trainFraction, fn, 'trainFraction');
  if (!(rng instanceof Rng)) throw new ConfigError(`${fn}: rng must be an Rng, got ${describe(rng)}`);
  const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const k = Math.round(n * trainFraction);
  const train = Int32Array.from(perm.slice(0, k)).sort();
  const valid = Int32Array.from(perm.slice(k)).sort();
  return { train, valid };
}

/**
 * The first `trainFraction` of `text` and the rest, cut at index floor(text.length * trainFraction)
 * (moved back one unit if it would split a surrogate pair, so no character is broken).
 */
export function splitText(text: string, trainFraction = 0.9): { train: string; valid: string } {
  const fn = 'splitText';
  if (typeof text !== 'string') throw new DataError(`${fn}: text must be a string, got ${describe(text)}`);
  checkFraction(trainFraction, fn, 'trainFraction');
  let cut = Math.floor(text.length * trainFraction);
  // The cut is computed on UTF-16 units; step back if it lands between the halves of a pair.
  if (cut > 0 && cut < text.length) {
    const hi = text.charCodeAt(cut - 1);
    const lo = text.charCodeAt(cut);
    if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) cut--;
  }
  return { train: text.slice(0, cut), valid: text.slice(cut) };
}

/** The first floor(length * trainFraction) ids and the rest, as views of `ids` (no copy). */
export function splitIds<A extends IdArray>(ids: A, trainFraction = 0.9): { train: A; valid: A } {
  const fn = 'splitIds';
  if (!isIdArray(ids))
    throw new DataError(`${fn}: ids must be an Int32Array, Uint16Array or Uint8Array, got ${describe(ids)}`);
  checkFraction(trainFraction, fn, 'trainFraction');
  const cut = Math.floor(ids.length * trainFraction);
  return { train: ids.subarray(0, cut) as A, valid: ids.subarray(cut) as A };
}
