/**
 * The step loops of whole-sequence kernels written once over the per-step kernels, for backends
 * (and shapes) that have no one-call version. See `Kernels.lstmSequenceForward`.
 */
import type { FloatArray, Kernels, PackedMatrix } from './types.js';

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
): void {
  const G = 4 * H;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const prev = reverse ? t + 1 : t;
    const cur = reverse ? t : t + 1;
    K.gemmPacked(B, hAll, prev * B * H, H, whh, gates, t * B * G, G, true);
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
      hAll,
      cur * B * H,
    );
  }
}
