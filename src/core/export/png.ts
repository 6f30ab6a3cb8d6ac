import { encode } from 'fast-png';
import type { RGBAImage, Trimap } from '../image';
import { DEFECT, OBJECT } from '../image';
import { encodeTrimapPng as encodeTrimapPngCodec } from '../trimap/png';

/** Lossless 8-bit RGBA PNG of an image. */
export function encodeImagePng(image: RGBAImage): Uint8Array {
  return encode({ width: image.width, height: image.height, data: image.data, depth: 8, channels: 4 });
}

/** Lossless 8-bit gray PNG of a 0/255 mask. */
export function encodeMaskPng(mask: Uint8Array, width: number, height: number): Uint8Array {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width * height}`);
  return encode({ width, height, data: mask, depth: 8, channels: 1 });
}

/** The exported ground-truth mask: 255 where the trimap says defect, else 0. */
export function defectMaskFromTrimap(trimap: Trimap): Uint8Array {
  const out = new Uint8Array(trimap.width * trimap.height);
  const t = trimap.data;
  for (let i = 0; i < out.length; i++) out[i] = t[i] === DEFECT ? 255 : 0;
  return out;
}

/** Trimap class ids {0,1,2} -> gray 0/127/255 (ARCHITECTURE.md contract). */
export function trimapToGray(trimap: Trimap): Uint8Array {
  const out = new Uint8Array(trimap.width * trimap.height);
  const t = trimap.data;
  for (let i = 0; i < out.length; i++) out[i] = t[i] === DEFECT ? 255 : t[i] === OBJECT ? 127 : 0;
  return out;
}

/** Trimap PNG through the editor's codec (the one contract for 0/127/255 files). */
export function encodeTrimapPng(trimap: Trimap): Uint8Array {
  return encodeTrimapPngCodec(trimap);
}
