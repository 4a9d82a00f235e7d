// Packing of the two GEMM operands for gemm.ts, and the blocking sizes both files share.
//
// Packed B (op(B) is [k, n]): ceil(n / PW) panels, panel q holding columns PW·q .. PW·q + PW-1
// as k rows of PW contiguous floats, columns past n zero-filled.
//
// Packed A (op(A) is [m, k]): for each k block of KC and, inside it, each row block of MC rows,
// the block's rows cut into groups of R <= RMAX rows as evenly as possible (`groupCount`, `groupRows`), each group
// stored as kc steps of its R floats. Region (k0, r0) starts at float k0 * m + r0 * kc.
//
// All pointers are byte addresses into the one imported memory; strides are in elements.

/** Reduction depth per pass: keeps one B panel slice (KC * PW * 4 bytes) within L1. */
// @ts-ignore: decorator
@inline export const KC: i32 = 384;

/** Rows of A per block: the packed block (MC * KC * 4 bytes) stays in L2 while all panels pass. */
// @ts-ignore: decorator
@inline export const MC: i32 = 120;

/** Columns per panel. */
// @ts-ignore: decorator
@inline export const PW: i32 = 8;
/** Bytes per k row of a panel. */
// @ts-ignore: decorator
@inline export const PB: usize = <usize>PW << 2;

/** Tallest tile of this build (gemm.ts says why). */
// @ts-ignore: decorator
@inline export const RMAX: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;

/** Groups in a row block of `rows` rows: as few as RMAX allows, sizes differing by at most one. */
// @ts-ignore: decorator
@inline export function groupCount(rows: i32): i32 {
  return (rows + RMAX - 1) / RMAX;
}

/** Rows in group j of the `g` groups of a `rows`-row block (the first rows % g are one taller). */
// @ts-ignore: decorator
@inline export function groupRows(rows: i32, g: i32, j: i32): i32 {
  return rows / g + i32(j < rows % g);
}

/** The panel width, for the TypeScript side (buffer sizes, splitting by panels). */
export function panelWidth(): i32 {
  return PW;
}

/** Rows per block of `packA` and `gemmPacked`; a split of packA by rows uses multiples of it. */
export function rowBlock(): i32 {
  return MC;
}

/** Packs op(B) ([k, n]; B stored [n, k] when transB) into PW-column panels at `dst`. */
export function packB(transB: bool, k: i32, n: i32, b: usize, ldb: i32, dst: usize): void {
  const panels = (n + PW - 1) / PW;
  const rowStride = <usize>ldb << 2;
  for (let q = 0; q < panels; q++) {
    const j0 = q * PW;
    const w = min(PW, n - j0);
    const panel = dst + <usize>q * <usize>k * PB;
    if (!transB) {
      let src = b + (<usize>j0 << 2);
      let d = panel;
      for (let p = 0; p < k; p++) {
        if (w == PW) {
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
        } else {
          memory.fill(d, 0, PB);
          memory.copy(d, src, <usize>w << 2);
        }
        src += rowStride;
        d += PB;
      }
    } else {
      // op(B)[p, j] = B[j, p]: each source row is one packed column; read it contiguously.
      if (w < PW) memory.fill(panel, 0, <usize>k * PB);
      for (let jj = 0; jj < w; jj++) {
        let src = b + <usize>(j0 + jj) * rowStride;
        let d = panel + (<usize>jj << 2);
        for (let p = 0; p < k; p++) {
          store<f32>(d, load<f32>(src));
          src += 4;
          d += PB;
        }
      }
    }
  }
}

/** Copies R (1..6) floats from s to d in the widest exact moves (never reads past the R floats). */
// @ts-ignore: decorator
@inline function copyRow(R: i32, d: usize, s: usize): void {
  if (R >= 4) v128.store(d, v128.load(s));
  if (R == 6) store<u64>(d, load<u64>(s, 16), 16);
  else if (R == 5) store<f32>(d, load<f32>(s, 16), 16);
  else if (R == 3) { store<u64>(d, load<u64>(s)); store<f32>(d, load<f32>(s, 8), 8); }
  else if (R == 2) store<u64>(d, load<u64>(s));
  else if (R == 1) store<f32>(d, load<f32>(s));
}

/**
 * One group of R rows (R a literal) from row-major A, rows `ld` bytes apart: kc steps of R floats.
 * One pass over k with R streams in and one out.
 */
// @ts-ignore: decorator
@inline function packGroup(R: i32, d: usize, s: usize, ld: usize, kc: i32): void {
  const end = d + <usize>kc * <usize>(R << 2);
  const l2 = ld + ld;
  const l3 = l2 + ld;
  const l4 = l3 + ld;
  const l5 = l4 + ld;
  while (d < end) {
    store<f32>(d, load<f32>(s));
    if (R > 1) store<f32>(d, load<f32>(s + ld), 4);
    if (R > 2) store<f32>(d, load<f32>(s + l2), 8);
    if (R > 3) store<f32>(d, load<f32>(s + l3), 12);
    if (R > 4) store<f32>(d, load<f32>(s + l4), 16);
    if (R > 5) store<f32>(d, load<f32>(s + l5), 20);
    s += 4;
    d += <usize>(R << 2);
  }
}

/**
 * Packs rows [i0, i1) of op(A) ([m, k]; A stored [k, m] when transA, element stride lda) into
 * `dst`, which receives the packing of all m rows (m * k floats); i0 is a multiple of MC. Each
 * (k block, row block) region starts at float k0 * m + r0 * kc, and holds that block's row groups
 * one after another, each as kc steps of its R rows.
 */
export function packA(transA: bool, m: i32, k: i32, a: usize, lda: i32, dst: usize, i0: i32, i1: i32): void {
  const ld = <usize>lda << 2;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const kBlock = dst + (<usize>k0 * <usize>m << 2);
    if (transA) {
      // op(A)[i, k0 + p] = A[k0 + p, i]: row k0 + p of the stored A holds step p of every group
      // side by side, so read it once, in order, and deal it out to the groups of all row blocks.
      let s = a + <usize>k0 * ld + (<usize>i0 << 2);
      for (let p = 0; p < kc; p++) {
        let src = s;
        for (let r0 = i0; r0 < i1; r0 += MC) {
          const rows = min(MC, m - r0);
          const g = groupCount(rows);
          // groupRows spelled out so its division runs once per row block and step, not once per
          // group and step (that cost 40% of the packing time here).
          const base = rows / g;
          const extra = rows % g;
          let d = kBlock + (<usize>r0 * <usize>kc << 2);
          for (let j = 0; j < g; j++) {
            const R = base + i32(j < extra);
            const o = d + <usize>p * <usize>(R << 2);
            if (R == 6) copyRow(6, o, src);
            else if (R == 5) copyRow(5, o, src);
            else if (R == 4) copyRow(4, o, src);
            else if (R == 3) copyRow(3, o, src);
            else if (R == 2) copyRow(2, o, src);
            else copyRow(1, o, src);
            d += <usize>kc * <usize>(R << 2);
            src += <usize>R << 2;
          }
        }
        s += ld;
      }
      continue;
    }
    for (let r0 = i0; r0 < i1; r0 += MC) {
      const rows = min(MC, m - r0);
      const g = groupCount(rows);
      let d = kBlock + (<usize>r0 * <usize>kc << 2);
      let s = a + <usize>r0 * ld + (<usize>k0 << 2);
      for (let j = 0; j < g; j++) {
        const R = groupRows(rows, g, j);
        if (R == 6) packGroup(6, d, s, ld, kc);
        else if (R == 5) packGroup(5, d, s, ld, kc);
        else if (R == 4) packGroup(4, d, s, ld, kc);
        else if (R == 3) packGroup(3, d, s, ld, kc);
        else if (R == 2) packGroup(2, d, s, ld, kc);
        else packGroup(1, d, s, ld, kc);
        d += <usize>kc * <usize>(R << 2);
        s += <usize>R * ld;
      }
    }
  }
}
