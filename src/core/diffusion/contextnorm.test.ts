import { describe, expect, it } from 'vitest';
import { BACKGROUND, DEFECT, OBJECT } from '../image';
import { CONTEXT_CLIP, CONTEXT_GAIN_MAX, contextDenormalize, contextGains, contextNormalize } from './contextnorm';

/** planar [3, n] from per-pixel RGB in [0, 1] */
function planar(px: number[][]): Float32Array {
  const n = px.length;
  const x = new Float32Array(3 * n);
  px.forEach((rgb, p) => rgb.forEach((v, c) => (x[c * n + p] = 2 * v - 1)));
  return x;
}

describe('context normalisation', () => {
  it('gains come from object pixels outside the defect only', () => {
    const x = planar([
      [0.25, 0.5, 0.1], // object
      [0.25, 0.5, 0.1], // object
      [1, 1, 1], // defect: ignored
      [0, 0, 0], // background: ignored
    ]);
    const g = contextGains(x, Uint8Array.from([OBJECT, OBJECT, DEFECT, BACKGROUND]));
    expect(g[0]).toBeCloseTo(2, 6);
    expect(g[1]).toBeCloseTo(1, 6);
    expect(g[2]).toBeCloseTo(CONTEXT_GAIN_MAX, 6); // 5 clamped
  });

  it('falls back to background pixels, then to gain 1', () => {
    const x = planar([
      [0.25, 0.25, 0.25],
      [1, 1, 1],
    ]);
    expect(contextGains(x, Uint8Array.from([BACKGROUND, DEFECT]))[0]).toBeCloseTo(2, 6);
    expect(contextGains(x, Uint8Array.from([DEFECT, DEFECT]))).toEqual([1, 1, 1]);
    expect(contextGains(planar([[1, 0.95, 0.9]]), Uint8Array.from([OBJECT]))[0]).toBeCloseTo(0.5, 6);
    expect(() => contextGains(new Float32Array(5), Uint8Array.from([OBJECT]))).toThrow(/expected 3 values/);
  });

  it('maps the context mean to mid grey, keeps black black, and inverts exactly without clipping', () => {
    const px = [
      [0.8, 0.2, 0.2],
      [0.6, 0.3, 0.3],
      [0, 0, 0],
    ];
    const x = planar(px);
    const g = contextGains(x, Uint8Array.from([OBJECT, OBJECT, DEFECT]));
    const xn = contextNormalize(x, g);
    for (let c = 0; c < 3; c++) {
      expect((xn[c * 3] + xn[c * 3 + 1]) / 2).toBeCloseTo(0, 5); // mid grey = 0 in [-1, 1]
      expect(xn[c * 3 + 2]).toBe(-1); // black stays black
    }
    const back = contextDenormalize(xn, g);
    for (let i = 0; i < x.length; i++) expect(back[i]).toBeCloseTo(x[i], 5);
    expect(x[0]).toBeCloseTo(0.6, 6); // input untouched
  });

  it('clips normalised values at CONTEXT_CLIP', () => {
    const x = planar([
      [0.1, 0.1, 0.1],
      [1, 1, 1],
    ]);
    const xn = contextNormalize(x, [3, 3, 3]);
    expect(xn[1]).toBeCloseTo(2 * CONTEXT_CLIP - 1, 6);
    expect(xn[0]).toBeCloseTo(2 * 0.3 - 1, 6);
  });
});
