/**
 * Image decoding for the page, run inside the decode Worker (decode.worker.ts) so that the page never freezes:
 * the file's bytes are read, its header is checked against the pixel limit (and, for a trimap or mask, against
 * the open image's size) before any decoder runs, and only then is it decoded. PNGs go through the core's PNG
 * module (the same pixels as the CLI, every colour type and depth); JPEG, WebP and BMP through the browser's
 * decoder (createImageBitmap + OffscreenCanvas, EXIF orientation applied, no colour-space conversion).
 */
import type { RGBAImage, Trimap } from '../core/image';
import { checkImageHeader } from '../core/imageHeader';
import { ImageDecodeError } from '../core/imageLimits';
import { decodePngRGBA, readPngHeader } from '../core/png';
import { decodeMaskPng, decodeTrimapPng } from '../core/trimap/png';

export type DecodeKind = 'image' | 'trimap' | 'mask';

export interface DecodeRequest {
  id: number;
  kind: DecodeKind;
  file: Blob;
  /** For a trimap or mask: the open image's size, checked on the header before decoding. */
  size?: { width: number; height: number };
}

export type DecodeResponse =
  | { id: number; ok: true; width: number; height: number; data: Uint8ClampedArray | Uint8Array }
  | { id: number; ok: false; message: string; decodeError: boolean };

export async function decodeFile(req: DecodeRequest): Promise<RGBAImage | Trimap | { width: number; height: number; data: Uint8Array }> {
  const bytes = new Uint8Array(await req.file.arrayBuffer());
  if (req.kind === 'image') {
    const h = checkImageHeader(bytes);
    if (h.format === 'png') return decodePngRGBA(bytes);
    return decodeWithBrowser(req.file, h.format);
  }
  const h = readPngHeader(bytes);
  if (req.size && (h.width !== req.size.width || h.height !== req.size.height)) {
    throw new ImageDecodeError(`${h.width}x${h.height} but the image is ${req.size.width}x${req.size.height}; nothing was changed`);
  }
  return req.kind === 'trimap' ? decodeTrimapPng(bytes) : decodeMaskPng(bytes);
}

async function decodeWithBrowser(file: Blob, format: string): Promise<RGBAImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch {
    throw new ImageDecodeError(`not a readable ${format.toUpperCase()} (the browser could not decode it)`);
  }
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('this browser cannot decode images in a worker (no OffscreenCanvas 2D context)');
    ctx.drawImage(bitmap, 0, 0);
    return { width, height, data: ctx.getImageData(0, 0, width, height).data };
  } finally {
    bitmap.close();
  }
}

/** One request -> one response (with the pixel buffer to transfer). */
export async function handleDecodeRequest(req: DecodeRequest): Promise<{ response: DecodeResponse; transfer: Transferable[] }> {
  try {
    const r = await decodeFile(req);
    return { response: { id: req.id, ok: true, width: r.width, height: r.height, data: r.data }, transfer: [r.data.buffer as ArrayBuffer] };
  } catch (e) {
    const decodeError = e instanceof ImageDecodeError;
    return { response: { id: req.id, ok: false, message: e instanceof Error ? e.message : String(e), decodeError }, transfer: [] };
  }
}
