/**
 * Levenshtein distance between token sequences (insertions, deletions and substitutions, each of
 * cost 1) and the error rates built on it, as speech recognition and G2P papers report them:
 *
 *   token error rate = Σ_i d(hyp_i, ref_i) / Σ_i |ref_i|      (PER for phonemes, WER for words)
 *   sequence error rate = (# hyp_i ∉ refs_i) / N              (G2P "WER": a word is wrong unless
 *                                                              its whole pronunciation is right)
 *
 * With several references per item (CMUdict words with alternate pronunciations), the reference
 * closest to the hypothesis counts: fewest edits, ties to the shorter reference (which never
 * lowers the rate artificially, as a longer reference with equal edits would).
 */

/** Edit distance between two sequences of comparable tokens (two-row dynamic programming). */
export function editDistance<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev = new Int32Array(m + 1);
  let cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= m; j++) {
      const sub = prev[j - 1] + (ai === b[j - 1] ? 0 : 1);
      const del = prev[j] + 1;
      const ins = cur[j - 1] + 1;
      cur[j] = Math.min(sub, del, ins);
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[m];
}

/** The reference closest to `hyp`: its index, edit distance and length. */
export function closestReference<T>(
  hyp: ArrayLike<T>,
  refs: readonly ArrayLike<T>[],
): { index: number; distance: number; length: number } {
  if (refs.length === 0) throw new RangeError('closestReference: refs must not be empty');
  let best = { index: -1, distance: Number.POSITIVE_INFINITY, length: 0 };
  refs.forEach((r, index) => {
    const distance = editDistance(hyp, r);
    if (distance < best.distance || (distance === best.distance && r.length < best.length)) {
      best = { index, distance, length: r.length };
    }
  });
  return best;
}

/** Totals for error rates, accumulated item by item. */
export class ErrorRates {
  /** Edits against the closest reference, summed. */
  edits = 0;
  /** Length of the closest reference, summed. */
  refTokens = 0;
  /** Items whose hypothesis equals none of the references. */
  wrongItems = 0;
  items = 0;

  /** Adds one item: a hypothesis and its references (at least one). */
  add<T>(hyp: ArrayLike<T>, refs: readonly ArrayLike<T>[]): { distance: number; correct: boolean } {
    const c = closestReference(hyp, refs);
    this.edits += c.distance;
    this.refTokens += c.length;
    this.items++;
    const correct = c.distance === 0;
    if (!correct) this.wrongItems++;
    return { distance: c.distance, correct };
  }

  /** Token error rate Σ edits / Σ reference length (PER for phonemes, WER for words), in [0, ∞). */
  get tokenErrorRate(): number {
    return this.refTokens === 0 ? 0 : this.edits / this.refTokens;
  }

  /** Fraction of items not matching any reference exactly (G2P word error rate). */
  get sequenceErrorRate(): number {
    return this.items === 0 ? 0 : this.wrongItems / this.items;
  }

  /** 1 - sequenceErrorRate: exact-match accuracy. */
  get exactMatch(): number {
    return this.items === 0 ? 0 : 1 - this.sequenceErrorRate;
  }
}
