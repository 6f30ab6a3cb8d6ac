/**
 * Built-in sample images of normal (defect-free) surfaces, generated procedurally and deterministically.
 */
import type { RGBAImage } from '../core/image';

export type SampleId = 'brushed-metal' | 'woven-fabric' | 'wood' | 'leather' | 'tile';

export interface SampleInfo {
  id: SampleId;
  label: string;
}

export const SAMPLES: readonly SampleInfo[] = [
  { id: 'brushed-metal', label: 'Brushed metal' },
  { id: 'woven-fabric', label: 'Woven fabric' },
  { id: 'wood', label: 'Wood' },
  { id: 'leather', label: 'Leather' },
  { id: 'tile', label: 'Tile' },
];

export const SAMPLE_SIZE = 512;

function hash2(x: number, y: number, seed: number): number {
  let h = (Math.imul(x, 374761393) + Math.imul(y, 668265263) + Math.imul(seed, 2147483647)) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/** Value noise in [0, 1), periodic with period (px, py) cells so that samples tile cleanly. */
function valueNoise(x: number, y: number, seed: number, px = 1 << 20, py = 1 << 20): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const fx = smooth(x - xi);
  const fy = smooth(y - yi);
  const m = (a: number, p: number) => ((a % p) + p) % p;
  const a = hash2(m(xi, px), m(yi, py), seed);
  const b = hash2(m(xi + 1, px), m(yi, py), seed);
  const c = hash2(m(xi, px), m(yi + 1, py), seed);
  const d = hash2(m(xi + 1, px), m(yi + 1, py), seed);
  return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
}

function fbm(x: number, y: number, seed: number, octaves: number): number {
  let sum = 0;
  let amp = 0.5;
  let norm = 0;
  for (let o = 0; o < octaves; o++) {
    sum += amp * valueNoise(x, y, seed + o * 17);
    norm += amp;
    x *= 2;
    y *= 2;
    amp *= 0.5;
  }
  return sum / norm;
}

function makeImage(size: number, shade: (x: number, y: number) => [number, number, number]): RGBAImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [r, g, b] = shade(x, y);
      const i = (y * size + x) * 4;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
      data[i + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

function brushedMetal(size: number): RGBAImage {
  return makeImage(size, (x, y) => {
    const streak = fbm(x / 160, y * 1.3, 11, 3); // long along x, fine across y
    const grain = hash2(x, y, 5) - 0.5;
    const sheen = 0.5 + 0.5 * Math.cos((x / size) * Math.PI * 1.2 - 0.6);
    const v = 120 + 55 * streak + 30 * sheen + 10 * grain;
    return [v, v + 3, v + 8];
  });
}

function wovenFabric(size: number): RGBAImage {
  const p = 8; // thread period in pixels
  return makeImage(size, (x, y) => {
    const cx = Math.floor(x / p);
    const cy = Math.floor(y / p);
    const warpOnTop = (cx + cy) % 2 === 0;
    const u = (x % p) / p;
    const v = (y % p) / p;
    // thread cross-section shading: bright in the middle of the visible thread
    const shade = warpOnTop ? Math.sin(Math.PI * u) : Math.sin(Math.PI * v);
    const fuzz = fbm(x / 3, y / 3, 23, 2) - 0.5;
    const base = warpOnTop ? [62, 88, 140] : [78, 104, 156];
    const k = 0.55 + 0.45 * shade + 0.15 * fuzz;
    return [base[0] * k + 20, base[1] * k + 20, base[2] * k + 24];
  });
}

function wood(size: number): RGBAImage {
  return makeImage(size, (x, y) => {
    const warp = fbm(x / 90, y / 400, 31, 4);
    const d = x / 9 + 6 * warp + 0.8 * Math.sin(y / 70);
    const ring = 0.5 + 0.5 * Math.sin(d);
    const ringSharp = Math.pow(ring, 3);
    const fibre = fbm(x / 2, y / 40, 37, 2);
    const k = 0.75 + 0.25 * (1 - ringSharp) + 0.08 * (fibre - 0.5);
    return [188 * k, 124 * k, 74 * k];
  });
}

function leather(size: number): RGBAImage {
  // Worley-like pebbles: distance to the nearest jittered cell point.
  const cell = 14;
  return makeImage(size, (x, y) => {
    const cx = Math.floor(x / cell);
    const cy = Math.floor(y / cell);
    let d1 = Infinity;
    let d2 = Infinity;
    for (let j = -1; j <= 1; j++) {
      for (let i = -1; i <= 1; i++) {
        const px = (cx + i + hash2(cx + i, cy + j, 41)) * cell;
        const py = (cy + j + hash2(cx + i, cy + j, 43)) * cell;
        const d = Math.hypot(px - x, py - y);
        if (d < d1) {
          d2 = d1;
          d1 = d;
        } else if (d < d2) d2 = d;
      }
    }
    const crease = Math.min(1, (d2 - d1) / 4); // dark thin creases between pebbles
    const tone = fbm(x / 120, y / 120, 47, 3);
    const k = (0.55 + 0.45 * crease) * (0.85 + 0.3 * tone) - 0.06 * (d1 / cell);
    return [120 * k + 18, 72 * k + 10, 42 * k + 6];
  });
}

function tile(size: number): RGBAImage {
  const t = 64;
  const grout = 4;
  return makeImage(size, (x, y) => {
    const tx = Math.floor(x / t);
    const ty = Math.floor(y / t);
    const u = x % t;
    const v = y % t;
    const speck = hash2(x, y, 53) > 0.985 ? -40 : 0;
    if (u < grout || v < grout) {
      const g = 150 + 20 * fbm(x / 4, y / 4, 59, 2);
      return [g, g - 4, g - 10];
    }
    const vary = hash2(tx, ty, 61) * 14 - 7;
    const glaze = 12 * fbm(x / 30, y / 30, 67, 3);
    const bevel = Math.min(u - grout, v - grout, t - 1 - u, t - 1 - v) < 2 ? -14 : 0;
    const base = 214 + vary + glaze + bevel + speck;
    return [base - 6, base, base + 4];
  });
}

const GENERATORS: Record<SampleId, (size: number) => RGBAImage> = {
  'brushed-metal': brushedMetal,
  'woven-fabric': wovenFabric,
  wood,
  leather,
  tile,
};

/** Generates a sample image (deterministic: the same id and size always give the same bytes). */
export function generateSample(id: SampleId, size = SAMPLE_SIZE): RGBAImage {
  const gen = GENERATORS[id];
  if (!gen) throw new Error(`unknown sample: ${id}`);
  return gen(size);
}
