import { lstmSequenceLoop } from '../sequence.js';
import type { DType, FloatArray, Kernels, PackedMatrix } from '../types.js';
import { gruGatesBackwardTs, gruGatesForwardTs, lstmGatesBackwardTs, lstmGatesForwardTs } from './gates.js';
import { gemmTs } from './gemm.js';
import { gemmPanelsTs, packPanelsTs } from './gemm-panels.js';
import { adamStepTs } from './optim.js';
import { unaryTs } from './pointwise.js';

/** The TypeScript packed matrix: op(B) as float64 panels of 4 columns (see gemm-panels.ts). */
class TsPacked implements PackedMatrix {
  data: Float64Array | null;
  constructor(
    readonly k: number,
    readonly n: number,
    readonly dtype: DType,
    data: Float64Array,
  ) {
    this.data = data;
  }
  dispose(): void {
    this.data = null;
  }
}

function packBTs(
  transB: boolean,
  k: number,
  n: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
): PackedMatrix {
  const dtype: DType = b instanceof Float64Array ? 'float64' : 'float32';
  return new TsPacked(k, n, dtype, packPanelsTs(transB, k, n, b, bOff, ldb));
}

/** The portable reference backend: plain TypeScript over typed arrays, float32 and float64. */
export const tsKernels: Kernels = {
  name: 'ts',
  alloc(n: number, dtype: DType): FloatArray {
    return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  },
  free(): void {},
  resident(): boolean {
    return false;
  },
  allocResident(n: number): Float32Array {
    return new Float32Array(n);
  },
  arena(): null {
    return null;
  },
  adamStep: adamStepTs,
  gemm: gemmTs,
  packB: packBTs,
  gemmPacked(m, a, aOff, lda, packed, c, cOff, ldc, accumulate): void {
    const p = packed as TsPacked;
    if (!p.data) throw new Error('gemmPacked: the packed matrix was disposed');
    gemmPanelsTs(m, p.n, p.k, a, aOff, lda, p.data, c, cOff, ldc, accumulate);
  },
  sumRows(rows, n, src, srcOff, dst, dstOff): void {
    dst.fill(0, dstOff, dstOff + n);
    for (let r = 0; r < rows; r++) {
      const o = srcOff + r * n;
      for (let j = 0; j < n; j++) dst[dstOff + j] += src[o + j];
    }
  },
  unary: unaryTs,
  lstmGatesForward: lstmGatesForwardTs,
  lstmSequenceForward(T, B, H, gates, cAll, tcAll, hAll, whh, reverse, extras): void {
    lstmSequenceLoop(tsKernels, T, B, H, gates, cAll, tcAll, hAll, whh, reverse, extras);
  },
  lstmGatesBackward: lstmGatesBackwardTs,
  gruGatesForward: gruGatesForwardTs,
  gruGatesBackward: gruGatesBackwardTs,
};
