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

  private async read(relPath: string, limits: ReadLimits | undefined, hashed: boolean): Promise<{ data: Uint8Array; sha256?: string }> {
    const real = await this.realPath(relPath);
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
      const size = limits?.bytes ?? st.size;
      const out = new Uint8Array(size);
      const hash = hashed ? createHash('sha256') : null;
      let off = 0;
      while (off < size) {
        // At most READ_CHUNK per call: Node aborts the process on a read length over 2^31 - 1 (a 3.4 GB
        // `model.onnx_data` in one call crashed the CLI), and a short read just loops.
        const { bytesRead } = await fh.read(out, off, Math.min(size - off, this.opts.readChunk ?? READ_CHUNK), off);
        if (bytesRead === 0) break;
        hash?.update(out.subarray(off, off + bytesRead));
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
