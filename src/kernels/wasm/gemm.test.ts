/**
 * GEMM of the wasm backend against the TypeScript reference, on both builds (relaxed-SIMD FMA
 * and plain SIMD): every transpose combination, odd sizes (every tile height, the 1- and 2-row
 * tiles across several panels, the column tail), strides, offsets, accumulate, K larger than one
 * cache block, M over one row block of the packed A, and operands inside and outside the wasm memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tsKernels } from '../ts/index.js';
import type { Kernels } from '../types.js';
import { loadWasmKernelsSync } from './index.js';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const builds: [string, Kernels][] = (['relaxed', 'plain'] as const).map((b) => {
  const k = loadWasmKernelsSync({ build: b });
  assert.ok(k, `the ${b} wasm build must load (run npm run build:wasm)`);
  return [b, k];
});

/** A Float32Array of `n` random values in [-1, 1), in wasm memory or an ordinary array. */
function filled(k: Kernels, n: number, inside: boolean, rand: () => number): Float32Array {
  const a = inside ? (k.alloc(n, 'float32') as Float32Array) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand() * 2 - 1;
  return a;
}

interface Case {
  tA: boolean;
  tB: boolean;
  m: number;
  n: number;
  k: number;
  acc: boolean;
  pad: number;
  inside: [boolean, boolean, boolean];
}

/**
 * Runs one GEMM on `wk` and on tsKernels from identical inputs and compares C element-wise with a
 * relative tolerance of 1e-5 against sum |a||b| + |C0| (the natural scale of a dot product, so
 * cancellation does not make a correct result look wrong). Elements of C outside the m x n block
 * (the row padding when ldc > n) must be untouched.
 */
function check(wk: Kernels, c: Case, rand: () => number): void {
  const { tA, tB, m, n, k, acc, pad } = c;
  const lda = (tA ? m : k) + pad;
  const ldb = (tB ? k : n) + pad;
  const ldc = n + pad;
  const aOff = pad;
  const bOff = 2 * pad;
  const cOff = pad;
  const A = filled(wk, aOff + (tA ? k : m) * lda, c.inside[0], rand);
  const B = filled(wk, bOff + (tB ? n : k) * ldb, c.inside[1], rand);
  const C = filled(wk, cOff + m * ldc, c.inside[2], rand);
  const ref = Float32Array.from(C);
  const c0 = Float32Array.from(C);
  wk.gemm(tA, tB, m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, acc);
  tsKernels.gemm(tA, tB, m, n, k, A, aOff, lda, B, bOff, ldb, ref, cOff, ldc, acc);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let scale = acc ? Math.abs(c0[cOff + i * ldc + j]) : 0;
      for (let p = 0; p < k; p++) {
        const av = tA ? A[aOff + p * lda + i] : A[aOff + i * lda + p];
        const bv = tB ? B[bOff + j * ldb + p] : B[bOff + p * ldb + j];
        scale += Math.abs(av * bv);
      }
      const idx = cOff + i * ldc + j;
      const err = Math.abs(C[idx] - ref[idx]);
      assert.ok(err <= 1e-5 * scale + 1e-30, `${JSON.stringify(c)} C[${i},${j}] ${C[idx]} vs ${ref[idx]}`);
    }
  }
  for (let idx = 0; idx < C.length; idx++) {
    const col = (idx - cOff) % ldc;
    if (idx < cOff || col >= n) assert.equal(C[idx], c0[idx], `C padding at ${idx} was written`);
  }
  for (const x of [A, B, C]) wk.free(x);
}

for (const [build, wk] of builds) {
  describe(`wasm gemm (${build})`, () => {
    it('matches tsKernels for all transposes, odd sizes, strides, accumulate, in/out of memory', () => {
      const rand = rng(1234);
      const dim = () => 1 + Math.floor(rand() * 37);
      let count = 0;
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const shapes: [number, number, number][] = [
            [1, 1, 1],
            [1, 16, 37],
            [3, 17, 5],
            [37, 33, 2],
            [2, 15, 31],
            [5, 32, 16],
            [1, 45, 6],
            [2, 40, 9],
            [121, 35, 3],
          ];
          for (let r = 0; r < 10; r++) shapes.push([dim(), dim(), dim()]);
          for (const [m, n, k] of shapes) {
            for (const acc of [false, true]) {
              const pad = Math.floor(rand() * 4);
              const inside: [boolean, boolean, boolean] = [rand() < 0.5, rand() < 0.5, rand() < 0.5];
              check(wk, { tA, tB, m, n, k, acc, pad, inside }, rand);
              count++;
            }
          }
        }
      }
      assert.equal(count, 152);
    });

    it('handles K larger than one cache block, all operands inside and all outside', () => {
      const rand = rng(99);
      for (const inside of [true, false]) {
        const ins: [boolean, boolean, boolean] = [inside, inside, inside];
        check(wk, { tA: false, tB: true, m: 5, n: 21, k: 900, acc: true, pad: 1, inside: ins }, rand);
        check(wk, { tA: true, tB: false, m: 4, n: 32, k: 400, acc: false, pad: 0, inside: ins }, rand);
      }
    });

    it('gemmPacked matches tsKernels and reuses one packed matrix', () => {
      const rand = rng(7);
      for (const [m, n, k, tB] of [
        [32, 40, 24, true],
        [7, 16, 9, false],
        [1, 5, 33, true],
        [2, 64, 1, false],
      ] as [number, number, number, boolean][]) {
        const ldb = (tB ? k : n) + 3;
        const B = filled(wk, 2 + (tB ? n : k) * ldb, false, rand);
        const pw = wk.packB(tB, k, n, B, 2, ldb);
        const pt = tsKernels.packB(tB, k, n, B, 2, ldb);
        assert.equal(pw.k, k);
        assert.equal(pw.n, n);
        for (const inside of [true, false]) {
          for (const acc of [false, true]) {
            const lda = k + 1;
            const ldc = n + 2;
            const A = filled(wk, 1 + m * lda, inside, rand);
            const C = filled(wk, 3 + m * ldc, inside, rand);
            const ref = Float32Array.from(C);
            wk.gemmPacked(m, A, 1, lda, pw, C, 3, ldc, acc);
            tsKernels.gemmPacked(m, A, 1, lda, pt, ref, 3, ldc, acc);
            for (let i = 0; i < C.length; i++) {
              assert.ok(Math.abs(C[i] - ref[i]) <= 1e-5 * (k + 1), `packed m=${m} n=${n} k=${k} at ${i}`);
            }
            wk.free(A);
            wk.free(C);
          }
        }
        pw.dispose();
        pw.dispose();
        const a = new Float32Array(m * k);
        assert.throws(() => wk.gemmPacked(m, a, 0, k, pw, new Float32Array(m * n), 0, n, false), /disposed/);
      }
    });

    it('gemmPacked with k = 0 zeroes C, or leaves it with accumulate, in place and staged', () => {
      const packed = wk.packB(true, 0, 20, new Float32Array(0), 0, 0);
      for (const inside of [true, false]) {
        const A = inside ? (wk.alloc(3, 'float32') as Float32Array) : new Float32Array(3);
        const C = filled(wk, 3 * 20, inside, rng(5));
        const before = Float32Array.from(C);
        wk.gemmPacked(3, A, 0, 0, packed, C, 0, 20, true);
        assert.deepEqual(C, before, `accumulate, inside=${inside}`);
        wk.gemmPacked(3, A, 0, 0, packed, C, 0, 20, false);
        assert.ok(
          C.every((v) => v === 0),
          `overwrite, inside=${inside}`,
        );
        wk.free(A);
        wk.free(C);
      }
      packed.dispose();
    });

    it('gives a row the same bits wherever it falls: any tile height, row block or panel grouping', () => {
      const rand = rng(13);
      // m = 1..13 cover every tile height (groups of up to 6 rows in the relaxed build, 5 in the
      // plain one) and the 1- and 2-row tiles over several panels; m = 121 puts row 120 alone in a
      // second row block. n = 44 also covers the column tail; k = 400 two k blocks.
      const [n, k, big] = [44, 400, 130];
      const B = filled(wk, k * n, false, rand);
      const packed = wk.packB(false, k, n, B, 0, n);
      const A = filled(wk, big * k, true, rand);
      const all = new Float32Array(big * n);
      wk.gemmPacked(big, A, 0, k, packed, all, 0, n, false);
      for (const m of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 32, 121]) {
        const c = new Float32Array(m * n);
        wk.gemmPacked(m, A, 0, k, packed, c, 0, n, false);
        assert.deepEqual(c, all.subarray(0, m * n), `m = ${m}`);
      }
      packed.dispose();
      wk.free(A);
    });

    it('gemmPacked with the matrix-vector layout (rows hint 1) matches for one row and for several', () => {
      const rand = rng(11);
      // k not a multiple of 4 and n not a multiple of 8 exercise both tails.
      for (const [m, n, k, tB] of [
        [1, 1024, 256, true],
        [1, 13, 7, true],
        [1, 5, 3, false],
        [1, 8, 4, false],
        [3, 21, 18, true],
        [2, 9, 1, false],
      ] as [number, number, number, boolean][]) {
        const ldb = (tB ? k : n) + 1;
        const B = filled(wk, 1 + (tB ? n : k) * ldb, false, rand);
        const pw = wk.packB(tB, k, n, B, 1, ldb, 1);
        const pt = tsKernels.packB(tB, k, n, B, 1, ldb);
        for (const inside of [true, false]) {
          for (const acc of [false, true]) {
            const lda = k + 2;
            const ldc = n + 1;
            // A's row ends with a NaN right after its k values: the k tail must not read it.
            const A = filled(wk, m * lda, inside, rand);
            for (let i = 0; i < m; i++) A[i * lda + k] = Number.NaN;
            const C = filled(wk, 2 + m * ldc, inside, rand);
            const ref = Float32Array.from(C);
            wk.gemmPacked(m, A, 0, lda, pw, C, 2, ldc, acc);
            tsKernels.gemmPacked(m, A, 0, lda, pt, ref, 2, ldc, acc);
            for (let i = 0; i < C.length; i++) {
              const ok = Math.abs(C[i] - ref[i]) <= 1e-5 * (k + 1);
              assert.ok(ok, `rows layout m=${m} n=${n} k=${k} acc=${acc} at ${i}: ${C[i]} vs ${ref[i]}`);
            }
            wk.free(A);
            wk.free(C);
          }
        }
        pw.dispose();
      }
    });

    it('sumRows equals the row-order sum of tsKernels bit for bit, in and out of memory', () => {
      const rand = rng(3);
      for (const [rows, n] of [
        [1, 1],
        [7, 5],
        [64, 1024],
        [3, 19],
      ]) {
        for (const inside of [true, false]) {
          const src = filled(wk, 1 + rows * n, inside, rand);
          const dst = filled(wk, n + 2, inside, rand);
          const ref = Float32Array.from(dst);
          wk.sumRows(rows, n, src, 1, dst, 1);
          tsKernels.sumRows(rows, n, src, 1, ref, 1);
          assert.deepEqual(dst, ref, `sumRows ${rows}x${n}`);
          wk.free(src);
          wk.free(dst);
        }
      }
    });

    it('rejects operand ranges that exceed the array', () => {
      const A = wk.alloc(4, 'float32');
      assert.throws(() => wk.gemm(false, false, 2, 2, 2, A, 1, 2, A, 0, 2, A, 0, 2, false), RangeError);
      wk.free(A);
    });

    it('delegates float64 operands to the TypeScript kernels', () => {
      const rand = rng(5);
      const [m, n, k] = [3, 5, 4];
      const A = Float64Array.from({ length: m * k }, rand);
      const B = Float64Array.from({ length: k * n }, rand);
      const C = new Float64Array(m * n);
      const ref = new Float64Array(m * n);
      wk.gemm(false, false, m, n, k, A, 0, k, B, 0, n, C, 0, n, false);
      tsKernels.gemm(false, false, m, n, k, A, 0, k, B, 0, n, ref, 0, n, false);
      assert.deepEqual(C, ref);
      const p = wk.packB(false, k, n, B, 0, n);
      assert.equal(p.dtype, 'float64');
      C.fill(0);
      wk.gemmPacked(m, A, 0, k, p, C, 0, n, false);
      assert.deepEqual(C, ref);
    });
  });
}
