/**
 * A model pack given as a list of files with their paths inside a folder: what the browser hands over for
 * a picked or dropped folder (`File` objects from `showDirectoryPicker`, `<input webkitdirectory>` or
 * `webkitGetAsEntry`), or Node `Blob`s in tests. Files are read lazily, one at a time, never more than the
 * manifest declares; the pack's layout and contents are judged by the core loader (`loadPack`), exactly as
 * for a folder on disk, so a bad folder gets the CLI's messages.
 */
import { MANIFEST_FILE, canonicalPackPath } from './manifest';
import { MissingFileError, NO_SUCH_FILE, sizeError, type ByteStream, type PackSource, type ReadLimits } from './pack-source';
import { PackError } from './errors';

/** The part of a `Blob`/`File` this source uses (the DOM's and Node's both fit). */
export interface BlobLike {
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/** One file of a picked folder: its path relative to the picked folder (`/`-separated) and its contents. */
export interface PackFileEntry {
  path: string;
  file: BlobLike;
}

/**
 * The folder inside the picked files that holds `defect-studio.json`: '' when it is at the top, else the
 * shallowest such folder with a trailing '/' (a picker's paths start with the picked folder's own name, e.g.
 * `tiny-sd/unet/model.onnx`; someone may also pick the folder above the pack). Null when there is none.
 */
export function findPackRoot(paths: Iterable<string>): string | null {
  let best: string | null = null;
  for (const raw of paths) {
    const p = canonicalPackPath(raw.replace(/^\/+/, ''));
    if (!p || !(p === MANIFEST_FILE || p.endsWith(`/${MANIFEST_FILE}`))) continue;
    const root = p.slice(0, p.length - MANIFEST_FILE.length);
    if (best === null || root.split('/').length < best.split('/').length) best = root;
  }
  return best;
}

export class FilesPackSource implements PackSource {
  readonly location: string;
  /** The files under the pack's root, by their path inside the pack. */
  readonly files: ReadonlyMap<string, BlobLike>;

  /**
   * @param entries the picked files; paths may start with the picked folder's name (see findPackRoot).
   * @param location what the user picked (e.g. the folder's name), for messages.
   */
  constructor(entries: Iterable<PackFileEntry>, location: string) {
    const list = [...entries];
    const root = findPackRoot(list.map((e) => e.path)) ?? '';
    const files = new Map<string, BlobLike>();
    for (const e of list) {
      const p = canonicalPackPath(e.path.replace(/^\/+/, ''));
      if (!p || !p.startsWith(root)) continue;
      const rel = p.slice(root.length);
      if (rel && !files.has(rel)) files.set(rel, e.file);
    }
    this.files = files;
    this.location = location;
  }

  async readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array> {
    const p = canonicalPackPath(relPath);
    if (p === null) throw new PackError('file is outside the pack', { file: relPath });
    const f = this.files.get(p);
    if (!f) throw new MissingFileError(relPath, NO_SUCH_FILE);
    // The size is known before reading: refuse at once, and never read past the declared size.
    const err = sizeError(relPath, f.size, limits);
    if (err) throw err;
    const buf = await f.slice(0, limits?.bytes ?? f.size).arrayBuffer();
    if (buf.byteLength !== f.size) {
      throw new PackError('file changed while it was read', { file: relPath, expected: `${f.size} bytes`, found: `${buf.byteLength} bytes` });
    }
    return new Uint8Array(buf);
  }

  async readText(relPath: string, limits?: ReadLimits): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath, limits));
  }

  async exists(relPath: string): Promise<boolean> {
    const p = canonicalPackPath(relPath);
    return p !== null && this.files.has(p);
  }

  /** The file from `offset` on, read in slices of 8 MiB as the pack store pulls them (a copy into the store). */
  async openStream(relPath: string, offset: number): Promise<ByteStream> {
    const p = canonicalPackPath(relPath);
    const f = p === null ? undefined : this.files.get(p);
    if (!f) throw new MissingFileError(relPath, NO_SUCH_FILE);
    if (offset > f.size) throw new RangeError(`${relPath}: offset past the end`);
    const SLICE = 8 * 1024 * 1024;
    let at = offset;
    const stream = new ReadableStream<Uint8Array>(
      {
        async pull(c) {
          if (at >= f.size) return c.close();
          const end = Math.min(f.size, at + SLICE);
          const buf = new Uint8Array(await f.slice(at, end).arrayBuffer());
          at = end;
          c.enqueue(buf);
        },
      },
      { highWaterMark: 0 },
    );
    return { stream, offset, length: f.size - offset };
  }
}
