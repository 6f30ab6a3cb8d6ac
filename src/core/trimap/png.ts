/**
 * The trimap PNG contract (METHOD.md): 8-bit gray, 0 background, 127 object, 255 defect.
 * Decoding accepts 100..200 as object, > 200 as defect, < 100 as background, any bit depth, and gray / gray+alpha
 * / RGB / RGBA / palette PNGs (the first colour channel, as 8 bits, is read; alpha is ignored). Binary masks
 * (e.g. MVTec AD ground truth, 0/255) decode to a 0/1 buffer. The PNG reading itself is src/core/png.ts.
 */
import { BACKGROUND, DEFECT, OBJECT, type Trimap } from '../image';
import { decodePngFirstChannel, encodePngGray, type DecodePngOptions } from '../png';

export const TRIMAP_PNG_VALUES = [0, 127, 255] as const;

/** Encodes a trimap as an 8-bit grayscale PNG with values 0 / 127 / 255. */
export function encodeTrimapPng(trimap: Trimap): Uint8Array {
  const { width, height, data } = trimap;
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) {
    const c = data[i];
    gray[i] = c === DEFECT ? 255 : c === OBJECT ? 127 : 0;
  }
  return encodePngGray(width, height, gray);
}

/** Encodes a 0/1 (or 0/nonzero) mask as an 8-bit grayscale PNG with values 0 / 255. */
export function encodeMaskPng(mask: { width: number; height: number; data: Uint8Array }): Uint8Array {
  const gray = new Uint8Array(mask.width * mask.height);
  for (let i = 0; i < gray.length; i++) gray[i] = mask.data[i] ? 255 : 0;
  return encodePngGray(mask.width, mask.height, gray);
}

/** Maps a gray value of a trimap PNG to a class id. */
export function grayToClass(v: number): number {
  return v > 200 ? DEFECT : v >= 100 ? OBJECT : BACKGROUND;
}

/** Decodes a trimap PNG (0/127/255) into class ids. Throws ImageDecodeError for unreadable files. */
export function decodeTrimapPng(bytes: Uint8Array | ArrayBuffer, options?: DecodePngOptions): Trimap {
  const g = decodePngFirstChannel(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes, options);
  const data = new Uint8Array(g.data.length);
  for (let i = 0; i < data.length; i++) data[i] = grayToClass(g.data[i]);
  return { width: g.width, height: g.height, data };
}

/**
 * Decodes a binary defect mask PNG into a 0/1 buffer: 1 where the mask is set (> 127, or > 0 when the file's
 * largest value is 1, as in 0/1 masks).
 */
export function decodeMaskPng(bytes: Uint8Array | ArrayBuffer, options?: DecodePngOptions): { width: number; height: number; data: Uint8Array } {
  const g = decodePngFirstChannel(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes, options);
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
