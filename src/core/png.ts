/** PNG <-> RGBA / 8-bit gray, pure TypeScript (fast-png), for Node, Workers and pages. */
import { decode, encode } from 'fast-png';
import type { RGBAImage } from './image';

export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

function decodeRaw(bytes: Uint8Array) {
  try {
    return decode(bytes);
  } catch (e) {
    throw new ImageDecodeError(`not a readable PNG (${(e as Error).message})`);
  }
}

/** Any PNG (gray, gray+alpha, RGB, RGBA, palette; 8 or 16 bit) as 8-bit RGBA. */
export function decodePngRGBA(bytes: Uint8Array): RGBAImage {
  const png = decodeRaw(bytes);
  const { width, height } = png;
  const n = width * height;
  const out = new Uint8ClampedArray(n * 4);
  if (png.palette) {
    const pal = png.palette;
    const src = png.data;
    for (let i = 0; i < n; i++) {
      const c = pal[src[i]] ?? [0, 0, 0];
      out[i * 4] = c[0];
      out[i * 4 + 1] = c[1];
      out[i * 4 + 2] = c[2];
      out[i * 4 + 3] = c.length > 3 ? (c as number[])[3] : 255;
    }
    return { width, height, data: out };
  }
  const ch = png.channels;
  const shift = png.depth === 16 ? 8 : 0;
  const src = png.data;
  if (src.length < n * ch) throw new ImageDecodeError('PNG data is truncated');
  for (let i = 0; i < n; i++) {
    const s = i * ch;
    const v = (k: number) => (shift ? src[s + k] >> shift : src[s + k]);
    if (ch === 1 || ch === 2) {
      const g = v(0);
      out[i * 4] = g;
      out[i * 4 + 1] = g;
      out[i * 4 + 2] = g;
      out[i * 4 + 3] = ch === 2 ? v(1) : 255;
    } else {
      out[i * 4] = v(0);
      out[i * 4 + 1] = v(1);
      out[i * 4 + 2] = v(2);
      out[i * 4 + 3] = ch === 4 ? v(3) : 255;
    }
  }
  return { width, height, data: out };
}

/** A PNG as one 8-bit gray channel (RGB averaged; alpha ignored). */
export function decodePngGray(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = decodeRaw(bytes);
  const { width, height } = png;
  const n = width * height;
  const out = new Uint8Array(n);
  if (png.channels === 1 && png.depth === 8 && !png.palette) {
    out.set(png.data.subarray(0, n) as Uint8Array);
    return { width, height, data: out };
  }
  const rgba = decodePngRGBA(bytes);
  for (let i = 0; i < n; i++) {
    out[i] = Math.round((rgba.data[i * 4] + rgba.data[i * 4 + 1] + rgba.data[i * 4 + 2]) / 3);
  }
  return { width, height, data: out };
}

export function encodePngRGBA(image: RGBAImage): Uint8Array {
  return encode({ width: image.width, height: image.height, data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length), channels: 4, depth: 8 });
}

export function encodePngGray(width: number, height: number, data: Uint8Array): Uint8Array {
  return encode({ width, height, data, channels: 1, depth: 8 });
}
