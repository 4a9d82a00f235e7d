import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DataError } from '../util/errors.js';
import { CharVocab } from './char-vocab.js';
import { LMStream } from './lm-stream.js';

const arange = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('LMStream', () => {
  // PyTorch word_language_model on torch.arange(14), bsz 3, bptt 2:
  //   batchify -> [[0,4,8],[1,5,9],[2,6,10],[3,7,11]] (12, 13 dropped)
  //   get_batch(0) -> data rows 0..1, target rows 1..2; get_batch(2) -> data row 2, target row 3
  it('matches batchify/get_batch on a hand-computed example', () => {
    const s = new LMStream(arange(14), { batch: 3, seqLen: 2 });
    assert.equal(s.streamLength, 4);
    assert.equal(s.numWindows, 2);
    const w0 = s.window(0);
    assert.deepEqual([...w0.input], [0, 4, 8, 1, 5, 9]);
    assert.deepEqual([...w0.target], [1, 5, 9, 2, 6, 10]);
    assert.equal(w0.seqLen, 2);
    assert.equal(w0.batch, 3);
    const w1 = s.window(1);
    assert.deepEqual([...w1.input], [2, 6, 10]);
    assert.deepEqual([...w1.target], [3, 7, 11]);
    assert.equal(w1.seqLen, 1);
    assert.equal(s.numTargets, 9);
  });

  it('dropLast leaves out the short final window', () => {
    const s = new LMStream(arange(14), { batch: 3, seqLen: 2, dropLast: true });
    assert.equal(s.numWindows, 1);
    assert.equal(s.numTargets, 6);
    assert.deepEqual(
      [...s].map((w) => w.seqLen),
      [2],
    );
    assert.throws(
      () => s.window(1),
      (e: unknown) =>
        e instanceof ConfigError &&
        /LMStream\.window: i must be in \[0, 0\], got 1/.test((e as Error).message),
    );
  });

  it('carries state: window i+1 of every stream continues where window i ended', () => {
    const ids = Int32Array.from({ length: 1003 }, (_, i) => (i * 7919) % 1000);
    const s = new LMStream(ids, { batch: 4, seqLen: 7 });
    const L = s.streamLength;
    const windows = [...s];
    assert.equal(windows.length, Math.ceil((L - 1) / 7));
    for (let b = 0; b < 4; b++) {
      const streamInputs: number[] = [];
      for (let i = 0; i < windows.length; i++) {
        const w = windows[i];
        for (let t = 0; t < w.seqLen; t++) {
          streamInputs.push(w.input[t * 4 + b]);
          // every target is the next id of the same stream
          if (t + 1 < w.seqLen) assert.equal(w.target[t * 4 + b], w.input[(t + 1) * 4 + b]);
        }
        if (i + 1 < windows.length) {
          // last target of window i == first input of window i+1 for the same stream b
          assert.equal(w.target[(w.seqLen - 1) * 4 + b], windows[i + 1].input[b]);
        }
      }
      // concatenated inputs of stream b are exactly its slice of the corpus
      assert.deepEqual(streamInputs, [...ids.subarray(b * L, b * L + L - 1)]);
    }
  });

  it('reads compact Uint8Array ids without copying them and reuses out buffers', () => {
    const v = CharVocab.build('abcdefgh');
    const ids = v.encodeCompact('abcdefghabcdefgh');
    assert.ok(ids instanceof Uint8Array);
    const s = new LMStream(ids, { batch: 2, seqLen: 3 });
    assert.equal(s.ids, ids);
    const out = { input: new Int32Array(6), target: new Int32Array(6) };
    const w = s.window(0, out);
    assert.equal(w.input.buffer, out.input.buffer);
    assert.equal(v.decode([...w.input].filter((_, k) => k % 2 === 0)), 'abc');
    assert.equal(v.decode([...w.target].filter((_, k) => k % 2 === 1)), 'bcd');
    const last = s.window(s.numWindows - 1, out);
    assert.equal(last.seqLen, 1);
    assert.equal(last.input.length, 2);
    assert.throws(() => s.window(0, { input: new Int32Array(2), target: new Int32Array(6) }), ConfigError);
  });

  it('rejects a corpus too short for the batch, and bad options, naming them', () => {
    assert.throws(
      () => new LMStream(arange(5), { batch: 3, seqLen: 2 }),
      (e: unknown) =>
        e instanceof DataError &&
        /LMStream: 5 ids are too few for batch 3.*at least 6 ids/.test((e as Error).message),
    );
    assert.throws(
      () => new LMStream(arange(14), { batch: 3, seqLen: 5, dropLast: true }),
      (e: unknown) => e instanceof DataError && /need at least 18 ids/.test((e as Error).message),
    );
    assert.throws(
      () => new LMStream(arange(14), { batch: 0, seqLen: 2 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /LMStream: batch must be a positive integer, got 0/.test((e as Error).message),
    );
    assert.throws(() => new LMStream([1, 2, 3] as never, { batch: 1, seqLen: 2 }), DataError);
    assert.throws(
      () => new LMStream(arange(14), { batch: 2, seqLen: 2, bptt: 3 } as never),
      (e: unknown) => e instanceof ConfigError && /unknown option "bptt"/.test((e as Error).message),
    );
  });
});
