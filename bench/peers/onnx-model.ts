/**
 * A minimal ONNX writer for the benchmark: one `LSTM` node (opset 14) with its weights as
 * initializers, serialized as protobuf by hand (no onnx or protobuf package needed). Field numbers
 * from onnx/onnx.proto: ModelProto{ir_version 1, producer_name 2, graph 7, opset_import 8},
 * GraphProto{node 1, name 2, initializer 5, input 11, output 12}, NodeProto{input 1, output 2,
 * name 3, op_type 4, attribute 5}, AttributeProto{name 1, i 3, type 20}, TensorProto{dims 1,
 * data_type 2, name 8, raw_data 9}, ValueInfoProto{name 1, type 2}, TypeProto{tensor_type 1},
 * TypeProto.Tensor{elem_type 1, shape 2}, TensorShapeProto{dim 1}, Dimension{dim_value 1,
 * dim_param 2}, OperatorSetIdProto{domain 1, version 2}.
 *
 * Weights come in PyTorch layout (gates i, f, g, o; separate b_ih, b_hh) and are reordered to the
 * ONNX LSTM layout (gates i, o, f, c; B = [Wb, Rb]).
 */

const FLOAT = 1;
const ATTR_INT = 2;

class Writer {
  private bytes: number[] = [];

  private varint(v: number): void {
    // Non-negative integers up to 2^53 (dims, enums, lengths).
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  int(field: number, v: number): this {
    this.varint(field << 3);
    this.varint(v);
    return this;
  }

  raw(field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]);
    return this;
  }

  str(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }

  msg(field: number, w: Writer): this {
    return this.raw(field, w.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

function tensorProto(name: string, dims: number[], data: Float32Array): Writer {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT).str(8, name);
  const le = new Uint8Array(data.length * 4);
  const view = new DataView(le.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return w.raw(9, le);
}

function valueInfo(name: string, dims: (number | string)[]): Writer {
  const shape = new Writer();
  for (const d of dims) {
    const dim = new Writer();
    if (typeof d === 'number') dim.int(1, d);
    else dim.str(2, d);
    shape.msg(1, dim);
  }
  const tensorType = new Writer().int(1, FLOAT).msg(2, shape);
  return new Writer().str(1, name).msg(2, new Writer().msg(1, tensorType));
}

/** Rows of a [4H, n] PyTorch gate matrix (i, f, g, o) in ONNX order (i, o, f, c). */
function toIofc(a: Float32Array, H: number): Float32Array {
  const n = a.length / (4 * H);
  const out = new Float32Array(a.length);
  const order = [0, 3, 1, 2];
  order.forEach((src, dst) => {
    out.set(a.subarray(src * H * n, (src + 1) * H * n), dst * H * n);
  });
  return out;
}

export interface LstmWeightsPt {
  wIh: Float32Array;
  wHh: Float32Array;
  bIh: Float32Array;
  bHh: Float32Array;
}

/**
 * An ONNX model `Y = LSTM(X)`: X [seqLen, batch, input] (batch symbolic), Y [seqLen, 1, batch, H],
 * zero initial state, default activations.
 */
export function lstmOnnxModel(p: LstmWeightsPt, input: number, hidden: number, seqLen: number): Uint8Array {
  const H = hidden;
  const B = new Float32Array(8 * H);
  B.set(toIofc(p.bIh, H), 0);
  B.set(toIofc(p.bHh, H), 4 * H);
  const node = new Writer()
    .str(1, 'X')
    .str(1, 'W')
    .str(1, 'R')
    .str(1, 'B')
    .str(2, 'Y')
    .str(3, 'lstm')
    .str(4, 'LSTM')
    .msg(5, new Writer().str(1, 'hidden_size').int(3, H).int(20, ATTR_INT));
  const graph = new Writer()
    .msg(1, node)
    .str(2, 'recur_bench_lstm')
    .msg(5, tensorProto('W', [1, 4 * H, input], toIofc(p.wIh, H)))
    .msg(5, tensorProto('R', [1, 4 * H, H], toIofc(p.wHh, H)))
    .msg(5, tensorProto('B', [1, 8 * H], B))
    .msg(11, valueInfo('X', [seqLen, 'batch', input]))
    .msg(12, valueInfo('Y', [seqLen, 1, 'batch', H]));
  return new Writer()
    .int(1, 7)
    .str(2, 'recur-bench')
    .msg(7, graph)
    .msg(8, new Writer().str(1, '').int(2, 14))
    .finish();
}
