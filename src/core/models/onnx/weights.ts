/**
 * What a model's weights cost at run time, from its graph alone (no tensor data is read): the bytes of its
 * floating-point initializers by type, and the 16-bit ones that the graph casts to float32 (`Cast(to=FLOAT)`
 * straight from the initializer). ONNX Runtime folds such a cast at load time, so the session keeps those
 * weights as float32, twice their stored size: a pack stored as fp16 this way downloads half an fp32 pack
 * but needs as much memory (README, pack contract: the manifest's `models` fields, written by `defect-studio pack`).
 */
import { TENSOR, DataType, attrInt, dataTypeName, type GraphView } from './model';
import { WIRE_VARINT, fieldVarint, repeatedInt64, scanFields } from './protobuf';

/** Bytes per element of the floating-point tensor types. */
const FLOAT_BYTES: Record<number, number> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.BFLOAT16]: 2, [DataType.DOUBLE]: 8 };

export interface WeightSummary {
  /** Bytes of the floating-point initializers, by type name (`float32`, `float16`, `bfloat16`, `float64`). */
  bytesByType: Record<string, number>;
  /** The type holding the most of those bytes (`float32` when there are none). */
  weightType: string;
  /** Stored bytes of 16-bit initializers that a `Cast(to=FLOAT)` node reads directly (each counted once). */
  castToFloat32Bytes: number;
}

/** The weight summary of a parsed graph (top-level initializers and the Cast nodes that read them). */
export function weightSummary(g: GraphView): WeightSummary {
  const inits = new Map<string, { type: number; bytes: number }>();
  const bytesByType: Record<string, number> = {};
  for (const [name, field] of g.initializers) {
    const fields = scanFields(g.buf, field.valueStart, field.valueEnd);
    const dt = fields.find((f) => f.no === TENSOR.dataType && f.wire === WIRE_VARINT);
    const type = dt ? fieldVarint(g.buf, dt) : 0;
    const size = FLOAT_BYTES[type];
    if (!size) continue;
    const bytes = repeatedInt64(g.buf, fields, TENSOR.dims).reduce((a, b) => a * b, 1) * size;
    inits.set(name, { type, bytes });
    const key = dataTypeName(type);
    bytesByType[key] = (bytesByType[key] ?? 0) + bytes;
  }
  const cast = new Set<string>();
  for (const n of g.nodes) {
    if (n.opType !== 'Cast' || (n.domain !== '' && n.domain !== 'ai.onnx') || attrInt(g.buf, n, 'to') !== DataType.FLOAT) continue;
    const t = inits.get(n.inputs[0] ?? '')?.type;
    if (t === DataType.FLOAT16 || t === DataType.BFLOAT16) cast.add(n.inputs[0]);
  }
  let castToFloat32Bytes = 0;
  for (const name of cast) castToFloat32Bytes += inits.get(name)!.bytes;
  const top = Object.entries(bytesByType).sort((a, b) => b[1] - a[1])[0];
  return { bytesByType, weightType: top?.[0] ?? 'float32', castToFloat32Bytes };
}
