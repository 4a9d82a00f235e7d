import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../util/rng.js';
import {
  captionOf,
  composeStrip,
  DIGIT_SIZE,
  type DigitImages,
  sampleStrips,
  splitDigitImages,
  stripOf,
  stripSequence,
} from './caption.js';

/** Image k of value v everywhere except pixel (r, c) = k + 1. */
function fakeImage(fill: number, marker: number): Float32Array {
  const img = new Float32Array(DIGIT_SIZE * DIGIT_SIZE).fill(fill);
  img[3 * DIGIT_SIZE + 5] = marker;
  return img;
}

describe('caption strips', () => {
  it('places digit images side by side, row-major [28, 28n]', () => {
    const a = fakeImage(0.1, 0.9);
    const b = fakeImage(0.2, 0.8);
    const { pixels, width } = composeStrip([a, b, a]);
    assert.equal(width, 84);
    assert.equal(pixels.length, 28 * 84);
    assert.equal(pixels[3 * 84 + 5], a[3 * 28 + 5]);
    assert.equal(pixels[3 * 84 + 28 + 5], b[3 * 28 + 5]);
    assert.equal(pixels[3 * 84 + 56 + 5], a[3 * 28 + 5]);
    assert.equal(pixels[27 * 84 + 28 + 27], b[27 * 28 + 27]);
    assert.throws(() => composeStrip([]), RangeError);
  });

  it('reads the strip column by column, top to bottom', () => {
    const img = new Float32Array(28 * 28).map((_, i) => i);
    const { pixels, width } = composeStrip([img]);
    const seq = stripSequence(pixels, width, 2);
    // step 0 = column 0 then column 1; column x holds rows 0..27
    assert.equal(seq[0], 0);
    assert.equal(seq[1], 28);
    assert.equal(seq[27], 27 * 28);
    assert.equal(seq[28], 1);
    assert.equal(seq[28 * 27], 27);
    assert.throws(() => stripSequence(pixels, width, 3), RangeError);
  });

  it('captions name the digits left to right', () => {
    assert.equal(captionOf([3, 7, 2]), 'three seven two');
    assert.equal(captionOf([0]), 'zero');
  });

  it('splits images per digit before composing: test strips use test images only', () => {
    const labels = Array.from({ length: 200 }, (_, i) => i % 10);
    const data: DigitImages = { labels, images: labels.map((l, i) => fakeImage(l / 10, i / 200)) };
    const split = splitDigitImages(labels, 0.25, 3);
    assert.equal(split.test.length, 50);
    assert.equal(new Set([...split.train, ...split.test]).size, 200);
    for (let d = 0; d < 10; d++) assert.equal(split.test.filter((i) => labels[i] === d).length, 5);
    assert.deepEqual(splitDigitImages(labels, 0.25, 3), split);
    const strips = sampleStrips(data, split.test, 100, new Rng(1), { minDigits: 1, maxDigits: 4 });
    const testSet = new Set(split.test);
    const counts = new Set<number>();
    for (const s of strips) {
      counts.add(s.digits.length);
      assert.equal(s.width, 28 * s.digits.length);
      s.sources.forEach((src, k) => {
        assert.ok(testSet.has(src));
        assert.equal(s.digits[k], labels[src]);
      });
    }
    assert.deepEqual([...counts].sort(), [1, 2, 3, 4]);
    const s = stripOf(data, split.train, [4, 2], new Rng(2));
    assert.deepEqual(s.digits, [4, 2]);
    assert.ok(s.sources.every((i) => !testSet.has(i)));
  });
});
