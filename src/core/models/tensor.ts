/**
 * Tensor helpers shared by the pipeline and the runtime adapters: float16 <-> float32 conversion and
 * dtype adaptation driven by a session's input metadata.
 */
import type { IOMeta, TensorData, TensorType } from './runtime';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary32 -> binary16 bits, round to nearest even (with overflow to infinity). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++; // may carry into the exponent: correct
  e = half >>> 10;
  if (e >= 0x1f) return sign | 0x7c00;
  return sign | half;
}

export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function toFloat16Array(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32ToFloat16Bits(src[i]);
  return out;
}

export function fromFloat16Array(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float16BitsToFloat32(src[i]);
  return out;
}

/** Any numeric tensor as float32 values (float16 converted, integers cast). */
export function tensorToFloat32(t: TensorData): Float32Array {
  switch (t.type) {
    case 'float32':
      return t.data as Float32Array;
    case 'float16':
      return fromFloat16Array(t.data as Uint16Array);
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
    case 'float16': {
      const out = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
      return { type: 'float16', data: out, dims };
    }
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
