// "Add model": a picked folder or a URL becomes a kept pack, judged first. The core loader checks the
// pack (manifest, sizes, sha256s, tokenizer, scheduler, and real ONNX sessions with the inputs the pipeline
// needs; checkPack) before a byte is stored, so a bad pack gets the CLI's PackError and nothing is kept.
import { checkPack } from '../core/models/check';
import { PackError } from '../core/models/errors';
import { MANIFEST_FILE } from '../core/models/manifest';
import { FilesPackSource, type PackFileEntry } from '../core/models/files-source';
import { FetchPackSource, type PackProgress, type PackSource, type ReadLimits } from '../core/models/pack-source';
import type { Runtime } from '../core/models/runtime';
import type { StoredPack } from './packStore';

/** What "Add model" was given: the files of a picked or dropped folder, or the URL of a pack folder. */
export type PackOrigin = { kind: 'folder'; name: string; files: PackFileEntry[] } | { kind: 'url'; url: string };

/** One pack kept in the browser, as the model list shows it: the pack store's `StoredPack`. */
export type KeptPack = StoredPack;

/** The worker's pack store, as "Add model" uses it (the one store: src/worker/packStore.ts). */
export interface PackKeeper {
  list(): Promise<KeptPack[]>;
  put(source: PackSource, opts?: { onProgress?: (p: PackProgress) => void }): Promise<KeptPack>;
}

/** The step of adding a pack: the loader checking it, then the pack store keeping it. */
export type AddStep = 'checking' | 'storing';
/** Progress of "Add model": the core's one progress event (PackProgress) and the step it belongs to. */
export type AddProgress = PackProgress & { step: AddStep };

/**
 * Reads through to `inner` once and keeps what it read: a pack from a URL is downloaded once for the check
 * and then stored from memory.
 */
class ReadOnceSource implements PackSource {
  private readonly kept = new Map<string, Uint8Array>();
  constructor(private readonly inner: PackSource) {}
  get location() {
    return this.inner.location;
  }
  async readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array> {
    const hit = this.kept.get(relPath);
    if (hit && (limits?.bytes === undefined || hit.byteLength === limits.bytes)) return hit;
    const data = await this.inner.readFile(relPath, limits);
    this.kept.set(relPath, data);
    return data;
  }
  async readText(relPath: string, limits?: ReadLimits): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath, limits));
  }
  async exists(relPath: string): Promise<boolean> {
    return this.kept.has(relPath) || ((await this.inner.exists?.(relPath)) ?? false);
  }
}

/** The pack source for what the user gave. */
export function originSource(origin: PackOrigin): PackSource {
  if (origin.kind === 'folder') return new FilesPackSource(origin.files, origin.name);
  const url = origin.url.endsWith('/') ? origin.url : `${origin.url}/`;
  return new ReadOnceSource(new FetchPackSource(url));
}

/**
 * Check the pack, then keep it. A pack already kept (the same defect-studio.json) is not stored twice:
 * `already` says so. Throws the loader's PackError for a bad pack, before anything is stored.
 */
export async function addPack(
  origin: PackOrigin,
  runtime: Runtime,
  keeper: PackKeeper,
  onProgress: (p: AddProgress) => void = () => undefined,
  reservedIds: string[] = [],
): Promise<{ pack: KeptPack; already: boolean }> {
  const source = originSource(origin);
  const check = await checkPack(source, runtime, {
    onProgress: (e) => onProgress({ ...e, step: 'checking' }),
  });
  if (reservedIds.includes(check.manifest.id)) {
    // One stored copy per id: this one would replace the built-in model's.
    throw new PackError(`the pack's id "${check.manifest.id}" is the built-in model's; give your pack another id`, { file: MANIFEST_FILE, expected: 'another "id"', found: JSON.stringify(check.manifest.id) });
  }
  const same = (await keeper.list()).find((p) => p.complete && p.manifestSha256 === check.sha256);
  if (same) return { pack: same, already: true };
  const pack = await keeper.put(source, {
    onProgress: (p) => onProgress({ ...p, step: 'storing' }),
  });
  return { pack, already: false };
}
