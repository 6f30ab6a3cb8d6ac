import { describe, expect, it } from 'vitest';
import { defectBounds } from '../core/diffusion/crop';
import { latentToRgb, previewFromLatent, regionOf } from './preview';

describe('preview', () => {
  it('maps latent channels through the matrix and bias', () => {
    const x0 = new Float32Array([1, 2, 3, 4, 0.5, 0.5, 0.5, 0.5]); // [2,2,2]
    const rgb = latentToRgb(x0, [2, 2, 2], [[1, 0, -1], [0, 2, 0]], [0, 0, 0.5]);
    expect(Array.from(rgb.slice(0, 4))).toEqual([1, 2, 3, 4]);
    expect(Array.from(rgb.slice(4, 8))).toEqual([1, 1, 1, 1]);
    expect(Array.from(rgb.slice(8, 12))).toEqual([-0.5, -1.5, -2.5, -3.5]);
  });

  it('paints only defect pixels, upsampled over the crop', () => {
    const w = 8, h = 8;
    const tri = new Uint8Array(w * h).fill(1);
    tri[2 * w + 3] = 2;
    tri[5 * w + 6] = 2;
    const trimap = { width: w, height: h, data: tri };
    const bounds = regionOf(defectBounds(trimap)!);
    expect(bounds).toEqual({ x: 3, y: 2, width: 4, height: 4 });
    // constant latent 0 -> rgb = bias -> gray 0 maps to 128
    const x0 = new Float32Array(4 * 4).fill(0); // [1, 4, 4]
    const p = previewFromLatent({ x0Hat: x0, latentShape: [1, 4, 4], matrix: [[1, 1, 1]], bias: [1, 0, -1], crop: { x: 0, y: 0, size: 8 }, trimap, region: bounds });
    const at = (x: number, y: number) => Array.from(p.data.slice(((y - p.y) * p.width + (x - p.x)) * 4, ((y - p.y) * p.width + (x - p.x)) * 4 + 4));
    expect(at(3, 2)).toEqual([255, 128, 0, 255]);
    expect(at(6, 5)).toEqual([255, 128, 0, 255]);
    expect(at(4, 2)).toEqual([0, 0, 0, 0]);
    let opaque = 0;
    for (let i = 3; i < p.data.length; i += 4) if (p.data[i]) opaque++;
    expect(opaque).toBe(2);
  });
});

describe('result patch and thumbnail', () => {
  it('keeps only defect pixels of the result and samples the crop', async () => {
    const { resultPatch, cropThumbnail } = await import('./preview');
    const w = 4, h = 4;
    const data = new Uint8ClampedArray(w * h * 4).map((_, i) => i & 255);
    const tri = new Uint8Array(w * h).fill(1);
    tri[5] = 2;
    const p = resultPatch({ width: w, data }, { width: w, height: h, data: tri }, { x: 1, y: 1, width: 2, height: 1 });
    expect(Array.from(p.data)).toEqual([20, 21, 22, 255, 0, 0, 0, 0]);
    const t = cropThumbnail({ width: w, height: h, data }, { x: -2, y: 0, size: 4 }, 2);
    expect(Array.from(t.slice(0, 4))).toEqual([0, 0, 0, 0]); // outside the image: transparent
    // thumbnail (1, 0) samples the crop at (3, 1) -> image (1, 1), pixel index 5
    expect(Array.from(t.slice(4, 8))).toEqual([20, 21, 22, 255]);
  });
});
