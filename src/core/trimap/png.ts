/**
 * The trimap PNG contract (METHOD.md): 8-bit gray, 0 background, 127 object, 255 defect.
 * Decoding accepts 100..200 as object, > 200 as defect, < 100 as background, any bit depth, and gray / gray+alpha
 * / RGB / RGBA / palette PNGs (the first colour channel is read). Binary masks (e.g. MVTec AD ground truth,
 * 0/255) decode to a 0/1 buffer.
 */
import { decode, encode, convertIndexedToRgb, type DecodedPng } from 'fast-png';
import { BACKGROUND, DEFECT, OBJECT, type Trimap } from '../image';

export const TRIMAP_PNG_VALUES = [0, 127, 255] as const;

export class PngReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngReadError';
  }
}

/** Encodes a trimap as an 8-bit grayscale PNG with values 0 / 127 / 255. */
export function encodeTrimapPng(trimap: Trimap): Uint8Array {
  const { width, height, data } = trimap;
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) {
    const c = data[i];
    gray[i] = c === DEFECT ? 255 : c === OBJECT ? 127 : 0;
  }
  return encode({ width, height, data: gray, depth: 8, channels: 1 });
}

/** Encodes a 0/1 (or 0/nonzero) mask as an 8-bit grayscale PNG with values 0 / 255. */
export function encodeMaskPng(mask: { width: number; height: number; data: Uint8Array }): Uint8Array {
  const gray = new Uint8Array(mask.width * mask.height);
  for (let i = 0; i < gray.length; i++) gray[i] = mask.data[i] ? 255 : 0;
  return encode({ width: mask.width, height: mask.height, data: gray, depth: 8, channels: 1 });
}

/** Decodes any PNG to one 8-bit gray value per pixel (the first colour channel). */
export function decodePngGray(bytes: Uint8Array | ArrayBuffer): { width: number; height: number; data: Uint8Array } {
  let png: DecodedPng;
  try {
    png = decode(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
  } catch (e) {
    throw new PngReadError(`not a readable PNG file (${e instanceof Error ? e.message : String(e)})`);
  }
  const { width, height } = png;
  if (!(width > 0 && height > 0)) throw new PngReadError('the PNG has no pixels');
  let channels = png.channels;
  let depth: number = png.depth;
  let src = png.data;
  if (png.palette) {
    src = convertIndexedToRgb(png);
    channels = png.palette[0]?.length ?? 3;
    depth = 8;
  }
  const out = new Uint8Array(width * height);
  if (depth === 8) {
    for (let i = 0; i < out.length; i++) out[i] = src[i * channels];
  } else if (depth === 16) {
    for (let i = 0; i < out.length; i++) out[i] = src[i * channels] >> 8;
  } else {
    // 1, 2 or 4 bits per sample, packed MSB first, each row padded to a whole byte.
    const bytesPerRow = Math.ceil((width * channels * depth) / 8);
    const maxV = (1 << depth) - 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * channels * depth;
        const byte = src[y * bytesPerRow + (bit >> 3)];
        const v = (byte >> (8 - depth - (bit & 7))) & maxV;
        out[y * width + x] = Math.round((v * 255) / maxV);
      }
    }
  }
  return { width, height, data: out };
}

/** Maps a gray value of a trimap PNG to a class id. */
export function grayToClass(v: number): number {
  return v > 200 ? DEFECT : v >= 100 ? OBJECT : BACKGROUND;
}

/** Decodes a trimap PNG (0/127/255) into class ids. Throws PngReadError for unreadable files. */
export function decodeTrimapPng(bytes: Uint8Array | ArrayBuffer): Trimap {
  const g = decodePngGray(bytes);
  const data = new Uint8Array(g.data.length);
  for (let i = 0; i < data.length; i++) data[i] = grayToClass(g.data[i]);
  return { width: g.width, height: g.height, data };
}

/**
 * Decodes a binary defect mask PNG into a 0/1 buffer: 1 where the mask is set (> 127, or > 0 when the file's
 * largest value is 1, as in 0/1 masks).
 */
export function decodeMaskPng(bytes: Uint8Array | ArrayBuffer): { width: number; height: number; data: Uint8Array } {
  const g = decodePngGray(bytes);
  let max = 0;
  for (let i = 0; i < g.data.length; i++) if (g.data[i] > max) max = g.data[i];
  const threshold = max <= 1 ? 0 : 127;
  const data = new Uint8Array(g.data.length);
  for (let i = 0; i < data.length; i++) data[i] = g.data[i] > threshold ? 1 : 0;
  return { width: g.width, height: g.height, data };
}

/**
 * The trimap for a defect mask painted over an existing trimap: mask pixels become defect, former defect
 * pixels outside the mask become object, background stays background. With no base: object + defect.
 */
export function maskOverTrimap(mask: { width: number; height: number; data: Uint8Array }, base?: Trimap): Trimap {
  const data = new Uint8Array(mask.width * mask.height);
  for (let i = 0; i < data.length; i++) {
    if (mask.data[i]) data[i] = DEFECT;
    else {
      const b = base ? base.data[i] : OBJECT;
      data[i] = b === DEFECT ? OBJECT : b;
    }
  }
  return { width: mask.width, height: mask.height, data };
}
