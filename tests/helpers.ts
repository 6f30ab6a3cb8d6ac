/** Shared fixtures for node-level tests: synthetic photos, trimaps, requests, pack paths. */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { BACKGROUND, DEFECT, OBJECT, type RGBAImage, type Trimap } from '../src/core/image';
import type { GenerateRequest } from '../src/core/diffusion/types';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PACKS = join(REPO, 'tests', 'fixtures', 'packs');
export const PACK_NAMES = ['tiny-sd', 'tiny-inpaint-fp16', 'tiny-controlnet', 'tiny-builtin'] as const;
export const packDir = (name: string) => join(PACKS, name);

/** A deterministic textured photo (RGBA, with varying alpha in one corner to check alpha is kept). */
export function makeImage(width: number, height: number, seed = 7): RGBAImage {
  const data = new Uint8ClampedArray(width * height * 4);
  let s = seed >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const o = (y * width + x) * 4;
      data[o] = (x * 3 + (s & 15)) & 255;
      data[o + 1] = (y * 5 + ((s >> 8) & 31)) & 255;
      data[o + 2] = ((x ^ y) * 7) & 255;
      data[o + 3] = x < 4 && y < 4 ? 128 + x * 10 + y : 255;
    }
  }
  return { width, height, data };
}

/** Object everywhere except a background border, with a defect ellipse at (cx, cy). */
export function makeTrimap(width: number, height: number, cx: number, cy: number, rx: number, ry: number): Trimap {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const border = x < 2 || y < 2 || x >= width - 2 || y >= height - 2;
      const inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
      data[y * width + x] = inside ? DEFECT : border ? BACKGROUND : OBJECT;
    }
  }
  return { width, height, data };
}

export function makeRequest(overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  const image = overrides.image ?? makeImage(80, 60);
  return {
    image,
    trimap: overrides.trimap ?? makeTrimap(image.width, image.height, 40, 30, 9, 6),
    prompt: 'a metal surface with a scratch',
    negativePrompt: '',
    seed: 1234,
    scheduler: 'ddim',
    eta: 0,
    steps: 6,
    guidance: 7.5,
    stages: { latentEditStart: 0.34, pixelEditStart: 0.67 },
    dilationPx: 8,
    contextMargin: 8,
    seamPx: 0,
    seamSpareStrokes: false,
    adaptation: { enabled: false, backgroundWeight: 100, mu: 1e-3, maxSamples: 4096 },
    ...overrides,
  };
}

export function bytesEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
