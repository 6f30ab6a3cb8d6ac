import { DefectStudioError } from './errors';

/**
 * The one pixel limit for every image the app or the CLI reads (photos, trimaps, masks), and the one error
 * for an image that cannot be read. Checked against the file's header before any pixel is decoded.
 */

/**
 * Images above this many pixels are refused before decoding. 100 MP of 8-bit RGBA is 400 MB; the editor keeps
 * about 9 bytes per pixel (image + trimap + overlay), the CLI up to 8 (16-bit RGBA) plus the 8-bit working copy.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

/**
 * An image file that cannot be read: not a supported format, damaged, or over the pixel limit. Messages read as
 * the end of "<file> is ..." ("not a readable PNG (...)", "20000x20000 (400 MP), over the limit of 100 MP").
 */
export class ImageDecodeError extends DefectStudioError {
  constructor(message: string) {
    super('input', message);
    this.name = 'ImageDecodeError';
  }
}

/** Throws ImageDecodeError unless width x height is a non-empty image within `maxPixels`. */
export function checkImageSize(width: number, height: number, maxPixels = MAX_IMAGE_PIXELS): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new ImageDecodeError(`empty (${width}x${height} pixels)`);
  }
  const n = width * height;
  if (n > maxPixels) {
    const mp = (v: number) => (v >= 1e6 ? `${+(v / 1e6).toFixed(1)} MP` : `${v} pixels`);
    throw new ImageDecodeError(`${width}x${height} (${mp(n)}), over the limit of ${mp(maxPixels)}`);
  }
}
