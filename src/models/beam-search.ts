/**
 * Decoding for any step-wise model: greedy and beam search over a `StepDecoder`, batched (every
 * row of the batch, and every hypothesis of a beam, is one row of the decoder's state).
 *
 * Beam search (after fairseq's sequence generator): every example keeps `width` live prefixes.
 * At each step the best 2·width extensions of them are ranked by cumulative log-probability; an
 * extension ending in the end token among the first `width` ranks becomes a finished hypothesis,
 * the best `width` other extensions become the new prefixes. An example is done when `width`
 * hypotheses have finished, or when its `nBest`-th finished score can no longer be beaten by
 * any live prefix (log-probabilities only fall as a prefix grows). Finished hypotheses are ranked
 * by score = logProb / length^lengthPenalty (length counts the end token; lengthPenalty 0 ranks by
 * log-probability, 1 by its per-token mean). Width 1 is greedy decoding; ties go to the lower
 * token id in both.
 *
 * Standard beam search is not monotone in the width: greedy's path can fall out of the beam (or its
 * end token rank below `width`) and the prefixes kept can end worse. So that a wider beam never
 * returns a worse best hypothesis than greedy decoding, the greedy hypothesis (one more row per
 * example) also competes for the final ranking unless `keepGreedy` is false.
 *
 * The decoder is called with the rows' previous tokens; the caller runs this under `noGrad`.
 * Every step (and every reorder) runs in its own `tidy()` scope: the tensors of the new state are
 * kept, everything else the step made is freed before the next one, so decoding memory does not
 * grow with the output length (the log-probabilities and attention weights are copied out).
 */
import { tidy } from '../tensor/scope.js';

/**
 * A model that can be decoded one step at a time. The state `S` is returned out of each step's
 * tidy() scope, so its tensors must sit where tidy looks: in arrays, plain objects, Maps or Sets
 * (a tensor held by a class instance is freed with the step, and the next step's read of it
 * throws an error naming tidy).
 */
export interface StepDecoder<S> {
  /** Number of examples. */
  readonly batch: number;
  readonly vocabSize: number;
  /** The start state with every example repeated k times (row b·k + j is example b). */
  start(k: number): S;
  /**
   * One step: log-probabilities [rows, V] (row-major) of the next token after `tokens` [rows],
   * the new state, and attention weights [rows, srcLen] when the model has them.
   */
  step(
    state: S,
    tokens: Int32Array,
  ): { logProbs: ArrayLike<number>; state: S; attention: ArrayLike<number> | null; srcLen: number };
  /** The state of rows `rows` (indices into the current rows, repeats allowed). */
  reorder(state: S, rows: Int32Array): S;
}

export interface DecodeOptions {
  bosId: number;
  eosId: number;
  /** Most output tokens per hypothesis, the end token included. */
  maxLength: number;
}

export interface BeamOptions extends DecodeOptions {
  width: number;
  /** Exponent α of the length normalization score = logProb / length^α (default 0). */
  lengthPenalty?: number;
  /** Hypotheses returned per example (default 1, at most width). */
  nBest?: number;
  /**
   * Rank greedy decoding's hypothesis with the beam's finished ones (default true; no effect at
   * width 1, which is greedy decoding), so the best returned scores at least as well as greedy.
   */
  keepGreedy?: boolean;
}

/** One decoded output. */
export interface Hypothesis {
  /** Output tokens without the start and end tokens. */
  tokens: number[];
  /** Σ log p of the tokens (and of the end token when finished). */
  logProb: number;
  /** logProb / length^α, what the beam ranks by. */
  score: number;
  /** True when the end token was produced within maxLength. */
  finished: boolean;
  /** Attention weights, one row [srcLen] per output step (the end token's included); null without attention. */
  attention: number[][] | null;
}

type StepResult<S> = ReturnType<StepDecoder<S>['step']>;

/** `dec.step` in a scope of its own; see the file comment. */
function scopedStep<S>(dec: StepDecoder<S>, state: S, tokens: Int32Array): StepResult<S> {
  return tidy(() => {
    const r = dec.step(state, tokens);
    return {
      logProbs: Float64Array.from(r.logProbs),
      state: r.state,
      attention: r.attention ? Float64Array.from(r.attention) : null,
      srcLen: r.srcLen,
    };
  });
}

function checkOptions(o: DecodeOptions, where: string): void {
  for (const k of ['bosId', 'eosId', 'maxLength'] as const) {
    const v = o[k];
    if (!Number.isInteger(v) || v < (k === 'maxLength' ? 1 : 0))
      throw new RangeError(`${where}: ${k} must be a non-negative integer, got ${v}`);
  }
}

function attentionRow(att: ArrayLike<number> | null, row: number, S: number): number[] | null {
  if (!att) return null;
  const r = new Array<number>(S);
  for (let s = 0; s < S; s++) r[s] = att[row * S + s];
  return r;
}

/** Greedy decoding: the most likely token at every step, until the end token or maxLength. */
export function greedyDecode<S>(dec: StepDecoder<S>, options: DecodeOptions): Hypothesis[] {
  checkOptions(options, 'greedyDecode');
  const { bosId, eosId, maxLength } = options;
  const B = dec.batch;
  const V = dec.vocabSize;
  const hyps: Hypothesis[] = Array.from({ length: B }, () => ({
    tokens: [],
    logProb: 0,
    score: 0,
    finished: false,
    attention: null,
  }));
  const atts: number[][][] = Array.from({ length: B }, () => []);
  let state = dec.start(1);
  let tokens = new Int32Array(B).fill(bosId);
  let live = B;
  for (let t = 0; t < maxLength && live > 0; t++) {
    const r = scopedStep(dec, state, tokens);
    state = r.state;
    const next = new Int32Array(B).fill(eosId);
    for (let b = 0; b < B; b++) {
      const h = hyps[b];
      if (h.finished) continue;
      let best = 0;
      for (let v = 1; v < V; v++) if (r.logProbs[b * V + v] > r.logProbs[b * V + best]) best = v;
      h.logProb += r.logProbs[b * V + best];
      const a = attentionRow(r.attention, b, r.srcLen);
      if (a) atts[b].push(a);
      if (best === eosId) {
        h.finished = true;
        live--;
      } else h.tokens.push(best);
      next[b] = best;
    }
    tokens = next;
  }
  hyps.forEach((h, b) => {
    h.score = h.logProb;
    h.attention = atts[b].length ? atts[b] : null;
  });
  return hyps;
}

interface Beam {
  tokens: number[];
  attention: number[][];
  logProb: number;
}

/** Beam search; see the file comment. Returns, per example, up to nBest hypotheses, best first. */
export function beamSearch<S>(dec: StepDecoder<S>, options: BeamOptions): Hypothesis[][] {
  checkOptions(options, 'beamSearch');
  const { bosId, eosId, maxLength } = options;
  const K = options.width;
  const alpha = options.lengthPenalty ?? 0;
  const nBest = options.nBest ?? 1;
  if (!Number.isInteger(K) || K < 1)
    throw new RangeError(`beamSearch: width must be a positive integer, got ${K}`);
  if (!Number.isInteger(nBest) || nBest < 1 || nBest > K)
    throw new RangeError(`beamSearch: nBest must be in [1, width ${K}], got ${nBest}`);
  if (!(alpha >= 0)) throw new RangeError(`beamSearch: lengthPenalty must be >= 0, got ${alpha}`);
  const B = dec.batch;
  const V = dec.vocabSize;
  const norm = (logProb: number, len: number) => (alpha === 0 ? logProb : logProb / len ** alpha);
  const greedy = K > 1 && options.keepGreedy !== false ? greedyDecode(dec, options) : null;
  // Row b·K + j holds beam j of example b; at the start only beam 0 is live (no duplicate prefixes).
  let beams: (Beam | null)[] = Array.from({ length: B * K }, (_, i) =>
    i % K === 0 ? { tokens: [], attention: [], logProb: 0 } : null,
  );
  const finished: Hypothesis[][] = Array.from({ length: B }, () => []);
  const done = new Array<boolean>(B).fill(false);
  let state = dec.start(K);
  let tokens = new Int32Array(B * K).fill(bosId);
  const C = 2 * K;
  const candScore = new Float64Array(C);
  const candIdx = new Int32Array(C);
  for (let t = 0; t < maxLength; t++) {
    const r = scopedStep(dec, state, tokens);
    const lp = r.logProbs;
    const rows = new Int32Array(B * K);
    const next = new Int32Array(B * K).fill(eosId);
    const newBeams: (Beam | null)[] = new Array(B * K).fill(null);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < K; j++) rows[b * K + j] = b * K;
      if (done[b]) continue;
      // The 2K best (row, token) extensions, kept sorted: score desc, then flat index asc.
      let n = 0;
      for (let j = 0; j < K; j++) {
        const beam = beams[b * K + j];
        if (!beam) continue;
        const base = (b * K + j) * V;
        for (let v = 0; v < V; v++) {
          const s = beam.logProb + lp[base + v];
          if (n === C && !(s > candScore[C - 1])) continue;
          let p = n < C ? n++ : C - 1;
          while (p > 0 && s > candScore[p - 1]) {
            candScore[p] = candScore[p - 1];
            candIdx[p] = candIdx[p - 1];
            p--;
          }
          candScore[p] = s;
          candIdx[p] = j * V + v;
        }
      }
      let kept = 0;
      for (let rank = 0; rank < n && kept < K; rank++) {
        const j = Math.floor(candIdx[rank] / V);
        const v = candIdx[rank] % V;
        const parent = beams[b * K + j] as Beam;
        const a = attentionRow(r.attention, b * K + j, r.srcLen);
        const attention = a ? [...parent.attention, a] : parent.attention;
        if (v === eosId) {
          if (rank < K) {
            const len = parent.tokens.length + 1;
            finished[b].push({
              tokens: parent.tokens,
              logProb: candScore[rank],
              score: norm(candScore[rank], len),
              finished: true,
              attention: a ? attention : null,
            });
          }
          continue;
        }
        newBeams[b * K + kept] = { tokens: [...parent.tokens, v], attention, logProb: candScore[rank] };
        rows[b * K + kept] = b * K + j;
        next[b * K + kept] = v;
        kept++;
      }
      done[b] =
        finished[b].length >= K ||
        canStop(finished[b], newBeams.slice(b * K, b * K + K), nBest, norm, maxLength);
    }
    beams = newBeams;
    if (done.every(Boolean)) break;
    const prev = r.state;
    state = tidy(() => dec.reorder(prev, rows));
    tokens = next;
  }
  return finished.map((f, b) => {
    if (f.length < nBest) {
      for (let j = 0; j < K; j++) {
        const beam = beams[b * K + j];
        if (beam && !done[b]) {
          const att = beam.attention.length ? beam.attention : null;
          f.push({
            tokens: beam.tokens,
            logProb: beam.logProb,
            score: norm(beam.logProb, Math.max(1, beam.tokens.length)),
            finished: false,
            attention: att,
          });
        }
      }
    }
    const g = greedy?.[b];
    if (g) {
      const gs = norm(g.logProb, g.finished ? g.tokens.length + 1 : Math.max(1, g.tokens.length));
      const same = f.findIndex(
        (h) =>
          h.finished === g.finished &&
          h.tokens.length === g.tokens.length &&
          h.tokens.every((v, i) => v === g.tokens[i]),
      );
      // The same tokens scored in a batch of another size can differ in the last bits: keep the
      // greedy run's numbers when they are higher, so the result never scores below it.
      if (same < 0) f.push({ ...g, score: gs });
      else if (f[same].score < gs) f[same] = { ...g, score: gs };
    }
    return f.sort((x, y) => y.score - x.score).slice(0, nBest);
  });
}

/** True when no live prefix can still reach a score above the nBest-th finished one. */
function canStop(
  fin: Hypothesis[],
  live: (Beam | null)[],
  nBest: number,
  norm: (logProb: number, len: number) => number,
  maxLength: number,
): boolean {
  if (fin.length < nBest) return false;
  const kth = fin.map((h) => h.score).sort((x, y) => y - x)[nBest - 1];
  for (const beam of live) {
    if (!beam) continue;
    // logProb <= 0 only falls; dividing by the longest possible length gives the best reachable score.
    const bound = Math.max(norm(beam.logProb, beam.tokens.length + 1), norm(beam.logProb, maxLength));
    if (bound > kth) return false;
  }
  return true;
}
