/** A model pack in a folder on disk. */
import { readFile, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { MissingFileError, type PackSource } from './pack-source';

export class FsPackSource implements PackSource {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  private path(relPath: string): string {
    const p = resolve(this.location, relPath);
    if (p !== this.location && !p.startsWith(this.location + sep)) throw new MissingFileError(relPath, 'outside the pack');
    return p;
  }

  async readFile(relPath: string): Promise<Uint8Array> {
    try {
      const b = await readFile(this.path(relPath));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if (e instanceof MissingFileError) throw e;
      throw new MissingFileError(relPath, (e as NodeJS.ErrnoException).code ?? String(e));
    }
  }

  async readText(relPath: string): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath));
  }

  async exists(relPath: string): Promise<boolean> {
    try {
      return (await stat(this.path(relPath))).isFile();
    } catch {
      return false;
    }
  }
}
