import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backward } from '../autograd/backward.js';
import { noGrad } from '../autograd/grad-mode.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { crossEntropy } from '../ops/loss.js';
import { reshape } from '../ops/shape.js';
import { randn } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { greedyDecode } from './beam-search.js';
import { type AttentionChoice, Seq2Seq, type Seq2SeqConfig } from './seq2seq.js';

const B = 3;
const S = 5;
const T = 4;
const lengths = [5, 2, 4];
/** Source ids time-major [S, B]; padded positions hold `pad`. */
function sourceIds(pad: number): Int32Array {
  const ids = new Int32Array(S * B);
  for (let s = 0; s < S; s++)
    for (let b = 0; b < B; b++) ids[s * B + b] = s < lengths[b] ? 4 + ((s * 3 + b * 5) % 5) : pad;
  return ids;
}
const targetIn = Int32Array.from({ length: T * B }, (_, i) => (i < B ? 2 : 4 + ((i * 7) % 4)));
const targetOut = Int32Array.from({ length: T * B }, (_, i) => 4 + ((i * 5) % 4));

function model(c: Partial<Seq2SeqConfig>, dtype: 'float32' | 'float64' = 'float64', seed = 1): Seq2Seq {
  return new Seq2Seq(
    { srcVocabSize: 9, tgtVocabSize: 8, embedSize: 3, hiddenSize: 3, decoderHiddenSize: 4, ...c },
    { rng: new Rng(seed), dtype },
  );
}

function maxDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  let d = 0;
  for (let i = 0; i < a.size; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

function lossOf(m: Seq2Seq, stepwise: boolean): Tensor {
  const { logits } = m.forward({ ids: sourceIds(1), lengths }, targetIn, { stepwise });
  return crossEntropy(reshape(logits, [T * B, 8]), targetOut);
}

describe('Seq2Seq: the fused training path and the step-wise path compute the same function', () => {
  for (const attention of ['none', 'dot', 'general'] as AttentionChoice[]) {
    for (const cell of ['lstm', 'gru'] as const) {
      const cfg = {
        attention,
        cell,
        encoderLayers: 2,
        decoderLayers: 2,
        bidirectional: true,
        decoderHiddenSize: attention === 'dot' ? 6 : 4,
      };
      it(`${attention}, ${cell}, 2+2 layers, bidirectional: logits, attention and gradients agree (float64)`, () => {
        const m = model(cfg);
        const src = { ids: sourceIds(1), lengths };
        const a = m.forward(src, targetIn);
        const b = m.forward(src, targetIn, { stepwise: true });
        assert.ok(maxDiff(a.logits, b.logits) < 1e-12, `logits differ by ${maxDiff(a.logits, b.logits)}`);
        if (attention === 'none') assert.equal(a.attention, null);
        else assert.ok(maxDiff(a.attention as Tensor, b.attention as Tensor) < 1e-12);
        const grads = (stepwise: boolean) => {
          m.zeroGrad();
          backward(lossOf(m, stepwise));
          return m.namedParameters().map(([n, p]) => [n, (p.grad as Tensor).clone()] as const);
        };
        const ga = grads(false);
        const gb = grads(true);
        ga.forEach(([n, g], i) => {
          assert.ok(maxDiff(g, gb[i][1]) < 1e-11, `${n}: ${maxDiff(g, gb[i][1])}`);
        });
      });
    }
  }

  it('float32 (the training dtype, backend kernels): fused and step-wise agree to 1e-5', () => {
    const m = model({ attention: 'general', encoderLayers: 1, decoderLayers: 2 }, 'float32');
    const src = { ids: sourceIds(1), lengths };
    const d = maxDiff(m.forward(src, targetIn).logits, m.forward(src, targetIn, { stepwise: true }).logits);
    assert.ok(d < 1e-5, `max difference ${d}`);
  });
});

describe('Seq2Seq: masking and decoding options', () => {
  for (const [attention, inputFeeding] of [
    ['none', false],
    ['dot', false],
    ['general', true],
    ['additive', false],
  ] as [AttentionChoice, boolean][]) {
    it(`${attention}${inputFeeding ? ' + input feeding' : ''}: padded source positions do not change the output`, () => {
      const m = model({ attention, inputFeeding, decoderHiddenSize: 6 });
      const a = m.forward({ ids: sourceIds(1), lengths }, targetIn);
      const b = m.forward({ ids: sourceIds(7), lengths }, targetIn);
      assert.ok(maxDiff(a.logits, b.logits) < 1e-12);
      if (a.attention) {
        assert.deepEqual(a.attention.shape, [B, T, S]);
        for (let bb = 0; bb < B; bb++)
          for (let t = 0; t < T; t++)
            for (let s = lengths[bb]; s < S; s++) assert.equal(a.attention.data[(bb * T + t) * S + s], 0);
      }
    });
  }

  it('scheduled sampling with ratio 0 feeds back the model’s own argmax (= greedy decoding)', () => {
    const m = model({ attention: 'additive' });
    const src = { ids: sourceIds(1), lengths };
    const { logits } = m.forward(src, targetIn, { teacherForcing: 0, rng: new Rng(3) });
    const greedy = noGrad(() => greedyDecode(m.stepDecoder(src), { bosId: 2, eosId: 3, maxLength: T }));
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        let best = 0;
        for (let v = 1; v < 8; v++)
          if (logits.data[(t * B + b) * 8 + v] > logits.data[(t * B + b) * 8 + best]) best = v;
        if (t === greedy[b].tokens.length) {
          assert.equal(best, 3);
          break;
        }
        assert.equal(best, greedy[b].tokens[t]);
      }
    }
  });

  it('reads feature vectors instead of token ids (image columns)', () => {
    const m = new Seq2Seq(
      { srcVocabSize: 0, srcFeatureSize: 6, tgtVocabSize: 8, embedSize: 3, hiddenSize: 3, attention: 'none' },
      { rng: new Rng(2) },
    );
    const features = randn([S, B, 6], { rng: new Rng(4) });
    const { logits } = m.forward({ features, lengths }, targetIn);
    assert.deepEqual(logits.shape, [T, B, 8]);
    assert.throws(() => m.forward({ ids: sourceIds(1), lengths }, targetIn), ConfigError);
  });

  it('rejects inconsistent options', () => {
    assert.throws(() => model({ attention: 'none', inputFeeding: true }), ConfigError);
    assert.throws(() => model({ attention: 'dot', decoderHiddenSize: 5 }), ConfigError);
    assert.throws(() => model({ cell: 'rnn' as 'lstm' }), ConfigError);
    assert.throws(() => model({ bosId: 8 }), ConfigError);
    assert.match(
      model({}).toString(),
      /^Seq2Seq\(src=9, tgt=8, bi-lstm 1x3 -> 1x4, attention=general\) {2}# [\d,]+ parameters$/,
    );
  });
});

describe('Seq2Seq: gradients pass gradcheck (float64, tiny sizes)', () => {
  for (const [name, cfg] of [
    ['Bahdanau (additive) decoder, step-wise', { attention: 'additive', cell: 'gru' }],
    ['Luong general with input feeding, step-wise', { attention: 'general', inputFeeding: true }],
    ['Luong general, fused decoder and batched attention', { attention: 'general', encoderLayers: 2 }],
  ] as [string, Partial<Seq2SeqConfig>][]) {
    it(name, () => {
      const m = new Seq2Seq(
        { srcVocabSize: 6, tgtVocabSize: 5, embedSize: 2, hiddenSize: 2, decoderHiddenSize: 3, ...cfg },
        { rng: new Rng(5), dtype: 'float64' },
      );
      const ids = Int32Array.from([4, 5, 5, 4, 1, 4]); // [S=3, B=2], second row has length 2
      const tin = Int32Array.from([2, 2, 4, 3]); // [T=2, B=2]
      const params = m.parameters();
      const report = gradcheck(() => m.forward({ ids, lengths: [3, 2] }, tin).logits, params);
      assert.ok(report.ok, JSON.stringify(report));
      assert.ok(report.checked === params.reduce((s, p) => s + p.size, 0));
    });
  }
});
