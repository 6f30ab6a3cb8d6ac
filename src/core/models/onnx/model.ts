/**
 * Read-only views of the ONNX protobuf messages this project needs (field numbers from onnx/onnx.proto).
 * Every view keeps the byte span it came from, so an editor can copy untouched parts verbatim.
 */
import { DefectStudioError } from '../../errors';
import {
  type Field,
  WIRE_LEN,
  WIRE_VARINT,
  fieldFloat32,
  fieldInt64,
  fieldString,
  fieldVarint,
  repeatedFloat32,
  repeatedFloat64,
  repeatedInt64,
  readVarint,
  scanFields,
} from './protobuf';
import { halfToFloat } from './half';

/** ModelProto field numbers. */
export const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
/** GraphProto field numbers. */
export const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
/** NodeProto field numbers. */
export const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
/** AttributeProto field numbers. */
export const ATTR = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, type: 20 } as const;
/** TensorProto field numbers. */
export const TENSOR = {
  dims: 1,
  dataType: 2,
  floatData: 4,
  int32Data: 5,
  int64Data: 7,
  name: 8,
  rawData: 9,
  doubleData: 10,
  externalData: 13,
  dataLocation: 14,
} as const;
/** ValueInfoProto / TypeProto / TensorShapeProto field numbers. */
export const VALUE_INFO = { name: 1, type: 2 } as const;
export const TYPE = { tensorType: 1 } as const;
export const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
export const SHAPE = { dim: 1 } as const;
export const DIM = { value: 1, param: 2 } as const;

/** TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;

export function dataTypeName(t: number): string {
  const names: Record<number, string> = {
    1: 'float32',
    2: 'uint8',
    3: 'int8',
    6: 'int32',
    7: 'int64',
    9: 'bool',
    10: 'float16',
    11: 'float64',
    16: 'bfloat16',
  };
  return names[t] ?? `onnx-type-${t}`;
}

export class OnnxFormatError extends DefectStudioError {
  constructor(message: string) {
    super('pack', message);
    this.name = 'OnnxFormatError';
  }
}

export interface AttributeView {
  name: string;
  field: Field;
  fields: Field[];
}

export interface NodeView {
  opType: string;
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeView[];
  field: Field;
}

export interface ValueInfoView {
  name: string;
  field: Field;
  /** The TypeProto field, when present. */
  typeField?: Field;
  elemType?: number;
  /** Dimensions: a number, a symbolic name, or null when unknown. Undefined when no shape is recorded. */
  shape?: (number | string | null)[];
}

export interface GraphView {
  /** The whole model buffer (all offsets refer to it). */
  buf: Uint8Array;
  /** ModelProto fields. */
  modelFields: Field[];
  /** The ModelProto.graph field. */
  graphField: Field;
  /** GraphProto fields. */
  fields: Field[];
  nodes: NodeView[];
  initializers: Map<string, Field>;
  inputs: ValueInfoView[];
  outputs: ValueInfoView[];
  valueInfo: Map<string, ValueInfoView>;
}

function stringsOf(buf: Uint8Array, fields: Field[], no: number): string[] {
  const out: string[] = [];
  for (const f of fields) if (f.no === no && f.wire === WIRE_LEN) out.push(fieldString(buf, f));
  return out;
}

function firstString(buf: Uint8Array, fields: Field[], no: number): string {
  const f = fields.find((x) => x.no === no && x.wire === WIRE_LEN);
  return f ? fieldString(buf, f) : '';
}

export function readNode(buf: Uint8Array, field: Field): NodeView {
  const fields = scanFields(buf, field.valueStart, field.valueEnd);
  const attributes: AttributeView[] = [];
  for (const f of fields) {
    if (f.no !== NODE.attribute || f.wire !== WIRE_LEN) continue;
    const af = scanFields(buf, f.valueStart, f.valueEnd);
    attributes.push({ name: firstString(buf, af, ATTR.name), field: f, fields: af });
  }
  return {
    opType: firstString(buf, fields, NODE.opType),
    name: firstString(buf, fields, NODE.name),
    domain: firstString(buf, fields, NODE.domain),
    inputs: stringsOf(buf, fields, NODE.input),
    outputs: stringsOf(buf, fields, NODE.output),
    attributes,
    field,
  };
}

export function readValueInfo(buf: Uint8Array, field: Field): ValueInfoView {
  const fields = scanFields(buf, field.valueStart, field.valueEnd);
  const view: ValueInfoView = { name: firstString(buf, fields, VALUE_INFO.name), field };
  const typeField = fields.find((f) => f.no === VALUE_INFO.type && f.wire === WIRE_LEN);
  if (!typeField) return view;
  view.typeField = typeField;
  const tf = scanFields(buf, typeField.valueStart, typeField.valueEnd);
  const tensorType = tf.find((f) => f.no === TYPE.tensorType && f.wire === WIRE_LEN);
  if (!tensorType) return view;
  const ttf = scanFields(buf, tensorType.valueStart, tensorType.valueEnd);
  const elem = ttf.find((f) => f.no === TENSOR_TYPE.elemType && f.wire === WIRE_VARINT);
  if (elem) view.elemType = fieldVarint(buf, elem);
  const shapeField = ttf.find((f) => f.no === TENSOR_TYPE.shape && f.wire === WIRE_LEN);
  if (shapeField) {
    const dims: (number | string | null)[] = [];
    for (const d of scanFields(buf, shapeField.valueStart, shapeField.valueEnd)) {
      if (d.no !== SHAPE.dim || d.wire !== WIRE_LEN) continue;
      const df = scanFields(buf, d.valueStart, d.valueEnd);
      const v = df.find((x) => x.no === DIM.value && x.wire === WIRE_VARINT);
      const p = df.find((x) => x.no === DIM.param && x.wire === WIRE_LEN);
      dims.push(v ? fieldInt64(buf, v) : p ? fieldString(buf, p) : null);
    }
    view.shape = dims;
  }
  return view;
}

/** Parses a ModelProto down to its graph's nodes, initializer names and value infos (no tensor data is copied). */
export function readGraph(buf: Uint8Array): GraphView {
  let modelFields: Field[];
  try {
    modelFields = scanFields(buf);
  } catch (e) {
    throw new OnnxFormatError(`not an ONNX model: ${(e as Error).message}`);
  }
  const graphFields = modelFields.filter((f) => f.no === MODEL.graph && f.wire === WIRE_LEN);
  if (graphFields.length !== 1) throw new OnnxFormatError('not an ONNX model: no graph (ModelProto field 7)');
  const graphField = graphFields[0];
  const fields = scanFields(buf, graphField.valueStart, graphField.valueEnd);
  const nodes: NodeView[] = [];
  const initializers = new Map<string, Field>();
  const inputs: ValueInfoView[] = [];
  const outputs: ValueInfoView[] = [];
  const valueInfo = new Map<string, ValueInfoView>();
  for (const f of fields) {
    if (f.wire !== WIRE_LEN) continue;
    switch (f.no) {
      case GRAPH.node:
        nodes.push(readNode(buf, f));
        break;
      case GRAPH.initializer: {
        const tf = scanFields(buf, f.valueStart, f.valueEnd);
        initializers.set(firstString(buf, tf, TENSOR.name), f);
        break;
      }
      case GRAPH.input:
        inputs.push(readValueInfo(buf, f));
        break;
      case GRAPH.output:
        outputs.push(readValueInfo(buf, f));
        break;
      case GRAPH.valueInfo: {
        const v = readValueInfo(buf, f);
        valueInfo.set(v.name, v);
        break;
      }
    }
  }
  return { buf, modelFields, graphField, fields, nodes, initializers, inputs, outputs, valueInfo };
}

export function attrInt(buf: Uint8Array, node: NodeView, name: string): number | undefined {
  const a = node.attributes.find((x) => x.name === name);
  const f = a?.fields.find((x) => x.no === ATTR.i && x.wire === WIRE_VARINT);
  return f ? fieldInt64(buf, f) : undefined;
}

export function attrInts(buf: Uint8Array, node: NodeView, name: string): number[] | undefined {
  const a = node.attributes.find((x) => x.name === name);
  if (!a) return undefined;
  return repeatedInt64(buf, a.fields, ATTR.ints);
}

export function attrFloat(buf: Uint8Array, node: NodeView, name: string): number | undefined {
  const a = node.attributes.find((x) => x.name === name);
  const f = a?.fields.find((x) => x.no === ATTR.f);
  return f ? fieldFloat32(buf, f) : undefined;
}

export function attrString(buf: Uint8Array, node: NodeView, name: string): string | undefined {
  const a = node.attributes.find((x) => x.name === name);
  const f = a?.fields.find((x) => x.no === ATTR.s && x.wire === WIRE_LEN);
  return f ? fieldString(buf, f) : undefined;
}

/** The TensorProto field of a tensor-valued attribute (e.g. Constant's `value`). */
export function attrTensor(node: NodeView, name: string): Field | undefined {
  const a = node.attributes.find((x) => x.name === name);
  return a?.fields.find((x) => x.no === ATTR.t && x.wire === WIRE_LEN);
}

/** Companion files of a model with external data, by the path its tensors name (e.g. `model.onnx_data`). */
export type ExternalFiles = { path: string; data: Uint8Array }[];

export interface DecodedTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** The values converted to float32 (float32, float16, bfloat16 and float64 tensors). */
  values: Float32Array;
}

function findExternal(files: ExternalFiles | undefined, location: string): Uint8Array | undefined {
  if (!files) return undefined;
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/^\.\//, '');
  const loc = norm(location);
  const base = loc.split('/').pop();
  return (
    files.find((f) => norm(f.path) === loc)?.data ?? files.find((f) => norm(f.path).split('/').pop() === base)?.data
  );
}

function bytesToFloat32(bytes: Uint8Array, dataType: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (dataType) {
    case DataType.FLOAT:
      if (bytes.byteLength < count * 4) break;
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case DataType.FLOAT16:
      if (bytes.byteLength < count * 2) break;
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    case DataType.BFLOAT16:
      if (bytes.byteLength < count * 2) break;
      for (let i = 0; i < count; i++) {
        out[i] = new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0];
      }
      return out;
    case DataType.DOUBLE:
      if (bytes.byteLength < count * 8) break;
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    default:
      throw new OnnxFormatError(`tensor type ${dataTypeName(dataType)} is not a floating-point type`);
  }
  throw new OnnxFormatError(`tensor data holds ${bytes.byteLength} bytes, fewer than its ${count} elements need`);
}

/** Decodes a floating-point TensorProto (raw_data, float_data, int32_data for fp16, double_data, or external data). */
export function decodeTensor(buf: Uint8Array, field: Field, external?: ExternalFiles): DecodedTensor {
  const fields = scanFields(buf, field.valueStart, field.valueEnd);
  const name = firstString(buf, fields, TENSOR.name);
  const dims = repeatedInt64(buf, fields, TENSOR.dims);
  const dtField = fields.find((f) => f.no === TENSOR.dataType && f.wire === WIRE_VARINT);
  const dataType = dtField ? fieldVarint(buf, dtField) : 0;
  const count = dims.reduce((a, b) => a * b, 1);
  const locField = fields.find((f) => f.no === TENSOR.dataLocation && f.wire === WIRE_VARINT);
  if (locField && fieldVarint(buf, locField) === 1) {
    const entries: Record<string, string> = {};
    for (const f of fields) {
      if (f.no !== TENSOR.externalData || f.wire !== WIRE_LEN) continue;
      const kv = scanFields(buf, f.valueStart, f.valueEnd);
      entries[firstString(buf, kv, 1)] = firstString(buf, kv, 2);
    }
    const location = entries.location;
    if (!location) throw new OnnxFormatError(`tensor ${name}: external data without a location`);
    const file = findExternal(external, location);
    if (!file) throw new OnnxFormatError(`tensor ${name}: its data is in ${location}, which was not provided`);
    const offset = entries.offset ? Number(entries.offset) : 0;
    const elemBytes = dataType === DataType.DOUBLE ? 8 : dataType === DataType.FLOAT ? 4 : 2;
    const length = entries.length ? Number(entries.length) : count * elemBytes;
    if (offset + length > file.byteLength) {
      throw new OnnxFormatError(`tensor ${name}: bytes ${offset}..${offset + length} lie past the end of ${location}`);
    }
    return { name, dataType, dims, values: bytesToFloat32(file.subarray(offset, offset + length), dataType, count) };
  }
  const raw = fields.find((f) => f.no === TENSOR.rawData && f.wire === WIRE_LEN);
  if (raw) return { name, dataType, dims, values: bytesToFloat32(buf.subarray(raw.valueStart, raw.valueEnd), dataType, count) };
  let values: Float32Array;
  if (dataType === DataType.FLOAT) values = repeatedFloat32(buf, fields, TENSOR.floatData);
  else if (dataType === DataType.DOUBLE) values = Float32Array.from(repeatedFloat64(buf, fields, TENSOR.doubleData));
  else if (dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16) {
    // 16-bit types are stored one per int32_data element
    const bits: number[] = [];
    for (const f of fields) {
      if (f.no !== TENSOR.int32Data) continue;
      if (f.wire === WIRE_VARINT) bits.push(fieldVarint(buf, f));
      else if (f.wire === WIRE_LEN) {
        let p = f.valueStart;
        while (p < f.valueEnd) {
          const [v, np] = readVarint(buf, p, f.valueEnd);
          bits.push(v);
          p = np;
        }
      }
    }
    values = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) {
      values[i] =
        dataType === DataType.FLOAT16
          ? halfToFloat(bits[i] & 0xffff)
          : new Float32Array(new Uint32Array([(bits[i] & 0xffff) << 16]).buffer)[0];
    }
  } else throw new OnnxFormatError(`tensor ${name}: type ${dataTypeName(dataType)} is not a floating-point type`);
  if (values.length !== count) {
    throw new OnnxFormatError(`tensor ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
  }
  return { name, dataType, dims, values };
}
