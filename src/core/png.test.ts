import { deflateSync } from 'node:zlib';
import { decode as fpDecode, encode as fpEncode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from './imageLimits';
import { decodePng, decodePngFirstChannel, decodePngRGBA, encodePng, readPngHeader, replacePixels, type Raster } from './png';

// ---- A small, independent PNG writer for the tests (node:zlib, every colour type / depth, Adam7, all filters).

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): number[] {
  const td = new Uint8Array([...Buffer.from(type, 'latin1'), ...data]);
  const be = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  return [...be(data.length), ...td, ...be(crc32(td))];
}

const CH: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PASSES = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

interface Spec {
  w: number;
  h: number;
  colorType: number;
  bitDepth: number;
  /** raw sample values (indices for palettes), w*h*channels */
  samples: number[];
  palette?: number[][]; // [r,g,b]
  trns?: number[]; // palette alphas, or the colour key samples
  interlace?: boolean;
  /** rotate through filters 0..4 row by row */
  filters?: boolean;
  extraZeros?: number; // inflated bytes after the image data
}

function filterRow(f: number, cur: number[], prev: number[], bpp: number): number[] {
  return cur.map((x, i) => {
    const a = i >= bpp ? cur[i - bpp] : 0;
    const b = prev[i] ?? 0;
    const c = i >= bpp ? (prev[i - bpp] ?? 0) : 0;
    const p = a + b - c;
    const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
    const pred = [0, a, b, (a + b) >> 1, pr][f];
    return (x - pred) & 255;
  });
}

function makePng(s: Spec): Uint8Array {
  const ch = CH[s.colorType];
  const d = s.bitDepth;
  const bpp = Math.max(1, (ch * d) >> 3);
  const passes = s.interlace ? PASSES : [[0, 0, 1, 1]];
  const raw: number[] = [];
  let rowNo = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((s.w - x0) / dx);
    const ph = Math.ceil((s.h - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    let prev: number[] = [];
    for (let r = 0; r < ph; r++) {
      const y = y0 + r * dy;
      const bytes: number[] = [];
      let acc = 0;
      let nbits = 0;
      for (let k = 0; k < pw; k++) {
        const x = x0 + k * dx;
        for (let c = 0; c < ch; c++) {
          const v = s.samples[(y * s.w + x) * ch + c];
          if (d === 16) bytes.push(v >> 8, v & 255);
          else {
            acc = (acc << d) | v;
            nbits += d;
            if (nbits === 8) (bytes.push(acc), (acc = 0), (nbits = 0));
          }
        }
      }
      if (nbits) bytes.push(acc << (8 - nbits));
      const f = s.filters ? rowNo++ % 5 : 0;
      raw.push(f, ...filterRow(f, bytes, prev, bpp));
      prev = bytes;
    }
  }
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, s.w);
  new DataView(ihdr.buffer).setUint32(4, s.h);
  ihdr.set([d, s.colorType, 0, 0, s.interlace ? 1 : 0], 8);
  const rawBytes = new Uint8Array(raw.length + (s.extraZeros ?? 0));
  rawBytes.set(raw);
  const z = new Uint8Array(deflateSync(rawBytes));
  const out = [137, 80, 78, 71, 13, 10, 26, 10, ...pngChunk('IHDR', ihdr)];
  if (s.palette) out.push(...pngChunk('PLTE', new Uint8Array(s.palette.flat())));
  if (s.trns) {
    const t = s.colorType === 3 ? s.trns : s.trns.flatMap((v) => [v >> 8, v & 255]);
    out.push(...pngChunk('tRNS', new Uint8Array(t)));
  }
  // Split the data over two IDAT chunks, as many writers do.
  const cut = z.length >> 1;
  out.push(...pngChunk('IDAT', z.subarray(0, cut)), ...pngChunk('IDAT', z.subarray(cut)), ...pngChunk('IEND', new Uint8Array(0)));
  return new Uint8Array(out);
}

let seed = 12345;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return (seed >>> 8) % n;
};

/** What the module promises for a file: channels, depth and each sample. */
function expected(s: Spec): { channels: number; depth: number; data: number[] } {
  const ch = CH[s.colorType];
  const n = s.w * s.h;
  const out: number[] = [];
  if (s.colorType === 3) {
    const withA = !!s.trns;
    for (let i = 0; i < n; i++) {
      const k = s.samples[i];
      out.push(...s.palette![k]);
      if (withA) out.push(k < s.trns!.length ? s.trns![k] : 255);
    }
    return { channels: withA ? 4 : 3, depth: 8, data: out };
  }
  const depth = s.bitDepth === 16 ? 16 : 8;
  const key = s.trns && (s.colorType === 0 || s.colorType === 2) ? s.trns : null;
  const scale = s.bitDepth < 8 ? 255 / ((1 << s.bitDepth) - 1) : 1;
  for (let i = 0; i < n; i++) {
    const px = s.samples.slice(i * ch, (i + 1) * ch);
    out.push(...px.map((v) => v * scale));
    if (key) out.push(px.every((v, c) => v === key[c]) ? 0 : depth === 16 ? 65535 : 255);
  }
  return { channels: ch + (key ? 1 : 0), depth, data: out };
}

function toRGBA8(e: { channels: number; depth: number; data: number[] }): number[] {
  const v8 = (v: number) => (e.depth === 16 ? Math.round(v / 257) : v);
  const out: number[] = [];
  for (let i = 0; i < e.data.length; i += e.channels) {
    const p = e.data.slice(i, i + e.channels).map(v8);
    if (e.channels === 1) out.push(p[0], p[0], p[0], 255);
    else if (e.channels === 2) out.push(p[0], p[0], p[0], p[1]);
    else if (e.channels === 3) out.push(p[0], p[1], p[2], 255);
    else out.push(...p);
  }
  return out;
}

function randomSpec(colorType: number, bitDepth: number, opts: Partial<Spec> = {}): Spec {
  const w = opts.w ?? 13;
  const h = opts.h ?? 7;
  const ch = CH[colorType];
  const max = colorType === 3 ? (opts.palette?.length ?? 1 << bitDepth) : 1 << bitDepth;
  const samples = Array.from({ length: w * h * ch }, () => rand(max));
  const spec: Spec = { w, h, colorType, bitDepth, samples, ...opts };
  if (colorType === 3 && !spec.palette) spec.palette = Array.from({ length: 1 << bitDepth }, () => [rand(256), rand(256), rand(256)]);
  return spec;
}

const COMBOS: [number, number][] = [
  [0, 1],
  [0, 2],
  [0, 4],
  [0, 8],
  [0, 16],
  [2, 8],
  [2, 16],
  [3, 1],
  [3, 2],
  [3, 4],
  [3, 8],
  [4, 8],
  [4, 16],
  [6, 8],
  [6, 16],
];

function check(spec: Spec) {
  const png = makePng(spec);
  const got = decodePng(png);
  const want = expected(spec);
  expect([got.width, got.height, got.channels, got.depth]).toEqual([spec.w, spec.h, want.channels, want.depth]);
  expect(got.data).toBeInstanceOf(want.depth === 16 ? Uint16Array : Uint8Array);
  expect(Array.from(got.data)).toEqual(want.data);
  expect(Array.from(decodePngRGBA(png).data)).toEqual(toRGBA8(want));
}

describe('decodePng: every colour type and bit depth', () => {
  for (const [ct, d] of COMBOS) {
    for (const interlace of [false, true]) {
      it(`colour type ${ct}, ${d}-bit${interlace ? ', Adam7' : ''}, every filter`, () => {
        check(randomSpec(ct, d, { interlace, filters: true }));
        // Odd sizes around the byte and pass boundaries.
        for (const [w, h] of [
          [1, 1],
          [3, 2],
          [9, 9],
          [17, 5],
        ]) {
          check(randomSpec(ct, d, { w, h, interlace, filters: true }));
        }
      });
    }
  }

  it('palettes with tRNS (shorter than the palette) and palettes smaller than 2^depth', () => {
    for (const d of [1, 2, 4, 8]) {
      const size = Math.max(1, (1 << d) - 1);
      const palette = Array.from({ length: size }, () => [rand(256), rand(256), rand(256)]);
      const trns = Array.from({ length: Math.max(1, size - 1) }, () => rand(256));
      check(randomSpec(3, d, { palette, trns, filters: true }));
      check(randomSpec(3, d, { palette, trns, interlace: true }));
    }
  });

  it('grey and RGB colour keys (tRNS) become an alpha channel', () => {
    for (const d of [1, 2, 4, 8, 16]) {
      const spec = randomSpec(0, d);
      spec.trns = [spec.samples[3]];
      check(spec);
    }
    for (const d of [8, 16]) {
      const spec = randomSpec(2, d, { filters: true });
      spec.trns = spec.samples.slice(6, 9);
      check(spec);
    }
  });

  it('agrees with fast-png, an independent writer, for every non-interlaced combination', () => {
    for (const [ct, d] of COMBOS) {
      const spec = randomSpec(ct, d, { w: 8, h: 5 });
      const ch = CH[ct];
      let data: Uint8Array | Uint16Array;
      if (d === 16) data = Uint16Array.from(spec.samples);
      else if (d === 8) data = Uint8Array.from(spec.samples);
      else {
        // fast-png takes packed rows for 1/2/4 bits (8 pixels wide: whole bytes)
        const bytes: number[] = [];
        for (let i = 0; i < spec.samples.length; i += 8 / d) {
          let acc = 0;
          for (let k = 0; k < 8 / d; k++) acc = (acc << d) | spec.samples[i + k];
          bytes.push(acc);
        }
        data = Uint8Array.from(bytes);
      }
      const png = fpEncode({ width: 8, height: 5, data, depth: d as 8, channels: ch, palette: spec.palette as [number, number, number][] | undefined });
      const got = decodePng(png);
      expect(Array.from(got.data)).toEqual(expected(spec).data);
    }
  });

  it('1-bit grey is read, not refused as truncated (issue 10.5)', () => {
    const spec = randomSpec(0, 1, { w: 100, h: 3 });
    expect(Array.from(decodePngRGBA(makePng(spec)).data.filter((_, i) => i % 4 === 0))).toEqual(spec.samples.map((v) => v * 255));
  });

  it('2-bit palette pixels are the palette colours (issue 10.5)', () => {
    const spec = randomSpec(3, 2, { w: 64, h: 4 });
    const rgba = decodePngRGBA(makePng(spec)).data;
    for (let i = 0; i < spec.samples.length; i++) {
      expect([rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2], rgba[i * 4 + 3]]).toEqual([...spec.palette![spec.samples[i]], 255]);
    }
  });

  it('keeps the colour-space chunks', () => {
    const spec = randomSpec(2, 8, { w: 2, h: 2 });
    const png = makePng(spec);
    // insert a gAMA chunk after IHDR
    const gama = pngChunk('gAMA', new Uint8Array([0, 0, 0xb1, 0x8f]));
    const withGama = new Uint8Array([...png.subarray(0, 33), ...gama, ...png.subarray(33)]);
    const got = decodePng(withGama);
    expect(got.colorChunks.map((c) => c.type)).toEqual(['gAMA']);
    const again = decodePng(encodePng(got, { chunks: got.colorChunks }));
    expect(Array.from(again.colorChunks[0].data)).toEqual([0, 0, 0xb1, 0x8f]);
    expect(Array.from(again.data)).toEqual(Array.from(got.data));
  });
});

describe('decodePng: bad files get one clear error', () => {
  const good = makePng(randomSpec(2, 8));

  it('refuses non-PNG bytes, damaged chunks, truncated data and bad palette indices', () => {
    expect(() => decodePng(new Uint8Array([1, 2, 3, 4, 5]))).toThrow('not a readable PNG (no PNG signature)');
    const bad = good.slice();
    bad[45] ^= 0xff; // inside the first IDAT
    expect(() => decodePng(bad)).toThrow(/damaged \(CRC\)/);
    expect(() => decodePng(good.subarray(0, good.length - 40))).toThrow(ImageDecodeError);
    const spec = randomSpec(3, 4, { palette: [[1, 2, 3]] });
    spec.samples[5] = 3;
    expect(() => decodePng(makePng(spec))).toThrow(/palette index 3 outside the 1-colour palette/);
    const noData = makePng(randomSpec(0, 8, { w: 200, h: 200 }));
    expect(() => decodePng(noData.subarray(0, 60))).toThrow(ImageDecodeError);
  });

  it('refuses an image over the pixel limit from its header, before looking at the data (issue 10.7)', () => {
    // 20000 x 20000 declared, garbage where the compressed data should be: only the header can have been read.
    const png = makePng(randomSpec(6, 8, { w: 2, h: 2 }));
    const dv = new DataView(png.buffer);
    dv.setUint32(16, 20000);
    dv.setUint32(20, 20000);
    dv.setUint32(29, crc32(png.subarray(12, 29)));
    const garbage = png.slice();
    for (let i = 41; i < garbage.length - 12; i++) garbage[i] = 0xee;
    expect(() => decodePng(garbage)).toThrow(ImageDecodeError);
    expect(() => decodePng(garbage)).toThrow('20000x20000 (400 MP), over the limit of 100 MP');
    expect(() => decodePng(makePng(randomSpec(0, 8, { w: 20, h: 20 })), { maxPixels: 399 })).toThrow('20x20 (400 pixels), over the limit of 399 pixels');
    expect(readPngHeader(garbage)).toMatchObject({ width: 20000, height: 20000, bitDepth: 8, colorType: 6 });
  });

  it('stops inflating at the size the header implies (extra data is ignored)', () => {
    const spec = randomSpec(0, 8, { w: 4, h: 4, extraZeros: 5_000_000 });
    const got = decodePng(makePng(spec));
    expect(Array.from(got.data)).toEqual(spec.samples);
  });
});

describe('encodePng', () => {
  it('round-trips every channel count at 8 and 16 bits, and fast-png reads the same samples', () => {
    for (const channels of [1, 2, 3, 4] as const) {
      for (const depth of [8, 16] as const) {
        const n = 23 * 11 * channels;
        const data = depth === 16 ? Uint16Array.from({ length: n }, () => rand(65536)) : Uint8Array.from({ length: n }, () => rand(256));
        const r: Raster = { width: 23, height: 11, channels, depth, data };
        const png = encodePng(r);
        const back = decodePng(png);
        expect([back.channels, back.depth]).toEqual([channels, depth]);
        expect(Array.from(back.data)).toEqual(Array.from(data));
        const fp = fpDecode(png);
        expect([fp.channels, fp.depth]).toEqual([channels, depth]);
        expect(Array.from(fp.data)).toEqual(Array.from(data));
      }
    }
  });

  it('smooth images compress (filters are used)', () => {
    const w = 256;
    const data = Uint8Array.from({ length: w * w * 3 }, (_, i) => ((i / 3) % w) + Math.floor(i / 3 / w));
    const png = encodePng({ width: w, height: w, channels: 3, depth: 8, data });
    expect(png.length).toBeLessThan(data.length / 20);
  });
});

describe('first channel and replacePixels', () => {
  it('decodePngFirstChannel reads grey or red at any depth', () => {
    const spec = randomSpec(0, 2);
    expect(Array.from(decodePngFirstChannel(makePng(spec)).data)).toEqual(spec.samples.map((v) => v * 85));
    const rgb16 = randomSpec(2, 16);
    expect(Array.from(decodePngFirstChannel(makePng(rgb16)).data)).toEqual(rgb16.samples.filter((_, i) => i % 3 === 0).map((v) => Math.round(v / 257)));
  });

  it('replaces the colour of masked pixels only, at the base depth, alpha kept', () => {
    const base: Raster = { width: 3, height: 1, channels: 4, depth: 16, data: Uint16Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) };
    const image = { width: 3, height: 1, data: Uint8ClampedArray.from([0, 0, 0, 0, 10, 20, 30, 40, 0, 0, 0, 0]) };
    const out = replacePixels(base, image, Uint8Array.from([0, 1, 0]));
    expect(Array.from(out.data)).toEqual([1, 2, 3, 4, 2570, 5140, 7710, 8, 9, 10, 11, 12]);
    const grey: Raster = { width: 3, height: 1, channels: 2, depth: 8, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    expect(Array.from(replacePixels(grey, image, Uint8Array.from([0, 1, 0])).data)).toEqual([1, 2, 18, 4, 5, 6]);
  });
});
