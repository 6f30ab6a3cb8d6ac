/**
 * Thin defects survive the context crop's resize (METHOD.md: a resized pixel is defect if any source pixel
 * under it is). Real sessions on the tiny SD-layout pack through onnxruntime-node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFECT, OBJECT, type Trimap } from '../src/core/image';
import { chooseCrop, defectBounds } from '../src/core/diffusion/crop';
import { contextMasks, generate, InputError } from '../src/core/diffusion/pipeline';
import { loadPack, type LoadedPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { makeImage, makeRequest, packDir } from './helpers';

/** 1024x1024, all object, a 1-pixel vertical scratch at x = 500, y = 200..799. */
function scratchTrimap(): Trimap {
  const W = 1024;
  const data = new Uint8Array(W * W).fill(OBJECT);
  for (let y = 200; y < 800; y++) data[y * W + 500] = DEFECT;
  return { width: W, height: W, data };
}

describe('a 1-pixel scratch in a 1024x1024 photo', () => {
  const runtime = createNodeRuntime({ threads: 1 });
  let pack: LoadedPack;
  beforeAll(async () => {
    pack = await loadPack(new FsPackSource(packDir('tiny-sd')), runtime);
  });
  afterAll(async () => {
    await pack?.release();
  });

  it('keeps defect pixels and edit cells after the crop is scaled down', () => {
    const trimap = scratchTrimap();
    const R = pack.manifest.resolution;
    const crop = chooseCrop(1024, 1024, defectBounds(trimap)!, R, 8);
    expect(crop.size).toBeGreaterThan(4 * R); // scaled down by more than 4x
    const m = contextMasks(trimap, crop, R, pack.manifest.vaeScaleFactor, 16);
    let defectPx = 0;
    for (let p = 0; p < R * R; p++) defectPx += m.defectNative[p];
    // the scratch spans 600 of the crop's rows: every resized row it touches is defect in one column
    expect(defectPx).toBeGreaterThanOrEqual(Math.floor((600 * R) / crop.size));
    expect(m.defectCells.reduce((a, v) => a + v, 0)).toBeGreaterThan(0);
    expect(m.editLatent.reduce((a, v) => a + v, 0)).toBeGreaterThan(0);
  });

  it('generates inside the scratch and keeps everything else and the mask exact', async () => {
    const trimap = scratchTrimap();
    const image = makeImage(1024, 1024);
    const res = await generate(pack, makeRequest({ image, trimap, steps: 4 }));
    let changed = 0;
    let maskPx = 0;
    for (let p = 0; p < trimap.data.length; p++) {
      const inDefect = trimap.data[p] === DEFECT;
      if (res.mask[p] !== (inDefect ? 255 : 0)) throw new Error(`mask wrong at pixel ${p}`);
      if (res.mask[p] === 255) maskPx++;
      for (let c = 0; c < 4; c++) {
        const a = image.data[p * 4 + c];
        const b = res.image.data[p * 4 + c];
        if (!inDefect || c === 3) {
          if (a !== b) throw new Error(`pixel ${p} channel ${c} changed outside the defect`);
        } else if (a !== b) changed++;
      }
    }
    expect(maskPx).toBe(600);
    expect(changed).toBeGreaterThan(300);
    // what is generated reaches the scratch: with latent blending on every step (no pixel stage) everything
    // outside the edit cells is pinned to the input, so the scratch only varies with the seed if it has edit
    // cells. Mean |seed A - seed B| inside the scratch: 59 levels here; 4.6 when the resize lost the scratch
    // (then only the last step's re-noising differed).
    const stages = { latentEditStart: 0, pixelEditStart: 1 };
    const a = await generate(pack, makeRequest({ image, trimap, steps: 4, stages }));
    const b = await generate(pack, makeRequest({ image, trimap, steps: 4, stages, seed: 77 }));
    let diff = 0;
    let n = 0;
    for (let p = 0; p < trimap.data.length; p++) {
      if (trimap.data[p] !== DEFECT) continue;
      for (let c = 0; c < 3; c++) diff += Math.abs(a.image.data[p * 4 + c] - b.image.data[p * 4 + c]);
      n += 3;
    }
    expect(diff / n).toBeGreaterThan(20);
  });

  it('refuses a context window whose resized defect is empty, with one clear line', () => {
    const trimap = scratchTrimap();
    // a window that misses the scratch entirely
    expect(() => contextMasks(trimap, { x: 0, y: 0, size: 256 }, 64, 8, 16)).toThrow(InputError);
    expect(() => contextMasks(trimap, { x: 0, y: 0, size: 256 }, 64, 8, 16)).toThrow(/defect region .*empty/);
  });
});
