/** One line of `recur check-golden` output. */
export interface CaseResult {
  name: string;
  file: string;
  status: 'pass' | 'fail' | 'skip';
  /** Per compared tensor (or scalar) name: the worst absolute and relative error. */
  errors: Record<string, { maxAbs: number; maxRel: number }>;
  /** Why a case was skipped or failed (an exception, a missing output). */
  reason?: string;
}

export interface GoldenOptions {
  backend: 'ts' | 'wasm';
  dtype: 'float32' | 'float64';
}
