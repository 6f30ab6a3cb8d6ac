import { describe, expect, it } from 'vitest';
import type { RGBAImage } from '../image';
import {
  fillHoles,
  growMask,
  labelComponents,
  largestComponent,
  magicWand,
  maskBounds,
  removeSpecks,
  shrinkMask,
  squaredDistance,
  type Connectivity,
} from './region';

/** An image from a function of (x, y) -> [r, g, b]. */
function image(w: number, h: number, f: (x: number, y: number) => [number, number, number]): RGBAImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      data.set([r, g, b, 255], (y * w + x) * 4);
    }
  return { width: w, height: h, data };
}

/** A mask from rows of '#' (set) and '.' (unset). */
function mask(rows: string[]) {
  const height = rows.length;
  const width = rows[0].length;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[y * width + x] = c === '#' ? 1 : 0)));
  return { width, height, data };
}

function rows(m: Uint8Array, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.length; i += width) out.push([...m.subarray(i, i + width)].map((v) => (v ? '#' : '.')).join(''));
  return out;
}

function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** Reference magic wand: plain BFS with a queue of single pixels. */
function naiveWand(im: RGBAImage, sx: number, sy: number, tol: number, conn: Connectivity, contiguous: boolean): Uint8Array {
  const { width, height, data } = im;
  const s = (sy * width + sx) * 4;
  const ok = (i: number) => [0, 1, 2].every((c) => Math.abs(data[i * 4 + c] - data[s + c]) <= tol);
  const out = new Uint8Array(width * height);
  if (!contiguous) {
    for (let i = 0; i < out.length; i++) out[i] = ok(i) ? 1 : 0;
    return out;
  }
  const q = [sy * width + sx];
  out[q[0]] = 1;
  const nb = conn === 4 ? [[1, 0], [-1, 0], [0, 1], [0, -1]] : [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]];
  while (q.length) {
    const i = q.pop()!;
    const x = i % width;
    const y = (i - x) / width;
    for (const [dx, dy] of nb) {
      const nx = x + dx;
      const ny = y + dy;
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      const j = ny * width + nx;
      if (!out[j] && ok(j)) {
        out[j] = 1;
        q.push(j);
      }
    }
  }
  return out;
}

describe('magic wand', () => {
  it('tolerance is the largest channel difference to the seed', () => {
    // left half (100,100,100), right half (110,100,95)
    const im = image(10, 8, (x) => (x < 5 ? [100, 100, 100] : [110, 100, 95]));
    const a = magicWand(im, 1.5, 2.5, { tolerance: 9 });
    expect(a.count).toBe(40);
    expect(a.rect).toEqual({ x: 0, y: 0, w: 5, h: 8 });
    expect(magicWand(im, 1, 2, { tolerance: 10 }).count).toBe(80);
    expect(magicWand(im, 8, 2, { tolerance: 0 }).count).toBe(40);
  });

  it('4- vs 8-connectivity across a diagonal, contiguous vs global', () => {
    // dark pixels on the main diagonal and an unconnected dark block at the bottom right
    const im = image(8, 8, (x, y) => (x === y && x < 4) || (x >= 6 && y >= 6) ? [0, 0, 0] : [200, 200, 200]);
    expect(magicWand(im, 0, 0, { tolerance: 10, connectivity: 4 }).count).toBe(1);
    expect(magicWand(im, 0, 0, { tolerance: 10, connectivity: 8 }).count).toBe(4);
    const g = magicWand(im, 0, 0, { tolerance: 10, contiguous: false });
    expect(g.count).toBe(8);
    expect(g.rect).toEqual({ x: 0, y: 0, w: 8, h: 8 });
    // the light region: 4-connected it is one piece (the diagonal does not cut it)
    expect(magicWand(im, 7, 0, { tolerance: 10, connectivity: 4 }).count).toBe(56);
  });

  it('a seed outside the image selects nothing', () => {
    const im = image(4, 4, () => [1, 2, 3]);
    expect(magicWand(im, -1, 2, { tolerance: 255 }).count).toBe(0);
    expect(magicWand(im, 2, 4, { tolerance: 255 }).count).toBe(0);
  });

  it('matches a naive BFS on random images (all modes)', () => {
    const r = rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const w = 5 + Math.floor(r() * 30);
      const h = 5 + Math.floor(r() * 30);
      const levels = [0, 40, 80, 120];
      const im = image(w, h, () => [levels[Math.floor(r() * 4)], levels[Math.floor(r() * 2)], 0]);
      const sx = Math.floor(r() * w);
      const sy = Math.floor(r() * h);
      const tol = [0, 39, 40, 85][trial % 4];
      const conn: Connectivity = trial % 2 ? 4 : 8;
      const contiguous = trial % 5 !== 0;
      const got = magicWand(im, sx + 0.5, sy + 0.5, { tolerance: tol, connectivity: conn, contiguous });
      const want = naiveWand(im, sx, sy, tol, conn, contiguous);
      expect(rows(got.data, w)).toEqual(rows(want, w));
      const b = maskBounds(want, w, h);
      expect(got.count).toBe(b.count);
      expect(got.rect).toEqual(b.rect);
    }
  });
});

describe('components, holes, specks', () => {
  const m = mask([
    '##....#', //
    '##....#',
    '.......',
    '..###..',
    '..#.#..',
    '..###.#',
  ]);

  it('labels components with 4- and 8-connectivity', () => {
    const c8 = labelComponents(m, 8);
    expect(c8.count).toBe(4);
    expect(c8.sizes.slice(1)).toEqual([4, 2, 8, 1]);
    const diag = mask(['#..', '.#.', '..#']);
    expect(labelComponents(diag, 4).count).toBe(3);
    expect(labelComponents(diag, 8).count).toBe(1);
  });

  it('keeps the largest component, removes specks below a size', () => {
    expect(rows(largestComponent(m), 7)).toEqual(['.......', '.......', '.......', '..###..', '..#.#..', '..###..']);
    expect(rows(removeSpecks(m, 2), 7)).toEqual(['##....#', '##....#', '.......', '..###..', '..#.#..', '..###..']);
    expect(rows(removeSpecks(m, 5), 7)).toEqual(rows(largestComponent(m), 7));
  });

  it('fills enclosed holes only', () => {
    expect(rows(fillHoles(m), 7)).toEqual(['##....#', '##....#', '.......', '..###..', '..###..', '..###.#']);
    // open to the border: not a hole
    const c = mask(['#####', '#....', '#.#..', '#####']);
    expect(rows(fillHoles(c), 5)).toEqual(rows(c.data, 5));
    // a diamond closed only through corners encloses its centre for an 8-connected mask, not for 4
    const d = mask(['.....', '..#..', '.#.#.', '..#..', '.....']);
    expect(fillHoles(d, 8)[12]).toBe(1);
    expect(fillHoles(d, 4)[12]).toBe(0);
  });
});

describe('Euclidean distance, grow, shrink', () => {
  it('squared distance is exact (brute force on random masks)', () => {
    const r = rng(3);
    for (let trial = 0; trial < 25; trial++) {
      const w = 1 + Math.floor(r() * 25);
      const h = 1 + Math.floor(r() * 25);
      const p = [0.02, 0.1, 0.5][trial % 3];
      const data = new Uint8Array(w * h).map(() => (r() < p ? 1 : 0));
      const mk = { width: w, height: h, data };
      for (const target of [0, 1] as const) {
        const d = squaredDistance(mk, target);
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            let best = Infinity;
            for (let j = 0; j < h; j++)
              for (let i = 0; i < w; i++) if ((data[j * w + i] !== 0) === (target === 1)) best = Math.min(best, (x - i) ** 2 + (y - j) ** 2);
            if (best === Infinity) expect(d[y * w + x]).toBeGreaterThanOrEqual(2 ** 29);
            else expect(d[y * w + x]).toBe(best);
          }
      }
    }
  });

  it('grows a pixel into a disc and shrinks a square by its rim', () => {
    const one = { width: 9, height: 9, data: new Uint8Array(81) };
    one.data[4 * 9 + 4] = 1;
    const g2 = growMask(one, 2);
    expect(g2.reduce((a, b) => a + b, 0)).toBe(13);
    expect(growMask(one, 3).reduce((a, b) => a + b, 0)).toBe(29);
    const sq = mask(['.......', '.#####.', '.#####.', '.#####.', '.#####.', '.#####.', '.......']);
    expect(rows(shrinkMask(sq, 1), 7)).toEqual(['.......', '.......', '..###..', '..###..', '..###..', '.......', '.......']);
    // shrink 2 keeps only the centre (3 px from the outside; the others are at most 2 px)
    expect(shrinkMask(sq, 2).reduce((a, b) => a + b, 0)).toBe(1);
    // the image border does not erode
    const edge = mask(['###..', '###..', '###..']);
    expect(rows(shrinkMask(edge, 1), 5)).toEqual(['##...', '##...', '##...']);
    // grow then shrink by the same radius gives back a disc (a closing does not change a disc)
    const disc = growMask(one, 2);
    expect(shrinkMask({ width: 9, height: 9, data: growMask({ width: 9, height: 9, data: disc }, 2) }, 2)).toEqual(disc);
  });
});
