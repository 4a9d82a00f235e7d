/**
 * The kernel backend interface: pure numeric functions over typed arrays.
 *
 * Conventions (every backend):
 * - Matrices are row-major. A buffer is addressed as (array, offset) in elements, so one large
 *   workspace can hold many matrices and per-step calls never allocate.
 * - Kernels never allocate in their hot loop and never keep references to caller arrays, except
 *   `PackedMatrix`, which owns a copy of the packed weights until `dispose()`.
 * - float64 arrays are always accepted; a backend may hand them to the TypeScript kernels.
 * - The wasm backend is fastest when the arrays are views returned by its own `alloc` (they live in
 *   its WebAssembly memory); any other Float32Array is copied in and out around the call.
 */
export type FloatArray = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

/** The right-hand operand of a GEMM, packed once (e.g. W_hh for a whole sequence). */
export interface PackedMatrix {
  /** Rows of the logical operand op(B): the reduction dimension. */
  readonly k: number;
  /** Columns of op(B). */
  readonly n: number;
  readonly dtype: DType;
  /** Releases backend memory. Using the matrix afterwards throws. */
  dispose(): void;
}

/** Activation applied in the generic gate kernels and the ONNX operators. */
export type ActivationKind =
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'affine'
  | 'leakyrelu'
  | 'thresholdedrelu'
  | 'scaledtanh'
  | 'hardsigmoid'
  | 'elu'
  | 'softsign'
  | 'softplus';

/** The optional parts of `Kernels.lstmSequenceForward`: a projection and sequence lengths. */
export interface LstmSequenceExtras {
  proj?: { whr: PackedMatrix; mAll: FloatArray; P: number };
  lengths?: Int32Array | null;
}

/**
 * One parameter of a multi-parameter Adam/AdamW step (`Kernels.adamStep`); all arrays have
 * `p.length` elements. The scalars are those of src/kernels/wasm/assembly/optim.ts: stepSize =
 * lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t), decay = 1 - lr * wd (AdamW, else 1), l2 = wd
 * (Adam, else 0), sign = -1 to maximize.
 */
export interface AdamEntry {
  p: FloatArray;
  g: FloatArray;
  m: FloatArray;
  v: FloatArray;
  vmax: FloatArray | null;
  stepSize: number;
  bc2Sqrt: number;
  beta1: number;
  beta2: number;
  eps: number;
  decay: number;
  l2: number;
  sign: number;
}

/** Stack-ordered float32 storage (see WasmArena); marks are opaque numbers. */
export interface Arena {
  mark(): number;
  /**
   * An array of `n` floats, valid until `release` to a mark taken before it; zeroed unless
   * `zeroed` is false (then it holds what the memory held: for arrays the caller overwrites).
   */
  alloc(n: number, zeroed?: boolean): Float32Array;
  release(mark: number): void;
  /** True for an array handed out by `alloc` and not yet released. */
  owns(a: FloatArray): boolean;
}

export interface Kernels {
  readonly name: 'ts' | 'wasm';

  /**
   * Workspace for kernels: a zeroed array of `n` elements (with `zeroed` false, the contents are
   * whatever the memory held: for workspaces the caller overwrites before reading). On the wasm
   * backend a float32 workspace lives in the WebAssembly memory (free it with `free`); elsewhere it
   * is an ordinary typed array.
   */
  alloc(n: number, dtype: DType, zeroed?: boolean): FloatArray;
  /** Returns a workspace from `alloc` to the backend. A no-op for ordinary arrays. */
  free(a: FloatArray): void;
  /** True when `a` lives in the backend's own memory (kernels take it without a copy). */
  resident(a: FloatArray): boolean;
  /**
   * Zeroed float32 storage for long-lived tensors (parameters, optimizer state) in the backend's
   * own memory, freed when the returned array object is garbage-collected (a subarray does not
   * keep it); an ordinary Float32Array on backends without their own memory.
   */
  allocResident(n: number): Float32Array;
  /**
   * The backend's scope arena for tensors made inside `tidy()` (float32 storage in its own
   * memory, freed when the scope ends), or null where ordinary typed arrays are as good (ts).
   */
  arena(): Arena | null;

  /**
   * The Adam/AdamW update of every entry in one call (PyTorch's `_single_tensor_adam` per
   * element; see AdamEntry). p, m, v and vmax are updated in place. Entries may mix dtypes.
   */
  adamStep(entries: readonly AdamEntry[]): void;

  /**
   * C[m, n] = (accumulate ? C : 0) + op(A) · op(B), where op(A) is [m, k] (A stored [k, m] when
   * transA) and op(B) is [k, n] (B stored [n, k] when transB). lda/ldb/ldc are row strides.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    aOff: number,
    lda: number,
    b: FloatArray,
    bOff: number,
    ldb: number,
    c: FloatArray,
    cOff: number,
    ldc: number,
    accumulate: boolean,
  ): void;

  /**
   * Packs op(B) ([k, n]; B stored [n, k] when transB) for repeated `gemmPacked` calls. `rows` is a
   * layout hint: the row count m the calls will have (1: a matrix-vector layout on the wasm
   * backend, e.g. W_hh at batch 1). Any m works with any packing; the hint only affects speed.
   */
  packB(
    transB: boolean,
    k: number,
    n: number,
    b: FloatArray,
    bOff: number,
    ldb: number,
    rows?: number,
  ): PackedMatrix;

  /** C[m, n] = (accumulate ? C : 0) + A[m, k] · packed, A and C row-major with strides lda, ldc. */
  gemmPacked(
    m: number,
    a: FloatArray,
    aOff: number,
    lda: number,
    packed: PackedMatrix,
    c: FloatArray,
    cOff: number,
    ldc: number,
    accumulate: boolean,
  ): void;

  /**
   * dst[j] = Σ_r src[srcOff + r * n + j] for j < n, summed in row order (the bias gradient of a
   * [rows, n] gate gradient). dst is overwritten.
   */
  sumRows(rows: number, n: number, src: FloatArray, srcOff: number, dst: FloatArray, dstOff: number): void;

  /** y[i] = f(x[i]) for i < n; x and y may be the same array and offset. */
  unary(
    op: 'exp' | 'log' | 'tanh' | 'sigmoid' | 'relu',
    n: number,
    x: FloatArray,
    xOff: number,
    y: FloatArray,
    yOff: number,
  ): void;

  /**
   * One LSTM step, pointwise part (PyTorch gate order i, f, g, o), for `rows` rows of H units.
   * `gates` holds the pre-activations [rows, 4H] on entry and the post-activations
   * (sigmoid i, f, o; tanh g) on return. c = f*cPrev + i*g; tc = tanh(c); h = o*tc.
   * `c`, `tc`, `h` are [rows, H]. cPrev may alias c only if it is not needed later.
   */
  lstmGatesForward(
    rows: number,
    hidden: number,
    gates: FloatArray,
    gOff: number,
    cPrev: FloatArray,
    cpOff: number,
    c: FloatArray,
    cOff: number,
    tc: FloatArray,
    tcOff: number,
    h: FloatArray,
    hOff: number,
  ): void;

  /**
   * The recurrence of an LSTM forward over T steps: for s = 0..T-1, t = s (or T-1-s when
   * `reverse`), gates[t] += h[prev] · W_hhᵀ and then `lstmGatesForward` of step t, with the state
   * slots of src/layers/fused-lstm.ts (prev = t, cur = t + 1; reverse: prev = t + 1, cur = t).
   * `gates` [T, B, 4H] holds x_t W_ihᵀ + biases, `cAll` [T + 1, B, H] and `hAll` [T + 1, B, P]
   * hold the initial state in its slot, `tcAll` is [T, B, H], all from index 0; `whh` is W_hhᵀ
   * packed ([P, 4H]). With `extras.proj` the gate step writes m_t into `proj.mAll` [T, B, H] and
   * h_t = m_t · W_hrᵀ (P = proj.P, else P = H); with `extras.lengths` a sequence keeps its c and h
   * from step lengths[b] on. Equals that loop of `gemmPacked`, `lstmGatesForward` and copy calls
   * (kernels/sequence.ts) bit for bit; a backend may run it in one call (wasm at batch 1, without
   * extras).
   */
  lstmSequenceForward(
    T: number,
    B: number,
    H: number,
    gates: FloatArray,
    cAll: FloatArray,
    tcAll: FloatArray,
    hAll: FloatArray,
    whh: PackedMatrix,
    reverse: boolean,
    extras?: LstmSequenceExtras,
  ): void;

  /**
   * Backward of `lstmGatesForward`. Inputs: post-activation gates [rows, 4H], cPrev, tc, dh (the
   * total gradient reaching h) and dc (the gradient reaching c from step t+1; updated in place to
   * the total gradient of c_t and then replaced by dcPrev = dc_total * f). Output: dGates [rows, 4H],
   * the gradient w.r.t. the gate pre-activations.
   */
  lstmGatesBackward(
    rows: number,
    hidden: number,
    gates: FloatArray,
    gOff: number,
    cPrev: FloatArray,
    cpOff: number,
    tc: FloatArray,
    tcOff: number,
    dh: FloatArray,
    dhOff: number,
    dc: FloatArray,
    dcOff: number,
    dGates: FloatArray,
    dgOff: number,
  ): void;

  /**
   * One GRU step, pointwise part (PyTorch: gate order r, z, n, reset applied after the matmul).
   * xg [rows, 3H]: x·W_ihᵀ + b_ih; hg [rows, 3H]: hPrev·W_hhᵀ + b_hh. On return xg holds the
   * post-activations r, z, n, and hg keeps its n block (needed by the backward).
   * r = σ(xr + hr), z = σ(xz + hz), n = tanh(xn + r*hn), h = (1-z)*n + z*hPrev.
   */
  gruGatesForward(
    rows: number,
    hidden: number,
    xg: FloatArray,
    xgOff: number,
    hg: FloatArray,
    hgOff: number,
    hPrev: FloatArray,
    hpOff: number,
    h: FloatArray,
    hOff: number,
  ): void;

  /**
   * Backward of `gruGatesForward`. Given post-activations (xg), hg's n block, hPrev and dh:
   * writes dXg [rows, 3H] (gradient of x·W_ihᵀ + b_ih), dHg [rows, 3H] (gradient of
   * hPrev·W_hhᵀ + b_hh) and dhPrev = dh * z (the direct path; the caller adds dHg · W_hh).
   */
  gruGatesBackward(
    rows: number,
    hidden: number,
    xg: FloatArray,
    xgOff: number,
    hg: FloatArray,
    hgOff: number,
    hPrev: FloatArray,
    hpOff: number,
    dh: FloatArray,
    dhOff: number,
    dXg: FloatArray,
    dxOff: number,
    dHg: FloatArray,
    dhgOff: number,
    dhPrev: FloatArray,
    dhpOff: number,
  ): void;
}
