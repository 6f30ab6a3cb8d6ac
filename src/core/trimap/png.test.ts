import { describe, expect, it } from 'vitest';
import { encode, decode } from 'fast-png';
import { decodeMaskPng, decodeTrimapPng, encodeMaskPng, encodeTrimapPng, maskOverTrimap } from './png';
import { ImageDecodeError } from '../imageLimits';
import { encodePng } from '../png';
import type { Trimap } from '../image';

function randomTrimap(w: number, h: number, seed = 1): Trimap {
  const data = new Uint8Array(w * h);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 16) % 3;
  }
  return { width: w, height: h, data };
}

describe('trimap PNG', () => {
  it('encodes to 8-bit gray with values 0/127/255 and round-trips exactly', () => {
    const t = randomTrimap(37, 23);
    const bytes = encodeTrimapPng(t);
    const raw = decode(bytes);
    expect(raw.channels).toBe(1);
    expect(raw.depth).toBe(8);
    expect(new Set(Array.from(raw.data))).toEqual(new Set([0, 127, 255]));
    for (let i = 0; i < t.data.length; i++) expect(raw.data[i]).toBe([0, 127, 255][t.data[i]]);
    const back = decodeTrimapPng(bytes);
    expect(back.width).toBe(37);
    expect(back.height).toBe(23);
    expect(Buffer.from(back.data).equals(Buffer.from(t.data))).toBe(true);
  });
  it('accepts the tolerance bands and RGB(A) files', () => {
    const gray = new Uint8Array([0, 99, 100, 128, 200, 201, 255, 50]);
    const rgba = new Uint8Array(8 * 4);
    gray.forEach((v, i) => rgba.set([v, v, v, 255], i * 4));
    const t1 = decodeTrimapPng(encode({ width: 8, height: 1, data: gray, channels: 1, depth: 8 }));
    const t2 = decodeTrimapPng(encode({ width: 4, height: 2, data: rgba, channels: 4, depth: 8 }));
    expect(Array.from(t1.data)).toEqual([0, 0, 1, 1, 1, 2, 2, 0]);
    expect(Array.from(t2.data)).toEqual([0, 0, 1, 1, 1, 2, 2, 0]);
    expect(t2.width).toBe(4);
  });
  it('rejects a file that is not a PNG with a clear error', () => {
    expect(() => decodeTrimapPng(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(ImageDecodeError);
    expect(() => decodeTrimapPng(new TextEncoder().encode('hello, not a png at all'))).toThrow(/not a readable PNG/);
  });
});

describe('mask PNG', () => {
  it('reads 0/255 and 0/1 masks and encodes 0/255', () => {
    const m255 = decodeMaskPng(encode({ width: 3, height: 1, data: new Uint8Array([0, 255, 0]), channels: 1, depth: 8 }));
    const m1 = decodeMaskPng(encode({ width: 3, height: 1, data: new Uint8Array([1, 0, 1]), channels: 1, depth: 8 }));
    expect(Array.from(m255.data)).toEqual([0, 1, 0]);
    expect(Array.from(m1.data)).toEqual([1, 0, 1]);
    const enc = decode(encodeMaskPng(m1));
    expect(Array.from(enc.data)).toEqual([255, 0, 255]);
  });
  it('reads a 1-bit mask', () => {
    // 10 px wide, 1-bit: bits 1000000001 -> packed 0b10000000, 0b01000000
    const png = encode({ width: 10, height: 1, data: new Uint8Array([0b10000000, 0b01000000]), channels: 1, depth: 1 });
    const m = decodeMaskPng(png);
    expect(Array.from(m.data)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });
  it('paints a mask as defect over object, keeping background', () => {
    const base: Trimap = { width: 4, height: 1, data: new Uint8Array([0, 1, 2, 2]) };
    const t = maskOverTrimap({ width: 4, height: 1, data: new Uint8Array([1, 0, 1, 0]) }, base);
    expect(Array.from(t.data)).toEqual([2, 1, 2, 1]);
    expect(Array.from(maskOverTrimap({ width: 2, height: 1, data: new Uint8Array([0, 1]) }).data)).toEqual([1, 2]);
  });
});

describe('trimap PNG of any colour type and depth (issue 10.5)', () => {
  it('reads 16-bit grey and 2-bit palette trimaps with the same bands', () => {
    const values = [0, 99, 100, 128, 200, 201, 255, 50];
    const g16 = encodePng({ width: 8, height: 1, channels: 1, depth: 16, data: Uint16Array.from(values, (v) => v * 257) });
    expect(Array.from(decodeTrimapPng(g16).data)).toEqual([0, 0, 1, 1, 1, 2, 2, 0]);
    // 2-bit palette, 4 pixels: indices 0,1,2,3 -> red channel 0, 127, 255, 30
    const pal = encode({ width: 4, height: 1, depth: 2, channels: 1, data: new Uint8Array([0b00011011]), palette: [[0, 9, 9], [127, 0, 0], [255, 0, 0], [30, 255, 255]] });
    expect(Array.from(decodeTrimapPng(pal).data)).toEqual([0, 1, 2, 0]);
  });
});
