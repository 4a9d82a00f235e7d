import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noGrad } from '../autograd/grad-mode.js';
import { kernels, withBackend } from '../kernels/registry.js';
import type { WasmArena } from '../kernels/wasm/allocator.js';
import { add, mul } from '../ops/elementwise.js';
import { tidy } from '../tensor/scope.js';
import { type Tensor, tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import { beamSearch, greedyDecode, type Hypothesis, type StepDecoder } from './beam-search.js';
import { Seq2Seq } from './seq2seq.js';

const BOS = 0;
const EOS = 1;

/**
 * A toy decoder: log p(next | previous token, step, example) from a fixed random table (the
 * state is the step count; the previous token comes in as `tokens`).
 */
function tableDecoder(
  batch: number,
  V: number,
  seed: number,
  steps = 8,
  eosBias = 0,
): StepDecoder<{ t: number; rows: number }> {
  const rng = new Rng(seed);
  const table = new Float64Array(batch * steps * V * V);
  for (let i = 0; i < table.length; i += V) {
    let z = 0;
    const row = Array.from({ length: V }, (_, v) => Math.exp(2 * rng.normal() + (v === EOS ? eosBias : 0)));
    for (const e of row) z += e;
    for (let v = 0; v < V; v++) table[i + v] = Math.log(row[v] / z);
  }
  let k = 1;
  return {
    batch,
    vocabSize: V,
    start(kk) {
      k = kk;
      return { t: 0, rows: batch * kk };
    },
    step(state, tokens) {
      const lp = new Float64Array(state.rows * V);
      for (let r = 0; r < state.rows; r++) {
        const b = Math.floor(r / k);
        const t = Math.min(state.t, steps - 1);
        lp.set(
          table.subarray(((b * steps + t) * V + tokens[r]) * V, ((b * steps + t) * V + tokens[r] + 1) * V),
          r * V,
        );
      }
      return { logProbs: lp, state: { t: state.t + 1, rows: state.rows }, attention: null, srcLen: 0 };
    },
    reorder: (state) => state,
  };
}

const sameHyp = (a: Hypothesis, b: Hypothesis) => {
  assert.deepEqual(a.tokens, b.tokens);
  assert.ok(Math.abs(a.logProb - b.logProb) < 1e-12, `${a.logProb} vs ${b.logProb}`);
  assert.equal(a.finished, b.finished);
};

describe('beam search on a table decoder', () => {
  it('width 1 equals greedy decoding (40 random tables)', () => {
    for (let seed = 0; seed < 40; seed++) {
      const o = { bosId: BOS, eosId: EOS, maxLength: 8 };
      const g = greedyDecode(tableDecoder(4, 6, seed), o);
      const b = beamSearch(tableDecoder(4, 6, seed), { ...o, width: 1 });
      g.forEach((h, i) => {
        sameHyp(b[i][0], h);
      });
    }
  });

  it('wider beams never score below greedy (100 random tables, widths 2-5, with and without length normalization)', () => {
    let beaten = 0;
    for (let seed = 0; seed < 100; seed++) {
      for (const lengthPenalty of [0, 1]) {
        const o = { bosId: BOS, eosId: EOS, maxLength: 7 };
        const g = greedyDecode(tableDecoder(3, 6, seed, 8, -1), o);
        for (const width of [2, 3, 5]) {
          const b = beamSearch(tableDecoder(3, 6, seed, 8, -1), { ...o, width, lengthPenalty });
          g.forEach((h, i) => {
            const len = h.finished ? h.tokens.length + 1 : Math.max(1, h.tokens.length);
            const gs = lengthPenalty === 0 ? h.logProb : h.logProb / len;
            assert.ok(
              b[i][0].score >= gs - 1e-12,
              `seed ${seed} width ${width} α ${lengthPenalty} example ${i}`,
            );
            if (b[i][0].score > gs + 1e-9) beaten++;
          });
        }
      }
    }
    assert.ok(beaten > 100, `the beam should often beat greedy on random tables (did ${beaten} times)`);
  });

  it('finds a better sequence than greedy where greedy is misled', () => {
    // step 0: A (0.6) beats B (0.4); after A every continuation is poor, after B the end is certain.
    const V = 4;
    const [A, Bt] = [2, 3];
    const dec: StepDecoder<number[]> = {
      batch: 1,
      vocabSize: V,
      start: (k) => new Array(k).fill(0),
      step(state, tokens) {
        const lp = new Float64Array(state.length * V).fill(Math.log(1e-9));
        tokens.forEach((tok, r) => {
          const p =
            tok === BOS
              ? { [A]: 0.6, [Bt]: 0.4 }
              : tok === A
                ? { [EOS]: 0.3, [A]: 0.35, [Bt]: 0.35 }
                : { [EOS]: 1 };
          for (const [v, q] of Object.entries(p)) lp[r * V + Number(v)] = Math.log(q);
        });
        return { logProbs: lp, state, attention: null, srcLen: 0 };
      },
      reorder: (state, rows) => Array.from(rows, (r) => state[r]),
    };
    const o = { bosId: BOS, eosId: EOS, maxLength: 6 };
    const g = greedyDecode(dec, o)[0];
    assert.deepEqual(g.tokens, [A, A, A, A, A, A]);
    assert.equal(g.finished, false);
    const b = beamSearch(dec, { ...o, width: 2, nBest: 2 })[0];
    assert.deepEqual(b[0].tokens, [Bt]);
    assert.ok(Math.abs(b[0].logProb - Math.log(0.4)) < 1e-12);
    // A·EOS (0.18) ranked below width among the candidates of step 1 and was dropped (fairseq's rule).
    assert.deepEqual(b[1].tokens, [A, Bt]);
    assert.ok(Math.abs(b[1].logProb - Math.log(0.6 * 0.35)) < 1e-12);
  });

  it("never returns worse than greedy: where standard beam search (keepGreedy false) loses greedy's path, the greedy hypothesis wins the ranking", () => {
    // Standard beam search (fairseq, OpenNMT, Hugging Face) finalizes an end token only among the
    // best `width` candidates. Here greedy's A·EOS (0.22) ranks third behind B·Y and B·Z (0.225)
    // and is dropped; the two B prefixes then end poorly. Width 3 keeps it.
    const [A, Bt, X, W, Y, Z] = [2, 3, 4, 5, 6, 7];
    const next: Record<number, Record<number, number>> = {
      [BOS]: { [A]: 0.5, [Bt]: 0.45, [X]: 0.05 },
      [A]: { [EOS]: 0.44, [X]: 0.3, [W]: 0.26 },
      [Bt]: { [Y]: 0.5, [Z]: 0.5 },
      [Y]: { [EOS]: 0.3, [X]: 0.35, [W]: 0.35 },
      [Z]: { [EOS]: 0.3, [X]: 0.35, [W]: 0.35 },
      [X]: { [EOS]: 1 },
      [W]: { [EOS]: 1 },
    };
    const dec: StepDecoder<null> = {
      batch: 1,
      vocabSize: 8,
      start: () => null,
      step(state, tokens) {
        const lp = new Float64Array(tokens.length * 8).fill(Math.log(1e-12));
        tokens.forEach((tok, r) => {
          for (const [v, q] of Object.entries(next[tok])) lp[r * 8 + Number(v)] = Math.log(q);
        });
        return { logProbs: lp, state, attention: null, srcLen: 0 };
      },
      reorder: (state) => state,
    };
    const o = { bosId: BOS, eosId: EOS, maxLength: 6 };
    const g = greedyDecode(dec, o)[0];
    assert.deepEqual(g.tokens, [A]);
    const w2 = beamSearch(dec, { ...o, width: 2, keepGreedy: false })[0][0];
    assert.deepEqual(w2.tokens, [Bt, Y, X]);
    assert.ok(w2.logProb < g.logProb);
    const w3 = beamSearch(dec, { ...o, width: 3, keepGreedy: false })[0][0];
    assert.ok(Math.abs(w3.logProb - g.logProb) < 1e-12);
    // The default ranks greedy's hypothesis too: width 2 now returns A, and B·Y·X second.
    const both = beamSearch(dec, { ...o, width: 2, nBest: 2 })[0];
    assert.deepEqual(
      both.map((h) => h.tokens),
      [[A], [Bt, Y, X]],
    );
    assert.equal(both[0].logProb, g.logProb);
    assert.deepEqual(beamSearch(dec, { ...o, width: 3 })[0][0].tokens, [A]);
  });

  it('returns n-best lists sorted by score, with length normalization when asked', () => {
    const o = { bosId: BOS, eosId: EOS, maxLength: 8, width: 4, nBest: 4 };
    for (const lengthPenalty of [0, 1]) {
      const res = beamSearch(tableDecoder(2, 6, 11, 8, 1), { ...o, lengthPenalty });
      for (const list of res) {
        assert.equal(list.length, 4);
        for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].score >= list[i].score);
        for (const h of list) {
          const len = h.finished ? h.tokens.length + 1 : Math.max(1, h.tokens.length);
          assert.ok(Math.abs(h.score - h.logProb / len ** lengthPenalty) < 1e-12);
        }
      }
    }
    assert.throws(() => beamSearch(tableDecoder(1, 4, 0), { ...o, nBest: 5 }), RangeError);
  });
});

describe('beam search on a Seq2Seq model', () => {
  const S = 4;
  const B = 3;
  const lengths = [4, 2, 3];
  const ids = Int32Array.from({ length: S * B }, (_, i) => 4 + (i % 5));
  for (const attention of ['general', 'additive'] as const) {
    it(`${attention} attention: width 1 equals greedy (tokens, log-probability, attention weights) and wider beams score no worse`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const m = new Seq2Seq(
          { srcVocabSize: 9, tgtVocabSize: 7, embedSize: 4, hiddenSize: 4, attention },
          { rng: new Rng(seed), dtype: 'float64' },
        );
        m.eval();
        noGrad(() => {
          const o = { bosId: 2, eosId: 3, maxLength: 10 };
          const g = greedyDecode(m.stepDecoder({ ids, lengths }), o);
          const b1 = beamSearch(m.stepDecoder({ ids, lengths }), { ...o, width: 1 });
          g.forEach((h, i) => {
            sameHyp(b1[i][0], h);
            assert.deepEqual(b1[i][0].attention, h.attention);
            assert.equal(h.attention?.length, h.tokens.length + (h.finished ? 1 : 0));
            for (const row of h.attention ?? []) for (let s = lengths[i]; s < S; s++) assert.equal(row[s], 0);
          });
          for (const width of [3, 5]) {
            const b = beamSearch(m.stepDecoder({ ids, lengths }), { ...o, width });
            b.forEach((h, i) => {
              assert.ok(h[0].logProb >= g[i].logProb - 1e-12);
            });
          }
        });
      }
    });
  }
});

describe('decoding memory', () => {
  it('frees each step before the next: the arena stays small over a long decode, the state survives', () => {
    withBackend('wasm', () => {
      const arena = kernels().arena() as WasmArena;
      const V = 4;
      const big = 1 << 20; // 4 MB of float32 made and dropped by every step
      // The state is a tensor [rows] counting steps; a step reads it, so a state freed with its step's
      // scope (or overwritten by a later one) would throw or count wrong.
      const counter: StepDecoder<Tensor> = {
        batch: 2,
        vocabSize: V,
        start(k) {
          t = 0;
          return tensor(new Float32Array(2 * k));
        },
        step(state, tokens) {
          const scratch = mul(tensor(new Float32Array(big)), tensor([2]));
          assert.ok(arena.owns(scratch.data), 'the scratch tensor is in the arena');
          const next = add(state, tensor([1]));
          const lp = new Float64Array(tokens.length * V);
          for (let r = 0; r < tokens.length; r++) {
            assert.equal(state.data[r], t, `row ${r} of the state after ${t} steps`);
            lp.set([-5, -6, Math.log(0.6), Math.log(0.4) - 1e-3], r * V); // never the end token (1)
          }
          t++;
          steps++;
          return { logProbs: lp, state: next, attention: null, srcLen: 0 };
        },
        reorder: (state, rows) => tensor(Array.from(rows, (r) => state.data[r])),
      };
      let t = 0;
      let steps = 0;
      let reserved = 0;
      const maxLength = 40;
      const hyps = tidy(() => {
        const out = noGrad(() => beamSearch(counter, { bosId: 0, eosId: 1, maxLength, width: 2 }));
        reserved = arena.reservedBytes;
        return out;
      });
      // steps: 40 of the beam and 40 of the greedy hypothesis it keeps.
      assert.equal(steps, 2 * maxLength);
      assert.deepEqual(hyps[0][0].tokens, new Array(maxLength).fill(2));
      assert.ok(reserved <= 4 * big * 4, `arena ${reserved} bytes after ${steps} steps of ${4 * big} bytes`);
    });
  });
});
