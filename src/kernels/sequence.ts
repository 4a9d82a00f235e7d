/**
 * The step loops of whole-sequence kernels written once over the per-step kernels, for backends
 * (and shapes) that have no one-call version. See `Kernels.lstmSequenceForward`.
 */
import type { FloatArray, Kernels, LstmSequenceExtras, PackedMatrix } from './types.js';

/**
 * Copies the rows of the sequences that have ended before time t (t >= lengths[b]) from src to
 * dst, n values per row: a finished sequence keeps its state.
 */
export function copyInactive(
  lengths: Int32Array,
  t: number,
  B: number,
  n: number,
  src: FloatArray,
  srcOff: number,
  dst: FloatArray,
  dstOff: number,
): void {
  for (let b = 0; b < B; b++) {
    if (t < lengths[b]) continue;
    const s = srcOff + b * n;
    const d = dstOff + b * n;
    // An index loop, not set(subarray()): this runs inside the time loop and must not allocate.
    for (let j = 0; j < n; j++) dst[d + j] = src[s + j];
  }
}

/** `Kernels.lstmSequenceForward` as a loop of `gemmPacked` and `lstmGatesForward` calls. */
export function lstmSequenceLoop(
  K: Kernels,
  T: number,
  B: number,
  H: number,
  gates: FloatArray,
  cAll: FloatArray,
  tcAll: FloatArray,
  hAll: FloatArray,
  whh: PackedMatrix,
  reverse: boolean,
  extras: LstmSequenceExtras = {},
): void {
  const G = 4 * H;
  const { proj, lengths } = extras;
  const P = proj ? proj.P : H;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = reverse ? t + 1 : t;
    const cur = reverse ? t : t + 1;
    K.gemmPacked(B, hAll, prev * B * P, P, whh, gates, t * B * G, G, true);
    // The gate step writes m_t; without a projection that is h_t itself, else h_t = m_t W_hrᵀ.
    K.lstmGatesForward(
      B,
      H,
      gates,
      t * B * G,
      cAll,
      prev * B * H,
      cAll,
      cur * B * H,
      tcAll,
      t * B * H,
      proj ? proj.mAll : hAll,
      proj ? t * B * H : cur * B * H,
    );
    if (proj) K.gemmPacked(B, proj.mAll, t * B * H, H, proj.whr, hAll, cur * B * P, P, false);
    if (lengths) {
      copyInactive(lengths, t, B, H, cAll, prev * B * H, cAll, cur * B * H);
      copyInactive(lengths, t, B, P, hAll, prev * B * P, hAll, cur * B * P);
    }
  }
}
