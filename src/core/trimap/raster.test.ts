import { describe, expect, it } from 'vitest';
import {
  halvePriority,
  drawCapsule,
  fillAll,
  fillEllipse,
  fillPolygon,
  fillRect,
  floodFill,
  histogram,
  readRect,
  stampDisc,
  swapValues,
  writeRect,
  type LabelBuffer,
} from './raster';

function buf(w: number, h: number, v = 0): LabelBuffer {
  return { width: w, height: h, data: new Uint8Array(w * h).fill(v) };
}
function rows(b: LabelBuffer): string[] {
  const out: string[] = [];
  for (let y = 0; y < b.height; y++) out.push(Array.from(b.data.subarray(y * b.width, (y + 1) * b.width)).join(''));
  return out;
}
function count(b: LabelBuffer, v: number): number {
  return histogram(b)[v];
}

describe('stampDisc', () => {
  it('paints the pixels whose centres are within the radius and returns their bounds', () => {
    const b = buf(7, 7);
    const r = stampDisc(b, 3.5, 3.5, 1.5, 2);
    expect(rows(b)).toEqual(['0000000', '0000000', '0022200', '0022200', '0022200', '0000000', '0000000']);
    expect(r).toEqual({ x: 2, y: 2, w: 3, h: 3 });
  });
  it('a radius-2 disc has the 13-pixel diamond-ish shape', () => {
    const b = buf(9, 9);
    stampDisc(b, 4.5, 4.5, 2, 1);
    expect(count(b, 1)).toBe(13);
  });
  it('always paints the pixel under a tiny brush and clips at the border', () => {
    const b = buf(4, 4);
    expect(stampDisc(b, 0.2, 0.2, 0.1, 2)).toEqual({ x: 0, y: 0, w: 1, h: 1 });
    expect(count(b, 2)).toBe(1);
    const r = stampDisc(b, 0, 0, 1.6, 1);
    expect(r.x).toBe(0);
    expect(r.y).toBe(0);
    expect(stampDisc(b, -20, -20, 2, 1)).toEqual({ x: 0, y: 0, w: 0, h: 0 });
  });
});

describe('drawCapsule', () => {
  it('draws a horizontal thick line with round caps', () => {
    const b = buf(10, 5);
    const r = drawCapsule(b, 2.5, 2.5, 7.5, 2.5, 1, 2);
    expect(rows(b)).toEqual(['0000000000', '0022222200', '0222222220', '0022222200', '0000000000']);
    expect(r).toEqual({ x: 1, y: 1, w: 8, h: 3 });
  });
  it('leaves no gaps along a diagonal', () => {
    const b = buf(20, 20);
    drawCapsule(b, 0.5, 0.5, 19.5, 19.5, 0.5, 1);
    for (let i = 0; i < 20; i++) expect(b.data[i * 20 + i]).toBe(1);
  });
});

describe('fillRect / fillEllipse', () => {
  it('fills pixel centres inside the rectangle, whatever the corner order', () => {
    const b = buf(6, 6);
    expect(fillRect(b, 4, 5, 1, 2, 2)).toEqual({ x: 1, y: 2, w: 3, h: 3 });
    expect(count(b, 2)).toBe(9);
  });
  it('fills an ellipse symmetric about its centre', () => {
    const b = buf(20, 10);
    const r = fillEllipse(b, 0, 0, 20, 10, 1);
    expect(r).toEqual({ x: 0, y: 0, w: 20, h: 10 });
    const rs = rows(b);
    for (let y = 0; y < 10; y++) {
      expect(rs[y]).toBe(rs[y].split('').reverse().join(''));
      expect(rs[y]).toBe(rs[9 - y]);
    }
    // area close to pi * a * b
    expect(Math.abs(count(b, 1) - Math.PI * 10 * 5)).toBeLessThan(12);
  });
});

describe('fillPolygon', () => {
  it('fills a square exactly', () => {
    const b = buf(8, 8);
    const r = fillPolygon(b, [2, 2, 6, 2, 6, 6, 2, 6], 2);
    expect(r).toEqual({ x: 2, y: 2, w: 4, h: 4 });
    expect(count(b, 2)).toBe(16);
  });
  it('fills a triangle with half the area of its box', () => {
    const b = buf(100, 100);
    fillPolygon(b, [0, 0, 100, 0, 0, 100], 1);
    expect(Math.abs(count(b, 1) - 5000)).toBeLessThan(60);
  });
  it('even-odd leaves the middle of a doubly wound ring empty, nonzero fills it', () => {
    // outer square then inner square, same orientation, as one ring through a bridge
    const pts = [0, 0, 10, 0, 10, 10, 0, 10, 0, 0, 3, 3, 7, 3, 7, 7, 3, 7, 3, 3];
    const a = buf(10, 10);
    fillPolygon(a, pts, 1, 'evenodd');
    const b = buf(10, 10);
    fillPolygon(b, pts, 1, 'nonzero');
    expect(a.data[5 * 10 + 5]).toBe(0);
    expect(b.data[5 * 10 + 5]).toBe(1);
    expect(a.data[1 * 10 + 1]).toBe(1);
  });
});

describe('floodFill', () => {
  it('fills a 4-connected region and stops at other classes and diagonals', () => {
    const b = buf(5, 5, 1);
    // wall of 0 splitting the image; a diagonal-only connection at the corner
    const src = ['11011', '11011', '00011', '11101', '11110'];
    src.forEach((row, y) => row.split('').forEach((c, x) => (b.data[y * 5 + x] = Number(c))));
    const r = floodFill(b, 0, 0, 2);
    expect(rows(b)).toEqual(['22011', '22011', '00011', '11101', '11110']);
    expect(r).toEqual({ x: 0, y: 0, w: 2, h: 2 });
  });
  it('follows a winding region and is a no-op on the same value', () => {
    const b = buf(7, 5, 0);
    const src = ['1111111', '0000001', '1111101', '1000001', '1111111'];
    src.forEach((row, y) => row.split('').forEach((c, x) => (b.data[y * 7 + x] = Number(c))));
    floodFill(b, 0, 0, 2);
    expect(count(b, 1)).toBe(0);
    expect(count(b, 2)).toBe(23);
    expect(floodFill(b, 0, 0, 2)).toEqual({ x: 0, y: 0, w: 0, h: 0 });
  });
  it('handles a large image without recursion limits', () => {
    const b = buf(1000, 1000, 1);
    floodFill(b, 500, 500, 2);
    expect(count(b, 2)).toBe(1_000_000);
  });
});

describe('fillAll / swapValues', () => {
  it('swaps defect and object and reports the changed bounds', () => {
    const b = buf(4, 4, 1);
    b.data[5] = 2;
    b.data[0] = 0;
    fillRect(b, 0, 3, 4, 4, 0);
    const r = swapValues(b, 1, 2);
    expect(rows(b)).toEqual(['0222', '2122', '2222', '0000']);
    expect(r).toEqual({ x: 0, y: 0, w: 4, h: 3 });
    expect(fillAll(b, 1)).toEqual({ x: 0, y: 0, w: 4, h: 4 });
    expect(count(b, 1)).toBe(16);
  });
});

describe('readRect / writeRect', () => {
  it('round-trips a sub-rectangle', () => {
    const b = buf(6, 5);
    for (let i = 0; i < 30; i++) b.data[i] = i;
    const r = { x: 1, y: 2, w: 3, h: 2 };
    const p = readRect(b, r);
    expect(Array.from(p)).toEqual([13, 14, 15, 19, 20, 21]);
    const c = buf(6, 5);
    writeRect(c, r, p);
    expect(c.data[13]).toBe(13);
    expect(c.data[21]).toBe(21);
    expect(count(c, 0)).toBe(30 - 6 + 0);
  });
});

describe('halvePriority', () => {
  it('keeps a 1-px defect line visible at half resolution and handles odd sizes', () => {
    const b = buf(5, 3, 1);
    b.data[1 * 5 + 3] = 2; // a single defect pixel
    b.data[0] = 0; // a background pixel
    const out = buf(3, 2, 9);
    // priority: object 0 < background 1 < defect 2
    halvePriority(b, out, { x: 0, y: 0, w: 3, h: 2 }, [1, 0, 2], [1, 0, 2]);
    expect(rows(out)).toEqual(['021', '111']);
  });
  it('only writes inside the requested region', () => {
    const b = buf(8, 8, 2);
    const out = buf(4, 4, 7);
    halvePriority(b, out, { x: 1, y: 1, w: 2, h: 1 }, [1, 0, 2], [1, 0, 2]);
    expect(rows(out)).toEqual(['7777', '7227', '7777', '7777']);
  });
});
