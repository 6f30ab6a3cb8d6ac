/**
 * Browser image I/O: decode image files to RGBA (EXIF orientation honoured), read trimap / mask PNGs,
 * download files. Every failure is an Error with a message meant for the user.
 */
import { DefectStudioError } from '../core/errors';
import type { RGBAImage, Trimap } from '../core/image';
import { ImageDecodeError } from '../core/imageLimits';
import { decodeImageOffThread, decodeMaskOffThread, decodeTrimapOffThread } from '../worker/decodeClient';

export const IMAGE_ACCEPT = 'image/png,image/jpeg,image/webp,image/bmp,.png,.jpg,.jpeg,.webp,.bmp';

/** A message for the user as it stands (code 'input'): nothing to add, nothing changed. */
export class UserFacingError extends DefectStudioError {
  constructor(message: string) {
    super('input', message);
    this.name = 'UserFacingError';
  }
}

/** Runs a decode; a file the decoder refuses becomes `<what>: it is <reason>.` (one line for the user). */
async function decodeFor<T>(what: string, blob: Blob, f: () => Promise<T>): Promise<T> {
  if (blob.size === 0) throw new UserFacingError(`${what}: the file is empty.`);
  try {
    return await f();
  } catch (e) {
    if (e instanceof ImageDecodeError) throw new UserFacingError(`${what}: it is ${e.message}.`);
    throw new UserFacingError(`${what} (${e instanceof Error ? e.message : String(e)}).`);
  }
}

/**
 * An image file (PNG of any colour type and depth, JPEG, WebP, BMP) as 8-bit RGBA. The size is checked on the
 * header against MAX_IMAGE_PIXELS first; decoding runs in the decode Worker, so the page never freezes.
 */
export function decodeImageBlob(blob: Blob, name = 'image'): Promise<RGBAImage> {
  return decodeFor(`Could not open "${name}"`, blob, () => decodeImageOffThread(blob));
}

/** A trimap PNG for an image of `size` (checked on the header before decoding), decoded off the page's thread. */
export function decodeTrimapBlob(blob: Blob, name: string, size: { width: number; height: number }): Promise<Trimap> {
  return decodeFor(`Could not import "${name}" as a trimap`, blob, () => decodeTrimapOffThread(blob, size));
}

/** A mask PNG for an image of `size`, decoded off the page's thread. */
export function decodeMaskBlob(blob: Blob, name: string, size: { width: number; height: number }): Promise<{ width: number; height: number; data: Uint8Array }> {
  return decodeFor(`Could not import "${name}" as a mask`, blob, () => decodeMaskOffThread(blob, size));
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

/** Which picked files to keep (images for a folder of photos, everything for a model pack). */
export type FileFilter = (f: File) => boolean;

/**
 * The files of an `<input type=file>` as picked: with `directory` (an `<input webkitdirectory>`), the picked
 * folder's name and each file's path inside it; `filter` keeps the wanted ones.
 */
export function pickedFromInput(all: File[], directory: boolean, filter: FileFilter = isImageFile): { folder: string; files: PickedFile[] } {
  const rel = all[0]?.webkitRelativePath ?? '';
  const folder = directory && rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : 'images';
  const files = all.filter(filter).map((file) => {
    const p = file.webkitRelativePath || file.name;
    return { file, path: directory && p.includes('/') ? p.slice(p.indexOf('/') + 1) : p };
  });
  return { folder, files };
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
      resolve(pickedFromInput(all, directory));
    });
    input.addEventListener('cancel', () => {
      resolve(null);
      input.remove();
    });
    document.body.appendChild(input);
    input.click();
  });
}

/** The minimal File System Access API shape used here (Chromium's `showDirectoryPicker`). */
interface DirectoryHandle {
  kind: 'directory';
  name: string;
  values(): AsyncIterable<DirectoryHandle | { kind: 'file'; name: string; getFile(): Promise<File> }>;
}

/** Whether this browser has a real folder picker (`showDirectoryPicker`, Chromium). */
export function hasDirectoryPicker(): boolean {
  return typeof (window as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
}

/**
 * The browser's folder picker (`showDirectoryPicker`): the folder's name and its files (paths inside it),
 * `filter`ed; null when the user cancels. Only where hasDirectoryPicker().
 */
export async function pickDirectory(filter: FileFilter): Promise<{ folder: string; files: PickedFile[] } | null> {
  let dir: DirectoryHandle;
  try {
    dir = await (window as unknown as { showDirectoryPicker(o?: { mode?: string }): Promise<DirectoryHandle> }).showDirectoryPicker({ mode: 'read' });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') return null;
    throw e;
  }
  const files: PickedFile[] = [];
  const visit = async (d: DirectoryHandle, prefix: string): Promise<void> => {
    for await (const h of d.values()) {
      if (h.kind === 'directory') await visit(h, `${prefix}${h.name}/`);
      else {
        const file = await h.getFile();
        if (filter(file)) files.push({ file, path: prefix + h.name });
      }
    }
  };
  await visit(dir, '');
  return { folder: dir.name, files };
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

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[], filter: FileFilter): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    if (filter(file)) out.push({ file, path: prefix + file.name });
  } else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    for (const c of children) await walk(c, `${prefix}${entry.name}/`, out, filter);
  }
}

/**
 * A drop of a folder (or of several files): its image files, or null for a drop of a single file (opened as
 * one image). Must be called synchronously from the drop handler (the entries vanish after it returns).
 */
export function folderFromDrop(dt: DataTransfer, filter: FileFilter = isImageFile): Promise<{ folder: string; files: PickedFile[] }> | null {
  const entries = Array.from(dt.items ?? [])
    .map((i) => (i.kind === 'file' ? i.webkitGetAsEntry?.() : null))
    .filter((e): e is FileSystemEntry => !!e);
  const dirs = entries.filter((e) => e.isDirectory);
  if (!dirs.length && dt.files.length <= 1) return null;
  if (!entries.length) {
    return Promise.resolve({ folder: 'images', files: Array.from(dt.files).filter(filter).map((file) => ({ file, path: file.name })) });
  }
  return (async () => {
    const files: PickedFile[] = [];
    for (const e of entries) {
      if (e.isDirectory && entries.length === 1) {
        const children = await readAllEntries((e as FileSystemDirectoryEntry).createReader());
        for (const c of children) await walk(c, '', files, filter);
      } else await walk(e, '', files, filter);
    }
    return { folder: dirs.length === 1 && entries.length === 1 ? dirs[0].name : 'images', files };
  })();
}
