/**
 * Crash-safe file writes for the CLI: the bytes go to a hidden temporary file in the destination folder
 * (unique per host, process and call), are flushed to disk, and are renamed over the final name, so a
 * reader (or a resumed run) sees either the old file, or the complete new one, never half a file, even
 * after kill -9 or a power loss. A killed process may leave a `.NAME.*.tmp` file behind; nothing reads it.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

let counter = 0;

export function tempNameFor(path: string): string {
  const host = hostname().replace(/[^a-zA-Z0-9_-]+/g, '_').slice(0, 40) || 'host';
  return join(dirname(path), `.${basename(path)}.${host}-${process.pid}-${++counter}.tmp`);
}

/** Write `bytes` to `path` atomically (creating its folder). */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempNameFor(path);
  let fh;
  try {
    fh = await open(tmp, 'w');
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Write several files so that each appears complete or not at all, in order: every temporary file is
 * written first, then they are renamed one by one (the last one named acts as the commit marker).
 */
export async function writeFilesAtomic(files: [path: string, bytes: Uint8Array | string][]): Promise<void> {
  const tmps: string[] = [];
  try {
    for (const [path, bytes] of files) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = tempNameFor(path);
      tmps.push(tmp);
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    for (let i = 0; i < files.length; i++) await rename(tmps[i], files[i][0]);
  } catch (e) {
    for (const t of tmps) await rm(t, { force: true });
    throw e;
  }
}
