/**
 * One-to-many: describing an image in words. The images are strips of 1 to 4 handwritten digits
 * (28×28 MNIST images side by side); the caption names the digits from left to right,
 * e.g. `three seven two`. A model (seq2seq.ts with a feature-vector source) reads the strip as a
 * sequence of column slices, a bidirectional encoder turns it into a feature vector that becomes
 * the decoder's initial state, and the decoder writes the caption word by word (optionally with
 * attention over the image columns).
 *
 * Test strips are composed only of digit images held out before any strip is made
 * (`splitDigitImages`), so no test image is ever seen in training, alone or in another strip.
 * No file access here; the CLI reads the images.
 */
import { Rng } from '../util/rng.js';

export const DIGIT_SIZE = 28;
export const DIGIT_WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
] as const;

/** Labeled digit images, each DIGIT_SIZE² values in [0, 1], row-major. */
export interface DigitImages {
  images: Float32Array[];
  labels: number[];
}

/** A composed image: the digits left to right, the image indices they came from, and the pixels. */
export interface Strip {
  digits: number[];
  sources: number[];
  /** Row-major [DIGIT_SIZE, width]. */
  pixels: Float32Array;
  width: number;
}

/** The caption of a strip: `three seven two`. */
export function captionOf(digits: readonly number[]): string {
  return digits.map((d) => DIGIT_WORDS[d]).join(' ');
}

/** Places the images side by side (no gap): [28, 28·n], row-major. */
export function composeStrip(images: readonly Float32Array[]): { pixels: Float32Array; width: number } {
  const n = images.length;
  const S = DIGIT_SIZE;
  if (n === 0) throw new RangeError('composeStrip: give at least one image');
  const width = S * n;
  const pixels = new Float32Array(S * width);
  images.forEach((img, k) => {
    if (img.length !== S * S)
      throw new RangeError(`composeStrip: image ${k} must have ${S * S} values, got ${img.length}`);
    for (let r = 0; r < S; r++) pixels.set(img.subarray(r * S, (r + 1) * S), r * width + k * S);
  });
  return { pixels, width };
}

/**
 * The strip as a sequence for the encoder: step t holds columns t·c .. t·c + c - 1, each column
 * top to bottom, so one step has 28·c values. Returns [steps·28·c] (steps = width / c).
 */
export function stripSequence(pixels: Float32Array, width: number, columnsPerStep: number): Float32Array {
  const S = DIGIT_SIZE;
  if (width % columnsPerStep !== 0)
    throw new RangeError(`stripSequence: width ${width} is not a multiple of ${columnsPerStep}`);
  const out = new Float32Array(S * width);
  let p = 0;
  for (let x = 0; x < width; x++) for (let r = 0; r < S; r++) out[p++] = pixels[r * width + x];
  return out;
}

/**
 * A seeded split of image indices, stratified by label: `testFraction` of every digit's images go
 * to test, the rest to train.
 */
export function splitDigitImages(
  labels: readonly number[],
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1))
    throw new RangeError(`splitDigitImages: testFraction must be in (0, 1), got ${testFraction}`);
  const rng = new Rng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (let d = 0; d < 10; d++) {
    const idx = labels.flatMap((l, i) => (l === d ? [i] : []));
    rng.shuffle(idx);
    const k = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, k));
    train.push(...idx.slice(k));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * `count` random strips from the images `pool` (indices into `data`): a digit count uniform in
 * [minDigits, maxDigits], then uniformly drawn images (so digit classes follow the pool).
 */
export function sampleStrips(
  data: DigitImages,
  pool: readonly number[],
  count: number,
  rng: Rng,
  options: { minDigits?: number; maxDigits?: number } = {},
): Strip[] {
  const lo = options.minDigits ?? 1;
  const hi = options.maxDigits ?? 4;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) {
    throw new RangeError(`sampleStrips: need 1 <= minDigits <= maxDigits, got ${lo} and ${hi}`);
  }
  if (pool.length === 0) throw new RangeError('sampleStrips: the pool of images is empty');
  const out: Strip[] = [];
  for (let i = 0; i < count; i++) {
    const n = lo + rng.int(hi - lo + 1);
    const sources = Array.from({ length: n }, () => pool[rng.int(pool.length)]);
    const { pixels, width } = composeStrip(sources.map((s) => data.images[s]));
    out.push({ digits: sources.map((s) => data.labels[s]), sources, pixels, width });
  }
  return out;
}

/** A strip of the given digits, each drawn from the pool's images of that digit. */
export function stripOf(
  data: DigitImages,
  pool: readonly number[],
  digits: readonly number[],
  rng: Rng,
): Strip {
  const sources = digits.map((d) => {
    const of = pool.filter((i) => data.labels[i] === d);
    if (of.length === 0) throw new RangeError(`stripOf: no image of digit ${d} in the pool`);
    return of[rng.int(of.length)];
  });
  const { pixels, width } = composeStrip(sources.map((s) => data.images[s]));
  return { digits: digits.slice(), sources, pixels, width };
}
