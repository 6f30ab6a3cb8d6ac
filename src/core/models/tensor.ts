/**
 * Tensor helpers shared by the pipeline and the runtime adapters: dtype adaptation driven by a session's
 * input metadata (float16 bits come from the one converter, ./onnx/half.ts).
 */
import type { IOMeta, TensorData, TensorType } from './runtime';
import { float32ToHalfArray, halfArrayToFloat32 } from './onnx/half';

/** Any numeric tensor as float32 values (float16 converted, integers cast). */
export function tensorToFloat32(t: TensorData): Float32Array {
  switch (t.type) {
    case 'float32':
      return t.data as Float32Array;
    case 'float16':
      return halfArrayToFloat32(t.data as Uint16Array);
    case 'int64': {
      const d = t.data as BigInt64Array;
      const out = new Float32Array(d.length);
      for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
      return out;
    }
    default:
      return Float32Array.from(t.data as Int32Array | Uint8Array);
  }
}

/** Build a tensor of the requested element type from float values (integers are rounded). */
export function makeTensor(type: TensorType | string, values: ArrayLike<number>, dims: number[]): TensorData {
  switch (type) {
    case 'float32':
      return { type: 'float32', data: values instanceof Float32Array ? values : Float32Array.from(values), dims };
    case 'float16':
      return { type: 'float16', data: float32ToHalfArray(values), dims };
    case 'int64': {
      const out = new BigInt64Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = BigInt(Math.round(values[i]));
      return { type: 'int64', data: out, dims };
    }
    case 'int32': {
      const out = new Int32Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = Math.round(values[i]);
      return { type: 'int32', data: out, dims };
    }
    default:
      throw new Error(`unsupported tensor type ${type}`);
  }
}

export function findMeta(list: IOMeta[], name: string): IOMeta | undefined {
  return list.find((m) => m.name === name);
}

/** Product of the dims. */
export function numel(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
