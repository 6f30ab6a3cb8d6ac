import { describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { unzipSync } from 'fflate';
import type { RGBAImage, Trimap } from '../image';
import type { GenerationSettings } from '../settings';
import { buildMvtecFiles, defectNameFromPrompt, exportDataset, exportSingle } from './index';
import { defectMask as defectMaskFromTrimap } from '../diffusion/crop';
import { encodeTrimapPng } from '../trimap/png';

function img(w: number, h: number, seed: number): RGBAImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 7) & 255;
  return { width: w, height: h, data };
}
function tri(w: number, h: number): Trimap {
  const data = new Uint8Array(w * h).fill(1);
  data[0] = 0;
  data[w + 1] = 2;
  data[w + 2] = 2;
  return { width: w, height: h, data };
}
const request: GenerationSettings = {
  prompt: 'a hazelnut with a crack',
  negativePrompt: '',
  seed: 7,
  scheduler: 'euler',
  eta: 0,
  steps: 4,
  guidance: 7.5,
  stages: { latentEditStart: 0.52, pixelEditStart: 0.9 },
  dilationPx: 16,
  contextMargin: 32,
  seamPx: 0,
  seamSpareStrokes: false,
  adaptation: { enabled: true, backgroundWeight: 100, mu: 1e-3, maxSamples: 4096 },
};
const recordBase = {
  appVersion: '0.1.0',
  sourceName: 'hazel nut.png',
  request,
  model: { id: 'tiny', name: 'Tiny', sha256: 'ab'.repeat(32) },
  backend: 'wasm',
  crop: { x: 0, y: 0, size: 8 },
};

describe('export', () => {
  it('mask is 0/255 exactly where the trimap says defect; trimap PNG is 0/127/255', () => {
    const t = tri(5, 4);
    const m = defectMaskFromTrimap(t);
    expect(Array.from(m.slice(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 255, 255]);
    const png = decode(encodeTrimapPng(t));
    expect(png.channels).toBe(1);
    expect(png.depth).toBe(8);
    expect(Array.from(png.data.slice(0, 8))).toEqual([0, 127, 127, 127, 127, 127, 255, 255]);
  });

  it('single export writes image, mask, trimap and a record, losslessly', () => {
    const im = img(5, 4, 1);
    const t = tri(5, 4);
    const files = exportSingle({ image: im, mask: defectMaskFromTrimap(t), trimap: t, record: recordBase });
    expect(files.map((f) => f.name)).toEqual([
      'hazel_nut_defect.png',
      'hazel_nut_mask.png',
      'hazel_nut_trimap.png',
      'hazel_nut_record.json',
    ]);
    const back = decode(files[0].bytes);
    expect(back.channels).toBe(4);
    expect(Array.from(back.data)).toEqual(Array.from(im.data));
    const rec = JSON.parse(new TextDecoder().decode(files[3].bytes));
    expect(rec.prompt).toBe('a hazelnut with a crack');
    expect(rec.seed).toBe(7);
    expect(rec.model.sha256).toBe('ab'.repeat(32));
    expect(rec.app.version).toBe('0.1.0');
    expect(rec.defectPixels).toBe(2);
    expect(rec.format).toBe('defect-studio-record@2');
    // The pack settings, flat, under the names of src/core/settings.
    expect(rec.settings).toEqual({
      steps: 4, guidance: 7.5, scheduler: 'euler', eta: 0, latentEditStart: 0.52, pixelEditStart: 0.9,
      dilationPx: 16, contextMargin: 32, seamPx: 0, seamSpareStrokes: false, adaptation: true, adaptationMu: 1e-3,
    });
  });

  it('defect names come from the prompt', () => {
    expect(defectNameFromPrompt('a hazelnut with a crack')).toBe('crack');
    expect(defectNameFromPrompt('a screw with scratch head')).toBe('scratch_head');
    expect(defectNameFromPrompt('rust')).toBe('rust');
    expect(defectNameFromPrompt('a scratch')).toBe('scratch');
    expect(defectNameFromPrompt('An oil stain')).toBe('oil_stain');
  });

  it('dataset follows the MVTec AD layout, one original per source, zero-padded, one mask per image', () => {
    const t = tri(5, 4);
    const m = defectMaskFromTrimap(t);
    const a = img(5, 4, 1);
    const items = [
      { category: 'Hazelnut', defect: 'crack', sourceKey: 'a', original: a, image: img(5, 4, 2), mask: m, record: recordBase },
      { category: 'Hazelnut', defect: 'crack', sourceKey: 'a', original: a, image: img(5, 4, 3), mask: m, record: recordBase },
      { category: 'Hazelnut', defect: 'hole', sourceKey: 'b', original: img(5, 4, 4), image: img(5, 4, 5), mask: m, record: recordBase },
    ];
    const files = buildMvtecFiles(items);
    expect([...files.keys()].sort()).toEqual([
      'hazelnut/ground_truth/crack/000_mask.png',
      'hazelnut/ground_truth/crack/001_mask.png',
      'hazelnut/ground_truth/hole/000_mask.png',
      'hazelnut/records/crack/000.json',
      'hazelnut/records/crack/001.json',
      'hazelnut/records/hole/000.json',
      'hazelnut/test/crack/000.png',
      'hazelnut/test/crack/001.png',
      'hazelnut/test/hole/000.png',
      'hazelnut/train/good/000.png',
      'hazelnut/train/good/001.png',
    ]);
    const zip = unzipSync(exportDataset(items));
    const mask = decode(zip['hazelnut/ground_truth/crack/001_mask.png']);
    expect(Array.from(mask.data)).toEqual(Array.from(m));
    expect(Array.from(decode(zip['hazelnut/train/good/000.png']).data)).toEqual(Array.from(a.data));
    const rec = JSON.parse(new TextDecoder().decode(zip['hazelnut/records/crack/001.json']));
    expect(rec.files.image).toBe('hazelnut/test/crack/001.png');
  });
});
