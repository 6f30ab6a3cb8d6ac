/** Object regions and trimaps for batch jobs given as masks (pure; PNG decoding is the caller's). */
import { BACKGROUND, OBJECT, type Trimap } from '../image';
import { grayToClass, maskOverTrimap } from '../trimap/png';

/**
 * The object region of an object-mask image, 1 = object: a 0/255 mask or a trimap (anything the trimap codec
 * reads as object or defect, i.e. gray >= 100), or a 0/1 mask (non-zero).
 */
export function objectRegionFromGray(gray: { width: number; height: number; data: Uint8Array }): Uint8Array {
  let max = 0;
  for (let i = 0; i < gray.data.length; i++) if (gray.data[i] > max) max = gray.data[i];
  const out = new Uint8Array(gray.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (max <= 1 ? gray.data[i] > 0 : grayToClass(gray.data[i]) !== BACKGROUND) ? 1 : 0;
  return out;
}

/** The trimap of a defect mask (0/1) inside an optional object region (1 = object; none = whole image). */
export function trimapFromMasks(defect: { width: number; height: number; data: Uint8Array }, object?: Uint8Array): Trimap {
  if (object && object.length !== defect.data.length) throw new Error('the object mask and the defect mask differ in size');
  const base = object ? { width: defect.width, height: defect.height, data: object.map((v) => (v ? OBJECT : BACKGROUND)) } : undefined;
  return maskOverTrimap(defect, base);
}
