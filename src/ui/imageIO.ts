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

/** An image file of a folder, with its path inside the folder (e.g. "sub/a.png"). */
export interface PickedFile {
  file: File;
  path: string;
}

const IMAGE_NAME = /\.(png|jpe?g|webp|bmp)$/i;

/** Image files only (by extension or MIME type). */
export function isImageFile(f: File): boolean {
  return IMAGE_NAME.test(f.name) || /^image\/(png|jpeg|webp|bmp)$/.test(f.type);
}

/**
 * Opens a picker for several files, or for a folder (`directory`: the browser's folder picker through
 * `<input webkitdirectory>`). Resolves with the folder's name and its image files (possibly none), or null
 * when cancelled.
 */
export function pickFiles(accept: string, directory = false): Promise<{ folder: string; files: PickedFile[] } | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.multiple = true;
    if (directory) input.webkitdirectory = true;
    input.style.display = 'none';
    input.addEventListener('change', () => {
      const all = Array.from(input.files ?? []);
      input.remove();
      if (!all.length) return resolve(null);
      const rel = all[0].webkitRelativePath;
      const folder = directory && rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : 'images';
      const files = all.filter(isImageFile).map((file) => {
        const p = file.webkitRelativePath || file.name;
        return { file, path: directory && p.includes('/') ? p.slice(p.indexOf('/') + 1) : p };
      });
      resolve({ folder, files });
    });
    input.addEventListener('cancel', () => {
      resolve(null);
      input.remove();
    });
    document.body.appendChild(input);
    input.click();
  });
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const out: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (!batch.length) return resolve(out);
        out.push(...batch);
        next();
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    if (isImageFile(file)) out.push({ file, path: prefix + file.name });
  } else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    for (const c of children) await walk(c, `${prefix}${entry.name}/`, out);
  }
}

/**
 * A drop of a folder (or of several files): its image files, or null for a drop of a single file (opened as
 * one image). Must be called synchronously from the drop handler (the entries vanish after it returns).
 */
export function folderFromDrop(dt: DataTransfer): Promise<{ folder: string; files: PickedFile[] }> | null {
  const entries = Array.from(dt.items ?? [])
    .map((i) => (i.kind === 'file' ? i.webkitGetAsEntry?.() : null))
    .filter((e): e is FileSystemEntry => !!e);
  const dirs = entries.filter((e) => e.isDirectory);
  if (!dirs.length && dt.files.length <= 1) return null;
  if (!entries.length) {
    return Promise.resolve({ folder: 'images', files: Array.from(dt.files).filter(isImageFile).map((file) => ({ file, path: file.name })) });
  }
  return (async () => {
    const files: PickedFile[] = [];
    for (const e of entries) {
      if (e.isDirectory && entries.length === 1) {
        const children = await readAllEntries((e as FileSystemDirectoryEntry).createReader());
        for (const c of children) await walk(c, '', files);
      } else await walk(e, '', files);
    }
    return { folder: dirs.length === 1 && entries.length === 1 ? dirs[0].name : 'images', files };
  })();
}
