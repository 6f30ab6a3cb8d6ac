/** An 8-bit RGBA image in row-major order, the same layout as the DOM's ImageData. */
export interface RGBAImage {
  width: number;
  height: number;
  data: Uint8ClampedArray; // width * height * 4
}

/** Trimap class ids, one per image pixel (METHOD.md). On disk: 0 / 127 / 255 gray PNG. */
export const BACKGROUND = 0;
export const OBJECT = 1;
export const DEFECT = 2;
export type TrimapClass = typeof BACKGROUND | typeof OBJECT | typeof DEFECT;

/** A label buffer at the image's full resolution. */
export interface Trimap {
  width: number;
  height: number;
  data: Uint8Array; // width * height class ids in {0, 1, 2}
}
