/**
 * The CLI's output folder as one commit. `checkOutDir` runs before any work: the folder must be new, empty,
 * or a previous output (only the files this command writes), it must not hold an input, and its parent must
 * be writable. `commitOutDir` writes every file into a fresh hidden folder beside it and swaps that folder in
 * by rename, so the folder at `--out` is always a complete set: the old one, the new one, or (if the process
 * dies between the two renames of a replacement) none. Two runs into one folder each swap in their own
 * complete set; the last one wins.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, realpathSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { mkdir, rename, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputError } from '../core/diffusion/pipeline';
import { writeFileAtomic } from './atomic';

/** The files `generate` writes into --out. */
export const OUTPUT_FILES = ['image.png', 'mask.png', 'meta.json'] as const;

/** Hidden names beside --out: `.<name>.ds-new-<random>` (being written) and `.<name>.ds-old-<random>` (being removed). */
const TEMP_TAG = '.ds-';

function statOrNull(p: string, follow = true): Stats | null {
  try {
    return follow ? statSync(p) : lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw new InputError(`--out ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Real path of `p` when it exists, else its absolute path. */
function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

export interface OutDir {
  /** The folder that is swapped (the real path when --out is a symlink to a folder). */
  path: string;
  /** What the user asked for, for messages. */
  given: string;
  names: readonly string[];
}

/**
 * Check --out before any work. Throws an InputError (one line) when --out is a file, holds anything but
 * this command's own output, contains or is an input, or cannot be created. Writes nothing.
 */
export function checkOutDir(out: string, inputs: string[], names: readonly string[] = OUTPUT_FILES): OutDir {
  const given = out;
  const path = realOrResolved(out);
  const st = statOrNull(path);
  if (st) {
    if (!st.isDirectory()) throw new InputError(`--out ${given} is a file, not a folder`);
    const other = readdirSync(path).filter((n) => !names.includes(n));
    if (other.length) {
      throw new InputError(
        `--out ${given} holds other files (${other.slice(0, 3).join(', ')}${other.length > 3 ? ', ...' : ''}); give a new or empty folder, or a previous output folder`,
      );
    }
    for (const n of names) {
      const f = statOrNull(join(path, n), false);
      if (f && !f.isFile()) throw new InputError(`--out ${given}: ${n} is not a regular file`);
    }
  }
  for (const input of inputs) {
    const real = realOrResolved(input);
    if (isInside(real, path)) {
      throw new InputError(`--out ${given} would overwrite the input ${input}; choose another folder`);
    }
  }
  // The nearest existing ancestor must be a folder we can create a folder in (tested by doing it).
  let anc = dirname(path);
  for (;;) {
    const a = statOrNull(anc);
    if (a) {
      if (!a.isDirectory()) throw new InputError(`--out ${given} cannot be created: ${anc} is a file`);
      break;
    }
    const up = dirname(anc);
    if (up === anc) break;
    anc = up;
  }
  try {
    rmdirSync(mkdtempSync(join(anc, `.${basename(path)}${TEMP_TAG}check-`)));
  } catch (e) {
    throw new InputError(`--out ${given} cannot be created in ${anc}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { path, given, names };
}

/** Remove a folder this module made (only the known names, then the folder). */
async function removeSet(dir: string, names: readonly string[]): Promise<void> {
  for (const n of names) await unlink(join(dir, n)).catch(() => undefined);
  await rmdir(dir).catch(() => undefined); // never a recursive delete: anything else in it stays
}

/** Hooks for tests: called between the steps of a replacement. */
export interface CommitHooks {
  afterWrite?: () => void | Promise<void>;
}

/** Write `files` as one set and swap them in at `out.path` (see the module comment). */
export async function commitOutDir(out: OutDir, files: [string, Uint8Array][], hooks: CommitHooks = {}): Promise<void> {
  const parent = dirname(out.path);
  const base = basename(out.path);
  await mkdir(parent, { recursive: true });
  const fresh = join(parent, `.${base}${TEMP_TAG}new-${randomBytes(6).toString('hex')}`);
  await mkdir(fresh);
  try {
    for (const [name, data] of files) await writeFileAtomic(join(fresh, name), data); // fsynced
    await hooks.afterWrite?.();
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(fresh, out.path); // atomic when out.path is missing (or an empty folder)
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 20) throw e;
      }
      // A previous set is there: move it aside (atomic), then take its place.
      const st = statOrNull(out.path, false);
      if (st && !st.isDirectory()) throw new InputError(`--out ${out.given} became a file`);
      const old = join(parent, `.${base}${TEMP_TAG}old-${randomBytes(6).toString('hex')}`);
      try {
        await rename(out.path, old);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // another run moved it: retry
        throw e;
      }
      try {
        await rename(fresh, out.path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          // another run swapped its set in between: ours replaces it on the next attempt
          await removeSet(old, out.names);
          continue;
        }
        await rename(old, out.path).catch(() => undefined); // put the old set back
        throw e;
      }
      await removeSet(old, out.names);
      return;
    }
  } catch (e) {
    await removeSet(fresh, out.names);
    throw e;
  }
}
