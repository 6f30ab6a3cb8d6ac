/**
 * Browser image I/O: decode image files to RGBA (EXIF orientation honoured), read trimap / mask PNGs,
 * download files. Every failure is an Error with a message meant for the user.
 */
import type { RGBAImage } from '../core/image';

/** Images above this many pixels are refused (memory: image + trimap + overlay ~ 9 bytes/pixel). */
export const MAX_IMAGE_PIXELS = 100_000_000;
export const IMAGE_ACCEPT = 'image/png,image/jpeg,image/webp,image/bmp,.png,.jpg,.jpeg,.webp,.bmp';

export class UserFacingError extends Error {}

export async function decodeImageBlob(blob: Blob, name = 'image'): Promise<RGBAImage> {
  if (blob.size === 0) throw new UserFacingError(`Could not open "${name}": the file is empty.`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch {
    throw new UserFacingError(`Could not open "${name}": not a readable PNG, JPEG, WebP or BMP image.`);
  }
  try {
    const { width, height } = bitmap;
    if (!(width > 0 && height > 0)) throw new UserFacingError(`Could not open "${name}": the image has no pixels.`);
    if (width * height > MAX_IMAGE_PIXELS) {
      throw new UserFacingError(
        `"${name}" is ${width}x${height} (${((width * height) / 1e6).toFixed(0)} MP); the limit is ${MAX_IMAGE_PIXELS / 1e6} MP.`,
      );
    }
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new UserFacingError('This browser cannot decode images (no 2D canvas).');
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, width, height).data;
    return { width, height, data };
  } finally {
    bitmap.close();
  }
}

export async function readFileBytes(file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

/** Triggers a download of `bytes` as `filename`. */
export function downloadBytes(bytes: Uint8Array, filename: string, type = 'application/octet-stream'): void {
  const blob = new Blob([bytes as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "photo.jpg" -> "photo" */
export function baseName(name: string): string {
  const n = name.replace(/^.*[\\/]/, '');
  const i = n.lastIndexOf('.');
  return (i > 0 ? n.slice(0, i) : n) || 'image';
}

/** Opens a file picker; resolves with the chosen file or null. */
export function pickFile(accept: string): Promise<File | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.style.display = 'none';
    input.addEventListener('change', () => {
      resolve(input.files?.[0] ?? null);
      input.remove();
    });
    input.addEventListener('cancel', () => {
      resolve(null);
      input.remove();
    });
    document.body.appendChild(input);
    input.click();
  });
}
