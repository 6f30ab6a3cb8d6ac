/**
 * Format and size of an image file from its header alone (PNG, JPEG, WebP, BMP), so that the pixel limit is
 * enforced before any decoder runs. Pure TypeScript; the browser and the CLI use it the same way.
 */
import { checkImageSize, ImageDecodeError, MAX_IMAGE_PIXELS } from './imageLimits';
import { isPng, readPngHeader } from './png';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'bmp';

export interface ImageHeader {
  format: ImageFormat;
  /** As stored (before any EXIF rotation, which does not change the pixel count). */
  width: number;
  height: number;
}

export const SUPPORTED_FORMATS_TEXT = 'PNG, JPEG, WebP or BMP';

const damaged = (format: string, why: string) => new ImageDecodeError(`not a readable ${format} (${why})`);

function jpegSize(b: Uint8Array): { width: number; height: number } {
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) throw damaged('JPEG', `no marker at byte ${p}`);
    let m = b[p + 1];
    while (m === 0xff && p + 2 < b.length) m = b[++p + 1]; // fill bytes
    p += 2;
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; // markers without a length
    if (m === 0xd9 || m === 0xda) break; // end of image / start of scan before any frame header
    if (p + 2 > b.length) break;
    const len = (b[p] << 8) | b[p + 1];
    if (len < 2) throw damaged('JPEG', 'bad segment length');
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) {
      if (p + 7 > b.length) break;
      const height = (b[p + 3] << 8) | b[p + 4];
      const width = (b[p + 5] << 8) | b[p + 6];
      if (height === 0) throw damaged('JPEG', 'the height is given only after the image data (DNL), which is not supported');
      return { width, height };
    }
    p += len;
  }
  throw damaged('JPEG', 'no frame header');
}

function webpSize(b: Uint8Array): { width: number; height: number } {
  const tag = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (tag === 'VP8X' && b.length >= 30) {
    return { width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)), height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)) };
  }
  if (tag === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const v = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: 1 + (v & 0x3fff), height: 1 + ((v >>> 14) & 0x3fff) };
  }
  if (tag === 'VP8 ' && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: (b[26] | (b[27] << 8)) & 0x3fff, height: (b[28] | (b[29] << 8)) & 0x3fff };
  }
  throw damaged('WebP', 'no image header');
}

function bmpSize(b: Uint8Array): { width: number; height: number } {
  if (b.length < 26) throw damaged('BMP', 'the header is truncated');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(14, true) === 12) return { width: dv.getUint16(18, true), height: dv.getUint16(20, true) };
  return { width: Math.abs(dv.getInt32(18, true)), height: Math.abs(dv.getInt32(22, true)) };
}

/** The format and stored size of an image file; ImageDecodeError for anything else. */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const b = bytes;
  if (isPng(b)) {
    const h = readPngHeader(b);
    return { format: 'png', width: h.width, height: h.height };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { format: 'jpeg', ...jpegSize(b) };
  if (b.length >= 16 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') {
    return { format: 'webp', ...webpSize(b) };
  }
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return { format: 'bmp', ...bmpSize(b) };
  throw new ImageDecodeError(b.length === 0 ? 'empty' : `not a ${SUPPORTED_FORMATS_TEXT} image`);
}

/** readImageHeader, then the pixel limit (MAX_IMAGE_PIXELS unless given). */
export function checkImageHeader(bytes: Uint8Array, maxPixels = MAX_IMAGE_PIXELS): ImageHeader {
  const h = readImageHeader(bytes);
  checkImageSize(h.width, h.height, maxPixels);
  return h;
}
