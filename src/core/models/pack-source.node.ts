/**
 * A model pack in a folder on disk. Every read resolves the real path (symlinks followed) and refuses
 * anything outside the pack's real folder, opens without blocking (a FIFO cannot hang the load), refuses
 * what is not a regular file (devices such as /dev/zero, FIFOs, sockets, folders), checks the size from the
 * open file's stat against the manifest before reading, and never reads more than that size.
 */
import { createHash } from 'node:crypto';
import { constants, realpathSync, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { PackError } from './errors';
import { MissingFileError, NO_SUCH_FILE, sizeError, type PackSource, type ReadLimits } from './pack-source';

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Why a file could not be opened, in the words every pack source uses ("no such file" for a missing one). */
function missingDetail(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' ? NO_SUCH_FILE : (code ?? String(e));
}

/** The most bytes one read call asks for (well under Node's int32 limit on a read's length). */
export const READ_CHUNK = 1 << 30;
/** The buffer of a read that only hashes (hashFile). */
export const STREAM_CHUNK = 8 << 20;

export class FsPackSource implements PackSource {
  /** The pack folder's real path (symlinks resolved). */
  readonly location: string;

  /** `readChunk`: the most bytes per read call (READ_CHUNK; smaller only in tests). */
  constructor(
    dir: string,
    private readonly opts: { readChunk?: number } = {},
  ) {
    let real = resolve(dir);
    try {
      real = realpathSync(real);
    } catch {
      /* missing folder: every read reports the missing file */
    }
    this.location = real;
  }

  private inside(p: string): boolean {
    return p === this.location || p.startsWith(this.location.endsWith(sep) ? this.location : this.location + sep);
  }

  /** The file's real path, inside the pack. */
  private async realPath(relPath: string): Promise<string> {
    const p = resolve(this.location, relPath);
    if (!this.inside(p)) throw new PackError('file is outside the pack', { file: relPath, found: p });
    let real: string;
    try {
      real = await realpath(p);
    } catch (e) {
      throw new MissingFileError(relPath, missingDetail(e));
    }
    if (!this.inside(real)) throw new PackError('file leads outside the pack (symbolic link)', { file: relPath, found: real });
    return real;
  }

  async readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array> {
    return (await this.read(relPath, limits, false)).data;
  }

  /**
   * The bytes and their sha256, hashed natively chunk by chunk while they are read: no second pass, and no
   * size limit (WebCrypto's one-shot digest refuses buffers of 2 GiB and more, e.g. a 3.4 GB UNet's data).
   */
  async readFileHashed(relPath: string, limits?: ReadLimits): Promise<{ data: Uint8Array; sha256: string }> {
    const { data, sha256 } = await this.read(relPath, limits, true);
    return { data, sha256: sha256! };
  }

  /**
   * The sha256 of a file streamed through one small buffer (nothing kept): for a runtime that then reads the
   * file itself (`localPath`). Size checked as in readFile.
   */
  async hashFile(relPath: string, limits?: ReadLimits): Promise<string> {
    return (await this.read(relPath, limits, true, false)).sha256!;
  }

  /**
   * The file's path on disk for a runtime that reads it itself (onnxruntime-node and a model's external data
   * beside it), after the same checks as a read (inside the pack, a regular file, the declared size); null
   * when the file is not exactly at its place in the pack (reached through a symbolic link), so that the
   * runtime, which resolves external data beside the path it is given, finds the files that were checked.
   */
  async localPath(relPath: string, limits?: ReadLimits): Promise<string | null> {
    const real = await this.realPath(relPath);
    if (real !== resolve(this.location, relPath)) return null;
    const fh = await this.openChecked(relPath, real, limits);
    await fh.close();
    return real;
  }

  /** The file's size, mtime, ctime and inode (one stat; ctime also moves when mtime is set back by hand). */
  async fileStamp(relPath: string): Promise<string> {
    const real = await this.realPath(relPath);
    let st;
    try {
      st = await stat(real, { bigint: true });
    } catch (e) {
      throw new MissingFileError(relPath, missingDetail(e));
    }
    return `${st.size} bytes, mtime ${st.mtimeNs} ns, ctime ${st.ctimeNs} ns, inode ${st.ino}`;
  }

  /** Bytes [offset, offset + length) of a file (fewer at its end), e.g. to read a model's headers only. */
  async readRange(relPath: string, offset: number, length: number): Promise<Uint8Array> {
    const real = await this.realPath(relPath);
    const fh = await this.openChecked(relPath, real, undefined);
    try {
      const out = new Uint8Array(length);
      let off = 0;
      while (off < length) {
        const { bytesRead } = await fh.read(out, off, Math.min(length - off, READ_CHUNK), offset + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return out.subarray(0, off);
    } finally {
      await fh.close();
    }
  }

  /** Opens without blocking or following a link, and refuses what is not a regular file of the declared size. */
  private async openChecked(relPath: string, real: string, limits: ReadLimits | undefined) {
    let fh;
    try {
      // O_NONBLOCK: opening a FIFO returns at once (and is then refused) instead of waiting for a writer.
      // O_NOFOLLOW: a symlink swapped in after realpath is refused, not followed.
      fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new PackError('file leads outside the pack (symbolic link)', { file: relPath, found: real });
      throw new MissingFileError(relPath, missingDetail(e));
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new PackError('not a regular file', { file: relPath, expected: 'a regular file', found: kindOf(st) });
      const err = sizeError(relPath, st.size, limits);
      if (err) throw err;
      return Object.assign(fh, { size: st.size });
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** `keep` false: the bytes go through one READ_CHUNK-sized buffer (or smaller) and only the hash is kept. */
  private async read(relPath: string, limits: ReadLimits | undefined, hashed: boolean, keep = true): Promise<{ data: Uint8Array; sha256?: string }> {
    const real = await this.realPath(relPath);
    const fh = await this.openChecked(relPath, real, limits);
    try {
      const size = limits?.bytes ?? fh.size;
      const chunk = this.opts.readChunk ?? (keep ? READ_CHUNK : STREAM_CHUNK);
      const out = new Uint8Array(keep ? size : Math.min(size, chunk));
      const hash = hashed ? createHash('sha256') : null;
      let off = 0;
      while (off < size) {
        // At most READ_CHUNK per call: Node aborts the process on a read length over 2^31 - 1 (a 3.4 GB
        // `model.onnx_data` in one call crashed the CLI), and a short read just loops.
        const at = keep ? off : 0;
        const { bytesRead } = await fh.read(out, at, Math.min(size - off, chunk, out.length - at), off);
        if (bytesRead === 0) break;
        hash?.update(out.subarray(at, at + bytesRead));
        off += bytesRead;
        limits?.onBytes?.(off);
      }
      // The file changed under us: shorter than its stat, or longer than declared.
      const extra = off === size ? (await fh.read(new Uint8Array(1), 0, 1, size)).bytesRead : 0;
      if (off < size || extra > 0) {
        throw new PackError('file changed while it was read', { file: relPath, expected: `${size} bytes`, found: off < size ? `${off} bytes` : `more than ${size} bytes` });
      }
      return { data: out, sha256: hash?.digest('hex') };
    } finally {
      await fh.close();
    }
  }

  async readText(relPath: string, limits?: ReadLimits): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath, limits));
  }

  async exists(relPath: string): Promise<boolean> {
    try {
      return (await stat(await this.realPath(relPath))).isFile();
    } catch {
      return false;
    }
  }
}
