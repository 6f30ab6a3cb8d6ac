// Step previews, pure TypeScript (no DOM): runs in the Worker, tested in Node.
import type { CropWindow } from '../core/diffusion/types';
import type { Box } from '../core/diffusion/crop';
import type { Trimap } from '../core/image';
import { DEFECT } from '../core/image';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The preview region of a defect box (core's `defectBounds`, exclusive x1/y1) as x, y, width, height. */
export function regionOf(box: Box): Rect {
  return { x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 };
}

/** An RGBA patch placed at (x, y) in image pixels; alpha is 255 inside the defect region, 0 elsewhere. */
export interface PreviewPatch extends Rect {
  data: Uint8ClampedArray;
}

/**
 * x0-hat [C, h, w] -> planar RGB [3, h, w] in [-1, 1] through the pack's preview matrix
 * (latentChannels x 3) and optional bias.
 */
export function latentToRgb(
  x0Hat: Float32Array,
  shape: [number, number, number],
  matrix: number[][],
  bias?: number[],
): Float32Array {
  const [c, h, w] = shape;
  if (matrix.length !== c) throw new Error(`preview matrix has ${matrix.length} rows, latent has ${c} channels`);
  const n = h * w;
  const out = new Float32Array(3 * n);
  for (let k = 0; k < 3; k++) {
    const b = bias?.[k] ?? 0;
    const o = k * n;
    for (let i = 0; i < n; i++) out[o + i] = b;
    for (let ch = 0; ch < c; ch++) {
      const m = matrix[ch][k];
      if (m === 0) continue;
      const src = ch * n;
      for (let i = 0; i < n; i++) out[o + i] += m * x0Hat[src + i];
    }
  }
  return out;
}

/**
 * Paint planar RGB [3, gh, gw] in [-1, 1] (a grid that covers the crop window) into an RGBA patch over
 * `region` (image pixels): bilinear upsampling to the crop, (v + 1) / 2, alpha = 255 only where the trimap
 * says defect. Pixels outside the defect are transparent, so the photo shows through unchanged.
 */
export function rgbGridToPatch(
  rgb: Float32Array,
  gh: number,
  gw: number,
  crop: CropWindow,
  trimap: Trimap,
  region: Rect,
): PreviewPatch {
  const { x: rx, y: ry, width: rw, height: rh } = region;
  const data = new Uint8ClampedArray(rw * rh * 4);
  const n = gh * gw;
  const sx = gw / crop.size;
  const sy = gh / crop.size;
  const tw = trimap.width;
  for (let py = 0; py < rh; py++) {
    const iy = ry + py;
    const gy = (iy + 0.5 - crop.y) * sy - 0.5;
    let y0 = Math.floor(gy);
    const fy = gy - y0;
    let y1 = y0 + 1;
    if (y0 < 0) y0 = 0;
    if (y1 < 0) y1 = 0;
    if (y0 > gh - 1) y0 = gh - 1;
    if (y1 > gh - 1) y1 = gh - 1;
    for (let px = 0; px < rw; px++) {
      const ix = rx + px;
      const o = (py * rw + px) * 4;
      if (trimap.data[iy * tw + ix] !== DEFECT) continue; // transparent
      const gx = (ix + 0.5 - crop.x) * sx - 0.5;
      let x0 = Math.floor(gx);
      const fx = gx - x0;
      let x1 = x0 + 1;
      if (x0 < 0) x0 = 0;
      if (x1 < 0) x1 = 0;
      if (x0 > gw - 1) x0 = gw - 1;
      if (x1 > gw - 1) x1 = gw - 1;
      const i00 = y0 * gw + x0, i01 = y0 * gw + x1, i10 = y1 * gw + x0, i11 = y1 * gw + x1;
      for (let k = 0; k < 3; k++) {
        const b = k * n;
        const top = rgb[b + i00] * (1 - fx) + rgb[b + i01] * fx;
        const bot = rgb[b + i10] * (1 - fx) + rgb[b + i11] * fx;
        const v = top * (1 - fy) + bot * fy;
        data[o + k] = Math.round(((v + 1) / 2) * 255);
      }
      data[o + 3] = 255;
    }
  }
  return { x: rx, y: ry, width: rw, height: rh, data };
}

/** The cheap per-step preview: x0-hat through the preview matrix, composited inside the defect only. */
export function previewFromLatent(args: {
  x0Hat: Float32Array;
  latentShape: [number, number, number];
  matrix: number[][];
  bias?: number[];
  crop: CropWindow;
  trimap: Trimap;
  region: Rect;
}): PreviewPatch {
  const [, h, w] = args.latentShape;
  const rgb = latentToRgb(args.x0Hat, args.latentShape, args.matrix, args.bias);
  return rgbGridToPatch(rgb, h, w, args.crop, args.trimap, args.region);
}

/** The result inside `region`, alpha 255 where the trimap says defect and 0 elsewhere. */
export function resultPatch(image: { width: number; data: Uint8ClampedArray }, trimap: Trimap, region: Rect): PreviewPatch {
  const { x: rx, y: ry, width: rw, height: rh } = region;
  const data = new Uint8ClampedArray(rw * rh * 4);
  for (let y = 0; y < rh; y++)
    for (let x = 0; x < rw; x++) {
      const si = (ry + y) * image.width + rx + x;
      if (trimap.data[si] !== DEFECT) continue;
      const o = (y * rw + x) * 4;
      data[o] = image.data[si * 4];
      data[o + 1] = image.data[si * 4 + 1];
      data[o + 2] = image.data[si * 4 + 2];
      data[o + 3] = 255;
    }
  return { x: rx, y: ry, width: rw, height: rh, data };
}

/** A size x size RGBA thumbnail of the crop window (nearest sampling; outside the image: transparent). */
export function cropThumbnail(image: { width: number; height: number; data: Uint8ClampedArray }, crop: CropWindow, size: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    const iy = Math.floor(crop.y + ((y + 0.5) * crop.size) / size);
    if (iy < 0 || iy >= image.height) continue;
    for (let x = 0; x < size; x++) {
      const ix = Math.floor(crop.x + ((x + 0.5) * crop.size) / size);
      if (ix < 0 || ix >= image.width) continue;
      const si = (iy * image.width + ix) * 4;
      const o = (y * size + x) * 4;
      out[o] = image.data[si];
      out[o + 1] = image.data[si + 1];
      out[o + 2] = image.data[si + 2];
      out[o + 3] = 255;
    }
  }
  return out;
}
