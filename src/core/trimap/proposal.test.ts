import { describe, expect, it } from 'vitest';
import type { RGBAImage } from '../image';
import { otsuThreshold, proposeObject } from './proposal';

function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
}

function image(w: number, h: number, f: (x: number, y: number) => [number, number, number]): RGBAImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      data.set([r, g, b, 255], (y * w + x) * 4);
    }
  return { width: w, height: h, data };
}

const inDisc = (x: number, y: number, cx: number, cy: number, r: number) => (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r;

describe('object proposal', () => {
  it('Otsu splits a two-level histogram between the levels', () => {
    const h = new Array(256).fill(0);
    h[20] = 100;
    h[200] = 50;
    const t = otsuThreshold(h);
    expect(t).toBeGreaterThanOrEqual(20);
    expect(t).toBeLessThan(200);
    expect(otsuThreshold(new Array(256).fill(0).map((_, i) => (i === 7 ? 10 : 0)))).toBe(-1);
  });

  it('finds a disc on a noisy two-tone backdrop: largest part, holes filled, specks dropped', () => {
    const r = rng(11);
    const w = 96;
    const h = 72;
    const im = image(w, h, (x, y) => {
      const n = Math.round((r() - 0.5) * 16);
      const obj = (inDisc(x, y, 44, 36, 22) && !inDisc(x, y, 44, 36, 6)) || (x >= 84 && x < 88 && y >= 6 && y < 10);
      if (obj) return [190 + n, 140 + n, 90 + n];
      // backdrop: a grey cloth with darker stripes
      return (x >> 3) % 2 ? [60 + n, 62 + n, 66 + n] : [40 + n, 41 + n, 45 + n];
    });
    const p = proposeObject(im);
    let inter = 0;
    let union = 0;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const want = inDisc(x, y, 44, 36, 22);
        const got = p.mask[y * w + x] === 1;
        if (want && got) inter++;
        if (want || got) union++;
      }
    expect(inter / union).toBeGreaterThan(0.96);
    expect(p.mask[36 * w + 44]).toBe(1); // the hole is filled
    expect(p.mask[8 * w + 86]).toBe(0); // the small blob is not the object
    expect(p.mask[0]).toBe(0);
    expect(p.rect.x).toBeGreaterThanOrEqual(20);
    expect(p.rect.x + p.rect.w).toBeLessThanOrEqual(68);
    expect(p.count).toBe(p.mask.reduce((a, b) => a + b, 0));
  });

  it('works for a darker object on a light backdrop too, and is deterministic', () => {
    const r = rng(5);
    const im = image(64, 64, (x, y) => {
      const n = Math.round((r() - 0.5) * 10);
      return x >= 20 && x < 44 && y >= 16 && y < 52 ? [30 + n, 30 + n, 30 + n] : [220 + n, 215 + n, 200 + n];
    });
    const a = proposeObject(im);
    expect(a.rect).toEqual({ x: 20, y: 16, w: 24, h: 36 });
    expect(a.count).toBe(24 * 36);
    expect(proposeObject(im).mask).toEqual(a.mask);
  });

  it('a large photo is proposed on a reduced copy: the outline stays within the reduction factor', () => {
    const w = 301;
    const h = 203;
    const im = image(w, h, (x, y) => (inDisc(x, y, 150, 100, 70) ? [200, 160, 90] : [30, 40, 50]));
    const full = proposeObject(im);
    const reduced = proposeObject(im, { maxPixels: 10_000 }); // factor ceil(sqrt(61103 / 10000)) = 3
    expect([reduced.width, reduced.height]).toEqual([w, h]);
    let differ = 0;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (full.mask[i] === reduced.mask[i]) continue;
        differ++;
        // only near the true outline
        expect(Math.abs(Math.hypot(x + 0.5 - 150, y + 0.5 - 100) - 70)).toBeLessThan(3 * Math.SQRT2 + 0.5);
      }
    expect(differ).toBeLessThan(2 * Math.PI * 70 * 3);
    expect(reduced.count).toBe(reduced.mask.reduce((a, b) => a + b, 0));
  });

  it('a plain noisy backdrop gives an empty proposal', () => {
    const r = rng(2);
    const im = image(50, 40, () => {
      const n = Math.round((r() - 0.5) * 12);
      return [120 + n, 120 + n, 120 + n];
    });
    const p = proposeObject(im);
    expect(p.count).toBe(0);
  });
});
