import { describe, expect, it } from 'vitest';
import { DEFECT, OBJECT } from '../image';
import { chooseCrop, cropToPlanar, cropTrimap, defectBounds, pasteDefect, resampleWeights } from './crop';
import { defectMaxPool, dilateSquare, objectMean } from './masks';
import { contextMasks, stageBounds, stageOf } from './pipeline';
import { REFERENCE_SETTINGS, parsePackDefaults } from '../settings';

describe('crop window', () => {
  it('uses the whole image when it fits the native resolution', () => {
    expect(chooseCrop(200, 100, { x0: 10, y0: 10, x1: 20, y1: 20 }, 256, 32)).toEqual({ x: 0, y: 0, size: 200 });
  });

  it('centres a square of at least the resolution around the defect, inside the image', () => {
    const c = chooseCrop(2000, 1000, { x0: 1000, y0: 500, x1: 1010, y1: 540 }, 256, 32);
    expect(c.size).toBe(256);
    expect(c.x).toBe(Math.floor((1000 + 1010 - 256) / 2));
    const edge = chooseCrop(2000, 1000, { x0: 1990, y0: 990, x1: 2000, y1: 1000 }, 256, 32);
    expect(edge).toEqual({ x: 2000 - 256, y: 1000 - 256, size: 256 });
    const big = chooseCrop(2000, 1000, { x0: 100, y0: 100, x1: 700, y1: 300 }, 256, 50);
    expect(big.size).toBe(700);
    const huge = chooseCrop(2000, 500, { x0: 0, y0: 0, x1: 1900, y1: 400 }, 256, 50);
    expect(huge.size).toBe(2000);
  });

  it('finds the defect bounds', () => {
    const data = new Uint8Array(5 * 4);
    data[1 * 5 + 2] = DEFECT;
    data[3 * 5 + 3] = DEFECT;
    expect(defectBounds({ width: 5, height: 4, data })).toEqual({ x0: 2, y0: 1, x1: 4, y1: 4 });
    expect(defectBounds({ width: 5, height: 4, data: new Uint8Array(20) })).toBeNull();
  });
});

describe('resampling', () => {
  it('area weights sum to one and average boxes when shrinking', () => {
    const w = resampleWeights(6, 4);
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = w.start[j]; k < w.start[j + 1]; k++) s += w.w[k];
      expect(s).toBeCloseTo(1, 6);
    }
    const img = { width: 4, height: 4, data: new Uint8ClampedArray(64) };
    for (let p = 0; p < 16; p++) img.data.set([255, p % 2 ? 255 : 0, 0, 255], p * 4);
    const out = cropToPlanar(img, { x: 0, y: 0, size: 4 }, 2);
    expect(Array.from(out.slice(0, 4))).toEqual([1, 1, 1, 1]);
    expect(out[4]).toBeCloseTo(0, 6); // green: half 0, half 255 -> 127.5 -> 0.0
  });

  it('keeps the trimap at 1:1, background past the image edge', () => {
    const t = { width: 2, height: 2, data: new Uint8Array([OBJECT, DEFECT, OBJECT, OBJECT]) };
    expect(Array.from(cropTrimap(t, { x: 0, y: 0, size: 4 }, 4))).toEqual([1, 2, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('downscales the trimap keeping every defect pixel (any), object vs background by majority', () => {
    // 8x8 -> 2x2 (4x4 blocks): one defect pixel in the top-left block, top-right block 6/16 object,
    // bottom-left 8/16 object (tie -> object), bottom-right all background except nothing
    const data = new Uint8Array(64);
    data[3 * 8 + 1] = DEFECT;
    for (let i = 0; i < 6; i++) data[Math.floor(i / 4) * 8 + 4 + (i % 4)] = OBJECT;
    for (let y = 4; y < 6; y++) for (let x = 0; x < 4; x++) data[y * 8 + x] = OBJECT;
    expect(Array.from(cropTrimap({ width: 8, height: 8, data }, { x: 0, y: 0, size: 8 }, 2))).toEqual([DEFECT, 0, OBJECT, 0]);
    // a 1-pixel column at any x survives a 10x downscale at any offset
    for (let x = 0; x < 40; x++) {
      const t = new Uint8Array(40 * 40).fill(OBJECT);
      for (let y = 5; y < 35; y++) t[y * 40 + x] = DEFECT;
      const c = cropTrimap({ width: 40, height: 40, data: t }, { x: 0, y: 0, size: 40 }, 4);
      expect(c.filter((v) => v === DEFECT).length).toBe(4);
    }
    // non-integer scale (7 -> 3): each output pixel covers every source pixel it overlaps
    const t7 = new Uint8Array(49).fill(OBJECT);
    t7[3 * 7 + 3] = DEFECT; // the centre pixel straddles output pixel 1 only
    t7[2 * 7 + 2] = DEFECT; // pixel 2 straddles output pixels 0 and 1
    const c7 = cropTrimap({ width: 7, height: 7, data: t7 }, { x: 0, y: 0, size: 7 }, 3);
    expect(Array.from(c7)).toEqual([2, 2, 1, 2, 2, 1, 1, 1, 1]);
  });
});

describe('paste', () => {
  it('changes only defect pixels, keeps alpha, copies everything else', () => {
    const img = { width: 3, height: 2, data: new Uint8ClampedArray(24).map((_, i) => (i * 37) % 256) };
    const t = { width: 3, height: 2, data: new Uint8Array([1, 2, 1, 0, 1, 2]) };
    const gen = new Float32Array(3 * 4 * 4).fill(1); // white
    const out = pasteDefect(img, t, gen, { x: 0, y: 0, size: 3 }, 4);
    for (let p = 0; p < 6; p++) {
      for (let c = 0; c < 4; c++) {
        const expected = t.data[p] === DEFECT && c < 3 ? 255 : img.data[p * 4 + c];
        expect(out.data[p * 4 + c]).toBe(expected);
      }
    }
  });
});

describe('masks and stages', () => {
  it('max-pools the defect, averages the object and dilates', () => {
    const classes = new Uint8Array(16);
    classes[5] = DEFECT;
    classes[0] = OBJECT;
    expect(Array.from(defectMaxPool(classes, 4, 2))).toEqual([1, 0, 0, 0]);
    expect(Array.from(objectMean(classes, 4, 2))).toEqual([0.5, 0, 0, 0]);
    const m = new Float32Array(25);
    m[12] = 1;
    expect(Array.from(dilateSquare(m, 5, 3)).reduce((a, b) => a + b)).toBe(9);
    expect(Array.from(dilateSquare(m, 5, 5)).reduce((a, b) => a + b)).toBe(25);
  });

  it('dilation clips at the borders: two points grow into two squares that share one cell', () => {
    const m = new Float32Array(81);
    m[4 * 9 + 4] = 1;
    m[0] = 1;
    const d = dilateSquare(m, 9, 5);
    expect(Array.from(d).reduce((a, b) => a + b)).toBe(25 + 9 - 1);
    expect(d[2 * 9 + 2]).toBe(1);
    expect(d[1 * 9 + 1]).toBe(1);
    expect(d[1 * 9 + 2]).toBe(1);
    expect(d[1 * 9 + 3]).toBe(0);
    expect(d[1 * 9 + 7]).toBe(0);
  });

  it('the edit margin is in pixels: the reference 16 px is 5x5 latent cells at 8x and 9x9 at 4x', () => {
    const t = { width: 64, height: 64, data: new Uint8Array(64 * 64).fill(OBJECT) };
    t.data[32 * 64 + 32] = DEFECT;
    const crop = { x: 0, y: 0, size: 64 };
    const cells = (f: number, px: number) => contextMasks(t, crop, 64, f, px).editLatent.reduce((a, v) => a + v, 0);
    expect(REFERENCE_SETTINGS.dilationPx).toBe(16);
    expect(cells(8, 16)).toBe(25);
    expect(cells(4, 16)).toBe(81); // a 4x VAE gets the same 16 px, not the same 5x5 cells (8 px)
    expect(cells(8, 0)).toBe(1);
    // packs that still give the old kernel size in cells are read in the reference's units (8x)
    expect(parsePackDefaults({ latentDilation: 5 })).toEqual({ dilationPx: 16 });
    expect(parsePackDefaults({ latentDilation: 3, steps: 20 })).toEqual({ steps: 20, dilationPx: 8 });
  });

  it('reference stage bounds: latent blending 26..45 and pixel round trips 45..49 of 50', () => {
    const b = stageBounds(50, { latentEditStart: 0.52, pixelEditStart: 0.9 });
    expect(b).toEqual({ latentStart: 26, pixelStart: 45 });
    expect(stageOf(25, b)).toBe('free');
    expect(stageOf(26, b)).toBe('latent-edit');
    expect(stageOf(45, b)).toBe('pixel-edit');
    expect(stageBounds(20, { latentEditStart: 0.52, pixelEditStart: 0.9 })).toEqual({ latentStart: 10, pixelStart: 18 });
    // 25 steps (the built-in pack): 3 pixel round trips, 22..24, as MODEL.md, the Python evaluation and the
    // browser bench assume (Math.round(22.5) gave 23: 2 round trips)
    const b25 = stageBounds(25, { latentEditStart: 0.52, pixelEditStart: 0.9 });
    expect(b25).toEqual({ latentStart: 13, pixelStart: 22 });
    expect(Array.from({ length: 25 }, (_, i) => stageOf(i, b25)).filter((s) => s === 'pixel-edit').length).toBe(3);
    expect(stageBounds(100, { latentEditStart: 0.58, pixelEditStart: 0.9 })).toEqual({ latentStart: 58, pixelStart: 90 });
  });
});
