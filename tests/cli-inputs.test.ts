/**
 * The CLI on PNGs of every kind (issue 10, items 5 and 7): image.png keeps the input's depth and colour type,
 * every pixel outside the defect equal to the decoded input; oversized files are refused from their header.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { decode, encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFECT } from '../src/core/image';
import { encodePng } from '../src/core/png';
import { encodeTrimapPng } from '../src/core/trimap/png';
import { REPO, makeTrimap, packDir } from './helpers';

const BIN = join(REPO, 'bin', 'defect-studio.mjs');
const W = 96;
const H = 72;
const trimap = makeTrimap(W, H, 50, 40, 8, 5);
const inDefect = (p: number) => trimap.data[p] === DEFECT;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
const hash = (i: number) => (Math.imul(i + 1, 2654435761) >>> 7) & 0xffff;
// 16-bit RGB whose low bytes matter (not 8-bit values times 257)
const rgb16 = Uint16Array.from({ length: W * H * 3 }, (_, i) => hash(i));
// 2-bit palette with tRNS. fast-png's writer lists only the non-opaque entries in tRNS (right only when they
// come first), so the translucent entries are first here.
const palette: [number, number, number, number][] = [
  [200, 100, 50, 128],
  [0, 255, 0, 0],
  [10, 20, 30, 255],
  [90, 90, 200, 255],
];
const palIndex = (p: number) => ((p % W) + 3 * Math.floor(p / W)) & 3;
const grey1 = (p: number) => ((p % W) >> 2) & 1 ^ (Math.floor(p / W) & 1);

function pack(bits: number, value: (p: number) => number): Uint8Array {
  const rowBytes = Math.ceil((W * bits) / 8);
  const out = new Uint8Array(rowBytes * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const bit = x * bits;
      out[y * rowBytes + (bit >> 3)] |= value(y * W + x) << (8 - bits - (bit & 7));
    }
  }
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-cli-inputs-'));
  writeFileSync(join(dir, 'trimap.png'), encodeTrimapPng(trimap));
  writeFileSync(join(dir, 'rgb16.png'), encodePng({ width: W, height: H, channels: 3, depth: 16, data: rgb16 }));
  writeFileSync(join(dir, 'pal2.png'), encode({ width: W, height: H, depth: 2, channels: 1, data: pack(2, palIndex), palette }));
  writeFileSync(join(dir, 'grey1.png'), encode({ width: W, height: H, depth: 1, channels: 1, data: pack(1, grey1) }));
  // A PNG bomb: 30000 x 30000 1-bit grey, all zero, about 100 KB on disk.
  const side = 30000;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1;
  const zero = deflateSync(Buffer.alloc(side * (1 + side / 8)), { level: 9 });
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type), data]);
    let c = ~0;
    for (const b of td) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    }
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(~c >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const bomb = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zero), chunk('IEND', Buffer.alloc(0))]);
  writeFileSync(join(dir, 'bomb.png'), bomb);
  writeFileSync(join(dir, 'photo.jpg'), readFileSync(join(REPO, 'tools', 'train', 'samples.jpg')));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const args = (image: string, out: string, trimapFile = 'trimap.png') => [
  'generate', '--model', packDir('tiny-sd'), '--image', join(dir, image), '--trimap', join(dir, trimapFile),
  '--prompt', 'a scratch', '--steps', '2', '--seed', '3', '--no-adapt', '--out', join(dir, out),
];

describe('defect-studio generate keeps the input depth (issue 10.5)', () => {
  it('16-bit RGB in, 16-bit RGB out: every sample outside the defect identical', async () => {
    const r = await run(args('rgb16.png', 'out16'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const img = decode(readFileSync(join(dir, 'out16', 'image.png')));
    expect([img.width, img.height, img.channels, img.depth]).toEqual([W, H, 3, 16]);
    let changed = 0;
    for (let p = 0; p < W * H; p++) {
      for (let c = 0; c < 3; c++) {
        const v = img.data[p * 3 + c];
        if (!inDefect(p)) expect(v).toBe(rgb16[p * 3 + c]);
        else {
          expect(v % 257).toBe(0); // generated colours are 8-bit values, expanded exactly
          if (v !== rgb16[p * 3 + c]) changed++;
        }
      }
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('2-bit palette with transparency in, 8-bit RGBA out: outside the defect the palette colours', async () => {
    const r = await run(args('pal2.png', 'outpal'));
    expect(r.stderr).toBe('');
    const img = decode(readFileSync(join(dir, 'outpal', 'image.png')));
    expect([img.channels, img.depth]).toEqual([4, 8]);
    for (let p = 0; p < W * H; p++) {
      const px = Array.from(img.data.subarray(p * 4, p * 4 + 4));
      if (!inDefect(p)) expect(px).toEqual(palette[palIndex(p)]);
      else expect(px[3]).toBe(palette[palIndex(p)][3]); // alpha is kept inside too
    }
  });

  it('1-bit grey in (not refused as truncated), 8-bit grey out with 0/255 outside the defect', async () => {
    const r = await run(args('grey1.png', 'outgrey'));
    expect(r.stderr).toBe('');
    const img = decode(readFileSync(join(dir, 'outgrey', 'image.png')));
    expect([img.channels, img.depth]).toEqual([1, 8]);
    for (let p = 0; p < W * H; p++) if (!inDefect(p)) expect(img.data[p]).toBe(grey1(p) * 255);
  });
});

describe('defect-studio generate refuses before decoding (issue 10.7)', () => {
  it('a PNG bomb, a bomb as trimap and a JPEG: one line, exit 1, nothing written', async () => {
    const cases: [string[], RegExp][] = [
      [args('bomb.png', 'outbomb'), /^defect-studio: input: image .*bomb\.png is 30000x30000 \(900 MP\), over the limit of 100 MP$/],
      [args('rgb16.png', 'outbomb2', 'bomb.png'), /trimap size 30000x30000 does not match the image size 96x72$/],
      [args('photo.jpg', 'outjpg'), /image .*photo\.jpg is a JPEG file; the CLI reads PNG images only$/],
    ];
    for (const [a, want] of cases) {
      const r = await run(a);
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(want);
      expect(existsSync(a[a.length - 1])).toBe(false);
    }
  });
});
