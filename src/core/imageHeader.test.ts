import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkImageHeader, readImageHeader } from './imageHeader';
import { ImageDecodeError } from './imageLimits';
import { encodePng } from './png';

const le16 = (v: number) => [v & 255, v >> 8];
const le24 = (v: number) => [v & 255, (v >> 8) & 255, v >> 16];
const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
const riff = (tag: string, payload: number[]) =>
  new Uint8Array([...Buffer.from('RIFF'), ...le32(4 + 8 + payload.length), ...Buffer.from('WEBP'), ...Buffer.from(tag), ...le32(payload.length), ...payload]);

describe('readImageHeader', () => {
  it('reads PNG, JPEG, WebP (VP8, VP8L, VP8X) and BMP sizes', () => {
    const png = encodePng({ width: 7, height: 3, channels: 1, depth: 8, data: new Uint8Array(21) });
    expect(readImageHeader(png)).toEqual({ format: 'png', width: 7, height: 3 });
    // a real JPEG of the repository (1024 x 1560, with a JFIF segment before the frame header)
    expect(readImageHeader(new Uint8Array(readFileSync('tools/train/samples.jpg')))).toEqual({ format: 'jpeg', width: 1024, height: 1560 });
    // a progressive JPEG (SOF2) after an EXIF segment and fill bytes
    const exif = [0xff, 0xe1, ...[0, 10], 1, 2, 3, 4, 5, 6, 7, 8];
    const jpeg = new Uint8Array([0xff, 0xd8, ...exif, 0xff, 0xff, 0xc2, 0, 17, 8, ...[0x12, 0x34], ...[0x0a, 0xbc], 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(readImageHeader(jpeg)).toEqual({ format: 'jpeg', width: 0x0abc, height: 0x1234 });
    const vp8x = riff('VP8X', [0, 0, 0, 0, ...le24(4999), ...le24(2999)]);
    expect(readImageHeader(vp8x)).toEqual({ format: 'webp', width: 5000, height: 3000 });
    const w = 1234 - 1;
    const h = 987 - 1;
    const vp8l = riff('VP8L', [0x2f, ...le32(w | (h << 14))]);
    expect(readImageHeader(vp8l)).toEqual({ format: 'webp', width: 1234, height: 987 });
    const vp8 = riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(640), ...le16(480)]);
    expect(readImageHeader(vp8)).toEqual({ format: 'webp', width: 640, height: 480 });
    const bmp = new Uint8Array([0x42, 0x4d, ...new Array(12).fill(0), ...le32(40), ...le32(300), ...le32(-200 >>> 0)]);
    expect(readImageHeader(bmp)).toEqual({ format: 'bmp', width: 300, height: 200 });
  });

  it('refuses other files and huge sizes with one clear message (issue 10.7)', () => {
    expect(() => readImageHeader(new TextEncoder().encode('GIF89a........'))).toThrow('not a PNG, JPEG, WebP or BMP image');
    expect(() => readImageHeader(new Uint8Array(0))).toThrow('empty');
    expect(() => readImageHeader(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]))).toThrow(ImageDecodeError);
    const big = riff('VP8X', [0, 0, 0, 0, ...le24(16383), ...le24(16383)]);
    expect(() => checkImageHeader(big)).toThrow('16384x16384 (268.4 MP), over the limit of 100 MP');
    expect(checkImageHeader(big, 300e6)).toMatchObject({ width: 16384 });
  });
});
