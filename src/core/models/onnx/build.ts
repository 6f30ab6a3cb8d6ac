/**
 * Builds tiny single-purpose ONNX models with the protobuf writer (no exporter needed), e.g. the Gram-matrix
 * kernel that decoder adaptation runs on whichever ONNX Runtime backend is active.
 */
import { Writer } from './protobuf';
import { DataType } from './model';

const ATTR_INT = 2;
const ATTR_FLOAT = 1;

export type AttrValue = { int: number } | { float: number };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttrValue>;
}

export interface IOSpec {
  name: string;
  elemType?: number; // default FLOAT
  dims: (number | string)[];
}

function valueInfo(io: IOSpec): Uint8Array {
  const shape = new Writer();
  for (const d of io.dims) {
    const dim = new Writer();
    if (typeof d === 'number') dim.varintField(1, d);
    else dim.stringField(2, d);
    shape.bytesField(1, dim.finish());
  }
  const tensorType = new Writer().varintField(1, io.elemType ?? DataType.FLOAT).bytesField(2, shape.finish());
  const type = new Writer().bytesField(1, tensorType.finish());
  return new Writer().stringField(1, io.name).bytesField(2, type.finish()).finish();
}

function node(spec: NodeSpec, index: number): Uint8Array {
  const w = new Writer();
  for (const i of spec.inputs) w.stringField(1, i);
  for (const o of spec.outputs) w.stringField(2, o);
  w.stringField(3, `${spec.opType.toLowerCase()}_${index}`);
  w.stringField(4, spec.opType);
  for (const [name, v] of Object.entries(spec.attributes ?? {})) {
    const a = new Writer().stringField(1, name);
    if ('int' in v) a.varintField(3, v.int).varintField(20, ATTR_INT);
    else {
      const f = new Uint8Array(4);
      new DataView(f.buffer).setFloat32(0, v.float, true);
      a.tag(2, 5).raw(f).varintField(20, ATTR_FLOAT);
    }
    w.bytesField(5, a.finish());
  }
  return w.finish();
}

/** A ModelProto (IR 8, default-domain opset `opset`) with the given nodes, inputs and outputs. */
export function buildModel(spec: {
  name: string;
  nodes: NodeSpec[];
  inputs: IOSpec[];
  outputs: IOSpec[];
  opset?: number;
}): Uint8Array {
  const g = new Writer();
  spec.nodes.forEach((n, i) => g.bytesField(1, node(n, i)));
  g.stringField(2, spec.name);
  for (const i of spec.inputs) g.bytesField(11, valueInfo(i));
  for (const o of spec.outputs) g.bytesField(12, valueInfo(o));
  const opset = new Writer().stringField(1, '').varintField(2, spec.opset ?? 13).finish();
  return new Writer()
    .varintField(1, 8)
    .stringField(2, 'defect-studio')
    .bytesField(7, g.finish())
    .bytesField(8, opset)
    .finish();
}

/** Gram-matrix model: input `rows` [n, k] float32, output `gram` = rows^T rows [k, k]. */
export function buildGramModel(): Uint8Array {
  return buildModel({
    name: 'gram',
    nodes: [{ opType: 'Gemm', inputs: ['rows', 'rows'], outputs: ['gram'], attributes: { transA: { int: 1 } } }],
    inputs: [{ name: 'rows', dims: ['n', 'k'] }],
    outputs: [{ name: 'gram', dims: ['k', 'k'] }],
  });
}
